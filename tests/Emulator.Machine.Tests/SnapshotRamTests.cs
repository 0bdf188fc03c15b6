using Emulator.Core.Memory;
using Emulator.Storage;

namespace Emulator.Machine.Tests;

/// <summary>RAM in snapshots: every page comes back exactly (version 2 page map + parallel pages, and version 1 files).</summary>
public sealed class SnapshotRamTests
{
    private const ulong RamSize = 8ul << 20;
    private const int Pages = (int)(RamSize >> PhysicalMemory.PageShift);

    private static MachineConfig Config(string bios, string image)
    {
        var config = new MachineConfig { RamSize = RamSize, BiosPath = bios, Snapshot = true, RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
        config.Drives.Add(new DriveConfig { Path = image, Index = 0 });
        return config;
    }

    /// <summary>The reference content: a page per frame from a seeded generator (null = zero page).</summary>
    private static byte[]?[] Expected()
    {
        var random = new Random(2024);
        var pages = new byte[]?[Pages];
        for (int f = 0; f < Pages; f++)
        {
            // Skip the legacy VGA window and BIOS area (MMIO / ROM shadow): guest stores do not reach that RAM directly.
            if (f is >= 0xA0 and < 0x100) continue;
            int kind = random.Next(4);
            if (kind == 0) continue;
            var page = new byte[PhysicalMemory.PageSize];
            if (kind == 1) random.NextBytes(page);
            else
            {
                for (int i = 0; i < page.Length; i++) page[i] = (byte)('a' + (i * 31 + f) % 26);
            }
            pages[f] = page;
        }
        return pages;
    }

    private static void AssertRamIs(PcMachine m, byte[]?[] expected)
    {
        var zero = new byte[PhysicalMemory.PageSize];
        var page = new byte[PhysicalMemory.PageSize];
        int compared = 0;
        for (int f = 0; f < Pages; f++)
        {
            if (f is >= 0xA0 and < 0x100) continue;
            Assert.True(m.Memory.ReadPhysical((ulong)f << PhysicalMemory.PageShift, page));
            if (!page.AsSpan().SequenceEqual(expected[f] ?? zero)) Assert.Fail($"frame 0x{f:x} differs after loadvm");
            compared++;
        }
        Assert.Equal(Pages - 0x60, compared);
    }

    private static (string Bios, string Image) Files(TempDir dir)
    {
        string bios = Path.Combine(dir.Path, "mini-bios.bin");
        File.WriteAllBytes(bios, MiniBios.CounterRom());
        return (bios, BootSector.WriteImage(dir.Path, new byte[512], sectors: 64));
    }

    [Fact]
    public void Every_page_comes_back_and_pages_that_were_zero_are_zero_again()
    {
        using var dir = new TempDir();
        var (bios, image) = Files(dir);
        var expected = Expected();
        using (var a = new PcMachine(Config(bios, image)))
        {
            for (int f = 0; f < Pages; f++)
            {
                if (expected[f] is { } p) Assert.True(a.Memory.WritePhysical((ulong)f << PhysicalMemory.PageShift, p));
            }
            Assert.NotNull(expected[0x300]);
            a.Memory.WritePhysical(0x300000, new byte[PhysicalMemory.PageSize]); // written, but zero now: not stored
            expected[0x300] = null;
            a.SaveVm("ram");
        }

        using var b = new PcMachine(Config(bios, image));
        var junk = new byte[PhysicalMemory.PageSize];
        Array.Fill(junk, (byte)0xEE);
        for (int f = 0x100; f < Pages; f += 5) b.Memory.WritePhysical((ulong)f << PhysicalMemory.PageShift, junk); // must not survive
        b.LoadVm("ram");
        AssertRamIs(b, expected);

        // The RAM is the machine's own again: a write lands, and a fork still shares copy-on-write.
        Assert.True(b.Memory.WritePhysical(0x200000, junk));
        using var fork = b.Memory.Fork();
        Assert.True(b.Memory.WritePhysical(0x200000, zeroPage()));
        var seen = new byte[PhysicalMemory.PageSize];
        fork.ReadPhysical(0x200000, seen);
        Assert.Equal(junk, seen);

        static byte[] zeroPage() => new byte[PhysicalMemory.PageSize];
    }

    [Fact]
    public void A_version_1_snapshot_with_one_ram_stream_still_loads()
    {
        using var dir = new TempDir();
        var (bios, image) = Files(dir);
        var expected = Expected();
        using (var a = new PcMachine(Config(bios, image)))
        {
            a.SaveVm("v2");
        }

        // Rewrite it as version 1: machine state byte 1, and RAM as u64 size, (u64 frame, page)*, u64 ~0 in a "ram" section.
        using (var v2 = SnapshotReader.Open(image + ".v2"))
        using (var v1 = SnapshotFile.CreateAt(image + ".v1", new SnapshotInfo
        {
            Name = "v1",
            MachineConfig = v2.Info.MachineConfig,
            BaseImage = v2.Info.BaseImage,
            Created = v2.Info.Created,
            VmClockNs = v2.Info.VmClockNs,
        }))
        {
            foreach (var section in v2.Sections)
            {
                if (section.Name is "ram-map" or "ram-pages") continue;
                var data = v2.ReadSection(section.Name);
                if (section.Name == "machine")
                {
                    Assert.Equal(2, data[0]);
                    data[0] = 1;
                }
                v1.AddSection(section.Name, data);
            }
            v1.AddSection("ram", s =>
            {
                using var w = new BinaryWriter(s);
                w.Write(RamSize);
                for (int f = 0; f < Pages; f++)
                {
                    if (expected[f] is not { } p) continue;
                    w.Write((ulong)f);
                    w.Write(p);
                }
                w.Write(ulong.MaxValue);
            }, compress: true);
            v1.Commit();
        }

        using var b = new PcMachine(Config(bios, image));
        b.LoadVm("v1");
        AssertRamIs(b, expected);
    }
}
