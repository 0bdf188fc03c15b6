namespace Emulator.Core.Bus;

/// <summary>A one-shot event on a <see cref="VirtualClock"/>; periodic devices re-arm it from the callback.</summary>
public sealed class ClockTimer
{
    private readonly VirtualClock _clock;

    internal ClockTimer(VirtualClock clock, Action<long> callback)
    {
        _clock = clock;
        Callback = callback;
    }

    internal Action<long> Callback { get; }

    public bool Armed { get; private set; }

    public long Deadline { get; private set; }

    /// <summary>Arms the timer to fire at absolute virtual time <paramref name="deadline"/> (nanoseconds).</summary>
    public void Arm(long deadline)
    {
        Armed = true;
        Deadline = deadline;
        _clock.Recompute();
    }

    public void Disarm()
    {
        if (!Armed) return;
        Armed = false;
        _clock.Recompute();
    }
}
