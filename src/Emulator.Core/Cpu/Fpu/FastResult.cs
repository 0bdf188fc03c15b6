namespace Emulator.Core.Cpu.Fpu;

/// <summary>
/// Result of a <see cref="SoftFloat80"/> fast path: the significand, and in <see cref="Info"/> the sign+exponent field
/// (bits 0-15) with the PE/C1 status bits shifted left by 16, or −1 when the general path must run.
/// </summary>
public readonly struct FastResult
{
    public readonly ulong Significand;
    public readonly int Info;

    public FastResult(ulong significand, int info)
    {
        Significand = significand;
        Info = info;
    }

    public static FastResult None => new(0, -1);

    public bool Ok => Info >= 0;

    public ushort SignExp => (ushort)Info;

    /// <summary>PE and C1 as status-word bits.</summary>
    public int Flags => Info >> 16;
}
