using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Emulator.Cli;

/// <summary>
/// Puts the controlling terminal (stdin) into raw-ish mode and restores the saved settings: no echo, no line editing,
/// no CR→NL or XON/XOFF, one byte at a time. ISIG stays on, so Ctrl-C (and Ctrl-\) still stop emu and Ctrl-Z suspends
/// it. On Linux through termios (tcgetattr/tcsetattr, no child process whose exit .NET's terminal handling reacts to);
/// elsewhere through <c>stty</c>.
/// <see cref="Restore"/> is idempotent and safe to call from exit and signal handlers.
/// </summary>
public sealed class TerminalMode : IDisposable
{
    // Linux <asm-generic/termbits.h>: struct termios is c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), c_line,
    // c_cc[32], c_ispeed, c_ospeed; 60 bytes with padding (a larger buffer is harmless).
    private const int TermiosSize = 64;
    private const int IflagOffset = 0;
    private const int LflagOffset = 12;
    private const int CcOffset = 17;
    private const uint Icrnl = 0x100;
    private const uint Ixon = 0x400;
    private const uint Icanon = 0x2;
    private const uint Echo = 0x8;
    private const uint Iexten = 0x8000;
    private const int Vtime = 5;
    private const int Vmin = 6;
    private const int TcsaNow = 0;
    private const int StdinFd = 0;

    private readonly byte[]? _savedTermios;
    private readonly string? _savedStty;
    private int _restored;

    private TerminalMode(byte[]? termios, string? stty)
    {
        _savedTermios = termios;
        _savedStty = stty;
    }

    /// <summary>Raw mode on stdin's terminal; null when stdin is not a terminal or the settings cannot be changed.</summary>
    public static TerminalMode? EnterRaw()
    {
        if (Console.IsInputRedirected || OperatingSystem.IsWindows()) return null;
        if (OperatingSystem.IsLinux()) return EnterRawTermios();
        var (ok, saved) = Stty("-g");
        if (!ok || saved.Length == 0) return null;
        if (!Stty("-echo", "-icanon", "-iexten", "-ixon", "-icrnl", "min", "1", "time", "0").Ok) return null;
        return new TerminalMode(null, saved);
    }

    private static TerminalMode? EnterRawTermios()
    {
        var saved = new byte[TermiosSize];
        try
        {
            if (tcgetattr(StdinFd, saved) != 0) return null;
            var raw = (byte[])saved.Clone();
            uint iflag = BitConverter.ToUInt32(raw, IflagOffset) & ~(Icrnl | Ixon);
            uint lflag = BitConverter.ToUInt32(raw, LflagOffset) & ~(Icanon | Echo | Iexten);
            BitConverter.TryWriteBytes(raw.AsSpan(IflagOffset), iflag);
            BitConverter.TryWriteBytes(raw.AsSpan(LflagOffset), lflag);
            raw[CcOffset + Vmin] = 1;
            raw[CcOffset + Vtime] = 0;
            if (tcsetattr(StdinFd, TcsaNow, raw) != 0) return null;
            return new TerminalMode(saved, null);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    public void Restore()
    {
        if (Interlocked.Exchange(ref _restored, 1) != 0) return;
        if (_savedTermios is not null) tcsetattr(StdinFd, TcsaNow, _savedTermios);
        else if (_savedStty is not null) Stty(_savedStty);
    }

    public void Dispose() => Restore();

    [DllImport("libc", SetLastError = true)]
    private static extern int tcgetattr(int fd, byte[] termios);

    [DllImport("libc", SetLastError = true)]
    private static extern int tcsetattr(int fd, int optionalActions, byte[] termios);

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
