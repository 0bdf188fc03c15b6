using System.Diagnostics;

namespace Emulator.Linux.Tests;

/// <summary>
/// The Debian demo guest built by guest-tools/make-demo.sh (run once per test run; it downloads Debian packages the
/// first time) and the SeaBIOS images fetched by firmware/fetch-seabios.sh.
/// </summary>
public sealed class DemoImage
{
    public DemoImage()
    {
        Root = FindRoot();
        Run("bash", Path.Combine(Root, "firmware", "fetch-seabios.sh"));
        Run("bash", Path.Combine(Root, "guest-tools", "make-demo.sh"));
    }

    public string Root { get; }

    public string Artifacts => Path.Combine(Root, "artifacts");

    public string Disk => Path.Combine(Artifacts, "demo.raw.s2e");

    public string Iso => Path.Combine(Artifacts, "demo.iso");

    public string Kernel => Path.Combine(Artifacts, "demo-vmlinuz");

    public string Initrd => Path.Combine(Artifacts, "demo-initrd.gz");

    public string Bios => Path.Combine(Root, "firmware", "cache", "bios-256k.bin");

    public string VgaBios => Path.Combine(Root, "firmware", "cache", "vgabios-stdvga.bin");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Emulator.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Emulator.sln not found above " + AppContext.BaseDirectory);
    }

    private static void Run(string file, string script)
    {
        var p = Process.Start(new ProcessStartInfo(file, $"\"{script}\"") { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(script)} failed ({p.ExitCode}): {err.Result}");
    }
}
