using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Translation;

namespace Emulator.Core.Execution;

/// <summary>
/// The execution engine of one CPU: dispatches translated blocks (following chained successors), delivers
/// exceptions with the double/triple-fault rules (SDM Vol. 3A §6.15 Table 6-5), takes NMI and INTR between blocks,
/// idles in HLT until the next timer deadline, and keeps the virtual clock in step with retired instructions.
/// </summary>
public sealed class CpuCore
{
    private readonly VirtualClock _clock;
    private long _clockedRetired;

    public CpuCore(CpuState cpu, VirtualClock clock)
    {
        Cpu = cpu;
        _clock = clock;
        Cache = new TranslationCache(cpu);
        _clockedRetired = cpu.Retired;
        clock.AttachPendingInstructions(() => Cpu.Retired - _clockedRetired);
    }

    public CpuState Cpu { get; }

    public TranslationCache Cache { get; }

    /// <summary>Re-synchronises the clock bookkeeping after the retired count was restored (snapshots).</summary>
    public void ResyncClock() => _clockedRetired = Cpu.Retired;

    /// <summary>
    /// Runs the one block at CS:EIP and returns its <see cref="BlockExit"/> code without delivering anything:
    /// an exception stays pending on the CPU (RIP at the faulting instruction). −1 when fetching the block faulted.
    /// For embedders that drive execution block by block, and for conformance harnesses.
    /// </summary>
    public int ExecuteBlock()
    {
        var block = Cache.Find(BlockCompiler.ModeOf(Cpu));
        if (block is null) return -1;
        int r = block.Run(Cpu);
        SyncClock();
        return r;
    }

    /// <summary>Runs until <paramref name="maxInstructions"/> more instructions have retired or something stops the CPU.</summary>
    public StopReason Run(long maxInstructions)
    {
        var cpu = Cpu;
        long end = cpu.Retired + maxInstructions;
        if (end < cpu.Retired) end = long.MaxValue;
        int mode = BlockCompiler.ModeOf(cpu);
        TranslatedBlock? prev = null;
        int prevExit = -1;
        while (true)
        {
            if (cpu.StopRequested)
            {
                cpu.StopRequested = false;
                return StopReason.StopRequested;
            }
            SyncClock();
            if (_clock.NextDeadline <= _clock.Now)
            {
                _clock.RunDueTimers();
                cpu.InterruptCheck = true;
            }
            if (cpu.Retired >= end) return StopReason.InstructionLimit;
            if (cpu.InterruptCheck || cpu.Halted)
            {
                if (TakeInterrupt())
                {
                    mode = BlockCompiler.ModeOf(cpu);
                    prev = null;
                    if (cpu.StopRequested) continue;
                }
                if (cpu.Halted)
                {
                    if (cpu.Faulted)
                    {
                        prev = null;
                        continue;
                    }
                    var idle = Idle();
                    if (idle is not null) return idle.Value;
                    continue;
                }
            }

            if ((mode & 128) != 0 && DebugBreakpoints.CheckExecution(cpu))
            {
                // Instruction breakpoint: a fault, delivered with RF set in the pushed EFLAGS so IRET resumes past it.
                cpu.Eflags |= Eflags.RF;
                DeliverPendingException();
                cpu.Eflags &= ~Eflags.RF;
                mode = BlockCompiler.ModeOf(cpu);
                prev = null;
                continue;
            }
            TranslatedBlock? block = null;
            if (prev is not null)
            {
                var cand = prev.Linked(prevExit, cpu.TranslationEpoch);
                if (cand is not null && cand.Mode == mode && cand.Linear == cpu.Cs.Base + (uint)cpu.Rip) block = cand;
            }
            if (block is null)
            {
                block = Cache.Find(mode);
                if (block is null)
                {
                    DeliverPendingException();
                    mode = BlockCompiler.ModeOf(cpu);
                    prev = null;
                    continue;
                }
                prev?.Link(prevExit, block, cpu.TranslationEpoch);
            }
            bool shadow = cpu.InterruptShadow;
            bool singleStep = (mode & 64) != 0;
            long limit = Math.Min(end, cpu.Retired + InstructionsToDeadline());
            cpu.LoopLimit = singleStep || shadow ? 0 : limit;
            cpu.ChainTail = block;
            int r = block.Run(cpu);
            block = cpu.ChainTail; // compiled blocks may have continued into linked successors
            if (shadow) cpu.InterruptShadow = false;
            // Chained fast path: follow static exits while nothing needs the outer loop (no timer due, no mode change).
            if ((BlockExit.IsStatic(r) || r == BlockExit.Indirect) && !singleStep)
            {
                cpu.LoopLimit = limit;
                while (cpu.Retired < limit && !cpu.InterruptCheck)
                {
                    var next = r == BlockExit.Indirect ? Cache.FindFast(mode) : block.Linked(r, cpu.TranslationEpoch);
                    if (next is null) break;
                    cpu.ChainTail = next;
                    r = next.Run(cpu);
                    block = cpu.ChainTail;
                    if (!BlockExit.IsStatic(r) && r != BlockExit.Indirect) break;
                }
            }
            cpu.LoopLimit = 0;
            cpu.ChainTail = null;
            switch (r)
            {
                case BlockExit.Static0:
                case BlockExit.Static1:
                case >= BlockExit.FirstSide:
                    prev = block;
                    prevExit = r;
                    break;
                case BlockExit.Dynamic:
                    prev = null;
                    mode = BlockCompiler.ModeOf(cpu);
                    break;
                case BlockExit.Indirect:
                    prev = null;
                    break;
                default:
                    prev = null;
                    DeliverPendingException();
                    mode = BlockCompiler.ModeOf(cpu);
                    singleStep = false;
                    break;
            }
            if (cpu.DebugTrapPending)
            {
                // Data breakpoint: a trap after the instruction (SDM Vol. 3A §17.3.1.2).
                cpu.DebugTrapPending = false;
                if (!cpu.Faulted && !Interrupts.Deliver(cpu, Vectors.DB, (uint)cpu.Rip, false)) DeliverPendingException();
                mode = BlockCompiler.ModeOf(cpu);
                prev = null;
                continue;
            }
            if (singleStep && !cpu.Faulted)
            {
                // Single-step trap after the instruction (SDM Vol. 3A §17.3.1.4): #DB with DR6.BS.
                cpu.Dr6 |= 1u << 14;
                if (!Interrupts.Deliver(cpu, Vectors.DB, (uint)cpu.Rip, false)) DeliverPendingException();
                mode = BlockCompiler.ModeOf(cpu);
                prev = null;
            }
        }
    }

