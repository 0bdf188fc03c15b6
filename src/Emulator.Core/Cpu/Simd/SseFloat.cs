using System.Numerics;

namespace Emulator.Core.Cpu.Simd;

/// <summary>
/// IEEE 754 binary32/binary64 arithmetic as the SSE unit does it (SDM Vol. 1 §4.8, §11.5): rounding by MXCSR.RC,
/// the six exception flags, DAZ (denormal source → signed zero, no DE) and FTZ (masked underflow → signed zero, UE+PE),
/// tininess after rounding, the QNaN "real indefinite" for invalid operations and Intel's NaN rules (the first
/// source NaN wins, quieted). Values are raw bit patterns; <c>d</c> selects binary64. Flags are OR-ed into
/// <c>flags</c>; the caller decides about unmasked exceptions.
/// </summary>
public static class SseFloat
{
    public enum Op { Add, Sub, Mul, Div, Min, Max, Sqrt }

    private static int FracBits(bool d) => d ? 52 : 23;

    private static int Bias(bool d) => d ? 1023 : 127;

    private static int ExpMax(bool d) => d ? 2047 : 255;

    public static ulong SignBit(bool d) => d ? 1ul << 63 : 1ul << 31;

    private static ulong FracMask(bool d) => (1ul << FracBits(d)) - 1;

    public static int ExpOf(ulong x, bool d) => (int)(x >> FracBits(d)) & ExpMax(d);

    public static bool IsNaN(ulong x, bool d) => ExpOf(x, d) == ExpMax(d) && (x & FracMask(d)) != 0;

    public static bool IsSNaN(ulong x, bool d) => IsNaN(x, d) && (x & (1ul << (FracBits(d) - 1))) == 0;

    public static bool IsInf(ulong x, bool d) => ExpOf(x, d) == ExpMax(d) && (x & FracMask(d)) == 0;

    public static bool IsZero(ulong x, bool d) => (x & ~SignBit(d) & (d ? ~0ul : 0xFFFF_FFFFul)) == 0;

    public static bool IsDenormal(ulong x, bool d) => ExpOf(x, d) == 0 && (x & FracMask(d)) != 0;

    public static ulong Quiet(ulong x, bool d) => x | (1ul << (FracBits(d) - 1));

    /// <summary>The QNaN floating-point indefinite (sign 1, quiet bit, zero payload).</summary>
    public static ulong Indefinite(bool d) => d ? 0xFFF8_0000_0000_0000ul : 0xFFC0_0000ul;

    private static ulong Inf(bool sign, bool d) => (sign ? SignBit(d) : 0) | ((ulong)ExpMax(d) << FracBits(d));

    private static ulong Zero(bool sign, bool d) => sign ? SignBit(d) : 0;

    private static bool Sign(ulong x, bool d) => (x & SignBit(d)) != 0;

    /// <summary>DAZ, or DE for a denormal source.</summary>
    private static ulong Source(ulong x, bool d, uint mxcsr, ref uint flags)
    {
        if (!IsDenormal(x, d)) return x;
        if ((mxcsr & Mxcsr.DAZ) != 0) return x & SignBit(d);
        flags |= Mxcsr.DE;
        return x;
    }

    /// <summary>DAZ only (for operations that do not signal DE).</summary>
    private static ulong DazOnly(ulong x, bool d, uint mxcsr) => IsDenormal(x, d) && (mxcsr & Mxcsr.DAZ) != 0 ? x & SignBit(d) : x;

    /// <summary>Finite nonzero value as sig/2^62 × 2^e with the top bit of sig at bit 62.</summary>
    private static void Unpack(ulong x, bool d, out int e, out ulong sig)
    {
        int fb = FracBits(d);
        int ex = ExpOf(x, d);
        ulong f = x & FracMask(d);
        if (ex == 0)
        {
            sig = f << (62 - fb);
            e = 1 - Bias(d);
            int lz = BitOperations.LeadingZeroCount(sig) - 1;
            sig <<= lz;
            e -= lz;
        }
        else
        {
            sig = (f | (1ul << fb)) << (62 - fb);
            e = ex - Bias(d);
        }
    }

