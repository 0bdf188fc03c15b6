namespace Emulator.Core.Bus;

/// <summary>
/// The machine's clock. In deterministic mode (the default) time is derived from the count of retired guest
/// instructions, so the same snapshot and input replay bit for bit. Timers are events on this clock; the CPU
/// runs at most until the next deadline (<see cref="NextDeadline"/>) and then calls <see cref="RunDueTimers"/>.
/// </summary>
public sealed class VirtualClock
{
    private readonly List<ClockTimer> _timers = new();

    /// <summary>Virtual nanoseconds per retired instruction (1 = a 1 GHz, one-instruction-per-cycle guest).</summary>
    public long NanosecondsPerInstruction { get; }

    public VirtualClock(long nanosecondsPerInstruction = 1)
    {
        if (nanosecondsPerInstruction <= 0) throw new ArgumentOutOfRangeException(nameof(nanosecondsPerInstruction));
        NanosecondsPerInstruction = nanosecondsPerInstruction;
    }

    private long _now;
    private Func<long>? _pendingInstructions;

    /// <summary>
    /// Current virtual time in nanoseconds since machine start, including instructions the CPU has retired but not
    /// yet handed to <see cref="AdvanceInstructions"/> (so a device read in the middle of a run of chained blocks
    /// sees the same time as the guest's TSC).
    /// </summary>
    public long Now => _pendingInstructions is null ? _now : _now + _pendingInstructions() * NanosecondsPerInstruction;

    /// <summary>Lets the CPU report instructions retired since it last advanced the clock (see <see cref="Now"/>).</summary>
    public void AttachPendingInstructions(Func<long> pending) => _pendingInstructions = pending;

    /// <summary>The earliest armed deadline, or <see cref="long.MaxValue"/>.</summary>
    public long NextDeadline { get; private set; } = long.MaxValue;

    /// <summary>Advances virtual time by <paramref name="instructions"/> retired instructions.</summary>
    public void AdvanceInstructions(long instructions) => _now += instructions * NanosecondsPerInstruction;

    /// <summary>Advances virtual time directly (an idle CPU in HLT skips to the next deadline).</summary>
    public void AdvanceTo(long time)
    {
        long now = Now;
        if (time > now) _now += time - now;
    }

    /// <summary>
    /// Sets the time, for snapshot restore; the CPU must re-synchronise its retired count with the clock right after
    /// (CpuCore.ResyncClock) so that no instructions are pending.
    /// </summary>
    public void Restore(long now)
    {
        _now = now;
    }

    public ClockTimer CreateTimer(Action<long> callback)
    {
        var timer = new ClockTimer(this, callback);
        _timers.Add(timer);
        return timer;
    }

    /// <summary>Fires every timer whose deadline is at or before <see cref="Now"/>, earliest first.</summary>
    public void RunDueTimers()
    {
        while (NextDeadline <= Now)
        {
            ClockTimer? due = null;
            foreach (var t in _timers)
            {
                if (t.Armed && t.Deadline <= Now && (due is null || t.Deadline < due.Deadline)) due = t;
            }
            if (due is null)
            {
                Recompute();
                break;
            }
            long deadline = due.Deadline;
            due.Disarm();
            due.Callback(deadline);
        }
    }

    internal void Recompute()
    {
        long next = long.MaxValue;
        foreach (var t in _timers)
        {
            if (t.Armed && t.Deadline < next) next = t.Deadline;
        }
        NextDeadline = next;
    }
}
