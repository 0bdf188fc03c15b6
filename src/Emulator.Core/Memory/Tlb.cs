using System.Runtime.InteropServices;

namespace Emulator.Core.Memory;

/// <summary>
/// The soft TLB: direct-mapped tables of <see cref="Entries"/> entries in native memory, one for reads and one for
/// writes for each of supervisor (set 0) and user (set 1) accesses. Translated code indexes them inline.
/// </summary>
public sealed unsafe class Tlb : IDisposable
{
    public const int Bits = 10;
    public const int Entries = 1 << Bits;
    private const int Tables = 4;

    private readonly TlbEntry* _entries;
    private bool _disposed;

    public Tlb()
    {
        _entries = (TlbEntry*)NativeMemory.AlignedAlloc((nuint)(sizeof(TlbEntry) * Entries * Tables), 64);
        FlushAll();
    }

    public TlbEntry* Read(int set) => _entries + (set * 2) * Entries;

    public TlbEntry* Write(int set) => _entries + (set * 2 + 1) * Entries;

    public void FlushAll()
    {
        for (int i = 0; i < Entries * Tables; i++) _entries[i].Tag = TlbEntry.Invalid;
    }

    /// <summary>Flushes everything except global entries (a CR3 load with CR4.PGE set).</summary>
    public void FlushNonGlobal()
    {
        for (int i = 0; i < Entries * Tables; i++)
        {
            if (_entries[i].Global == 0) _entries[i].Tag = TlbEntry.Invalid;
        }
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
        for (int set = 0; set < 2; set++)
        {
            var w = Write(set);
            for (int i = 0; i < Entries; i++)
            {
                if (w[i].Tag != TlbEntry.Invalid && w[i].Frame == frame) w[i].Tag = TlbEntry.Invalid;
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMemory.AlignedFree(_entries);
    }
}
