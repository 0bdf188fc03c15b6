using System.Diagnostics;

namespace Emulator.Cli;

/// <summary>
/// Puts the controlling terminal (stdin) into raw-ish mode through <c>stty</c> and restores the saved settings: no echo,
/// no line editing, no CR→NL or XON/XOFF, one byte at a time. ISIG stays on, so Ctrl-C still stops emu (SIGINT).
/// <see cref="Restore"/> is idempotent and safe to call from exit and signal handlers.
/// </summary>
public sealed class TerminalMode : IDisposable
{
    private readonly string _saved;
    private int _restored;

    private TerminalMode(string saved) => _saved = saved;

    /// <summary>Raw mode on stdin's terminal; null when stdin is not a terminal or stty is unavailable.</summary>
    public static TerminalMode? EnterRaw()
    {
        if (Console.IsInputRedirected || OperatingSystem.IsWindows()) return null;
        var (ok, saved) = Stty("-g");
        if (!ok || saved.Length == 0) return null;
        var mode = new TerminalMode(saved);
        if (!Stty("-echo", "-icanon", "-iexten", "-ixon", "-icrnl", "min", "1", "time", "0").Ok) return null;
        return mode;
    }

    public void Restore()
    {
        if (Interlocked.Exchange(ref _restored, 1) != 0) return;
        Stty(_saved);
    }

    public void Dispose() => Restore();

    private static (bool Ok, string Output) Stty(params string[] args)
    {
        try
        {
            // stdin is inherited (not redirected): stty acts on our terminal.
            var start = new ProcessStartInfo("stty") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) start.ArgumentList.Add(a);
            using var p = Process.Start(start);
            if (p is null) return (false, "");
            string output = p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode == 0, output.Trim());
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return (false, "");
        }
    }
}
