using Emulator.Machine;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests;

/// <summary>emu run in-process through <see cref="Program.Run"/>: errors, exit codes, serial and debugcon output, the monitor.</summary>
public sealed class EmuRunTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-run-" + Guid.NewGuid().ToString("N")[..12]);

    public EmuRunTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Stdout, string Stderr) Run(string stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, new StringReader(stdin), o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>
    /// A 64 KiB ROM whose reset code prints "HI" on COM1 and "dbg" on the debug console, then either writes
    /// <paramref name="exitValue"/> to isa-debug-exit at 0xF4 or (null) enters ACPI S5 through PM1_CNT at 0x604.
    /// </summary>
    private string Rom(byte? exitValue)
    {
        var a = new Assembler(16);
        foreach (char c in "HI")
        {
            a.mov(dx, 0x3F8);
            a.mov(al, (byte)c);
            a.@out(dx, al);
        }
        foreach (char c in "dbg")
        {
            a.mov(dx, 0x402);
            a.mov(al, (byte)c);
            a.@out(dx, al);
        }
        if (exitValue is { } v)
        {
            a.mov(al, v);
            a.@out(0xF4, al);
        }
        else
        {
            a.mov(dx, 0x604);
            a.mov(ax, 0x2000); // SLP_EN with SLP_TYP = 0, the S5 type of our DSDT
            a.@out(dx, ax);
        }
        a.cli();
        a.hlt();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0xF0000);
        var rom = new byte[0x10000];
        stream.ToArray().CopyTo(rom, 0);
        // Reset vector F000:FFF0: JMP FAR F000:0000.
        new byte[] { 0xEA, 0x00, 0x00, 0x00, 0xF0 }.CopyTo(rom, 0xFFF0);
        string path = Path.Combine(_dir, exitValue is null ? "off.bin" : "exit.bin");
        File.WriteAllBytes(path, rom);
        return path;
    }

    [Fact]
    public void Isa_debug_exit_sets_the_exit_code_and_output_reaches_serial_and_debugcon_files()
    {
        string serial = Path.Combine(_dir, "serial.txt");
        string debug = Path.Combine(_dir, "debug.txt");
        var (code, stdout, stderr) = Run("", "-bios", Rom(0x10), "-display", "none", "-serial", "file:" + serial, "-debugcon", "file:" + debug,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", "16");
        Assert.Equal((0x10 << 1) | 1, code);
        Assert.Equal("HI", File.ReadAllText(serial));
        Assert.Equal("dbg", File.ReadAllText(debug));
        Assert.Equal("", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Acpi_power_off_exits_with_zero()
    {
        var (code, _, _) = Run("", "-bios", Rom(null), "-display", "none", "-m", "16");
        Assert.Equal(0, code);
    }

    [Fact]
    public void Errors_are_one_line_with_exit_code_one()
    {
        foreach (var args in new[]
        {
            new[] { "-foo" },
            new[] { "-enable-kvm" },
            new[] { "-bios", Path.Combine(_dir, "missing.bin") },
            new[] { "-bios", Rom(1), "-hda", Path.Combine(_dir, "missing.img") },
            new[] { "-bios", Rom(1), "-loadvm", "x" },
        })
        {
            var (code, stdout, stderr) = Run("", args);
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("emu: ", stderr);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("   at ", stderr);
        }
        Assert.Equal("emu: KVM acceleration is not available yet\n", Run("", "-enable-kvm").Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("emu: -foo: invalid option\n", Run("", "-foo").Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Monitor_commands_work_on_a_paused_machine()
    {
        string image = Path.Combine(_dir, "disk.raw");
        File.WriteAllBytes(image, new byte[512 * 64]);
        var (code, stdout, _) = Run(
            "info status\ninfo registers\nsavevm s1\ninfo snapshots\nbogus\ndelvm s1\ninfo snapshots\nquit\n",
            "-bios", Rom(1), "-display", "none", "-monitor", "stdio", "-S", "-snapshot", "-hda", image, "-m", "16");
        Assert.Equal(0, code);
        Assert.Contains("VM status: paused", stdout);
        Assert.Contains("EIP=0000fff0", stdout); // the reset state: CS:IP = F000:FFF0 (SDM Vol. 3A §9.1.4)
        Assert.Contains("CS =f000 ffff0000 0000ffff", stdout);
        Assert.Contains("s1", stdout);
        Assert.Contains("unknown command: 'bogus'", stdout);
        Assert.Contains("There is no snapshot available.", stdout);
        Assert.False(File.Exists(image + ".s1"));
    }

    [Fact]
    public void Monitor_executes_on_a_machine_directly()
    {
        var config = new MachineConfig { BiosPath = Rom(1), RamSize = 16ul << 20 };
        using var machine = new PcMachine(config);
        var monitor = new HmpMonitor(machine);
        Assert.Equal("VM status: running\n", monitor.Execute("info status"));
        Assert.Equal("", monitor.Execute("stop"));
        Assert.Equal("VM status: paused\n", monitor.Execute("info status"));
        Assert.Equal("", monitor.Execute("cont"));
        Assert.StartsWith("Error: savevm needs a disk image", monitor.Execute("savevm x"));
        Assert.Contains("system_reset", monitor.Execute("help"));
    }
}
