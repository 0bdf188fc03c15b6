using System.Numerics;
using System.Runtime.CompilerServices;

namespace Emulator.Core.Cpu;

/// <summary>Computes the arithmetic EFLAGS bits from the recorded last operation (SDM Vol. 1 Appendix A).</summary>
public static class LazyFlags
{
    public const int KindAdd = 0, KindAdc = 1, KindSub = 2, KindSbb = 3, KindLogic = 4, KindInc = 5, KindDec = 6;

    /// <summary>
    /// ZF/SF/PF from the result, CF/OF/AF given in B (before masking): MUL/IMUL and the shifts, whose CF and OF are not
    /// a function of the operands alone.
    /// </summary>
    public const int KindResult = 7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LazyFlagOp Op(int kind, int sizeBytes) => (LazyFlagOp)(kind * 3 + SizeIndex(sizeBytes) + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeIndex(int sizeBytes) => sizeBytes switch { 1 => 0, 2 => 1, _ => 2 };

    /// <summary>Even parity of the low byte: PF set when the count of 1 bits is even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Parity(uint value) => (BitOperations.PopCount(value & 0xFF) & 1) == 0 ? Eflags.PF : 0;

    /// <summary>ZF, SF and PF of a result of the given size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ZspFlags(uint result, int bits)
    {
        uint mask = bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;
        uint r = result & mask;
        uint f = Parity(r);
        if (r == 0) f |= Eflags.ZF;
        if ((r >> (bits - 1) & 1) != 0) f |= Eflags.SF;
        return f;
    }

    public static void Materialize(CpuState cpu)
    {
        cpu.Eflags = (cpu.Eflags & ~Eflags.Arithmetic) | Compute(cpu.LazyOp, cpu.LazyA, cpu.LazyB, cpu.LazyR, cpu.Eflags);
        cpu.LazyOp = LazyFlagOp.None;
    }

    /// <summary>
    /// Left shift that moves an operand of size index 0, 1, 2 (8, 16, 32 bits) to the top of a 32-bit word: the bits
    /// above the operand size fall off, the sign bit becomes bit 31 and a carry out of the operand is a carry out of
    /// bit 31, so one formula serves every size.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TopShift(int sizeIndex) => (0x00_10_18 >> (sizeIndex * 8)) & 0xFF;

    /// <summary>The arithmetic flags of an operation; <paramref name="oldFlags"/> supplies CF for INC/DEC.</summary>
    public static uint Compute(LazyFlagOp op, uint a, uint b, uint r, uint oldFlags)
    {
        int v = (int)op - 1;
        int kind = v / 3;
        int sh = TopShift(v - kind * 3);
        // Operands and result shifted to the top: ZF, SF and the CF/OF formulas need no size-dependent mask or sign.
        uint ta = a << sh, tb = b << sh, tr = r << sh;
        uint f = (uint)(BitOperations.PopCount(r & 0xFF) + 1) << 2 & Eflags.PF // PF: even parity of the low byte
            | ((tr - 1) & ~tr) >> 31 << 6 // ZF (bit 6): the top bit of (r − 1) & ~r is set only for r = 0
            | tr >> 31 << 7; // SF (bit 7)
        switch (kind)
        {
            case KindAdd:
            case KindAdc:
                {
                    // CF: carry out of the operand (ADC adds its carry-in of 1 at the operand's lowest bit).
                    ulong sum = (ulong)ta + tb + ((ulong)(uint)kind << sh);
                    return f | (uint)(sum >> 32)
                        | (~(ta ^ tb) & (ta ^ tr)) >> 31 << 11
                        | ((a ^ b ^ r) & Eflags.AF);
                }
            case KindSub:
            case KindSbb:
                {
                    // CF: borrow, a < b + borrow-in (SBB records a borrow-in of 1).
                    ulong diff = (ulong)ta - tb - ((ulong)(uint)(kind - KindSub) << sh);
                    return f | (uint)(diff >> 63)
                        | ((ta ^ tb) & (ta ^ tr)) >> 31 << 11
                        | ((a ^ b ^ r) & Eflags.AF);
                }
            case KindLogic:
                return f;
            case KindResult:
                return f | (b & (Eflags.CF | Eflags.OF | Eflags.AF));
            case KindInc:
                f |= oldFlags & Eflags.CF;
                if (tr == 0x8000_0000u) f |= Eflags.OF;
                if ((r & 0xF) == 0) f |= Eflags.AF;
                return f;
            default: // KindDec
                f |= oldFlags & Eflags.CF;
                if (tr == (0x7FFF_FFFFu & (~0u << sh))) f |= Eflags.OF;
                if ((r & 0xF) == 0xF) f |= Eflags.AF;
                return f;
        }
    }

    /// <summary>Only CF, without materializing the rest (INC/DEC need it).</summary>
    public static uint CarryOf(CpuState cpu)
    {
        var op = cpu.LazyOp;
        if (op == LazyFlagOp.None) return cpu.Eflags & Eflags.CF;
        int v = (int)op - 1;
        int kind = v / 3;
        int sh = TopShift(v - kind * 3);
        uint ta = cpu.LazyA << sh, tb = cpu.LazyB << sh;
        switch (kind)
        {
            case KindAdd:
            case KindAdc:
                return (uint)(((ulong)ta + tb + ((ulong)(uint)kind << sh)) >> 32);
            case KindSub:
            case KindSbb:
                return (uint)(((ulong)ta - tb - ((ulong)(uint)(kind - KindSub) << sh)) >> 63);
            case KindLogic:
                return 0;
            case KindResult:
                return cpu.LazyB & Eflags.CF;
            default: // INC/DEC keep CF in EFLAGS
                return cpu.Eflags & Eflags.CF;
        }
    }

    /// <summary>
    /// Per condition code (the low nibble of Jcc/SETcc/CMOVcc): bit n is the condition's truth for the flag pattern
    /// n = CF | ZF·2 | SF·4 | OF·8 | PF·16 — a lookup instead of a branch per condition.
    /// </summary>
    private static readonly uint[] ConditionTable = BuildConditionTable();

    private static uint[] BuildConditionTable()
    {
        var t = new uint[16];
        for (int cc = 0; cc < 16; cc++)
        {
            for (int n = 0; n < 32; n++)
            {
                bool cf = (n & 1) != 0, zf = (n & 2) != 0, sf = (n & 4) != 0, of = (n & 8) != 0, pf = (n & 16) != 0;
                bool result = (cc >> 1) switch
                {
                    0 => of,
                    1 => cf,
                    2 => zf,
                    3 => cf || zf,
                    4 => sf,
                    5 => pf,
                    6 => sf != of,
                    _ => zf || sf != of,
                };
                if (((cc & 1) != 0) != result) t[cc] |= 1u << n;
            }
        }
        return t;
    }

    /// <summary>Evaluates condition code <paramref name="cc"/> (the low nibble of Jcc/SETcc/CMOVcc).</summary>
    public static bool Condition(CpuState cpu, int cc)
    {
        var op = cpu.LazyOp;
        if ((uint)(op - LazyFlagOp.Sub8) <= LazyFlagOp.Sub32 - LazyFlagOp.Sub8)
        {
            // The common case after CMP/SUB in another block: the five flags the conditions read, by Compute's
            // formulas, without materializing the rest (the record stays valid).
            int sh = TopShift(op - LazyFlagOp.Sub8);
            uint ta = cpu.LazyA << sh, tb = cpu.LazyB << sh, tr = cpu.LazyR << sh;
            uint bits = (uint)(((ulong)ta - tb) >> 63) // CF
                | ((tr - 1) & ~tr) >> 31 << 1 // ZF
                | tr >> 31 << 2 // SF
                | ((ta ^ tb) & (ta ^ tr)) >> 31 << 3 // OF
                | (uint)(BitOperations.PopCount(cpu.LazyR & 0xFF) + 1) << 4 & 16; // PF
            return (ConditionTable[cc & 15] >> (int)bits & 1) != 0;
        }
        uint f = cpu.GetEflags();
        // CF (bit 0), ZF (6), SF (7), OF (11), PF (2) gathered into bits 0–4.
        uint n = (f & Eflags.CF) | (f >> 5 & 6) | (f >> 8 & 8) | (f << 2 & 16);
        return (ConditionTable[cc & 15] >> (int)n & 1) != 0;
    }
}
