using System.Diagnostics;

namespace Emulator.Core.Tests;

/// <summary>
/// Builds one of our reference generators (guest-tools/NAME/NAME.c) with the machine's gcc in a temporary folder,
/// runs it on the host CPU and returns its standard output: the reference vectors the x87 and SSE tests check.
/// </summary>
internal static class HostReferenceProgram
{
    /// <summary>The generator's output, or null with <paramref name="skipReason"/> when gcc is not on PATH.</summary>
    public static string? BuildAndRun(string name, string gccOptions, string runArguments, out string? skipReason)
    {
        string source = FindSource(name);
        string? gcc = Which("gcc");
        if (gcc is null)
        {
            skipReason = $"gcc not found on PATH: {name} reference vectors not generated";
            return null;
        }
        skipReason = null;
        string dir = Path.Combine(Path.GetTempPath(), name + "-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string exe = Path.Combine(dir, name);
            Run(gcc, $"-O1 {gccOptions} -o \"{exe}\" \"{source}\" -lm");
            return Run(exe, runArguments);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string FindSource(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string p = Path.Combine(dir.FullName, "guest-tools", name, name + ".c");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"guest-tools/{name}/{name}.c not found above " + AppContext.BaseDirectory);
    }

    private static string? Which(string exe)
    {
        foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (d.Length > 0 && File.Exists(Path.Combine(d, exe))) return Path.Combine(d, exe);
        }
        return null;
    }

    private static string Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {err.Result}");
        return stdout;
    }
}
