using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Emulator.Core.Cpu.Fpu;

/// <summary>
/// Fast paths of the four basic operations for the common case: both operands normal finite values (exponent 1..7FFE,
/// integer bit set) and a normal result. The exact result is formed in 128 bits (64×64→128 multiply, 128/64 divide,
/// aligned add with a sticky bit), then rounded once at the precision and rounding control of the control word, which
/// gives the same bits and flags as the general path. Anything else (zero, denormal or overflowing result, unmasked
/// precision exception) reports false and the caller takes the general path, which has the full rules.
/// </summary>
public static partial class SoftFloat80
{
    /// <summary>
    /// ST op value for normal operands a and b under the control word <paramref name="control"/>: op 0 add, 1 a − b,
    /// 2 b − a, 3 multiply, 4 a / b, 5 b / a. On success <paramref name="flags"/> holds PE and C1 (status-word bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FastResult TryFastArith(int op, ushort seA, ulong mA, ushort seB, ulong mB, int control)
    {
        if (!IsNormal(seA, mA) || !IsNormal(seB, mB))
        {
            if (op > 2) return FastResult.None;
            // x ± 0 and 0 ± x for a normal x: x (negated for the subtrahend), rounded at the precision control.
            bool zeroA = (seA & 0x7FFF) == 0 && mA == 0, zeroB = (seB & 0x7FFF) == 0 && mB == 0;
            if (zeroB && IsNormal(seA, mA)) return op == 2 ? FastRound((seA & 0x8000) == 0, seA & 0x7FFF, mA, 0, control) : FastRound((seA & 0x8000) != 0, seA & 0x7FFF, mA, 0, control);
            if (zeroA && IsNormal(seB, mB)) return op == 1 ? FastRound((seB & 0x8000) == 0, seB & 0x7FFF, mB, 0, control) : FastRound((seB & 0x8000) != 0, seB & 0x7FFF, mB, 0, control);
            return FastResult.None;
        }
        switch (op)
        {
            case 0: return FastAdd(seA, mA, seB, mB, control);
            case 1: return FastAdd(seA, mA, (ushort)(seB ^ 0x8000), mB, control);
            case 2: return FastAdd(seB, mB, (ushort)(seA ^ 0x8000), mA, control);
            case 3: return FastMul(seA, mA, seB, mB, control);
            case 4: return FastDiv(seA, mA, seB, mB, control);
            default: return FastDiv(seB, mB, seA, mA, control);
        }
    }

