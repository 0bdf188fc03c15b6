using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Emulator.Core.Memory;

namespace Emulator.Core.Translation;

/// <summary>
/// Translated blocks keyed by physical address and mode, with a per-frame index for invalidation when guest code
/// is written (self-modifying code) and a direct-mapped lookup by linear address for the dispatcher.
/// Blocks start in the interpreted tier (<see cref="BlockInterpreter"/>) and are compiled to IL once they have run
/// <see cref="TierUpThreshold"/> times — on a thread-pool thread when <see cref="BackgroundCompilation"/> is set, so the
/// guest never waits for the JIT. Both tiers have the same semantics, so when a block switches tier is invisible to
/// the guest (retired-instruction counts and virtual time are identical).
/// </summary>
public sealed class TranslationCache
{
    private const int FastBits = 12;

    private readonly Dictionary<ulong, TranslatedBlock> _blocks = new();

    /// <summary>The block table's key: physical address and mode (<see cref="BlockCompiler.ModeOf"/>, 9 bits) in one word.</summary>
    private static ulong Key(ulong physical, int mode) => physical << 9 | (uint)mode;
    private readonly Dictionary<ulong, List<TranslatedBlock>> _byFrame = new();
    private readonly TranslatedBlock?[] _fast = new TranslatedBlock?[1 << FastBits];
    private readonly long[] _fastEpoch = new long[1 << FastBits];
    private readonly CpuState _cpu;
    private readonly BlockCompiler _compiler = new();

    public TranslationCache(CpuState cpu)
    {
        _cpu = cpu;
        cpu.Memory.CodeWritten = InvalidateRange;
    }

    /// <summary>
    /// Blocks waiting for the background compiler, newest first: the block that just became hot is usually the loop
    /// the guest is in now, while older entries (boot code that ran 16 times and moved on) can wait.
    /// </summary>
    private readonly ConcurrentStack<TranslatedBlock> _compileQueue = new();
    private int _compileWorkerActive;
    private long _compiled;
    private long _compileTicks;
    private long _compileFailures;

    /// <summary>
    /// Interpreted runs after which a block is compiled; 0 compiles every block before its first run (what
    /// conformance tests of the compiled tier use). <see cref="int.MaxValue"/> keeps everything interpreted.
    /// </summary>
    public int TierUpThreshold { get; set; }

    /// <summary>Compile hot blocks on a thread-pool thread while the guest goes on interpreted.</summary>
    public bool BackgroundCompilation { get; set; }

    /// <summary>Blocks decoded (each runs interpreted or compiled from then on).</summary>
    public long BlocksDecoded => _compiler.Decoded;

    /// <summary>Blocks compiled to IL.</summary>
    public long BlocksCompiled => Interlocked.Read(ref _compiled);

    /// <summary>Time spent emitting and JIT-compiling blocks (on whichever thread did it).</summary>
    public TimeSpan CompileTime => TimeSpan.FromTicks(Interlocked.Read(ref _compileTicks) * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency);

    /// <summary>Background compilations that threw (the block stays interpreted); the last error's message.</summary>
    public long CompileFailures => Interlocked.Read(ref _compileFailures);

    public string? LastCompileError { get; private set; }

    /// <summary>Blocks waiting for the background compiler.</summary>
    public int CompileQueueLength => _compileQueue.Count;

    public int Count => _blocks.Count;

    /// <summary>The block at CS:EIP if the direct-mapped table has it for the current epoch, else null (no compile).</summary>
    public TranslatedBlock? FindFast(int mode)
    {
        var cpu = _cpu;
        uint linear = cpu.Cs.Base + (uint)cpu.Rip;
        int slot = (int)(linear ^ (linear >> FastBits)) & ((1 << FastBits) - 1);
        var b = _fast[slot];
        if (b is not null && b.Valid && b.Linear == linear && b.Mode == mode && _fastEpoch[slot] == cpu.TranslationEpoch) return b;
        return null;
    }

    /// <summary>Finds or compiles the block at CS:EIP for <paramref name="mode"/>; null when the fetch faulted (exception pending).</summary>
    public TranslatedBlock? Find(int mode)
    {
        var cpu = _cpu;
        uint linear = cpu.Cs.Base + (uint)cpu.Rip;
        int slot = (int)(linear ^ (linear >> FastBits)) & ((1 << FastBits) - 1);
        var b = _fast[slot];
        if (b is not null && b.Valid && b.Linear == linear && b.Mode == mode && _fastEpoch[slot] == cpu.TranslationEpoch) return b;
        if ((uint)cpu.Rip > cpu.Cs.Limit)
        {
            cpu.RaiseGp(0);
            return null;
        }
        if (!Mmu.TranslateFetch(cpu, linear, out ulong phys)) return null;
        if (!_blocks.TryGetValue(Key(phys, mode), out b) || b.Linear != linear)
        {
            b = _compiler.Decode(cpu, (uint)cpu.Rip, linear, phys, mode);
            if (b is null) return null;
            if (TierUpThreshold <= 0) CompileNow(b);
            else b.Run = Interpreted(b);
            Register(b);
        }
        _fast[slot] = b;
        _fastEpoch[slot] = cpu.TranslationEpoch;
        cpu.MarkCodePage(b.Linear);
        cpu.MarkCodePage(b.Linear + (uint)b.Length - 1); // a block whose last instruction crosses into the next page
        return b;
    }

