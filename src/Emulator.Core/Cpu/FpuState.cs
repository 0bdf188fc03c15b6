namespace Emulator.Core.Cpu;

/// <summary>
/// x87, MMX and SSE register state (SDM Vol. 1 §8.1, §10.2). Kept apart from the integer state so it can be saved
/// lazily and snapshotted as one unit.
/// </summary>
public sealed class FpuState
{
    /// <summary>ST(0)–ST(7) physical registers R0–R7: 64-bit significand and 16-bit sign+exponent.</summary>
    public readonly ulong[] Mantissa = new ulong[8];
    public readonly ushort[] SignExponent = new ushort[8];
    public ushort Control = 0x037F;
    public ushort Status;
    public ushort Tag = 0xFFFF;
    public ushort LastOpcode;
    public ulong LastInstructionPointer, LastDataPointer;

    /// <summary>FPU CS and DS selectors of the last non-control instruction and its memory operand (SDM Vol. 1 §8.1.8).</summary>
    public ushort LastCodeSelector, LastDataSelector;

    /// <summary>
    /// Set when an unmasked x87 exception is pending with CR0.NE = 0 (MS-DOS compatible mode, SDM Vol. 1 §8.7): the
    /// machine asserts FERR# (IRQ13 through the PIC) and clears this when it has done so.
    /// </summary>
    public bool FerrPending;

    /// <summary>XMM0–XMM7 as pairs of 64-bit halves.</summary>
    public readonly ulong[] Xmm = new ulong[16 * 2];
    public uint Mxcsr = 0x1F80;

    /// <summary>Copies every field of <paramref name="other"/> (state forking and snapshots).</summary>
    public void CopyFrom(FpuState other)
    {
        Array.Copy(other.Mantissa, Mantissa, Mantissa.Length);
        Array.Copy(other.SignExponent, SignExponent, SignExponent.Length);
        Control = other.Control;
        Status = other.Status;
        Tag = other.Tag;
        LastOpcode = other.LastOpcode;
        LastInstructionPointer = other.LastInstructionPointer;
        LastDataPointer = other.LastDataPointer;
        LastCodeSelector = other.LastCodeSelector;
        LastDataSelector = other.LastDataSelector;
        FerrPending = other.FerrPending;
        Array.Copy(other.Xmm, Xmm, Xmm.Length);
        Mxcsr = other.Mxcsr;
    }

    /// <summary>FNINIT state for the x87 part, MXCSR to its reset value; XMM registers cleared as on RESET.</summary>
    public void Reset()
    {
        Array.Clear(Mantissa);
        Array.Clear(SignExponent);
        Control = 0x0040; // RESET value (SDM Vol. 1 Table 8-1... FNINIT later sets 0x037F)
        Status = 0;
        Tag = 0x5555;
        LastOpcode = 0;
        LastInstructionPointer = LastDataPointer = 0;
        LastCodeSelector = LastDataSelector = 0;
        FerrPending = false;
        Array.Clear(Xmm);
        Mxcsr = 0x1F80;
    }
}
