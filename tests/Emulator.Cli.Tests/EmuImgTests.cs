using System.Diagnostics;
using Emulator.Storage;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>emu-img run in-process through its entry point (output captured), plus one run as a real process.</summary>
public sealed class EmuImgTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-img-" + Guid.NewGuid().ToString("N")[..12]);

    public EmuImgTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("1G", 1073741824L)]
    [InlineData("1073741824", 1073741824L)]
    [InlineData("512k", 524288L)]
    [InlineData("512K", 524288L)]
    [InlineData("10M", 10485760L)]
    [InlineData("1.5G", 1610612736L)]
    [InlineData("2T", 2199023255552L)]
    [InlineData("1000", 1024L)] // rounded up to whole 512-byte sectors
    public void Create_makes_a_sparse_raw_file_of_the_size_qemu_img_would(string size, long bytes)
    {
        var file = Path.Combine(_dir, "disk.raw");
        var (code, stdout, stderr) = Run("create", "-f", "raw", file, size);
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr);
        Assert.Equal($"Formatting '{file}', fmt=raw size={bytes}\n", stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(bytes, new FileInfo(file).Length);
        Assert.Equal(0, Run("create", "-q", file, size).Stdout.Length);
    }

    [Fact]
    public void Info_shows_format_sizes_and_snapshot_files()
    {
        var file = Path.Combine(_dir, "img.raw.s2e");
        Assert.Equal(0, Run("create", "-f", "raw", file, "1G").Code);
        using (var disk = RawImage.Open(file, writable: true))
        {
            disk.Write(0, new byte[64 * 1024]);
            var data = new byte[4096];
            data.AsSpan().Fill(0x5A);
            disk.Write(1000, data);
        }

        using (var writer = SnapshotFile.Create(file, "ready", "ram=128M", vmClockNs: 3_723_004_000_000))
        {
            writer.AddSection("ram", new byte[3 << 20], compress: true);
            writer.Commit();
        }

        var (code, stdout, stderr) = Run("info", file);
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"image: {file}", lines[0]);
        Assert.Equal("file format: raw", lines[1]);
        Assert.Equal("virtual size: 1 GiB (1073741824 bytes)", lines[2]);
        Assert.StartsWith("disk size: ", lines[3]);
        Assert.DoesNotContain("GiB", lines[3]); // sparse: only the written blocks count
        Assert.Equal("Snapshot list:", lines[4]);
        Assert.StartsWith("TAG", lines[5]);
        Assert.StartsWith("ready", lines[6]);
        Assert.Contains("0001:02:03.004", lines[6]); // VM clock 1 h 2 min 3.004 s
        var date = File.GetLastWriteTime(file + ".ready").ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(date, lines[6]);

        var list = Run("snapshot", "-l", file);
        Assert.Equal(0, list.Code);
        Assert.Contains("ready", list.Stdout);

        Assert.Equal(0, Run("snapshot", "-d", "ready", file).Code);
        Assert.False(File.Exists(file + ".ready"));
        Assert.DoesNotContain("Snapshot list", Run("info", file).Stdout);
    }

    [Fact]
    public void Virtual_size_prints_like_qemu_img()
    {
        var file = Path.Combine(_dir, "odd.raw");
        Assert.Equal(0, Run("create", file, "1000M").Code);
        // qemu-img prints 3 significant digits and moves to the next unit at 1000: 1000 MiB is 0.977 GiB.
        Assert.Contains("virtual size: 0.977 GiB (1048576000 bytes)", Run("info", file).Stdout);
        Assert.Equal(0, Run("create", file, "1536K").Code);
        Assert.Contains("virtual size: 1.5 MiB (1572864 bytes)", Run("info", file).Stdout);
    }

    [Fact]
    public void Check_removes_the_stale_temporary_of_an_interrupted_savevm_but_not_a_live_one()
    {
        var file = Path.Combine(_dir, "tmp.raw");
        Assert.Equal(0, Run("create", file, "1M").Code);
        using var live = SnapshotFile.Create(file, "live", "ram=1M", 0); // a writer still at work holds its lock
        var liveTemp = Directory.GetFiles(_dir, ".tmp.raw.live.tmp-*").Single();
        File.SetLastWriteTimeUtc(liveTemp, DateTime.UtcNow.AddMinutes(-5));
        // What a savevm killed mid-write leaves: a hidden, unlocked temporary that starts with the snapshot magic.
        var stale = Path.Combine(_dir, ".tmp.raw.ready.tmp-0123456789ab");
        File.WriteAllBytes(stale, "EMUSNAP\x1a"u8.ToArray());
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddMinutes(-5));

        var (code, stdout, _) = Run("check", file);
        Assert.Equal(0, code);
        Assert.Contains("Removed '.tmp.raw.ready.tmp-0123456789ab'", stdout);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(liveTemp));
    }

    [Fact]
    public void Check_reports_a_clean_image_and_a_damaged_snapshot()
    {
        var file = Path.Combine(_dir, "chk.raw");
        Assert.Equal(0, Run("create", file, "16M").Code);
        var clean = Run("check", file);
        Assert.Equal(0, clean.Code);
        Assert.Equal("No errors were found on the image.", clean.Stdout.Trim());

        using (var writer = SnapshotFile.Create(file, "s1", "ram=1M", 0))
        {
            var cpu = new byte[3000];
            new Random(1).NextBytes(cpu);
            writer.AddSection("cpu", cpu);
            writer.Commit();
        }

        File.Copy(file + ".s1", file + ".s2");
        Assert.Equal(0, Run("check", file).Code);
        var bytes = File.ReadAllBytes(file + ".s1");
        bytes[bytes.Length / 2] ^= 0x40; // inside the section data
        File.WriteAllBytes(file + ".s1", bytes);
        var damaged = Run("check", file);
        Assert.Equal(2, damaged.Code);
        Assert.Contains("ERROR snapshot 's1'", damaged.Stdout);
        Assert.Contains("1 error was found on the image.", damaged.Stdout);

        bytes = File.ReadAllBytes(file + ".s2");
        bytes[20] ^= 0x01; // inside the header
        File.WriteAllBytes(file + ".s2", bytes);
        damaged = Run("check", file);
        Assert.Equal(2, damaged.Code);
        Assert.Contains("ERROR snapshot 's2'", damaged.Stdout);
        Assert.Contains("2 errors were found on the image.", damaged.Stdout);
    }

    [Theory]
    [InlineData("emu-img: format 'qcow2' is not supported (only raw)", "create", "-f", "qcow2", "{dir}/x.qcow2", "1G")]
    [InlineData("emu-img: invalid image size 'abc'", "create", "{dir}/x.raw", "abc")]
    [InlineData("emu-img: invalid image size '-5'", "create", "{dir}/x.raw", "-5")]
    [InlineData("emu-img: image size must be less than 8 EiB", "create", "{dir}/x.raw", "9E")]
    [InlineData("emu-img: create: the image size must be given", "create", "{dir}/x.raw")]
    [InlineData("emu-img: expecting image file name", "info")]
    [InlineData("emu-img: could not open '{dir}/missing.raw': no such file", "info", "{dir}/missing.raw")]
    [InlineData("emu-img: could not open '{dir}/missing.raw': no such file", "check", "{dir}/missing.raw")]
    [InlineData("emu-img: unknown option '--frobnicate'", "info", "--frobnicate", "{dir}/x.raw")]
    [InlineData("emu-img: option '-f' needs an argument", "create", "-f")]
    [InlineData("emu-img: command 'convert' is not supported", "convert", "a", "b")]
    [InlineData("emu-img: missing command", "")]
    [InlineData("emu-img: snapshot -c: snapshots are taken and applied by the running emulator", "snapshot", "-c", "x", "{dir}/x.raw")]
    public void Errors_are_one_line_on_stderr_with_exit_code_1(string expected, string first, params string[] rest)
    {
        var args = (first.Length == 0 ? rest : [first, .. rest]).Select(a => a.Replace("{dir}", _dir, StringComparison.Ordinal)).ToArray();
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expected.Replace("{dir}", _dir, StringComparison.Ordinal), line);
    }

    [Fact]
    public void Info_refuses_a_qcow2_file()
    {
        var file = Path.Combine(_dir, "q.raw.s2e");
        File.WriteAllBytes(file, [0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3, .. new byte[1016]]);
        var (code, _, stderr) = Run("info", file);
        Assert.Equal(1, code);
        Assert.Equal($"emu-img: '{file}' is a qcow2 image; only raw images are supported", stderr.Trim());
    }

    [Fact]
    public void Help_lists_the_commands()
    {
        var (code, stdout, stderr) = Run("--help");
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr);
        foreach (var command in new[] { "create", "info", "snapshot -l", "check" })
        {
            Assert.Contains(command, stdout);
        }
    }

    /// <summary>The built emu-img.dll as a real process: exit codes and stderr as a shell sees them.</summary>
    [Fact]
    public void Built_emu_img_runs_as_a_process()
    {
        var file = Path.Combine(_dir, "p.raw");
        var ok = RunProcess("create", "-f", "raw", file, "64M");
        Assert.Equal(0, ok.Code);
        Assert.Equal(64L << 20, new FileInfo(file).Length);
        var bad = RunProcess("create", "-f", "vmdk", file, "64M");
        Assert.Equal(1, bad.Code);
        Assert.Equal("emu-img: format 'vmdk' is not supported (only raw)", bad.Stderr.Trim());
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var code = Emulator.Img.Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static (int Code, string Stdout, string Stderr) RunProcess(params string[] args)
    {
        var dll = typeof(Emulator.Img.Program).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "emu-img did not finish");
        return (process.ExitCode, stdout.Result, stderr);
    }
}
