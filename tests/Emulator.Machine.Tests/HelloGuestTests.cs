using System.Diagnostics;
using System.Text;
using Emulator.Devices;
using Xunit.Abstractions;

namespace Emulator.Machine.Tests;

/// <summary>The boot-sector guest (guest-tools/hello/boot.asm, built by guest-tools/make-hello.sh) under SeaBIOS.</summary>
public sealed class HelloGuestTests(ITestOutputHelper output)
{
    [SeaBiosFact]
    public void Hello_guest_greets_echoes_serial_input_and_powers_off()
    {
        string root = Firmware.RepoRoot;
        var make = Process.Start(new ProcessStartInfo("bash", $"\"{Path.Combine(root, "guest-tools", "make-hello.sh")}\"")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        string err = make.StandardError.ReadToEnd();
        make.WaitForExit();
        Assert.True(make.ExitCode == 0, "make-hello.sh failed: " + err);

        // Run on a copy so the test never touches the artifact a user may be running.
        using var dir = new TempDir();
        string image = Path.Combine(dir.Path, "hello.raw.s2e");
        File.Copy(Path.Combine(root, "artifacts", "hello.raw"), image);
        var transmitted = new MemoryStream();
        var serial = new SerialStreamBackend(null, transmitted, ownsStreams: false, flushEachByte: false);
        serial.Inject(Encoding.ASCII.GetBytes("hello\rp"));
        var config = new MachineConfig
        {
            RamSize = 64ul << 20,
            BiosPath = Firmware.BiosPath,
            Serial = serial,
            BootOrder = "c",
            RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        config.Drives.Add(new DriveConfig { Path = image, Index = 0 });
        using var machine = new PcMachine(config);
        var exit = machine.RunUntilStop(200_000_000);
        string text = Encoding.Latin1.GetString(transmitted.ToArray());
        output.WriteLine(text);
        Assert.Contains("Emulator demo guest: booted by SeaBIOS", text);
        Assert.Contains("> hello\r\n> ", text);
        Assert.Contains("Powering off.", text);
        Assert.Equal(MachineStopReason.PowerOff, exit.Reason);
        Assert.Equal(0, exit.ExitCode);
    }
}
