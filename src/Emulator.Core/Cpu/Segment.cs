namespace Emulator.Core.Cpu;

/// <summary>
/// A segment register with its hidden descriptor cache (SDM Vol. 3A §3.4.3). <see cref="Flags"/> holds descriptor
/// bits 40–55 of the high dword's attribute area as the SDM lays them out: type (4), S, DPL (2), P, then AVL, L, D/B, G
/// shifted down: bits 0–7 = access byte, bits 12–15 = AVL/L/DB/G.
/// </summary>
public struct Segment
{
    public ushort Selector;
    public uint Base;
    public uint Limit;
    public uint Flags;

    /// <summary>
    /// Highest offset + (size − 1) the inline fast path may read / write without a full check; −1 sends every
    /// access to the slow path (expand-down, unusable, read-only or execute-only segments).
    /// </summary>
    public long ReadLimit;
    public long WriteLimit;

    public const uint Present = 1u << 7;
    public const uint DescriptorType = 1u << 4; // S: code/data (1) or system (0)
    public const uint Executable = 1u << 3;
    public const uint ExpandDown = 1u << 2; // data segments
    public const uint Conforming = 1u << 2; // code segments
    public const uint Writable = 1u << 1; // data segments
    public const uint Readable = 1u << 1; // code segments
    public const uint Accessed = 1u << 0;
    public const uint DefaultBig = 1u << 14; // D/B
    public const uint Granularity = 1u << 15;

    public readonly int Dpl => (int)((Flags >> 5) & 3);

    public readonly bool Big => (Flags & DefaultBig) != 0;

    /// <summary>Recomputes the fast-path limits from the descriptor cache.</summary>
    public void UpdateFastLimits(bool protectedChecks)
    {
        if (!protectedChecks)
        {
            ReadLimit = WriteLimit = Limit;
            return;
        }
        bool usable = (Flags & Present) != 0 && (Flags & DescriptorType) != 0;
        bool code = (Flags & Executable) != 0;
        bool expandDown = !code && (Flags & ExpandDown) != 0;
        ReadLimit = usable && !expandDown && (!code || (Flags & Readable) != 0) ? Limit : -1;
        WriteLimit = usable && !expandDown && !code && (Flags & Writable) != 0 ? Limit : -1;
    }

    /// <summary>A real-mode / v8086 style load: base = selector × 16, attributes kept as a writable data segment.</summary>
    public void LoadReal(ushort selector)
    {
        Selector = selector;
        Base = (uint)selector << 4;
    }

    public override readonly string ToString() => $"{Selector:X4} base={Base:X8} limit={Limit:X8} flags={Flags:X4}";
}
