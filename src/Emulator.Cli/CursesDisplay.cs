using System.Collections.Concurrent;
using Emulator.Machine;

namespace Emulator.Cli;

/// <summary>
/// QEMU's <c>-display curses</c>: the VGA text screen drawn on the terminal (alternate screen, ANSI colours) about
/// 30 times a second from a host thread, and the terminal's keys typed into the guest's PS/2 keyboard. The VGA is only
/// read through its own API (<see cref="Emulator.Devices.VgaDevice.RenderText"/>, which clamps guest CRTC values);
/// keys are injected on the machine thread through <see cref="PcMachine.Post"/>.
/// </summary>
public sealed class CursesDisplay : IDisposable
{
    /// <summary>Environment variable that forces drawing when stdout is not a terminal (tests, logging).</summary>
    public const string ForceVariable = "EMU_CURSES_FORCE";

    private const int FrameMilliseconds = 33;

    private readonly PcMachine _machine;
    private readonly AnsiTextRenderer _renderer;
    private readonly Stream? _input;
    private readonly bool _sizeFromConsole;
    private readonly TerminalKeyDecoder _decoder = new();
    private readonly ConcurrentQueue<byte[]> _typed = new();
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly object _outputLock = new();
    private TerminalMode? _terminal;
    private Thread? _drawThread;
    private int _left;

    /// <param name="machine">The machine whose VGA is shown and whose keyboard gets the keys.</param>
    /// <param name="output">The terminal (stdout).</param>
    /// <param name="input">Raw terminal input (stdin), or null for no keyboard.</param>
    /// <param name="sizeFromConsole">Clip to <see cref="Console.WindowWidth"/>/<see cref="Console.WindowHeight"/> when they are known.</param>
    public CursesDisplay(PcMachine machine, TextWriter output, Stream? input, bool sizeFromConsole)
    {
        _machine = machine;
        _renderer = new AnsiTextRenderer(output);
        _input = input;
        _sizeFromConsole = sizeFromConsole;
        Output = output;
    }

    public TextWriter Output { get; }

    /// <summary>True when emu should draw: stdout is a terminal, or <see cref="ForceVariable"/> is 1.</summary>
    public static bool CanDraw => !Console.IsOutputRedirected || Environment.GetEnvironmentVariable(ForceVariable) == "1";

    /// <summary>Enters raw mode (when stdin is a terminal) and the alternate screen, and starts drawing and reading keys.</summary>
    public void Start()
    {
        _terminal = TerminalMode.EnterRaw();
        lock (_outputLock) _renderer.Enter();
        _drawThread = new Thread(DrawLoop) { IsBackground = true, Name = "curses display" };
        _drawThread.Start();
        if (_input is not null)
        {
            // A blocking read of stdin cannot be interrupted: a background thread that ends with the process or at EOF.
            new Thread(ReadLoop) { IsBackground = true, Name = "curses keyboard" }.Start();
        }
    }

    /// <summary>Leaves the alternate screen and restores the terminal (idempotent; also for exit and signal handlers).</summary>
    public void RestoreTerminal()
    {
        if (Interlocked.Exchange(ref _left, 1) != 0) return;
        _stop.Set();
        if (_drawThread is { } t && t != Thread.CurrentThread) t.Join(1000);
        try
        {
            lock (_outputLock) _renderer.Leave();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
        _terminal?.Restore();
    }

    public void Dispose() => RestoreTerminal();

    private void DrawLoop()
    {
        try
        {
            while (!_stop.Wait(FrameMilliseconds))
            {
                DeliverKeys();
                if (_sizeFromConsole) UpdateSize();
                lock (_outputLock) _renderer.Render(_machine.Vga);
            }
            // One last frame, so a screen drawn just before power-off is seen (the alternate screen keeps it until it is left).
            lock (_outputLock) _renderer.Render(_machine.Vga);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The terminal went away: nothing left to draw on.
        }
    }

    private void UpdateSize()
    {
        try
        {
            _renderer.Resize(Console.WindowWidth, Console.WindowHeight);
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException)
        {
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[256];
        try
        {
            while (!_stop.IsSet)
            {
                int n = _input!.Read(buffer, 0, buffer.Length);
                if (n <= 0) return;
                _typed.Enqueue(buffer[..n]);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Decodes what was typed since the last frame; a sequence still incomplete after one quiet frame is taken as typed (lone Esc).</summary>
    private void DeliverKeys()
    {
        List<TerminalKey> keys = [];
        bool any = false;
        while (_typed.TryDequeue(out var chunk))
        {
            keys.AddRange(_decoder.Feed(chunk));
            any = true;
        }
        if (!any && _decoder.HasPending) keys.AddRange(_decoder.Flush());
        if (keys.Count == 0) return;
        var machine = _machine;
        machine.Post(() =>
        {
            var keyboard = machine.Keyboard.Keyboard;
            foreach (var key in keys)
            {
                foreach (var (name, down) in key.Strokes()) keyboard.SendKey(name, down);
            }
        });
    }
}