    private BlockFunction Interpreted(TranslatedBlock b) => cpu =>
    {
        cpu.ChainTail = b; // a compiled predecessor may have chained into this block
        if (++b.Hits == TierUpThreshold) TierUp(b);
        return BlockInterpreter.Run(b, cpu);
    };

    private void TierUp(TranslatedBlock b)
    {
        if (!BackgroundCompilation)
        {
            CompileNow(b);
            return;
        }
        _compileQueue.Push(b);
        if (Interlocked.CompareExchange(ref _compileWorkerActive, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static cache => cache.DrainCompileQueue(), this, preferLocal: false);
    }

    private void CompileNow(TranslatedBlock b)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var run = BlockCompiler.Emit(b);
        RuntimeHelpers.PrepareDelegate(run);
        Interlocked.Add(ref _compileTicks, System.Diagnostics.Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref _compiled);
        b.Run = run;
        b.IsCompiled = true;
    }

    private void DrainCompileQueue()
    {
        while (true)
        {
            while (_compileQueue.TryPop(out var b))
            {
                if (!b.Valid) continue;
                try
                {
                    CompileNow(b);
                }
                catch (Exception e) when (e is InvalidProgramException or NotSupportedException or InvalidOperationException or ArgumentException)
                {
                    // An emitter defect must not kill the process from a pool thread: the block stays interpreted
                    // (same semantics) and the failure is counted and shown by `info jit`.
                    Interlocked.Increment(ref _compileFailures);
                    LastCompileError = $"block {b.Linear:x8}: {e.GetType().Name}: {e.Message}";
                }
            }
            Volatile.Write(ref _compileWorkerActive, 0);
            if (_compileQueue.IsEmpty || Interlocked.CompareExchange(ref _compileWorkerActive, 1, 0) != 0) return;
        }
    }

    private void Register(TranslatedBlock b)
    {
        _blocks[Key(b.Physical, b.Mode)] = b;
        AddToFrame(b.Frame0, b);
        if (b.Frame1 != ulong.MaxValue) AddToFrame(b.Frame1, b);
    }

    private void AddToFrame(ulong frame, TranslatedBlock b)
    {
        if (!_byFrame.TryGetValue(frame, out var list))
        {
            list = new List<TranslatedBlock>();
            _byFrame[frame] = list;
            _cpu.Memory.SetCodeFrame(frame, true);
            _cpu.Tlb.FlushWritesToFrame(frame);
        }
        list.Add(b);
    }

    /// <summary>
    /// Drops the blocks made from any byte of physical [address, address + size) (a store is about to change them).
    /// Blocks elsewhere in the same frame stay. Returns true when something was dropped.
    /// </summary>
    public bool InvalidateRange(ulong address, int size)
    {
        bool dropped = false;
        foreach (ulong frame in new[] { address >> PhysicalMemory.PageShift, (address + (ulong)size - 1) >> PhysicalMemory.PageShift }.Distinct())
        {
            if (!_byFrame.TryGetValue(frame, out var list)) continue;
            for (int k = list.Count - 1; k >= 0; k--)
            {
                var b = list[k];
                if (b.Valid && !b.Overlaps(address, size)) continue;
                list.RemoveAt(k);
                if (!b.Valid) continue;
                Drop(b);
                dropped = true;
            }
            if (list.Count == 0)
            {
                _byFrame.Remove(frame);
                _cpu.Memory.SetCodeFrame(frame, false);
            }
        }
        return dropped;
    }

    private void Drop(TranslatedBlock b)
    {
        b.Valid = false;
        if (_blocks.TryGetValue(Key(b.Physical, b.Mode), out var cur) && ReferenceEquals(cur, b)) _blocks.Remove(Key(b.Physical, b.Mode));
    }

    /// <summary>Drops every block made from <paramref name="frame"/>.</summary>
    public void InvalidateFrame(ulong frame)
    {
        if (!_byFrame.Remove(frame, out var list)) return;
        _cpu.Memory.SetCodeFrame(frame, false);
        foreach (var b in list)
        {
            if (b.Valid) Drop(b);
        }
    }

    /// <summary>Drops everything (e.g. when the address space is replaced by a snapshot).</summary>
    public void Flush()
    {
        foreach (var frame in _byFrame.Keys.ToList()) InvalidateFrame(frame);
        _blocks.Clear();
        Array.Clear(_fast);
    }
}
