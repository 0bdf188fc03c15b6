using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>The board's reset sources, power-off, and the A20 gate, driven by small test ROMs.</summary>
public sealed class ResetAndA20Tests
{
    private const byte DebugExit = 0xF4;

    private static MachineExit Run(Action<Assembler> code, bool noReboot, out PcMachine machine, long budget = 2_000_000)
    {
        var dir = Path.Combine(Path.GetTempPath(), "emu-rom-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        string bios = Path.Combine(dir, "rom.bin");
        File.WriteAllBytes(bios, MiniBios.Rom(code));
        var config = new MachineConfig { RamSize = 16ul << 20, BiosPath = bios, NoReboot = noReboot, IsaDebugExit = (DebugExit, 1) };
        machine = new PcMachine(config);
        try
        {
            return machine.RunUntilStop(budget);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static TheoryData<string> ResetSources => new() { "i8042-pulse", "cf9", "port92", "triple-fault" };

    private static void EmitReset(Assembler a, string source)
    {
        switch (source)
        {
            case "i8042-pulse": // 8042 command FEh: pulse output port bit 0 (CPU reset)
                a.mov(al, 0xFE);
                a.@out(0x64, al);
                break;
            case "cf9": // PIIX3 RC: SRST + RCPU = hard reset
                a.mov(dx, 0xCF9);
                a.mov(al, 0x06);
                a.@out(dx, al);
                break;
            case "port92": // System Control Port A bit 0: fast reset
                a.mov(al, 0x01);
                a.@out(0x92, al);
                break;
            case "triple-fault": // IDT limit 0: INT3 cannot be delivered, nor #GP, nor #DF (SDM Vol. 3A §6.15)
                a.push(0);
                a.push(0);
                a.push(0);
                a.mov(bp, sp);
                a.lidt(__[bp]);
                a.int3();
                break;
        }
        a.hlt();
    }

    [Theory]
    [MemberData(nameof(ResetSources))]
    public void Every_reset_source_ends_the_run_with_no_reboot(string source)
    {
        var exit = Run(a =>
        {
            a.xor(ax, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            EmitReset(a, source);
        }, noReboot: true, out var m);
        using (m) Assert.Equal(new MachineExit(MachineStopReason.Reset, 0), exit);
    }

    [Theory]
    [MemberData(nameof(ResetSources))]
    public void Without_no_reboot_the_machine_restarts_at_the_reset_vector_and_keeps_ram(string source)
    {
        // RAM survives a reset: count boots in 0000:0500 and exit with the count on the third.
        var exit = Run(a =>
        {
            var again = a.CreateLabel();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            a.inc(__byte_ptr[0x500]);
            a.cmp(__byte_ptr[0x500], 3);
            a.jb(again);
            a.mov(al, __byte_ptr[0x500]);
            a.@out(DebugExit, al);
            a.hlt();
            a.Label(ref again);
            EmitReset(a, source);
        }, noReboot: false, out var m);
        using (m)
        {
            Assert.Equal(new MachineExit(MachineStopReason.DebugExit, (3 << 1) | 1), exit);
            Assert.Equal(2, m.ResetCount);
        }
    }

    [Fact]
    public void The_8042_output_port_gates_a20()
    {
        // With A20 off, FFFF:0510 (physical 0x100500) wraps to 0x000500; with it on, it does not.
        var exit = Run(a =>
        {
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            a.mov(cx, 0xFFFF);
            a.xor(dx, dx);
            // 8042 command D1h (write output port), data DDh: bit 1 (A20) clear, bit 0 (no reset) set.
            a.mov(al, 0xD1);
            a.@out(0x64, al);
            a.mov(al, 0xDD);
            a.@out(0x60, al);
            a.mov(__byte_ptr[0x500], 0x11);
            a.mov(ds, cx);                     // DS = FFFF
            a.mov(__byte_ptr[0x510], 0x22);     // aliases 0x500 while A20 is off
            a.mov(ds, dx);                     // DS = 0
            a.mov(bl, __byte_ptr[0x500]);       // 0x22
            a.mov(al, 0xD1);
            a.@out(0x64, al);
            a.mov(al, 0xDF);                    // A20 on
            a.@out(0x60, al);
            a.mov(ds, cx);
            a.mov(__byte_ptr[0x510], 0x33);     // now really at 0x100500
            a.mov(ds, dx);
            a.mov(al, __byte_ptr[0x500]);       // still 0x22
            a.add(al, bl);                      // 0x44
            a.@out(DebugExit, al);
            a.hlt();
        }, noReboot: true, out var m);
        using (m)
        {
            Assert.Equal(new MachineExit(MachineStopReason.DebugExit, (0x44 << 1) | 1), exit);
            Assert.Equal(0x33ul, m.Memory.Read(0x100500, 1));
        }
    }

    [Fact]
    public void Acpi_s5_powers_off_with_exit_code_zero()
    {
        var exit = Run(a =>
        {
            a.mov(dx, 0x604);
            a.mov(ax, 0x2000); // PM1_CNT: SLP_EN, SLP_TYP = 0 (the \_S5 type of our DSDT)
            a.@out(dx, ax);
            a.hlt();
        }, noReboot: true, out var m);
        using (m) Assert.Equal(new MachineExit(MachineStopReason.PowerOff, 0), exit);
    }

    [Fact]
    public void Cli_hlt_is_reported_as_halted_forever()
    {
        var exit = Run(a =>
        {
            a.cli();
            a.hlt();
        }, noReboot: true, out var m);
        using (m) Assert.Equal(MachineStopReason.HaltedForever, exit.Reason);
    }
}
