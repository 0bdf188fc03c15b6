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

    /// <summary>The arithmetic flags of an operation; <paramref name="oldFlags"/> supplies CF for INC/DEC.</summary>
    public static uint Compute(LazyFlagOp op, uint a, uint b, uint r, uint oldFlags)
    {
        int v = (int)op - 1;
        int kind = v / 3;
        int bits = 8 << (v % 3);
        uint mask = bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;
        uint sign = 1u << (bits - 1);
        uint given = b & (Eflags.CF | Eflags.OF | Eflags.AF);
        a &= mask;
        b &= mask;
        r &= mask;
        uint f = ZspFlags(r, bits);
        switch (kind)
        {
            case KindAdd:
            case KindAdc:
                {
                    ulong carryIn = kind == KindAdc ? 1ul : 0ul;
                    if ((ulong)a + b + carryIn > mask) f |= Eflags.CF;
                    if ((~(a ^ b) & (a ^ r) & sign) != 0) f |= Eflags.OF;
                    f |= (a ^ b ^ r) & Eflags.AF;
                    break;
                }
            case KindSub:
            case KindSbb:
                {
                    ulong borrowIn = kind == KindSbb ? 1ul : 0ul;
                    if ((ulong)a < b + borrowIn) f |= Eflags.CF;
                    if (((a ^ b) & (a ^ r) & sign) != 0) f |= Eflags.OF;
                    f |= (a ^ b ^ r) & Eflags.AF;
                    break;
                }
            case KindLogic:
                break;
            case KindResult:
                f |= given;
                break;
            case KindInc:
                f |= oldFlags & Eflags.CF;
                if (r == sign) f |= Eflags.OF;
                if ((r & 0xF) == 0) f |= Eflags.AF;
                break;
            case KindDec:
                f |= oldFlags & Eflags.CF;
                if (r == sign - 1) f |= Eflags.OF;
                if ((r & 0xF) == 0xF) f |= Eflags.AF;
                break;
        }
        return f;
    }

    /// <summary>Only CF, without materializing the rest (INC/DEC need it).</summary>
    public static uint CarryOf(CpuState cpu)
    {
        if (cpu.LazyOp == LazyFlagOp.None) return cpu.Eflags & Eflags.CF;
        return Compute(cpu.LazyOp, cpu.LazyA, cpu.LazyB, cpu.LazyR, cpu.Eflags) & Eflags.CF;
    }

    /// <summary>Evaluates condition code <paramref name="cc"/> (the low nibble of Jcc/SETcc/CMOVcc).</summary>
    public static bool Condition(CpuState cpu, int cc)
    {
        uint f = cpu.GetEflags();
        bool result = (cc >> 1) switch
        {
            0 => (f & Eflags.OF) != 0,
            1 => (f & Eflags.CF) != 0,
            2 => (f & Eflags.ZF) != 0,
            3 => (f & (Eflags.CF | Eflags.ZF)) != 0,
            4 => (f & Eflags.SF) != 0,
            5 => (f & Eflags.PF) != 0,
            6 => ((f & Eflags.SF) != 0) != ((f & Eflags.OF) != 0),
            _ => (f & Eflags.ZF) != 0 || (((f & Eflags.SF) != 0) != ((f & Eflags.OF) != 0)),
        };
        return (cc & 1) != 0 ? !result : result;
    }
}
