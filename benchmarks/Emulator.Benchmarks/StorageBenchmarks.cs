using BenchmarkDotNet.Attributes;
using Emulator.Storage;

namespace Emulator.Benchmarks;

/// <summary>Write-map fork and throughput, snapshot save/load of a 128 MiB RAM-like blob.</summary>
[MemoryDiagnoser]
public class StorageBenchmarks
{
    private const int SectorCount = 1 << 16; // 32 MiB of written sectors in the big map
    private readonly byte[] _sector = new byte[512];
    private WriteMap _big = null!;
    private byte[] _ram = null!;
    private string _dir = null!;
    private string _image = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_sector);
        _big = new WriteMap();
        for (var s = 0; s < SectorCount; s++)
        {
            _big.Write(s * 7L, _sector);
        }

        // RAM-like: one page in four random, one in four text, the rest zero.
        _ram = new byte[128 << 20];
        var random = new Random(2);
        for (var page = 0; page < _ram.Length / 4096; page++)
        {
            var span = _ram.AsSpan(page * 4096, 4096);
            switch (page % 4)
            {
                case 0:
                    random.NextBytes(span);
                    break;
                case 1:
                    for (var i = 0; i + 44 <= span.Length; i += 44)
                    {
                        "the quick brown fox jumps over the lazy dog "u8.CopyTo(span[i..]);
                    }

                    break;
            }
        }

        _dir = Path.Combine(Path.GetTempPath(), "emu-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        _image = Path.Combine(_dir, "bench.raw.s2e");
        RawImage.Create(_image, 64 << 20);
        SaveSnapshot();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>Fork of a map holding 65,536 sectors (O(1): independent of size).</summary>
    [Benchmark]
    public WriteMap WriteMapFork() => _big.Fork();

    /// <summary>Fork, then the first write below a frozen path (the copy-on-write cost a new state pays).</summary>
    [Benchmark]
    public WriteMap WriteMapForkThenWrite()
    {
        var child = _big.Fork();
        child.Write(7 * 1000, _sector);
        return child;
    }

    /// <summary>4096 sector writes (2 MiB) into a fresh map.</summary>
    [Benchmark(OperationsPerInvoke = 4096)]
    public WriteMap WriteMapWrite()
    {
        var map = new WriteMap();
        for (var s = 0; s < 4096; s++)
        {
            map.Write(s * 3L, _sector);
        }

        return map;
    }

    /// <summary>4096 sector reads (2 MiB) from the big map.</summary>
    [Benchmark(OperationsPerInvoke = 4096)]
    public int WriteMapRead()
    {
        Span<byte> buffer = stackalloc byte[512];
        var hits = 0;
        for (var s = 0; s < 4096; s++)
        {
            hits += _big.TryRead(s * 7L, buffer) ? 1 : 0;
        }

        return hits;
    }

    [Benchmark]
    public void SnapshotSave128MiB() => SaveSnapshot();

    [Benchmark]
    public long SnapshotLoad128MiB()
    {
        using var reader = SnapshotFile.Open(_image, "bench", "ram=128M");
        reader.ReadSection("ram", _ram);
        return reader.SectionLength("ram");
    }

    private void SaveSnapshot()
    {
        using var writer = SnapshotFile.Create(_image, "bench", "ram=128M", vmClockNs: 1);
        writer.AddSection("ram", _ram, compress: true);
        writer.Commit();
    }
}
