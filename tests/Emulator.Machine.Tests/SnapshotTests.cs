using System.Globalization;

namespace Emulator.Machine.Tests;

public sealed class SnapshotTests
{
    private static MachineConfig Config(string bios, string image, CaptureSerial serial)
    {
        var config = new MachineConfig
        {
            RamSize = 16ul << 20,
            BiosPath = bios,
            Serial = serial,
            Snapshot = true, // S2E mode: the image stays untouched and the (empty) write map is saved too
            RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        config.Drives.Add(new DriveConfig { Path = image, Index = 0 });
        return config;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Loadvm_continues_exactly_where_savevm_left_off()
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "mini-bios.bin");
        File.WriteAllBytes(bios, MiniBios.CounterRom());
        string image = BootSector.WriteImage(dir.Path, new byte[512], sectors: 64);

        var serialA = new CaptureSerial();
        string afterSave, beforeSave, partial;
        int savedAt;
        using (var a = new PcMachine(Config(bios, image, serialA)))
        {
            Assert.Equal(MachineStopReason.InstructionLimit, a.RunUntilStop(20_000).Reason);
            beforeSave = serialA.Text;
            // The budget may end mid-line: that is a fine place for a snapshot too.
            int lastNewline = beforeSave.LastIndexOf('\n');
            partial = beforeSave[(lastNewline + 1)..];
            var before = Lines(beforeSave[..(lastNewline + 1)]);
            Assert.True(before.Length >= 10, $"only {before.Length} lines before savevm");
            savedAt = int.Parse(before[^1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            // The counter counts up by one per line from 0000.
            for (int i = 0; i < before.Length; i++) Assert.Equal(i.ToString("X4", CultureInfo.InvariantCulture), before[i]);

            string path = a.SaveVm("ready");
            Assert.Equal(image + ".ready", path);
            Assert.True(File.Exists(path));
            a.RunUntilStop(40_000);
            afterSave = serialA.Text[beforeSave.Length..];
        }

        var serialB = new CaptureSerial();
        using var b = new PcMachine(Config(bios, image, serialB));
        b.LoadVm("ready");
        b.RunUntilStop(40_000);
        string resumed = serialB.Text;

        int common = Math.Min(afterSave.Length, resumed.Length);
        Assert.True(common >= 100, $"{afterSave.Length} / {resumed.Length} characters after the snapshot");
        // Independent check: the resumed counter goes on from the saved one.
        Assert.StartsWith((savedAt + 1).ToString("X4", CultureInfo.InvariantCulture) + "\n", partial + resumed);
        Assert.Equal(afterSave[..common], resumed[..common]);
        Assert.Contains("ready", b.ListVms().Select(s => s.Name));
    }

    [Fact]
    public void Savevm_works_on_a_writable_raw_image_that_the_machine_holds_locked()
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "mini-bios.bin");
        File.WriteAllBytes(bios, MiniBios.CounterRom());
        string image = BootSector.WriteImage(dir.Path, new byte[512], sectors: 64);
        var config = Config(bios, image, new CaptureSerial());
        config.Snapshot = false; // normal mode: the image is open read/write with an exclusive lock
        using var m = new PcMachine(config);
        m.RunUntilStop(200_000);
        string path = m.SaveVm("normal");
        Assert.True(File.Exists(path));
        m.LoadVm("normal"); // the image is unchanged since, so the fingerprint check passes
    }

    [Fact]
    public void Loadvm_of_a_missing_snapshot_is_a_user_error()
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "mini-bios.bin");
        File.WriteAllBytes(bios, MiniBios.CounterRom());
        string image = BootSector.WriteImage(dir.Path, new byte[512], sectors: 64);
        using var m = new PcMachine(Config(bios, image, new CaptureSerial()));
        var e = Assert.Throws<EmulatorException>(() => m.LoadVm("nope"));
        Assert.Contains("no snapshot 'nope'", e.Message);
    }

    [Fact]
    public void Loadvm_refuses_a_snapshot_of_a_machine_with_other_ram()
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "mini-bios.bin");
        File.WriteAllBytes(bios, MiniBios.CounterRom());
        string image = BootSector.WriteImage(dir.Path, new byte[512], sectors: 64);
        using (var a = new PcMachine(Config(bios, image, new CaptureSerial())))
        {
            a.RunUntilStop(1000);
            a.SaveVm("s1");
        }
        var config = Config(bios, image, new CaptureSerial());
        config.RamSize = 32ul << 20;
        using var b = new PcMachine(config);
        var e = Assert.Throws<EmulatorException>(() => b.LoadVm("s1"));
        Assert.Contains("ram", e.Message);
    }

    [Fact]
    public void Loadvm_refuses_a_snapshot_taken_with_another_bios()
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "mini-bios.bin");
        var rom = MiniBios.CounterRom();
        File.WriteAllBytes(bios, rom);
        string image = BootSector.WriteImage(dir.Path, new byte[512], sectors: 64);
        using (var a = new PcMachine(Config(bios, image, new CaptureSerial())))
        {
            a.RunUntilStop(1000);
            a.SaveVm("s1");
        }
        rom[0x8000] ^= 1; // an unused byte: same behaviour, different image
        File.WriteAllBytes(bios, rom);
        using var b = new PcMachine(Config(bios, image, new CaptureSerial()));
        var e = Assert.Throws<EmulatorException>(() => b.LoadVm("s1"));
        Assert.Contains("bios", e.Message);
    }
}
