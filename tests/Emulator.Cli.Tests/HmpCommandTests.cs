using Emulator.Core.Cpu;
using Emulator.Machine;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>The HMP commands of issue 5 run on a machine directly: info block/cpus/mtree, x/xp, sendkey, system_powerdown.</summary>
public sealed class HmpCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-hmp-" + Guid.NewGuid().ToString("N")[..12]);

    public HmpCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A 64 KiB BIOS: CLI; HLT at F000:0000 and the reset vector JMP FAR F000:0000 at FFFF0.</summary>
    private string Bios()
    {
        var rom = new byte[0x10000];
        rom[0] = 0xFA;
        rom[1] = 0xF4;
        new byte[] { 0xEA, 0x00, 0x00, 0x00, 0xF0 }.CopyTo(rom, 0xFFF0);
        string path = Path.Combine(_dir, "bios.bin");
        File.WriteAllBytes(path, rom);
        return path;
    }

    private PcMachine Machine(params DriveConfig[] drives)
    {
        var config = new MachineConfig { BiosPath = Bios(), RamSize = 16ul << 20 };
        config.Drives.AddRange(drives);
        return new PcMachine(config);
    }

    [Fact]
    public void Info_block_lists_drives_with_file_format_and_read_only()
    {
        string disk = Path.Combine(_dir, "d.raw");
        string cd = Path.Combine(_dir, "c.iso");
        File.WriteAllBytes(disk, new byte[512 * 16]);
        string s2e = Path.Combine(_dir, "e.raw.s2e");
        File.WriteAllBytes(cd, new byte[2048 * 4]);
        File.WriteAllBytes(s2e, new byte[512 * 16]);
        using var m = Machine(new DriveConfig { Path = disk, Index = 0 }, new DriveConfig { Path = s2e, Index = 1 },
            new DriveConfig { Path = cd, Index = 2, Media = DriveMedia.Cdrom });
        string text = new HmpMonitor(m).Execute("info block");
        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("ide0-hd0 (ide0-hd0): ") && l.Contains(disk) && l.EndsWith("(raw)"));
        Assert.Contains(lines, l => l.StartsWith("ide0-hd1 (ide0-hd1): ") && l.Contains(s2e) && l.EndsWith("(s2e)"));
        Assert.Contains(lines, l => l.StartsWith("ide1-cd0 (ide1-cd0): ") && l.Contains(cd) && l.EndsWith("(raw, read-only)"));
    }

    [Fact]
    public void Info_cpus_shows_the_reset_pc_and_info_mtree_the_ram_and_bios()
    {
        using var m = Machine();
        var hmp = new HmpMonitor(m);
        // Reset: CS base FFFF0000, EIP FFF0 (SDM Vol. 3A §9.1.4), so the linear pc is FFFFFFF0.
        Assert.StartsWith("* CPU #0: pc=0xfffffff0", hmp.Execute("info cpus"));
        string tree = hmp.Execute("info mtree");
        Assert.Contains("0000000000000000-000000000009ffff (prio 0, ram): pc.ram", tree);
        Assert.Contains("0000000000100000-0000000000ffffff (prio 0, ram): pc.ram", tree); // 16 MiB
        Assert.Contains("00000000ffff0000-00000000ffffffff (prio 0, rom): pc.bios", tree); // the 64 KiB image below 4 GiB
        Assert.Contains("00000000000f0000-00000000000fffff (prio 1, rom): isa-bios", tree);
    }

    [Fact]
    public void Xp_reads_physical_memory_in_every_unit_and_format()
    {
        using var m = Machine();
        var hmp = new HmpMonitor(m);
        Assert.Equal("00000000fffffff0: 0xea 0x00 0x00 0x00 0xf0\n", hmp.Execute("xp /5xb 0xfffffff0"));
        Assert.Equal("00000000000ffff0: 0x00ea 0x0000\n", hmp.Execute("xp /2xh 0xffff0"));
        m.Memory.Write(0x1000, 8, 0xFFFF_FFFE_8000_0041);
        Assert.Equal("0000000000001000: 0x80000041\n", hmp.Execute("xp /xw 0x1000"));
        Assert.Equal("0000000000001000: 0xfffffffe80000041\n", hmp.Execute("xp /1xg 0x1000"));
        Assert.Equal("0000000000001000: -2147483583 -2\n", hmp.Execute("xp /2dw 0x1000"));
        Assert.Equal("0000000000001000: 2147483713\n", hmp.Execute("xp /uw 4096"));
        Assert.Equal("0000000000001000: 'A' '\\x00'\n", hmp.Execute("xp /2c 0x1000"));
        Assert.Equal("0000000000000ff8: 0x00000000 0x00000000 0x80000041 0xfffffffe\n0000000000001008: 0x00000000\n", hmp.Execute("xp /5x 0xff8"));
        Assert.StartsWith("Error: ", hmp.Execute("xp /3z 0"));
        Assert.StartsWith("Error: ", hmp.Execute("xp"));
    }

    [Fact]
    public void X_translates_through_the_guest_page_tables()
    {
        using var m = Machine();
        var hmp = new HmpMonitor(m);
        m.Memory.Write(0x5123, 4, 0xCAFEBABE);
        Assert.Equal("00005123: 0xcafebabe\n", hmp.Execute("x /xw 0x5123")); // paging off: linear = physical
        // 32-bit paging (SDM Vol. 3A §4.3): page directory at 0x2000, table at 0x3000; linear 0x00400000 → frame 0x5000.
        m.Memory.Write(0x2000 + 1 * 4, 4, 0x3000 | 0x3);
        m.Memory.Write(0x3000, 4, 0x5000 | 0x3);
        m.Cpu.Cr3 = 0x2000;
        m.Cpu.Cr0 |= Cr.CR0_PE | Cr.CR0_PG;
        Assert.Equal("00400123: 0xcafebabe\n", hmp.Execute("x /xw 0x400123"));
        Assert.Equal("Cannot access memory\n", hmp.Execute("x /xw 0x800000"));
    }

    [Fact]
    public void Sendkey_presses_in_order_and_releases_in_reverse()
    {
        using var m = Machine();
        var hmp = new HmpMonitor(m);
        Assert.Equal("", hmp.Execute("sendkey ctrl-alt-delete"));
        var bytes = new List<byte>();
        for (int i = 0; i < 16 && (m.Ports.Read(0x64, 1) & 1) != 0; i++) bytes.Add((byte)m.Ports.Read(0x60, 1));
        // Scan code set 1 (the 8042 translates by default): Ctrl 1D, Alt 38, Delete E0 53; breaks add 80h.
        Assert.Equal(new byte[] { 0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D }, bytes);
        Assert.StartsWith("Error: unknown key: 'bogus'", hmp.Execute("sendkey ctrl-bogus"));
    }

    [Fact]
    public void System_powerdown_sets_the_acpi_power_button_status()
    {
        using var m = Machine();
        var hmp = new HmpMonitor(m);
        Assert.Equal(0u, m.Ports.Read(0x600, 2) & 0x100);
        Assert.Equal("", hmp.Execute("system_powerdown"));
        Assert.Equal(0x100u, m.Ports.Read(0x600, 2) & 0x100); // PM1_STS.PWRBTN_STS, bit 8 (ACPI §4.8.3.1.1)
    }
}
