using System.Security.Cryptography;

namespace Emulator.Storage.Tests;

public class SnapshotFileTests
{
    private const string Config = "ram=256M cpu=core2duo devices=ide,e1000";

    [Fact]
    public void Round_trip_with_a_64_MiB_section_and_small_ones()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("disk.raw.s2e", 4096, seed: 30);
        // RAM-like content: mostly zero pages, some random pages, some repetitive text.
        var ram = new byte[64 << 20];
        var random = new Random(31);
        for (var page = 0; page < ram.Length / 4096; page += 7)
        {
            random.NextBytes(ram.AsSpan(page * 4096, 4096));
        }

        for (var i = 3 * 4096; i < ram.Length; i += 11 * 4096)
        {
            "the quick brown fox jumps over the lazy dog "u8.CopyTo(ram.AsSpan(i));
        }

        var cpu = new byte[777];
        random.NextBytes(cpu);
        var created = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
        using (var writer = SnapshotFile.Create(image, "ready", Config, vmClockNs: 123_456_789, created: created))
        {
            writer.AddSection("cpu", cpu);
            writer.AddSection("ram", s => s.Write(ram), compress: true);
            writer.AddSection("empty", ReadOnlySpan<byte>.Empty);
            writer.Commit();
        }

        var path = image + ".ready";
        Assert.True(File.Exists(path));
        Assert.True(new FileInfo(path).Length < ram.Length, "compression should shrink mostly-zero RAM");
        Assert.Empty(Directory.GetFiles(dir.Path, ".*")); // no temp file left behind

        using var reader = SnapshotFile.Open(image, "ready", Config);
        Assert.Equal("ready", reader.Info.Name);
        Assert.Equal(123_456_789, reader.Info.VmClockNs);
        Assert.Equal(created, reader.Info.Created);
        Assert.Equal(Config, reader.Info.MachineConfig);
        Assert.Equal(["cpu", "ram", "empty"], reader.Sections.Select(s => s.Name));
        Assert.Equal(cpu, reader.ReadSection("cpu"));
        Assert.Empty(reader.ReadSection("empty"));
        Assert.Equal(SHA256.HashData(ram), SHA256.HashData(reader.ReadSection("ram")));
        using (var stream = reader.OpenSection("ram"))
        {
            Assert.Equal(SHA256.HashData(ram), SHA256.HashData(stream));
        }