    private static ulong ShiftRightJam(ulong v, int n)
    {
        if (n <= 0) return v;
        if (n >= 63) return v != 0 ? 1ul : 0ul;
        return (v >> n) | ((v & ((1ul << n) - 1)) != 0 ? 1ul : 0ul);
    }

    /// <summary>Rounds p/2^point × 2^e (p nonzero) to the format.</summary>
    public static ulong RoundPack(bool sign, int e, UInt128 p, int point, bool d, uint mxcsr, ref uint flags)
    {
        int msb = 127 - (int)UInt128.LeadingZeroCount(p);
        e += msb - point;
        ulong sig;
        if (msb > 62)
        {
            int sh = msb - 62;
            sig = (ulong)(p >> sh) | ((p & ((UInt128.One << sh) - 1)) != 0 ? 1ul : 0ul);
        }
        else
        {
            sig = (ulong)p << (62 - msb);
        }
        return RoundPack(sign, e, sig, d, mxcsr, ref flags);
    }

    /// <summary>Rounds sig/2^62 × 2^e (top bit of sig at bit 62) to the format.</summary>
    public static ulong RoundPack(bool sign, int e, ulong sig, bool d, uint mxcsr, ref uint flags)
    {
        int fb = FracBits(d);
        int shift = 62 - fb;
        ulong roundMask = (1ul << shift) - 1, half = 1ul << (shift - 1);
        int rc = Mxcsr.Rounding(mxcsr);
        ulong incr = rc == 0 ? half : rc == (sign ? 1 : 2) ? roundMask : 0;
        int be = e + Bias(d); // biased exponent if normal
        ulong s = sign ? SignBit(d) : 0;
        if (be <= 0)
        {
            bool tiny = be < 0 || sig + incr < (1ul << 63);
            sig = ShiftRightJam(sig, 1 - be);
            ulong rbits = sig & roundMask;
            if (tiny && (mxcsr & Mxcsr.UM) == 0)
            {
                flags |= Mxcsr.UE | (rbits != 0 ? Mxcsr.PE : 0);
                return s; // not stored: unmasked underflow faults
            }
            if (tiny && (mxcsr & Mxcsr.FZ) != 0)
            {
                flags |= Mxcsr.UE | Mxcsr.PE;
                return s;
            }
            if (rbits != 0) flags |= Mxcsr.PE | (tiny ? Mxcsr.UE : 0);
            ulong r = (sig + incr) >> shift;
            if (rc == 0 && rbits == half) r &= ~1ul;
            return s | r;
        }
        if (be >= ExpMax(d) - 1 && (be > ExpMax(d) - 1 || sig + incr >= (1ul << 63)))
        {
            flags |= Mxcsr.OE | Mxcsr.PE;
            return incr != 0 ? Inf(sign, d) : s | (((ulong)(ExpMax(d) - 1) << fb) | FracMask(d));
        }
        ulong rb = sig & roundMask;
        if (rb != 0) flags |= Mxcsr.PE;
        ulong m = (sig + incr) >> shift;
        if (rc == 0 && rb == half) m &= ~1ul;
        return s | (((ulong)(be - 1) << fb) + m);
    }

    /// <summary>NaN operands (SDM Vol. 1 Table 4-7): IE on an SNaN, result the first NaN source, quieted.</summary>
    private static bool NaNs(ulong a, ulong b, bool d, ref uint flags, out ulong r)
    {
        bool na = IsNaN(a, d), nb = IsNaN(b, d);
        r = 0;
        if (!na && !nb) return false;
        if (IsSNaN(a, d) || IsSNaN(b, d)) flags |= Mxcsr.IE;
        r = Quiet(na ? a : b, d);
        return true;
    }

    public static ulong Binary(Op op, ulong a, ulong b, bool d, uint mxcsr, ref uint flags)
    {
        switch (op)
        {
            case Op.Min: case Op.Max: return MinMax(a, b, op == Op.Max, d, mxcsr, ref flags);
            case Op.Sqrt: return Sqrt(b, d, mxcsr, ref flags);
        }
        if (NaNs(a, b, d, ref flags, out ulong nan)) return nan;
        a = Source(a, d, mxcsr, ref flags);
        b = Source(b, d, mxcsr, ref flags);
        return op switch
        {
            Op.Add => AddSub(a, b, false, d, mxcsr, ref flags),
            Op.Sub => AddSub(a, b, true, d, mxcsr, ref flags),
            Op.Mul => Mul(a, b, d, mxcsr, ref flags),
            _ => Div(a, b, d, mxcsr, ref flags),
        };
    }

