using System.Security.Cryptography;

namespace Emulator.Storage.Tests;

public class DiskTests
{
    [Fact]
    public void Create_makes_a_sparse_file_of_the_requested_size()
    {
        using var dir = new TempDir();
        var path = dir.File("disk.raw");
        RawImage.Create(path, 1L << 30);
        Assert.Equal(1L << 30, new FileInfo(path).Length);
        using var image = RawImage.Open(path, writable: false);
        Assert.Equal((1L << 30) / 512, image.SectorCount);
        Assert.True(image.AllocatedBytes() < 1 << 20, $"allocated {image.AllocatedBytes()} bytes");
    }

    [Fact]
    public void Normal_mode_writes_reach_the_file()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("disk.raw", 64, seed: 10);
        var sector = new byte[1024];
        new Random(11).NextBytes(sector);
        using (var disk = DiskImage.Open(path))
        {
            Assert.IsType<RawImage>(disk);
            Assert.False(disk.ReadOnly);
            disk.Write(3, sector);
            disk.Flush();
            var back = new byte[1024];
            disk.Read(3, back);
            Assert.Equal(sector, back);
        }

        var file = File.ReadAllBytes(path);
        Assert.Equal(sector, file.AsSpan(3 * 512, 1024).ToArray());
    }

    [Fact]
    public void Second_writer_is_refused_with_a_clear_error()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("disk.raw", 8, seed: 12);
        using var first = DiskImage.Open(path);
        var ex = Assert.Throws<StorageException>(() => DiskImage.Open(path));
        Assert.Contains("in use by another process", ex.Message);
        // An S2E reader must not share an image someone is writing either.
        Assert.Throws<StorageException>(() => DiskImage.Open(path, new DiskOpenOptions { Snapshot = true }));
    }

    [Fact]
    public void S2E_bases_are_shared_between_readers_but_block_writers()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("disk.raw.s2e", 8, seed: 13);
        using var a = DiskImage.Open(path);
        using var b = DiskImage.Open(path);
        Assert.IsType<S2EDisk>(a);
        Assert.IsType<S2EDisk>(b);
        Assert.Throws<StorageException>(() => RawImage.Open(path, writable: true));
    }

    [Theory]
    [InlineData("disk.s2e", null, false)]
    [InlineData("disk.raw", "s2e", false)]
    [InlineData("disk.raw", null, true)]
    public void S2E_mode_is_chosen_by_name_format_or_snapshot(string name, string? format, bool snapshot)
    {
        using var dir = new TempDir();
        var path = dir.RandomImage(name, 8, seed: 14);
        using var disk = DiskImage.Open(path, new DiskOpenOptions { Format = format, Snapshot = snapshot });
        Assert.IsType<S2EDisk>(disk);
    }

    [Fact]
    public void S2E_mode_heavy_random_writes_never_touch_the_base()
    {
        using var dir = new TempDir();
        const int Sectors = 2048;
        var path = dir.RandomImage("big.raw.s2e", Sectors, seed: 15);
        var original = File.ReadAllBytes(path);
        var hashBefore = SHA256.HashData(original);
        var model = (byte[])original.Clone();
        var random = new Random(16);
        using (var disk = DiskImage.Open(path))
        {
            for (var i = 0; i < 5000; i++)
            {
                var count = random.Next(1, 17);
                var lba = random.Next(Sectors - count + 1);
                var data = new byte[count * 512];
                random.NextBytes(data);
                disk.Write(lba, data);
                data.CopyTo(model, lba * 512);
                if (i % 50 == 0)
                {
                    var readLba = random.Next(Sectors - 64);
                    var back = new byte[64 * 512];
                    disk.Read(readLba, back);
                    Assert.Equal(model.AsSpan(readLba * 512, back.Length).ToArray(), back);
                }
            }

            var all = new byte[Sectors * 512];
            disk.Read(0, all);
            Assert.Equal(model, all);
            disk.Flush();
        }

        Assert.Equal(hashBefore, SHA256.HashData(File.ReadAllBytes(path)));
    }

    [Fact]
    public void Forked_disks_are_independent_and_share_the_base()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("fork.raw.s2e", 64, seed: 17);
        var baseBytes = File.ReadAllBytes(path);
        var parent = (S2EDisk)DiskImage.Open(path);
        var shared = Fill(0xAA);
        parent.Write(1, shared);
        var child = parent.Fork();
        parent.Write(2, Fill(0x11));
        child.Write(2, Fill(0x22));
        var buffer = new byte[512];
        parent.Read(2, buffer);
        Assert.Equal(Fill(0x11), buffer);
        child.Read(2, buffer);
        Assert.Equal(Fill(0x22), buffer);
        child.Read(1, buffer);
        Assert.Equal(shared, buffer);
        child.Read(3, buffer);
        Assert.Equal(baseBytes.AsSpan(3 * 512, 512).ToArray(), buffer);

        // The base stays open until the last disk sharing it goes away.
        parent.Dispose();
        child.Read(4, buffer);
        Assert.Equal(baseBytes.AsSpan(4 * 512, 512).ToArray(), buffer);
        child.Dispose();
        using var writer = RawImage.Open(path, writable: true);
    }

    [Fact]
    public void Disk_writes_save_and_load_through_a_stream()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("save.raw.s2e", 64, seed: 18);
        using var disk = (S2EDisk)DiskImage.Open(path);
        disk.Write(10, Fill(0x5A));
        var saved = new MemoryStream();
        disk.SaveWrites(saved);
        disk.Write(10, Fill(0x00));
        disk.Write(11, Fill(0x01));
        saved.Position = 0;
        disk.LoadWrites(saved);
        var buffer = new byte[512];
        disk.Read(10, buffer);
        Assert.Equal(Fill(0x5A), buffer);
        disk.Read(11, buffer);
        Assert.Equal(File.ReadAllBytes(path).AsSpan(11 * 512, 512).ToArray(), buffer);
    }

    [Fact]
    public void Out_of_range_and_misaligned_accesses_are_storage_errors()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("range.raw", 16, seed: 19);
        foreach (var options in new[] { new DiskOpenOptions(), new DiskOpenOptions { Snapshot = true } })
        {
            using var disk = DiskImage.Open(path, options);
            Assert.Throws<StorageException>(() => disk.Read(16, new byte[512]));
            Assert.Throws<StorageException>(() => disk.Read(15, new byte[1024]));
            Assert.Throws<StorageException>(() => disk.Read(-1, new byte[512]));
            Assert.Throws<StorageException>(() => disk.Read(long.MaxValue, new byte[512]));
            Assert.Throws<StorageException>(() => disk.Write(0, new byte[100]));
            Assert.Throws<StorageException>(() => disk.Write(16, new byte[512]));
            disk.Read(15, new byte[512]);
            disk.Read(16, Span<byte>.Empty);
        }
    }

    [Fact]
    public void Read_only_normal_mode_refuses_writes()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("ro.raw", 4, seed: 20);
        using var disk = DiskImage.Open(path, new DiskOpenOptions { ReadOnly = true });
        Assert.True(disk.ReadOnly);
        Assert.Throws<StorageException>(() => disk.Write(0, new byte[512]));
    }

    [Theory]
    [InlineData(new byte[] { 0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3 }, 0, "qcow2")] // QCOW2: "QFI\xfb", version 3
    [InlineData(new byte[] { 0x4B, 0x44, 0x4D, 0x56, 1, 0, 0, 0 }, 0, "vmdk")] // VMDK sparse extent: "KDMV"
    [InlineData(new byte[] { 0x76, 0x68, 0x64, 0x78, 0x66, 0x69, 0x6C, 0x65 }, 0, "vhdx")] // "vhdxfile"
    [InlineData(new byte[] { 0x7F, 0x10, 0xDA, 0xBE }, 0x40, "vdi")] // VDI signature 0xBEDA107F at 0x40
    public void Non_raw_content_behind_an_s2e_name_is_refused(byte[] magic, int offset, string format)
    {
        using var dir = new TempDir();
        var path = dir.File("disk.raw.s2e");
        var content = new byte[64 * 1024];
        magic.CopyTo(content, offset);
        File.WriteAllBytes(path, content);
        var ex = Assert.Throws<StorageException>(() => DiskImage.Open(path));
        Assert.Contains($"is a {format} image, not a raw one", ex.Message);
        // In normal mode a guessed format is refused too; explicitly raw is the user's call (as qemu's format=raw).
        var plain = dir.File("plain.img");
        File.Copy(path, plain);
        Assert.Throws<StorageException>(() => DiskImage.Open(plain));
        using var raw = DiskImage.Open(plain, new DiskOpenOptions { Format = "raw" });
        Assert.IsType<RawImage>(raw);
    }

    [Fact]
    public void Unsupported_format_and_missing_file_are_clear_errors()
    {
        using var dir = new TempDir();
        var path = dir.RandomImage("x.raw", 4, seed: 21);
        Assert.Contains("format 'qcow2' is not supported", Assert.Throws<StorageException>(() => DiskImage.Open(path, new DiskOpenOptions { Format = "qcow2" })).Message);
        Assert.Contains("no such file", Assert.Throws<StorageException>(() => DiskImage.Open(dir.File("missing.raw"))).Message);
    }

    private static byte[] Fill(byte value)
    {
        var data = new byte[512];
        Array.Fill(data, value);
        return data;
    }
}
