using System.Diagnostics;

namespace Emulator.Machine.Tests;

/// <summary>Host-time pacing: an idle guest's virtual time never runs ahead of wall-clock time.</summary>
public sealed class PacingTests
{
    [Fact]
    public void Paced_idle_guest_takes_at_least_its_virtual_time_and_sees_the_same_clock()
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "mini-bios.bin");
        File.WriteAllBytes(bios, MiniBios.CounterRom());
        string image = BootSector.WriteImage(dir.Path, new byte[512], sectors: 64);
        (long Virtual, double Wall, string Serial) Run(bool paced)
        {
            var serial = new CaptureSerial();
            var config = new MachineConfig
            {
                RamSize = 16ul << 20,
                BiosPath = bios,
                Serial = serial,
                Snapshot = true,
                PaceToHostTime = paced,
                SliceInstructions = 100_000,
                RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            };
            config.Drives.Add(new DriveConfig { Path = image, Index = 0 });
            using var m = new PcMachine(config);
            var sw = Stopwatch.StartNew();
            m.RunUntilStop(120_000);
            return (m.Clock.Now, sw.Elapsed.TotalSeconds, serial.Text);
        }
        var free = Run(paced: false);
        var paced = Run(paced: true);
        // Determinism: pacing changes only the wall-clock speed, never what the guest sees.
        Assert.Equal(free.Virtual, paced.Virtual);
        Assert.Equal(free.Serial, paced.Serial);
        // A lower bound only (robust on a loaded machine): the paced run lasted at least 90 % of the virtual time.
        Assert.True(paced.Wall >= 0.9 * paced.Virtual / 1e9, $"paced run took {paced.Wall:F3} s for {paced.Virtual / 1e9:F3} s of virtual time");
    }
}