    private static ulong AddSub(ulong a, ulong b, bool sub, bool d, uint mxcsr, ref uint flags)
    {
        bool sa = Sign(a, d), sb = Sign(b, d) ^ sub;
        bool ia = IsInf(a, d), ib = IsInf(b, d);
        if (ia || ib)
        {
            if (ia && ib && sa != sb)
            {
                flags |= Mxcsr.IE;
                return Indefinite(d);
            }
            return Inf(ia ? sa : sb, d);
        }
        bool za = IsZero(a, d), zb = IsZero(b, d);
        if (za && zb) return Zero(sa == sb ? sa : Mxcsr.Rounding(mxcsr) == 1, d);
        if (zb) return Repack(sa, a, d, mxcsr, ref flags);
        if (za) return Repack(sb, b, d, mxcsr, ref flags);
        Unpack(a, d, out int ea, out ulong ma);
        Unpack(b, d, out int eb, out ulong mb);
        if (ea < eb || (ea == eb && ma < mb))
        {
            (ea, eb) = (eb, ea);
            (ma, mb) = (mb, ma);
            (sa, sb) = (sb, sa);
        }
        mb = ShiftRightJam(mb, ea - eb);
        if (sa == sb) return RoundPack(sa, ea, (UInt128)(ma + mb), 62, d, mxcsr, ref flags);
        ulong r = ma - mb;
        if (r == 0) return Zero(Mxcsr.Rounding(mxcsr) == 1, d);
        return RoundPack(sa, ea, (UInt128)r, 62, d, mxcsr, ref flags);
    }

    /// <summary>A finite nonzero source re-rounded as a result (applies FTZ/underflow to a denormal result).</summary>
    private static ulong Repack(bool sign, ulong x, bool d, uint mxcsr, ref uint flags)
    {
        Unpack(x, d, out int e, out ulong m);
        return RoundPack(sign, e, m, d, mxcsr, ref flags);
    }

    private static ulong Mul(ulong a, ulong b, bool d, uint mxcsr, ref uint flags)
    {
        bool s = Sign(a, d) ^ Sign(b, d);
        bool ia = IsInf(a, d), ib = IsInf(b, d), za = IsZero(a, d), zb = IsZero(b, d);
        if ((ia && zb) || (ib && za))
        {
            flags |= Mxcsr.IE;
            return Indefinite(d);
        }
        if (ia || ib) return Inf(s, d);
        if (za || zb) return Zero(s, d);
        Unpack(a, d, out int ea, out ulong ma);
        Unpack(b, d, out int eb, out ulong mb);
        return RoundPack(s, ea + eb, (UInt128)ma * mb, 124, d, mxcsr, ref flags);
    }

    private static ulong Div(ulong a, ulong b, bool d, uint mxcsr, ref uint flags)
    {
        bool s = Sign(a, d) ^ Sign(b, d);
        bool ia = IsInf(a, d), ib = IsInf(b, d), za = IsZero(a, d), zb = IsZero(b, d);
        if ((ia && ib) || (za && zb))
        {
            flags |= Mxcsr.IE;
            return Indefinite(d);
        }
        if (ia) return Inf(s, d);
        if (ib) return Zero(s, d);
        if (zb)
        {
            flags |= Mxcsr.ZE;
            return Inf(s, d);
        }
        if (za) return Zero(s, d);
        Unpack(a, d, out int ea, out ulong ma);
        Unpack(b, d, out int eb, out ulong mb);
        UInt128 num = (UInt128)ma << 64;
        UInt128 q = num / mb;
        if (q * mb != num) q |= 1;
        return RoundPack(s, ea - eb, q, 64, d, mxcsr, ref flags);
    }

