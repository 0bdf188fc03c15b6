using System.Runtime.InteropServices;

namespace Emulator.Core.Memory;

/// <summary>
/// The soft TLB: direct-mapped tables of <see cref="Entries"/> entries in native memory, one for reads and one for
/// writes for each of supervisor (set 0) and user (set 1) accesses. Translated code indexes them inline.
/// 8,192 entries cover 32 MiB of pages. Flushes must not cost a scan of every entry (Linux reloads CR3 on each
/// context switch): the slots filled since the last flush are logged, and a flush visits only those — all of them
/// only when the log overflowed.
/// </summary>
public sealed unsafe class Tlb : IDisposable
{
    public const int Bits = 13;
    public const int Entries = 1 << Bits;
    private const int Tables = 4;

    private readonly TlbEntry* _entries;
    private bool _disposed;

    /// <summary>Slots (set × <see cref="Entries"/> + index) filled since the last full flush; may repeat.</summary>
    private readonly int[] _filled = new int[Entries / 2];
    private int _filledCount;
    private bool _filledOverflow;

    public Tlb()
    {
        _entries = (TlbEntry*)NativeMemory.AlignedAlloc((nuint)(sizeof(TlbEntry) * Entries * Tables), 64);
        for (int i = 0; i < Entries * Tables; i++) _entries[i].Tag = TlbEntry.Invalid;
    }

    public TlbEntry* Read(int set) => _entries + (set * 2) * Entries;

    public TlbEntry* Write(int set) => _entries + (set * 2 + 1) * Entries;

    /// <summary>Records that the read and/or write entry of <paramref name="set"/> at <paramref name="index"/> was filled.</summary>
    public void Filled(int set, int index)
    {
        if (_filledCount < _filled.Length) _filled[_filledCount++] = set * Entries + index;
        else _filledOverflow = true;
    }

    public void FlushAll() => Flush(keepGlobal: false);

    /// <summary>Flushes everything except global entries (a CR3 load with CR4.PGE set).</summary>
    public void FlushNonGlobal() => Flush(keepGlobal: true);

    private void Flush(bool keepGlobal)
    {
        if (_filledOverflow)
        {
            _filledCount = 0;
            _filledOverflow = false;
            for (int set = 0; set < 2; set++)
            {
                for (int index = 0; index < Entries; index++)
                {
                    if (FlushSlot(set, index, keepGlobal)) Filled(set, index);
                }
            }
            return;
        }
        // The global entries that stay are logged again: the next flush must still find them when CR4.PGE goes.
        int kept = 0;
        for (int k = 0; k < _filledCount; k++)
        {
            int slot = _filled[k];
            if (FlushSlot(slot >> Bits, slot & (Entries - 1), keepGlobal)) _filled[kept++] = slot;
        }
        _filledCount = kept;
    }

    /// <summary>Invalidates the read and write entries of one slot (the global ones stay when asked); true if one stayed.</summary>
    private bool FlushSlot(int set, int index, bool keepGlobal)
    {
        bool stayed = false;
        ref var r = ref Read(set)[index];
        if (keepGlobal && r.Tag != TlbEntry.Invalid && r.Global != 0) stayed = true;
        else r.Tag = TlbEntry.Invalid;
        ref var w = ref Write(set)[index];
        if (keepGlobal && w.Tag != TlbEntry.Invalid && w.Global != 0) stayed = true;
        else w.Tag = TlbEntry.Invalid;
        return stayed;
    }

    public void FlushPage(ulong linear)
    {
        ulong tag = linear & ~0xFFFul;
        int index = (int)((linear >> 12) & (Entries - 1));
        for (int t = 0; t < Tables; t++)
        {
            ref var e = ref _entries[t * Entries + index];
            if (e.Tag == tag) e.Tag = TlbEntry.Invalid;
        }
    }

    /// <summary>Drops every write entry that maps <paramref name="frame"/> (the frame now holds translated code).</summary>
    public void FlushWritesToFrame(ulong frame)
    {
        if (_filledOverflow)
        {
            for (int set = 0; set < 2; set++)
            {
                for (int index = 0; index < Entries; index++) DropWrite(set, index, frame);
            }
            return;
        }
        for (int k = 0; k < _filledCount; k++) DropWrite(_filled[k] >> Bits, _filled[k] & (Entries - 1), frame);
    }

    private void DropWrite(int set, int index, ulong frame)
    {
        ref var w = ref Write(set)[index];
        if (w.Tag != TlbEntry.Invalid && w.Frame == frame) w.Tag = TlbEntry.Invalid;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMemory.AlignedFree(_entries);
    }
}