        var into = new byte[ram.Length];
        reader.ReadSection("ram", into);
        Assert.True(into.AsSpan().SequenceEqual(ram));
        Assert.Throws<StorageException>(() => reader.ReadSection("missing"));
    }

    /// <summary>The savevm/loadvm flow of S2E mode: disk writes go into the snapshot, the base stays untouched.</summary>
    [Fact]
    public void Disk_writes_survive_savevm_and_loadvm_without_touching_the_base()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("flow.raw.s2e", 256, seed: 40);
        var baseHash = SHA256.HashData(File.ReadAllBytes(image));
        var written = new byte[8 * 512];
        new Random(41).NextBytes(written);
        using (var disk = (S2EDisk)DiskImage.Open(image))
        {
            disk.Write(100, written);
            using var writer = SnapshotFile.Create(image, "ready", Config, 99, baseImage: disk.Base.ComputeFingerprint());
            writer.AddSection("disk-writes", disk.SaveWrites, compress: true);
            writer.Commit();
        }

        using (var disk = (S2EDisk)DiskImage.Open(image))
        {
            disk.Write(100, new byte[512]); // a write of the current state, dropped by loadvm
            using var reader = SnapshotFile.Open(image, "ready", Config, currentImage: disk.Base.ComputeFingerprint());
            using (var section = reader.OpenSection("disk-writes"))
            {
                disk.LoadWrites(section);
            }

            var back = new byte[written.Length];
            disk.Read(100, back);
            Assert.Equal(written, back);
            Assert.Equal(8, disk.Writes.Count);
        }

        Assert.Equal(baseHash, SHA256.HashData(File.ReadAllBytes(image)));
    }

    [Fact]
    public void Uncommitted_writer_leaves_nothing()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("disk.raw", 16, seed: 32);
        using (var writer = SnapshotFile.Create(image, "half", Config, 0))
        {
            writer.AddSection("cpu", new byte[10]);
        }

        Assert.Equal([image], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Config_mismatch_names_the_differing_setting()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("disk.raw.s2e", 16, seed: 33);
        Save(image, "ready", "ram=256M cpu=core2duo");
        var ex = Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "ready", "ram=128M cpu=core2duo"));
        Assert.Equal("snapshot 'ready' was taken with ram=256M, this machine has ram=128M", ex.Message);
        ex = Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "ready", "ram=256M"));
        Assert.Equal("snapshot 'ready' was taken with cpu=core2duo, this machine has no cpu", ex.Message);
        using var sameInOtherOrder = SnapshotFile.Open(image, "ready", "cpu=core2duo  ram=256M");
    }

    [Fact]
    public void Changed_base_image_content_is_detected_even_with_the_old_time()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("disk.raw.s2e", 64, seed: 34);
        Save(image, "ready", Config);
        var time = File.GetLastWriteTimeUtc(image);
        var bytes = File.ReadAllBytes(image);
        bytes[100] ^= 0xFF;
        File.WriteAllBytes(image, bytes);
        File.SetLastWriteTimeUtc(image, time);
        var ex = Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "ready", Config));
        Assert.StartsWith("the base image has changed since snapshot 'ready' was taken: its content differs", ex.Message);
    }

    [Fact]
    public void Changed_base_image_time_or_size_is_detected()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("disk.raw.s2e", 64, seed: 35);
        Save(image, "ready", Config);
        File.SetLastWriteTimeUtc(image, File.GetLastWriteTimeUtc(image).AddSeconds(5));
        var ex = Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "ready", Config));
        Assert.Contains("its modification time was", ex.Message);
        using (SnapshotFile.Open(image, "ready", Config, FingerprintCheck.ContentOnly))
        {
        }

        using (var stream = new FileStream(image, FileMode.Append))
        {
            stream.Write(new byte[512]);
        }

        ex = Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "ready", Config, FingerprintCheck.ContentOnly));
        Assert.Contains("its size was 32768 bytes, now it is 33280 bytes", ex.Message);
    }

    [Fact]
    public void Fingerprint_of_a_large_sparse_image_is_fast_and_sees_a_change_in_a_sampled_block()
    {
        using var dir = new TempDir();
        var image = dir.File("big.raw");
        RawImage.Create(image, 10L << 30);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var before = ImageFingerprint.Compute(image);
        watch.Stop();
        Assert.True(watch.ElapsedMilliseconds < 2000, $"fingerprint of 10 GiB took {watch.ElapsedMilliseconds} ms");
        using (var disk = RawImage.Open(image, writable: true))
        {
            var sector = new byte[512];
            sector[0] = 1;
            disk.Write(disk.SectorCount - 1, sector); // inside the last MiB
        }

        var after = ImageFingerprint.Compute(image);
        Assert.NotNull(before.Describe(after, FingerprintCheck.ContentOnly));
        Assert.Null(after.Describe(ImageFingerprint.Compute(image), FingerprintCheck.Strict));
    }

    [Fact]
    public void List_reads_headers_and_skips_other_files_and_Delete_removes()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("img.raw.s2e", 16, seed: 36);
        Save(image, "ready", Config, created: new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), clock: 5_000_000_000);
        Save(image, "later", Config, created: new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero), clock: 7);
        File.WriteAllText(image + ".notes", "not a snapshot");
        File.WriteAllText(dir.File("other.raw.ready"), "unrelated");
        var list = SnapshotFile.List(image);
        Assert.Equal(["ready", "later"], list.Select(s => s.Name));
        Assert.Equal(5_000_000_000, list[0].VmClockNs);
        Assert.Equal(new FileInfo(image + ".ready").Length, list[0].FileSize);
        Assert.True(SnapshotFile.Delete(image, "ready"));
        Assert.False(SnapshotFile.Delete(image, "ready"));
        Assert.Throws<StorageException>(() => SnapshotFile.Delete(image, "notes"));
        Assert.True(File.Exists(image + ".notes"));
        Assert.Equal(["later"], SnapshotFile.List(image).Select(s => s.Name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\nb")]
    public void Bad_names_are_refused(string name)
    {
        Assert.Throws<StorageException>(() => SnapshotFile.PathFor("/tmp/x.raw", name));
    }

    [Fact]
    public void Wrong_version_and_not_a_snapshot_are_clear_errors()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("v.raw.s2e", 16, seed: 37);
        Save(image, "ready", Config);
        var bytes = File.ReadAllBytes(image + ".ready");
        bytes[8] = 9;
        File.WriteAllBytes(image + ".ready", bytes);
        Assert.Contains("format version 9; this build reads version 1", Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "ready", Config)).Message);
        File.WriteAllText(image + ".ready", "hello");
        Assert.Contains("is not a snapshot file", Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "ready", Config)).Message);
        Assert.Contains("no snapshot 'gone'", Assert.Throws<StorageException>(() => SnapshotFile.Open(image, "gone", Config)).Message);
    }

    /// <summary>
    /// Thousands of seeded random mutations (bit flips, byte overwrites, truncations, insertions, deletions) of a
    /// snapshot file: each must be refused with a StorageException — never another exception, never accepted.
    /// </summary>
    [Fact]
    public void Mutated_snapshot_files_are_always_refused_cleanly()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("fuzz.raw.s2e", 16, seed: 38);
        var random = new Random(39);
        var ram = new byte[(1 << 20) + (256 << 10)];
        for (var i = 0; i < ram.Length; i += 4096)
        {
            random.NextBytes(ram.AsSpan(i, 64));
        }

        var map = new WriteMap();
        map.Write(3, new byte[512]);
        using (var writer = SnapshotFile.Create(image, "ready", Config, 42))
        {
            writer.AddSection("cpu", new byte[] { 1, 2, 3, 4, 5 });
            writer.AddSection("ram", ram, compress: true);
            writer.AddSection("disk-writes", map.Serialize);
            writer.Commit();
        }

        var original = File.ReadAllBytes(image + ".ready");
        var mutated = dir.File("fuzz.raw.s2e.m");
        var refused = 0;
        for (var round = 0; round < 3000; round++)
        {
            var bytes = Mutate(original, random);
            if (bytes.AsSpan().SequenceEqual(original))
            {
                continue;
            }

            File.WriteAllBytes(mutated, bytes);
            try
            {
                using var reader = SnapshotFile.Open(image, "m", Config);
                foreach (var section in reader.Sections)
                {
                    using var stream = reader.OpenSection(section.Name);
                    stream.CopyTo(Stream.Null);
                }

                Assert.Fail($"round {round}: a damaged snapshot file was accepted");
            }
            catch (StorageException)
            {
                refused++;
            }
        }

        Assert.True(refused > 2500);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        // Small files are mostly header, directory and footer: aim half the mutations there.
        int Position() => random.Next(2) == 0
            ? (random.Next(2) == 0 ? random.Next(Math.Min(200, bytes.Length)) : bytes.Length - 1 - random.Next(Math.Min(200, bytes.Length)))
            : random.Next(bytes.Length);
        switch (random.Next(6))
        {
            case 0:
                var p = Position();
                bytes[p] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1:
                for (var i = random.Next(1, 8); i > 0; i--)
                {
                    bytes[Position()] = (byte)random.Next(256);
                }

                return bytes;
            case 2:
                return bytes[..random.Next(bytes.Length)];
            case 3:
                var at = Position();
                var extra = new byte[random.Next(1, 16)];
                random.NextBytes(extra);
                return [.. bytes[..at], .. extra, .. bytes[at..]];
            case 4:
                var from = Position();
                var count = Math.Min(random.Next(1, 64), bytes.Length - from);
                return [.. bytes[..from], .. bytes[(from + count)..]];
            default:
                var start = Position();
                var n = Math.Min(random.Next(1, 32), bytes.Length - start);
                bytes.AsSpan(start, n).Fill((byte)random.Next(256));
                return bytes;
        }
    }

    private static void Save(string image, string name, string config, DateTimeOffset? created = null, long clock = 1)
    {
        using var writer = SnapshotFile.Create(image, name, config, clock, created: created);
        writer.AddSection("cpu", new byte[] { 9, 8, 7 });
        writer.Commit();
    }
}
