using BenchmarkDotNet.Attributes;
using Emulator.Core.Memory;
using Emulator.Machine;
using Emulator.Storage;

namespace Emulator.Benchmarks;

/// <summary>
/// savevm / loadvm of a whole <see cref="PcMachine"/> (CPU, every device, RAM, the S2E write map) through the same
/// path as the monitor and <c>emu -loadvm</c>: <see cref="PcMachine.SaveVm"/> and <see cref="PcMachine.LoadVm"/> into a
/// freshly built machine. RAM looks like a booted Linux guest's: most pages never touched (zero), the rest a mix of
/// text, sparse structures (page tables, slab objects) and incompressible data.
/// </summary>
[MemoryDiagnoser]
public class SnapshotBenchmarks
{
    private string _dir = null!;
    private string _bios = null!;
    private string _image = null!;
    private PcMachine _source = null!;
    private PcMachine? _target;

    [Params(128, 256, 1024)]
    public int RamMiB { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "emu-snapbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        _bios = Path.Combine(_dir, "bios.bin");
        var bios = new byte[0x10000];
        Array.Fill(bios, (byte)0xF4); // HLT everywhere: the machine is never run
        File.WriteAllBytes(_bios, bios);
        _image = Path.Combine(_dir, "disk.raw.s2e");
        RawImage.Create(_image, 16 << 20);
        _source = NewMachine();
        FillLikeABootedGuest(_source.Memory, seed: 5);
        _source.GetDisk(0)!.Write(0, new byte[64 << 10]); // a small write map too
        _source.SaveVm("bench");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _target?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public string SaveVm() => _source.SaveVm("bench");

    [IterationSetup(Target = nameof(LoadVm))]
    public void NewTarget()
    {
        _target?.Dispose();
        _target = NewMachine();
    }

    /// <summary>What <c>emu -loadvm</c> does after building the machine.</summary>
    [Benchmark]
    public void LoadVm() => _target!.LoadVm("bench");

    private PcMachine NewMachine()
    {
        var config = new MachineConfig { RamSize = (ulong)RamMiB << 20, BiosPath = _bios, RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
        config.Drives.Add(new DriveConfig { Path = _image, Index = 0 });
        return new PcMachine(config);
    }

    /// <summary>
    /// 55 % of pages zero, 20 % text (log lines and source-like words), 15 % sparse (a few 32-bit values per 64 bytes,
    /// like page tables and slab objects), 10 % random (compressed or encrypted data, code): what `free` shows on a
    /// small Linux guest after boot, with the page cache partly filled.
    /// </summary>
    public static void FillLikeABootedGuest(PhysicalMemory memory, int seed)
    {
        var random = new Random(seed);
        var page = new byte[PhysicalMemory.PageSize];
        var words = "kernel: [    0.000000] Linux version 6.1.0 memory init pci 0000:00:01.1 ata1 ext4 mounted filesystem systemd "u8.ToArray();
        for (ulong f = 0; f < memory.RamSize >> PhysicalMemory.PageShift; f++)
        {
            int kind = random.Next(100);
            if (kind < 55) continue;
            if (kind < 75)
            {
                for (int i = 0; i < page.Length; i++) page[i] = words[(i * 7 + random.Next(3) + (int)f) % words.Length];
            }
            else if (kind < 90)
            {
                Array.Clear(page);
                for (int i = 0; i < page.Length; i += 64) BitConverter.TryWriteBytes(page.AsSpan(i), random.Next() & 0x7FFF_F067);
            }
            else
            {
                random.NextBytes(page);
            }
            memory.WritePhysical(f << PhysicalMemory.PageShift, page);
        }
    }
}
