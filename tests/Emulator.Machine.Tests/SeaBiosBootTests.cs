using System.Text;
using Xunit.Abstractions;

namespace Emulator.Machine.Tests;

public sealed class SeaBiosBootTests(ITestOutputHelper output)
{
    private const long BootBudget = 60_000_000; // SeaBIOS 1.16 reaches the boot sector after about 9.2 million

    [SeaBiosFact]
    public void SeaBios_boots_the_hard_disk_boot_sector()
    {
        using var dir = new TempDir();
        string image = BootSector.WriteImage(dir.Path, BootSector.PrintAndExit("BOOT OK\r\n", 0x10));
        var debugcon = new StringBuilder();
        var serial = new CaptureSerial();
        var config = new MachineConfig
        {
            RamSize = 64ul << 20,
            BiosPath = Firmware.BiosPath,
            Serial = serial,
            DebugConsole = b => debugcon.Append((char)b),
            IsaDebugExit = (0xF4, 4),
            BootOrder = "c",
            RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        config.Drives.Add(new DriveConfig { Path = image, Index = 0 });
        using var machine = new PcMachine(config);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var exit = machine.RunUntilStop(BootBudget);
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s, {machine.Core.Cache.BlocksCompiled} blocks compiled");
        string log = debugcon.ToString();
        output.WriteLine($"exit {exit}, retired {machine.Cpu.Retired}, cs:eip {machine.Cpu.Cs.Selector:X4}:{machine.Cpu.Rip:X8}");
        output.WriteLine("serial: " + serial.Text.Replace("\x1b", "<ESC>"));
        output.WriteLine(string.Join("\n", log.Split('\n').TakeLast(40)));
        Assert.Contains("SeaBIOS (version", log);
        Assert.Contains("Booting from Hard Disk", log);
        Assert.Contains("BOOT OK", serial.Text);
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, 0x21), exit);
    }
}
