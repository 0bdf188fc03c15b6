using System.Diagnostics;

namespace Emulator.Machine.Tests;

/// <summary>Finds SeaBIOS in firmware/cache/, running firmware/fetch-seabios.sh once if it is missing.</summary>
public static class Firmware
{
    private static readonly Lazy<(string? Path, string Why)> Located = new(Locate);

    public static string? BiosPath => Located.Value.Path;

    public static string MissingReason => Located.Value.Why;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Emulator.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Emulator.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static (string?, string) Locate()
    {
        string root = RepoRoot;
        string bios = Path.Combine(root, "firmware", "cache", "bios-256k.bin");
        if (File.Exists(bios)) return (bios, "");
        string script = Path.Combine(root, "firmware", "fetch-seabios.sh");
        string output;
        try
        {
            var psi = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            output += err.Result;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            output = e.Message;
        }
        return File.Exists(bios)
            ? (bios, "")
            : (null, $"SeaBIOS is missing ({bios}) and firmware/fetch-seabios.sh could not fetch it: {output.Trim()}");
    }
}
