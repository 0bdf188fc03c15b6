using System.Text;
using Xunit.Abstractions;

namespace Emulator.Machine.Tests;

/// <summary>SeaBIOS with the standard VGA and SeaVGABIOS: the option ROM runs and the BIOS screen is in VGA text memory.</summary>
public sealed class VgaBootTests(ITestOutputHelper output)
{
    [SeaBiosFact]
    public void SeaVgaBios_initialises_the_standard_vga_and_the_boot_message_is_on_screen()
    {
        string vgaBios = Path.Combine(Path.GetDirectoryName(Firmware.BiosPath)!, "vgabios-stdvga.bin");
        Assert.True(File.Exists(vgaBios), "fetch-seabios.sh installs vgabios-stdvga.bin beside bios-256k.bin");
        using var dir = new TempDir();
        string image = BootSector.WriteImage(dir.Path, BootSector.PrintAndExit("BOOT OK\r\n", 0x10));
        var debugcon = new StringBuilder();
        var config = new MachineConfig
        {
            RamSize = 64ul << 20,
            BiosPath = Firmware.BiosPath,
            VgaBiosPath = vgaBios,
            Serial = new CaptureSerial(),
            DebugConsole = b => debugcon.Append((char)b),
            IsaDebugExit = (0xF4, 4),
            BootOrder = "c",
            RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        config.Drives.Add(new DriveConfig { Path = image, Index = 0 });
        using var machine = new PcMachine(config);
        var exit = machine.RunUntilStop(200_000_000);
        string log = debugcon.ToString();
        output.WriteLine(string.Join("\n", log.Split('\n').TakeLast(30)));
        var screen = machine.Vga!.RenderText();
        Assert.NotNull(screen);
        string text = screen!.ToText();
        output.WriteLine(text);
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, 0x21), exit);
        Assert.Contains("Running option rom at c000", log);
        Assert.Contains("SeaBIOS (version", text);
        Assert.Contains("Booting from Hard Disk", text);
        Assert.Contains("BOOT OK", text);
        string png = Path.Combine(dir.Path, "screen.png");
        machine.Vga.SavePng(png);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
    }
}
