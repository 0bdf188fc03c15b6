using System.Diagnostics;
using System.Text;
using Emulator.Devices;
using Emulator.Machine;

namespace Emulator.Linux.Tests;

/// <summary>A machine running the demo guest, with its COM1 output collected and a way to type into it.</summary>
public sealed class LinuxGuest : IDisposable
{
    /// <summary>Wall-clock cap for any one wait, so a hung guest fails the test instead of CI.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromMinutes(4);

    private readonly MemoryStream _transmitted = new();
    private readonly SerialStreamBackend _serial;
    private int _scanFrom;

    public LinuxGuest(Action<MachineConfig> configure)
    {
        _serial = new SerialStreamBackend(null, _transmitted, ownsStreams: false, flushEachByte: false);
        var config = new MachineConfig
        {
            RamSize = 256ul << 20,
            CpuModel = "core2duo",
            Serial = _serial,
            RtcStart = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        configure(config);
        Machine = new PcMachine(config);
    }

    public PcMachine Machine { get; }

    public MachineExit? Exit { get; private set; }

    public string Output => Encoding.Latin1.GetString(_transmitted.ToArray());

    /// <summary>Runs until <paramref name="marker"/> appears in the output after the last marker found; false if the machine stopped.</summary>
    public bool WaitFor(string marker)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < WaitLimit)
        {
            if (Exit is null)
            {
                var exit = Machine.RunUntilStop(50_000_000);
                // A stop in the same slice as the marker is kept for RunToExit: running on would take the guest past
                // its power-off write (ACPICA then stalls 10 s and writes SLP_EN again).
                if (exit.Reason != MachineStopReason.InstructionLimit) Exit = exit;
            }
            string text = Output;
            int at = text.IndexOf(marker, _scanFrom, StringComparison.Ordinal);
            if (at >= 0)
            {
                _scanFrom = at + marker.Length;
                return true;
            }
            if (Exit is not null) return false;
        }
        return false;
    }

    /// <summary>Runs until the guest stops the machine (power-off, reset with -no-reboot...), or returns the stop a wait already saw.</summary>
    public MachineExit RunToExit()
    {
        if (Exit is { } seen) return seen;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < WaitLimit)
        {
            var exit = Machine.RunUntilStop(50_000_000);
            if (exit.Reason != MachineStopReason.InstructionLimit) return (Exit = exit).Value;
        }
        throw new TimeoutException("the guest did not stop within " + WaitLimit);
    }

    /// <summary>Types <paramref name="text"/> on COM1 (the guest's serial console).</summary>
    public void Type(string text) => _serial.Inject(Encoding.ASCII.GetBytes(text));

    public void Dispose()
    {
        Machine.Dispose();
        _serial.Dispose();
    }
}