    private static ulong Sqrt(ulong b, bool d, uint mxcsr, ref uint flags)
    {
        if (IsNaN(b, d))
        {
            if (IsSNaN(b, d)) flags |= Mxcsr.IE;
            return Quiet(b, d);
        }
        // A negative operand is invalid before it is a denormal (no DE); DAZ makes a negative denormal -0.
        b = DazOnly(b, d, mxcsr);
        bool s = Sign(b, d);
        if (IsZero(b, d)) return b;
        if (s)
        {
            flags |= Mxcsr.IE;
            return Indefinite(d);
        }
        b = Source(b, d, mxcsr, ref flags);
        if (IsInf(b, d)) return b;
        Unpack(b, d, out int e, out ulong m);
        bool odd = (e & 1) != 0;
        UInt128 n = (UInt128)m << (64 + (odd ? 1 : 0));
        int eh = (e - (odd ? 1 : 0)) / 2;
        UInt128 op = n, res = 0, one = UInt128.One << 126;
        while (one != 0)
        {
            if (op >= res + one)
            {
                op -= res + one;
                res = (res >> 1) + one;
            }
            else
            {
                res >>= 1;
            }
            one >>= 2;
        }
        if (op != 0) res |= 1;
        return RoundPack(false, eh, res, 63, d, mxcsr, ref flags);
    }

    /// <summary>MINPS/MAXPS: any NaN (IE even for a QNaN) or both zeros return the second operand unchanged.</summary>
    private static ulong MinMax(ulong a, ulong b, bool max, bool d, uint mxcsr, ref uint flags)
    {
        a = DazOnly(a, d, mxcsr);
        b = DazOnly(b, d, mxcsr);
        if (IsNaN(a, d) || IsNaN(b, d))
        {
            flags |= Mxcsr.IE;
            return b;
        }
        a = Source(a, d, mxcsr, ref flags);
        b = Source(b, d, mxcsr, ref flags);
        if (IsZero(a, d) && IsZero(b, d)) return b;
        int c = CompareValues(a, b, d);
        return max ? (c > 0 ? a : b) : (c < 0 ? a : b);
    }

    /// <summary>-1, 0, 1 for non-NaN values (zeros equal).</summary>
    private static int CompareValues(ulong a, ulong b, bool d)
    {
        if (IsZero(a, d) && IsZero(b, d)) return 0;
        bool sa = Sign(a, d), sb = Sign(b, d);
        if (sa != sb) return sa ? -1 : 1;
        ulong ma = a & ~SignBit(d), mb = b & ~SignBit(d);
        if (ma == mb) return 0;
        return (ma < mb) ^ sa ? -1 : 1;
    }

    /// <summary>Relation for compares: 0 equal, -1 less, 1 greater, 2 unordered; IE for SNaN (or any NaN when signaling).</summary>
    public static int Compare(ulong a, ulong b, bool d, bool signalQnan, uint mxcsr, ref uint flags)
    {
        if (IsNaN(a, d) || IsNaN(b, d))
        {
            if (signalQnan || IsSNaN(a, d) || IsSNaN(b, d)) flags |= Mxcsr.IE;
            return 2;
        }
        a = Source(a, d, mxcsr, ref flags);
        b = Source(b, d, mxcsr, ref flags);
        return CompareValues(a, b, d);
    }

    /// <summary>CMPPS/CMPPD predicates 0-7 (SDM Vol. 2A Table 3-7): an all-ones or all-zeros mask.</summary>
    public static bool Predicate(int imm, ulong a, ulong b, bool d, uint mxcsr, ref uint flags)
    {
        imm &= 7;
        bool signaling = imm is 1 or 2 or 5 or 6;
        int rel = Compare(a, b, d, signaling, mxcsr, ref flags);
        return imm switch
        {
            0 => rel == 0,
            1 => rel == -1,
            2 => rel is -1 or 0,
            3 => rel == 2,
            4 => rel != 0,
            5 => rel != -1,
            6 => rel is not (-1 or 0),
            _ => rel != 2,
        };
    }

