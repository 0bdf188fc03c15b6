using System.Security.Cryptography;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests;

/// <summary>Snapshots shared by several real emu processes, and a savevm cut short by SIGKILL.</summary>
public sealed class SnapshotProcessTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-snapproc-" + Guid.NewGuid().ToString("N")[..12]);

    public SnapshotProcessTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const byte Pattern = 0x2A;

    /// <summary>
    /// A 64 KiB BIOS that writes LBA 1 of the primary master full of <see cref="Pattern"/> with ATA WRITE SECTORS (30h),
    /// reads it back with READ SECTORS (20h) and leaves the first byte read through isa-debug-exit at 0xF4
    /// (exit code (value &lt;&lt; 1) | 1). PIO protocol: ATA/ATAPI-6 §9.
    /// </summary>
    private string DiskBios()
    {
        var a = new Assembler(16);
        void Out(ushort port, byte value)
        {
            a.mov(dx, port);
            a.mov(al, value);
            a.@out(dx, al);
        }
        void WaitStatus(byte mask, bool set)
        {
            var wait = a.CreateLabel();
            a.Label(ref wait);
            a.mov(dx, 0x1F7);
            a.@in(al, dx);
            a.test(al, mask);
            if (set) a.jz(wait);
            else a.jnz(wait);
        }
        void Command(byte command)
        {
            WaitStatus(0x80, false); // BSY clear
            Out(0x1F6, 0xE0); // LBA mode, device 0
            Out(0x1F2, 1);    // one sector
            Out(0x1F3, 1);    // LBA 7:0 = 1
            Out(0x1F4, 0);
            Out(0x1F5, 0);
            Out(0x1F7, command);
            WaitStatus(0x08, true); // DRQ
        }
        a.cli();
        Command(0x30);
        a.mov(cx, 256);
        a.mov(dx, 0x1F0);
        a.mov(ax, Pattern * 0x101);
        var write = a.CreateLabel();
        a.Label(ref write);
        a.@out(dx, ax);
        a.loop(write);
        Command(0x20);
        a.mov(dx, 0x1F0);
        a.@in(ax, dx);
        a.mov(bl, al);
        a.mov(cx, 255);
        var read = a.CreateLabel();
        a.Label(ref read);
        a.@in(ax, dx);
        a.loop(read);
        a.mov(al, bl);
        a.@out(0xF4, al);
        a.hlt();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0xF0000);
        var rom = new byte[0x10000];
        stream.ToArray().CopyTo(rom, 0);
        new byte[] { 0xEA, 0x00, 0x00, 0x00, 0xF0 }.CopyTo(rom, 0xFFF0);
        string path = Path.Combine(_dir, "disk-bios.bin");
        File.WriteAllBytes(path, rom);
        return path;
    }

    private static (int Code, string Stdout, string Stderr) Run(string stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, new StringReader(stdin), o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Eight_processes_resume_one_snapshot_of_one_s2e_image_at_once()
    {
        string bios = DiskBios();
        string image = Path.Combine(_dir, "disk.raw.s2e");
        File.WriteAllBytes(image, new byte[512 * 64]);
        string[] common = ["-bios", bios, "-display", "none", "-m", "16", "-hda", image, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"];
        var save = Run("savevm ready\nquit\n", [.. common, "-S", "-monitor", "stdio"]);
        Assert.Equal(0, save.Code);
        string snapshot = image + ".ready";
        Assert.True(File.Exists(snapshot), save.Stdout + save.Stderr);
        string imageHash = Sha256(image), snapshotHash = Sha256(snapshot);

        var processes = Enumerable.Range(0, 8).Select(_ => EmuProcess.Start([.. common, "-loadvm", "ready"])).ToList();
        try
        {
            foreach (var p in processes)
            {
                string stderr = p.StandardError.ReadToEnd();
                Assert.True(p.WaitForExit(15_000), "emu did not finish");
                // The guest read back what it wrote: exit code (0x2A << 1) | 1.
                Assert.True((Pattern << 1 | 1) == p.ExitCode, $"exit code {p.ExitCode}: {stderr}");
            }
        }
        finally
        {
            foreach (var p in processes) EmuProcess.Kill(p);
            foreach (var p in processes) p.Dispose();
        }
        Assert.Equal(imageHash, Sha256(image)); // S2E mode: guest writes stay in each process's memory
        Assert.Equal(snapshotHash, Sha256(snapshot));
    }

    [Fact]
    public void Sigkill_during_savevm_leaves_the_previous_snapshot_loadable()
    {
        string bios = EmuProcess.SpinBios(_dir);
        string image = Path.Combine(_dir, "disk.raw.s2e");
        File.WriteAllBytes(image, new byte[512 * 64]);
        string[] common = ["-bios", bios, "-display", "none", "-m", "64", "-hda", image];
        Assert.Equal(0, Run("savevm ready\nquit\n", [.. common, "-S", "-monitor", "stdio"]).Code);
        string snapshot = image + ".ready";
        Assert.True(File.Exists(snapshot));

        for (int attempt = 0; attempt < 6; attempt++)
        {
            using var p = EmuProcess.Start([.. common, "-monitor", "stdio"]);
            try
            {
                // Wait for the first prompt, let the guest run, then ask for savevm and kill at once.
                var buffer = new char[7];
                int got = 0;
                while (got < buffer.Length)
                {
                    int n = p.StandardOutput.Read(buffer, got, buffer.Length - got);
                    if (n <= 0) break;
                    got += n;
                }
                Thread.Sleep(attempt * 4);
                p.StandardInput.Write("savevm ready\n");
                p.StandardInput.Flush();
                Thread.Sleep(attempt * 10); // savevm of 64 MiB takes tens of ms: the kill lands before, during or after it
                p.Kill(); // SIGKILL on Unix
                Assert.True(p.WaitForExit(10_000));
            }
            finally
            {
                EmuProcess.Kill(p);
            }

            // The snapshot (old or complete new) loads, and info snapshots lists it once.
            var load = Run("info snapshots\nquit\n", [.. common, "-loadvm", "ready", "-S", "-monitor", "stdio"]);
            Assert.True(load.Code == 0, load.Stderr);
            Assert.Equal("", load.Stderr);
            Assert.Single(load.Stdout.Split('\n'), l => l.Contains(" ready "));
            Assert.DoesNotContain("Error", load.Stdout);
            // A kill in the middle of the save may leave the writer's hidden temp file; nothing else appears.
            foreach (var f in Directory.GetFiles(_dir).Select(Path.GetFileName))
                Assert.True(f is "spin.bin" or "disk.raw.s2e" or "disk.raw.s2e.ready" || f!.StartsWith(".disk.raw.s2e.ready.tmp-", StringComparison.Ordinal), f);
        }
    }
}
