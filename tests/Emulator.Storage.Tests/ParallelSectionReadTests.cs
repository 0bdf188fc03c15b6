using System.Collections.Concurrent;

namespace Emulator.Storage.Tests;

/// <summary><see cref="SnapshotReader.ReadSectionParallel"/>: the same bytes as a sequential read, chunk by chunk into caller memory.</summary>
public class ParallelSectionReadTests
{
    private static byte[] MixedContent()
    {
        // 5.5 MiB: a zero MiB, a random MiB, a text MiB, and a mix, so every chunk kind (zero, plain, LZ4) appears.
        var data = new byte[(11 << 20) / 2];
        var random = new Random(77);
        random.NextBytes(data.AsSpan(1 << 20, 1 << 20));
        for (var i = 2 << 20; i + 44 <= 3 << 20; i += 44)
        {
            "the quick brown fox jumps over the lazy dog "u8.CopyTo(data.AsSpan(i));
        }

        for (var page = (3 << 20) / 4096; page < data.Length / 4096; page += 3)
        {
            random.NextBytes(data.AsSpan(page * 4096, 4096));
        }

        return data;
    }

    private static string Write(TempDir dir, byte[] data)
    {
        var image = dir.RandomImage("disk.raw", 4096, seed: 1);
        using var writer = SnapshotFile.Create(image, "p", "ram=1", vmClockNs: 0);
        writer.AddSection("small", [1, 2, 3]);
        writer.AddSection("big", data, compress: true);
        writer.Commit();
        return image + ".p";
    }

    [Fact]
    public void Decodes_every_chunk_once_into_the_memory_given_and_matches_the_written_bytes()
    {
        using var dir = new TempDir();
        var data = MixedContent();
        var path = Write(dir, data);
        using var reader = SnapshotReader.Open(path);
        var into = new byte[data.Length];
        var asked = new ConcurrentBag<(long Offset, int Length)>();
        reader.ReadSectionParallel("big", (offset, length) =>
        {
            asked.Add((offset, length));
            return into.AsSpan((int)offset, length);
        });
        Assert.True(into.AsSpan().SequenceEqual(data));
        // The chunks tile the section: 1 MiB each, the last one shorter.
        var sorted = asked.OrderBy(a => a.Offset).ToList();
        Assert.Equal(6, sorted.Count);
        long next = 0;
        foreach (var (offset, length) in sorted)
        {
            Assert.Equal(next, offset);
            next += length;
        }

        Assert.Equal(data.Length, next);
        Assert.All(sorted.SkipLast(1), a => Assert.Equal(1 << 20, a.Length));

        var one = new byte[3];
        reader.ReadSectionParallel("small", (offset, length) => one.AsSpan((int)offset, length), maxDegreeOfParallelism: 1);
        Assert.Equal([1, 2, 3], one);
    }

    [Fact]
    public void A_damaged_chunk_is_a_storage_error_even_when_opened_without_the_upfront_check()
    {
        using var dir = new TempDir();
        var data = MixedContent();
        var path = Write(dir, data);
        var bytes = File.ReadAllBytes(path);
        var length = bytes.Length;
        for (var trial = 0; trial < 3; trial++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[length / 4 + (trial * length / 5)] ^= 0x5A; // inside the big section's stored bytes
            File.WriteAllBytes(path, damaged);
            using var reader = SnapshotReader.Open(path, verifyChecksums: false);
            var into = new byte[data.Length];
            var e = Assert.Throws<StorageException>(() => reader.ReadSectionParallel("big", (offset, n) => into.AsSpan((int)offset, n)));
            Assert.Contains("damaged", e.Message);
        }
    }

    [Fact]
    public void Exceptions_from_the_destination_come_out_unwrapped()
    {
        using var dir = new TempDir();
        var path = Write(dir, MixedContent());
        using var reader = SnapshotReader.Open(path);
        Assert.Throws<InvalidDataException>(() => reader.ReadSectionParallel("big", (_, _) => throw new InvalidDataException("no room")));
        Assert.Throws<InvalidOperationException>(() => reader.ReadSectionParallel("big", (_, n) => new byte[n - 1]));
    }
}
