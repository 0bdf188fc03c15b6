using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Simd;

namespace Emulator.Core.Translation;

/// <summary>
/// Entries for the compiled tier's inline SSE2 double forms: the XMM register numbers are resolved at compile time and
/// memory operands are loaded inline, so these take values, not the decoded instruction. The fast paths are exactly
/// the conditions under which <see cref="FpArith"/> and friends take the host's result (round to nearest, no
/// FZ/DAZ, PE already set and masked, operands and result comfortably normal) — scalar double arithmetic also with
/// exact zeros (<see cref="HostResultExact"/>), which Mandelbrot-style loops start from; everything else goes through the
/// same <see cref="SseFloat"/> code and <see cref="MxCommit"/> as the generic helpers. The enable checks
/// (CR0.EM/TS, CR4.OSFXSR, CPUID) are <see cref="SseReady"/>, done once per block.
/// </summary>
public static partial class Helpers
{
    /// <summary>Whether SSE/SSE2 instructions with XMM operands may run without a fault (SDM Vol. 3A §13.1, Table 22-?).</summary>
    internal static bool SseReady(CpuState cpu) =>
        (cpu.Cr0 & (Cr.CR0_EM | Cr.CR0_TS)) == 0 && (cpu.Cr4 & Cr.CR4_OSFXSR) != 0
        && (cpu.Model.Features1Edx & (CpuidSse | CpuidSse2)) == (CpuidSse | CpuidSse2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ComfortableD(ulong x) => (uint)(((int)(x >> 52) & 0x7FF) - 2) < 2044u;

    private static bool ZeroD(ulong x) => (x << 1) == 0;

    /// <summary>
    /// Whether the host's result <paramref name="r"/> of <paramref name="op"/> is the guest's with no MXCSR flag but
    /// PE (already set) to raise: operands comfortably normal or zero, and a result comfortably
    /// normal — or zero where that is exact: a sum or difference (two doubles' sum below the normal range is exact,
    /// so a zero sum is an exact cancellation), or a product, quotient or root of a zero operand. A zero product or
    /// quotient of nonzero operands underflowed (UE) and takes the general path. Host and guest are both IEEE 754
    /// binary64 with round-to-nearest here, so signed zeros come out the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HostResultExact(int op, ulong a, ulong b, ulong r)
    {
        bool zb = ZeroD(b);
        if (op == (int)SseFloat.Op.Sqrt) return zb || (long)b >= 0 && ComfortableD(b);
        bool za = ZeroD(a);
        if (!(ComfortableD(a) || za) || !(ComfortableD(b) || zb)) return false; // x / 0 is ∞ or NaN: neither test below passes
        if (ComfortableD(r)) return true;
        return ZeroD(r) && (op is (int)SseFloat.Op.Add or (int)SseFloat.Op.Sub || za || zb);
    }

    /// <summary>ADDSD/SUBSD/MULSD/DIVSD/SQRTSD xmm(dst), b: <paramref name="op"/> is a <see cref="SseFloat.Op"/> (Add..Div, Sqrt).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int SdArith(CpuState cpu, int op, int dst, ulong b)
    {
        var f = cpu.Fpu;
        var x = f.Xmm;
        ulong a = x[2 * dst];
        double xa = BitConverter.UInt64BitsToDouble(a), xb = BitConverter.UInt64BitsToDouble(b);
        double xr = op switch
        {
            (int)SseFloat.Op.Add => xa + xb,
            (int)SseFloat.Op.Sub => xa - xb,
            (int)SseFloat.Op.Mul => xa * xb,
            (int)SseFloat.Op.Div => xa / xb,
            _ => Math.Sqrt(xb),
        };
        ulong r = BitConverter.DoubleToUInt64Bits(xr);
        if ((f.Mxcsr & FastMask) == (Mxcsr.PM | Mxcsr.PE) && HostResultExact(op, a, b, r))
        {
            x[2 * dst] = r;
            return Continue;
        }
        return SdArithSlow(cpu, op, dst, b);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SdArithSlow(CpuState cpu, int op, int dst, ulong b)
    {
        var x = cpu.Fpu.Xmm;
        uint flags = 0;
        ulong r = SseFloat.Binary((SseFloat.Op)op, x[2 * dst], b, true, cpu.Fpu.Mxcsr, ref flags);
        if (!MxCommit(cpu, flags)) return Fault;
        x[2 * dst] = r;
        return Continue;
    }

    /// <summary>UCOMISD/COMISD xmm(a), b: ZF PF CF = 111 unordered, 000 greater, 001 less, 100 equal; OF SF AF = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int SdCompare(CpuState cpu, int dst, ulong b, bool signaling)
    {
        ulong a = cpu.Fpu.Xmm[2 * dst];
        int rel;
        // Neither NaN nor denormal: no exception flag can arise, the host's ordering is the answer.
        if ((uint)(((int)(a >> 52) & 0x7FF) - 1) < 2046u | (a & 0x7FFF_FFFF_FFFF_FFFF) == 0
            && ((uint)(((int)(b >> 52) & 0x7FF) - 1) < 2046u | (b & 0x7FFF_FFFF_FFFF_FFFF) == 0))
        {
            double xa = BitConverter.UInt64BitsToDouble(a), xb = BitConverter.UInt64BitsToDouble(b);
            rel = xa < xb ? -1 : xa == xb ? 0 : 1;
        }
        else
        {
            uint flags = 0;
            rel = SseFloat.Compare(a, b, true, signaling, cpu.Fpu.Mxcsr, ref flags);
            if (!MxCommit(cpu, flags)) return Fault;
        }
        // All six arithmetic flags are replaced, so the lazy ones need not be materialized first.
        cpu.Eflags = (cpu.Eflags & ~Eflags.Arithmetic) | rel switch
        {
            2 => Eflags.ZF | Eflags.PF | Eflags.CF,
            -1 => Eflags.CF,
            0 => Eflags.ZF,
            _ => 0u,
        };
        cpu.LazyOp = LazyFlagOp.None;
        return Continue;
    }

    /// <summary>CVTSI2SD xmm, r/m32: always exact, no flags.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Cvtsi2sdValue(CpuState cpu, int dst, uint v) => cpu.Fpu.Xmm[2 * dst] = BitConverter.DoubleToUInt64Bits((int)v);

    /// <summary>CVTTSD2SI r32, b: exact in-range values (or inexact ones with PE already set and masked) on the host.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Cvttsd2siValue(CpuState cpu, ulong b, out uint result)
    {
        double d = BitConverter.UInt64BitsToDouble(b);
        if (d > -2147483649.0 && d < 2147483648.0 && ((b >> 52) & 0x7FF) != 0)
        {
            int v = (int)d;
            if (v == d || (cpu.Fpu.Mxcsr & (Mxcsr.PM | Mxcsr.PE)) == (Mxcsr.PM | Mxcsr.PE))
            {
                result = (uint)v;
                return Continue;
            }
        }
        return Cvttsd2siSlow(cpu, b, out result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Cvttsd2siSlow(CpuState cpu, ulong b, out uint result)
    {
        uint flags = 0;
        result = (uint)SseFloat.ToInt(b, true, 32, true, cpu.Fpu.Mxcsr, ref flags);
        return MxCommit(cpu, flags) ? Continue : Fault;
    }

    /// <summary>AND/ANDN/OR/XOR of two XMM registers (ANDPD/ANDPS/ANDNPD/ANDNPS/ORPD/ORPS/XORPD/XORPS/PAND/PANDN/POR/PXOR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Bitwise128(CpuState cpu, int kind, int dst, int src)
    {
        var x = cpu.Fpu.Xmm;
        ulong a0 = x[2 * dst], a1 = x[2 * dst + 1], b0 = x[2 * src], b1 = x[2 * src + 1];
        switch (kind)
        {
            case 0: x[2 * dst] = a0 & b0; x[2 * dst + 1] = a1 & b1; break;
            case 1: x[2 * dst] = ~a0 & b0; x[2 * dst + 1] = ~a1 & b1; break;
            case 2: x[2 * dst] = a0 | b0; x[2 * dst + 1] = a1 | b1; break;
            default: x[2 * dst] = a0 ^ b0; x[2 * dst + 1] = a1 ^ b1; break;
        }
    }
}
