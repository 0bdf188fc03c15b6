namespace Emulator.Core.Cpu;

/// <summary>A segment or gate descriptor as read from the GDT, LDT or IDT (SDM Vol. 3A §3.4.5, §6.11).</summary>
public readonly struct Descriptor
{
    public readonly uint Low;
    public readonly uint High;

    public Descriptor(uint low, uint high)
    {
        Low = low;
        High = high;
    }

    public uint Base => (Low >> 16) | ((High & 0xFF) << 16) | (High & 0xFF00_0000u);

    public uint RawLimit => (Low & 0xFFFF) | (High & 0x000F_0000u);

    public uint Limit => (High & (1u << 23)) != 0 ? (RawLimit << 12) | 0xFFF : RawLimit;

    /// <summary>Access byte and flags in <see cref="Segment.Flags"/> layout.</summary>
    public uint Flags => (High >> 8) & 0xF0FF;

    public int Type => (int)((High >> 8) & 0xF);

    public bool IsSystem => (High & (1u << 12)) == 0;

    public bool IsCode => !IsSystem && (High & (1u << 11)) != 0;

    public bool IsData => !IsSystem && (High & (1u << 11)) == 0;

    public bool Conforming => IsCode && (High & (1u << 10)) != 0;

    public bool Readable => IsData || (High & (1u << 9)) != 0;

    public bool Writable => IsData && (High & (1u << 9)) != 0;

    public int Dpl => (int)((High >> 13) & 3);

    public bool Present => (High & (1u << 15)) != 0;

    // Gate fields (SDM Vol. 3A Figure 6-2, 5-8).
    public ushort GateSelector => (ushort)(Low >> 16);

    public uint GateOffset => (Low & 0xFFFF) | (High & 0xFFFF_0000u);

    public int GateParamCount => (int)(High & 0x1F);

    public Segment ToSegment(ushort selector) => new() { Selector = selector, Base = Base, Limit = Limit, Flags = Flags };
}
