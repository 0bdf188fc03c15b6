using Emulator.Machine;
using Emulator.Storage;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>Randomly damaged snapshot files: <c>emu -loadvm</c> refuses them with one "emu: " line and exit code 1, never a stack trace.</summary>
public sealed class SnapshotFuzzTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-fuzz-" + Guid.NewGuid().ToString("N")[..12]);

    public SnapshotFuzzTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mutated_snapshots_fail_with_one_line_or_load()
    {
        string bios = EmuProcess.SpinBios(_dir);
        string image = Path.Combine(_dir, "disk.raw");
        File.WriteAllBytes(image, new byte[512 * 64]);
        var config = new MachineConfig { BiosPath = bios, RamSize = 2ul << 20, Snapshot = true };
        config.Drives.Add(new DriveConfig { Path = image, Index = 0 });
        using (var m = new PcMachine(config))
        {
            m.RunUntilStop(10_000);
            m.SaveVm("s");
        }
        string snap = SnapshotFile.PathFor(image, "s");
        byte[] original = File.ReadAllBytes(snap);
        string[] args = ["-bios", bios, "-display", "none", "-m", "2", "-hda", image, "-snapshot", "-loadvm", "s", "-S", "-monitor", "stdio"];

        // The intact snapshot loads (the harness itself is sound).
        var ok = Run(args);
        Assert.True(ok.Code == 0, ok.Stderr);

        var random = new Random(20261125);
        int refused = 0;
        const int Rounds = 2000;
        for (int round = 0; round < Rounds; round++)
        {
            byte[] bytes = Mutate(original, random);
            File.WriteAllBytes(snap, bytes);
            var (code, stderr) = Run(args);
            Assert.DoesNotContain("   at ", stderr);
            if (code == 0) continue; // the damage hit nothing that matters (or was undone by chance)
            refused++;
            Assert.Equal(1, code);
            Assert.StartsWith("emu: ", stderr);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.True(refused > Rounds / 2, $"only {refused} of {Rounds} damaged snapshots were refused");
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        switch (random.Next(5))
        {
            case 0: // flip 1–4 bits
                {
                    var b = (byte[])original.Clone();
                    for (int i = random.Next(1, 5); i > 0; i--) b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                    return b;
                }
            case 1: // truncate
                return original.AsSpan(0, random.Next(original.Length)).ToArray();
            case 2: // overwrite a run with random bytes
                {
                    var b = (byte[])original.Clone();
                    int at = random.Next(b.Length);
                    random.NextBytes(b.AsSpan(at, Math.Min(b.Length - at, random.Next(1, 64))));
                    return b;
                }
            case 3: // set a 32-bit word to an extreme value (lengths, counts, offsets)
                {
                    var b = (byte[])original.Clone();
                    int at = random.Next(b.Length - 4);
                    uint[] extremes = [0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFF, 1];
                    BitConverter.TryWriteBytes(b.AsSpan(at), extremes[random.Next(extremes.Length)]);
                    return b;
                }
            default: // insert garbage
                {
                    int at = random.Next(original.Length);
                    var extra = new byte[random.Next(1, 32)];
                    random.NextBytes(extra);
                    return [.. original.AsSpan(0, at), .. extra, .. original.AsSpan(at)];
                }
        }
    }

    private static (int Code, string Stderr) Run(string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, new StringReader("quit\n"), o, e);
        return (code, e.ToString());
    }
}