    /// <summary>Exponent 1..7FFE with the integer bit set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsNormal(ushort se, ulong m) => (uint)((se & 0x7FFF) - 1) < 0x7FFE && (long)m < 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FastResult FastMul(ushort seA, ulong mA, ushort seB, ulong mB, int control)
    {
        bool sign = ((seA ^ seB) & 0x8000) != 0;
        ulong hi, lo;
        if (Bmi2.X64.IsSupported)
        {
            // High half by MULX, low half by a plain multiply: no round trip through memory for the low half.
            hi = Bmi2.X64.MultiplyNoFlags(mA, mB);
            lo = mA * mB;
        }
        else
        {
            hi = Math.BigMul(mA, mB, out lo);
        }
        // mA·mB / 2^126 is in [1, 4): biased exponent ea + eb − bias, plus one when the product reached [2, 4).
        int e = (seA & 0x7FFF) + (seB & 0x7FFF) - Float80.Bias;
        if ((long)hi < 0) e++;
        else
        {
            hi = (hi << 1) | (lo >> 63);
            lo <<= 1;
        }
        return FastRound(sign, e, hi, lo, control);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FastResult FastAdd(ushort seA, ulong mA, ushort seB, ulong mB, int control)
    {
        int ea = seA & 0x7FFF, eb = seB & 0x7FFF;
        if (ea < eb || (ea == eb && mA < mB))
        {
            (ea, eb) = (eb, ea);
            (mA, mB) = (mB, mA);
            (seA, seB) = (seB, seA);
        }
        bool sign = (seA & 0x8000) != 0;
        int d = ea - eb;
        ulong yh, yl;
        if (d == 0)
        {
            yh = mB;
            yl = 0;
        }
        else if (d < 64)
        {
            yh = mB >> d;
            yl = mB << (64 - d);
        }
        else if (d < 128)
        {
            yh = 0;
            yl = mB >> (d - 64);
            if (d > 64 && (mB << (128 - d)) != 0) yl |= 1;
        }
        else
        {
            yh = 0;
            yl = 1;
        }
        ulong hi, lo;
        int e = ea;
        if (((seA ^ seB) & 0x8000) == 0)
        {
            lo = yl;
            hi = mA + yh;
            if (hi < mA)
            {
                lo = (lo >> 1) | (lo & 1) | (hi << 63);
                hi = (hi >> 1) | 0x8000_0000_0000_0000;
                e++;
            }
        }
        else
        {
            lo = 0 - yl;
            hi = mA - yh - (yl != 0 ? 1ul : 0ul);
            if (hi == 0)
            {
                if (lo == 0) return FastResult.None;
                hi = lo;
                lo = 0;
                e -= 64;
            }
            int lz = BitOperations.LeadingZeroCount(hi);
            if (lz != 0)
            {
                hi = (hi << lz) | (lo >> (64 - lz));
                lo <<= lz;
                e -= lz;
            }
        }
        return FastRound(sign, e, hi, lo, control);
    }

    public static FastResult FastDiv(ushort seA, ulong mA, ushort seB, ulong mB, int control)
    {
        bool sign = ((seA ^ seB) & 0x8000) != 0;
        int e = (seA & 0x7FFF) - (seB & 0x7FFF) + Float80.Bias;
        ulong hi, lo, r;
        if (mA >= mB)
        {
            // Quotient in [1, 2): integer bit, then 127 fraction bits.
            ulong q1 = DivRem128(mA - mB, 0, mB, out r);
            ulong q2 = DivRem128(r, 0, mB, out r);
            hi = 0x8000_0000_0000_0000 | (q1 >> 1);
            lo = (q1 << 63) | (q2 >> 1);
            if ((q2 & 1) != 0) r |= 1;
        }
        else
        {
            // Quotient in (1/2, 1): 128 bits starting at the 2^-1 place.
            hi = DivRem128(mA, 0, mB, out r);
            lo = DivRem128(r, 0, mB, out r);
            e--;
        }
        if (r != 0) lo |= 1;
        return FastRound(sign, e, hi, lo, control);
    }

    /// <summary>(hi:lo) / d for hi &lt; d (the quotient fits in 64 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong DivRem128(ulong hi, ulong lo, ulong d, out ulong rem)
    {
        UInt128 n = new(hi, lo);
        UInt128 q = n / d;
        rem = (ulong)(n - q * d);
        return (ulong)q;
    }

    /// <summary>
    /// Rounds the normalized 128-bit significand hi:lo (bit 127 set) at biased exponent <paramref name="e"/> to the
    /// precision and rounding control of <paramref name="control"/>. False when the result would not be a normal
    /// number or the precision exception is unmasked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FastResult FastRound(bool sign, int e, ulong hi, ulong lo, int control)
    {
        if (e <= 0) return FastResult.None;
        int flags = 0;
        int pc = (control >> 8) & 3;
        int drop = pc == 0 ? 40 : pc == 2 ? 11 : 0;
        ulong kept, rw;
        bool sticky;
        if (drop == 0)
        {
            kept = hi;
            rw = lo;
            sticky = false;
        }
        else
        {
            kept = hi >> drop;
            rw = hi << (64 - drop);
            sticky = lo != 0;
        }
        ulong m;
        if (rw == 0 && !sticky)
        {
            m = hi;
        }
        else
        {
            if ((control & FpEnv.PE) == 0) return FastResult.None;
            flags = FpEnv.PE;
            bool inc = ((control >> 10) & 3) switch
            {
                0 => rw > 0x8000_0000_0000_0000 || (rw == 0x8000_0000_0000_0000 && (sticky || (kept & 1) != 0)),
                1 => sign,
                2 => !sign,
                _ => false,
            };
            if (inc)
            {
                flags |= FpEnv.C1;
                m = (kept + 1) << drop;
                if (m == 0)
                {
                    m = 0x8000_0000_0000_0000;
                    e++;
                }
            }
            else
            {
                m = kept << drop;
            }
        }
        if (e >= Float80.MaxExp) return FastResult.None;
        return new FastResult(m, (sign ? 0x8000 : 0) | e | (flags << 16));
    }

    /// <summary>
    /// FST m32fp/m64fp conversion of a normal value whose result is a normal float (no overflow, no underflow) under
    /// rounding control <paramref name="control"/> (precision control does not apply to stores). Returns false when
    /// the general path is needed (other operands or results, or inexact with PE unmasked); <paramref name="flags"/>
    /// then holds PE and C1 as status-word bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFastToBinary(ushort se, ulong m, bool m64, int control, out ulong bits, out int flags)
    {
        bits = 0;
        flags = 0;
        if (!IsNormal(se, m)) return false;
        int fracBits = m64 ? 52 : 23;
        int bias = m64 ? 1023 : 127, maxE = m64 ? 2047 : 255;
        int e = (se & 0x7FFF) - Float80.Bias + bias;
        if (e <= 0 || e >= maxE) return false;
        int drop = 63 - fracBits;
        ulong kept = m >> drop;
        ulong rw = m << (64 - drop);
        bool sign = (se & 0x8000) != 0;
        if (rw != 0)
        {
            if ((control & FpEnv.PE) == 0) return false;
            flags = FpEnv.PE;
            bool inc = ((control >> 10) & 3) switch
            {
                0 => rw > 0x8000_0000_0000_0000 || (rw == 0x8000_0000_0000_0000 && (kept & 1) != 0),
                1 => sign,
                2 => !sign,
                _ => false,
            };
            if (inc)
            {
                flags |= FpEnv.C1;
                kept++;
                if ((kept >> (fracBits + 1)) != 0)
                {
                    kept >>= 1;
                    e++;
                    if (e >= maxE) return false;
                }
            }
        }
        bits = (sign ? 1ul << (m64 ? 63 : 31) : 0) | ((ulong)e << fracBits) | (kept & ((1ul << fracBits) - 1));
        return true;
    }

    /// <summary>
    /// FSQRT of a normal positive value: the 64-bit integer square root of the significand (scaled to 127 or 128 bits
    /// by the exponent's parity) with the remainder deciding the rounding bits, rounded once at the precision and
    /// rounding control. An exact square root is never halfway between two representable values, so remainder &gt;
    /// root means above the half-way point.
    /// </summary>
    public static FastResult TryFastSqrt(ushort se, ulong m, int control)
    {
        if ((se & 0x8000) != 0 || !IsNormal(se, m)) return FastResult.None;
        int E = (se & 0x7FFF) - Float80.Bias;
        UInt128 x = (E & 1) != 0 ? new UInt128(m, 0) : new UInt128(m >> 1, m << 63);
        ulong r = ISqrt128(x, out UInt128 rem);
        ulong lo = rem == 0 ? 0 : rem > r ? 0x8000_0000_0000_0001 : 1;
        return FastRound(false, (E >> 1) + Float80.Bias, r, lo, control);
    }

    /// <summary>floor(sqrt(x)) for 2^126 ≤ x &lt; 2^128 and the remainder x − root².</summary>
    private static ulong ISqrt128(UInt128 x, out UInt128 rem)
    {
        // Double estimate (about 2^11 off), one correction step in double arithmetic from the exact 128-bit
        // difference (within a few units; no 128-bit division), then exact correction.
        double est = Math.Sqrt((double)x);
        ulong r = est >= 18446744073709551615.0 ? ulong.MaxValue : (ulong)est;
        UInt128 sq = (UInt128)r * r;
        if (x >= sq)
        {
            ulong step = (ulong)((double)(x - sq) / (2.0 * r));
            r = ulong.MaxValue - r < step ? ulong.MaxValue : r + step;
        }
        else
        {
            r -= (ulong)((double)(sq - x) / (2.0 * r));
        }
        while ((UInt128)r * r > x) r--;
        while (r < ulong.MaxValue && (UInt128)(r + 1) * (r + 1) <= x) r++;
        rem = x - (UInt128)r * r;
        return r;
    }

    /// <summary>
    /// FIST/FISTP conversion of a zero or normal value with magnitude below 2^63 to a <paramref name="bitsWide"/>-bit
    /// integer under the rounding control; false when the general path is needed (out of range, inexact with PE
    /// unmasked, other operands).
    /// </summary>
    public static bool TryFastToInt(ushort se, ulong m, int bitsWide, int rc, int control, out long value, out int flags)
    {
        value = 0;
        flags = 0;
        int exp = se & 0x7FFF;
        if (exp == 0 && m == 0) return true;
        if (!IsNormal(se, m)) return false;
        int E = exp - Float80.Bias;
        if (E > 62) return false;
        bool sign = (se & 0x8000) != 0;
        ulong ip, frac;
        if (E >= 0)
        {
            ip = m >> (63 - E);
            frac = m << (E + 1);
        }
        else
        {
            ip = 0;
            frac = E == -1 ? m : 1;
        }
        if (frac != 0)
        {
            if ((control & FpEnv.PE) == 0) return false;
            flags = FpEnv.PE;
            bool inc = rc switch
            {
                0 => frac > 0x8000_0000_0000_0000 || (frac == 0x8000_0000_0000_0000 && (ip & 1) != 0),
                1 => sign,
                2 => !sign,
                _ => false,
            };
            if (inc)
            {
                flags |= FpEnv.C1;
                ip++;
            }
        }
        ulong limit = sign ? 1ul << (bitsWide - 1) : (1ul << (bitsWide - 1)) - 1;
        if (ip > limit) return false;
        value = sign ? (long)(0 - ip) : (long)ip;
        return true;
    }
}