    /// <summary>Float → signed integer of 32 or 64 bits; NaN or out of range gives the integer indefinite and IE.</summary>
    public static ulong ToInt(ulong x, bool d, int bits, bool truncate, uint mxcsr, ref uint flags)
    {
        ulong indefinite = 1ul << (bits - 1);
        if (IsNaN(x, d) || IsInf(x, d))
        {
            flags |= Mxcsr.IE;
            return indefinite;
        }
        x = DazOnly(x, d, mxcsr);
        if (IsZero(x, d)) return 0;
        bool s = Sign(x, d);
        Unpack(x, d, out int e, out ulong m);
        if (e >= 64)
        {
            flags |= Mxcsr.IE;
            return indefinite;
        }
        // value = m × 2^(e-62); integer part and 64-bit fraction.
        UInt128 p = (UInt128)m << 64;
        int sh = 62 - e;
        UInt128 q;
        if (sh >= 128) q = 1;
        else if (sh > 0) q = (p >> sh) | ((p & ((UInt128.One << sh) - 1)) != 0 ? UInt128.One : UInt128.Zero);
        else q = p << -sh;
        UInt128 ip = q >> 64;
        ulong frac = (ulong)q;
        int rc = truncate ? 3 : Mxcsr.Rounding(mxcsr);
        bool up = rc switch
        {
            0 => frac > (1ul << 63) || (frac == (1ul << 63) && (ip & 1) != 0),
            1 => s && frac != 0,
            2 => !s && frac != 0,
            _ => false,
        };
        if (up) ip++;
        UInt128 limit = s ? (UInt128)indefinite : (UInt128)(indefinite - 1);
        if (ip > limit)
        {
            flags |= Mxcsr.IE;
            return indefinite;
        }
        if (frac != 0) flags |= Mxcsr.PE;
        ulong v = (ulong)ip;
        if (s) v = 0 - v;
        return bits == 64 ? v : v & 0xFFFF_FFFFul;
    }

    /// <summary>Signed integer → float, rounded by MXCSR.RC.</summary>
    public static ulong FromInt(long v, bool d, uint mxcsr, ref uint flags)
    {
        if (v == 0) return 0;
        bool s = v < 0;
        ulong m = s ? 0 - (ulong)v : (ulong)v;
        return RoundPack(s, 0, (UInt128)m, 0, d, mxcsr, ref flags);
    }

    /// <summary>binary32 ↔ binary64 (CVTSS2SD/CVTSD2SS and packed forms).</summary>
    public static ulong Convert(ulong x, bool fromDouble, uint mxcsr, ref uint flags)
    {
        bool sd = fromDouble, dd = !fromDouble;
        bool s = Sign(x, sd);
        if (IsNaN(x, sd))
        {
            if (IsSNaN(x, sd)) flags |= Mxcsr.IE;
            ulong payload = x & FracMask(sd);
            payload = fromDouble ? payload >> 29 : payload << 29;
            return Quiet(Inf(s, dd) | payload, dd);
        }
        if (IsInf(x, sd)) return Inf(s, dd);
        x = Source(x, sd, mxcsr, ref flags);
        if (IsZero(x, sd)) return Zero(s, dd);
        Unpack(x, sd, out int e, out ulong m);
        return RoundPack(s, e, m, dd, mxcsr, ref flags);
    }

    /// <summary>
    /// RCPPS/RSQRTPS approximation (relative error ≤ 1.5 × 2^-12, SDM Vol. 2B): the exact result truncated to 12
    /// fraction bits. Denormal sources count as zero and tiny results are flushed; no MXCSR flags.
    /// </summary>
    public static uint Approx(uint x, bool rsqrt)
    {
        bool s = (x & 0x8000_0000u) != 0;
        uint sign = x & 0x8000_0000u;
        if (IsNaN(x, false)) return (uint)Quiet(x, false);
        if (ExpOf(x, false) == 0) return rsqrt ? sign | 0x7F80_0000u : sign | 0x7F80_0000u;
        if (IsInf(x, false)) return rsqrt ? (s ? 0xFFC0_0000u : 0u) : sign;
        if (rsqrt && s) return 0xFFC0_0000u;
        double v = BitConverter.UInt32BitsToSingle(x);
        double r = rsqrt ? 1.0 / Math.Sqrt(v) : 1.0 / v;
        ulong bitsD = BitConverter.DoubleToUInt64Bits(r);
        int e = (int)((bitsD >> 52) & 0x7FF) - 1023;
        if (e < -126) return sign;
        if (e > 127) return sign | 0x7F80_0000u;
        uint frac = (uint)((bitsD >> (52 - 23)) & 0x7F_FFFFu) & ~0x7FFu;
        return sign | ((uint)(e + 127) << 23) | frac;
    }
}