    /// <summary>Instructions that may retire before the next timer deadline (at least 1).</summary>
    private long InstructionsToDeadline()
    {
        long next = _clock.NextDeadline;
        if (next == long.MaxValue) return long.MaxValue / 4;
        long ns = next - _clock.Now; // Now includes the instructions not yet synced
        return Math.Max(1, ns / _clock.NanosecondsPerInstruction);
    }

    private void SyncClock()
    {
        long delta = Cpu.Retired - _clockedRetired;
        if (delta != 0)
        {
            _clock.AdvanceInstructions(delta);
            _clockedRetired = Cpu.Retired;
        }
    }

    /// <summary>In HLT: skips virtual time to the next timer deadline; null means "go on running".</summary>
    private StopReason? Idle()
    {
        var cpu = Cpu;
        bool canWake = (cpu.Eflags & Eflags.IF) != 0 || cpu.NmiPending;
        if (_clock.NextDeadline == long.MaxValue)
        {
            return canWake ? StopReason.Idle : StopReason.HaltedForever;
        }
        long before = _clock.Now;
        _clock.AdvanceTo(_clock.NextDeadline);
        // The time-stamp counter runs while the processor is halted (SDM Vol. 3B §18.17): it counts the skipped
        // virtual time at its rate of one tick per instruction time, so TSC and the clock-driven timers stay in step.
        cpu.TscOffset += (ulong)((_clock.Now - before) / _clock.NanosecondsPerInstruction);
        _clock.RunDueTimers();
        cpu.InterruptCheck = true;
        // With IF clear only an NMI can end the halt: time has moved on to the deadline (a timer may have raised
        // one); otherwise the caller gets control back instead of this loop skipping through timer ticks forever.
        return canWake || cpu.NmiPending ? null : StopReason.HaltedForever;
    }

    /// <summary>Delivers NMI or INTR if one can be taken now. True when control was transferred.</summary>
    private bool TakeInterrupt()
    {
        var cpu = Cpu;
        cpu.InterruptCheck = false;
        if (cpu.InterruptShadow) 
        {
            cpu.InterruptCheck = true;
            return false;
        }
        if (cpu.NmiPending && !cpu.NmiBlocked)
        {
            cpu.NmiPending = false;
            cpu.NmiBlocked = true;
            cpu.Halted = false;
            if (!Interrupts.Deliver(cpu, Vectors.NMI, (uint)cpu.Rip, false)) DeliverPendingException();
            return true;
        }
        var pic = cpu.InterruptController;
        if (pic is null || (cpu.Eflags & Eflags.IF) == 0) return false;
        if (!pic.InterruptPending) return false;
        byte vector = pic.Acknowledge();
        cpu.Halted = false;
        if (!Interrupts.Deliver(cpu, vector, (uint)cpu.Rip, false)) DeliverPendingException();
        cpu.InterruptCheck = true;
        return true;
    }

    /// <summary>Delivers the exception recorded on the CPU, escalating to #DF or a triple fault (SDM Vol. 3A Table 6-5).</summary>
    private void DeliverPendingException()
    {
        var cpu = Cpu;
        int first = -1;
        for (int attempt = 0; attempt < 3 && cpu.Faulted; attempt++)
        {
            int vector = cpu.PendingVector;
            uint error = cpu.PendingErrorCode;
            bool hasError = cpu.PendingHasErrorCode;
            cpu.Faulted = false;
            cpu.PendingVector = -1;
            if (first >= 0)
            {
                bool firstContributory = Vectors.IsContributory(first);
                if (first == Vectors.DF)
                {
                    TripleFault();
                    return;
                }
                if ((firstContributory && Vectors.IsContributory(vector)) || (first == Vectors.PF && (vector == Vectors.PF || Vectors.IsContributory(vector))))
                {
                    vector = Vectors.DF;
                    error = 0;
                    hasError = true;
                }
            }
            if (!cpu.ProtectedMode) hasError = false;
            first = vector;
            if (vector == Vectors.DB) cpu.Eflags |= 0; // trap/fault distinction is the raiser's business
            if (Interrupts.Deliver(cpu, vector, (uint)cpu.Rip, false, hasError, error)) return;
        }
        if (cpu.Faulted) TripleFault();
    }

    private void TripleFault()
    {
        var cpu = Cpu;
        cpu.Faulted = false;
        cpu.PendingVector = -1;
        cpu.StopRequested = true;
        cpu.Halted = false;
        ShutdownPending = true;
        cpu.ShutdownRequested?.Invoke();
    }

    /// <summary>Set when the last stop was a shutdown (triple fault); the machine resets or powers off.</summary>
    public bool ShutdownPending { get; set; }
}
