using System.Numerics;

namespace Emulator.Core.Cpu.Fpu;

/// <summary>
/// Software IEEE 754 arithmetic on x87 double-extended values (SDM Vol. 1 chapter 4 and §8.5), with the x87's
/// rounding control, precision control, exception flags, C1 (rounded up), denormal handling and NaN rules.
/// Intermediate values are exact or carry a sticky bit; every result is rounded once.
/// </summary>
public static partial class SoftFloat80
{
    /// <summary>Exponent wrap applied to results of unmasked overflow/underflow kept on the stack (SDM Vol. 1 §8.5.3.2).</summary>
    public const int ExponentWrap = 24576;

    private const ulong IntBit = 0x8000_0000_0000_0000;
    private const ulong QuietBit = 0x4000_0000_0000_0000;

    // ---------- unpack / round / pack ----------

    /// <summary>Unbiased exponent and normalized significand (bit 63 set) of a finite non-zero value.</summary>
    public static void Normalize(Float80 a, out int exp, out ulong sig)
    {
        sig = a.Significand;
        if (a.Exponent == 0)
        {
            int lz = BitOperations.LeadingZeroCount(sig);
            sig <<= lz;
            exp = 1 - Float80.Bias - lz;
        }
        else
        {
            exp = a.Exponent - Float80.Bias;
        }
    }

    /// <summary>Shifts right by <paramref name="n"/>, or-ing every bit shifted out into bit 0.</summary>
    public static UInt128 ShiftRightJam(UInt128 v, int n)
    {
        if (n <= 0) return v;
        if (n >= 128) return v != 0 ? UInt128.One : UInt128.Zero;
        UInt128 r = v >> n;
        if ((v & ((UInt128.One << n) - 1)) != 0) r |= 1;
        return r;
    }

    /// <summary>
    /// Rounds sign × sig/2^127 × 2^exp (sig normalized, bit 127 set) to <paramref name="precision"/> significand bits in a
    /// format with the given exponent bias. Returns the biased exponent field and the significand left-aligned in 64 bits
    /// (explicit integer bit at 63; zero at exponent field 0 for denormals). <paramref name="wrap"/> applies the x87's
    /// exponent wrap for unmasked overflow/underflow (register destinations); without it the caller must not store
    /// when OE/UE are unmasked and flagged.
    /// </summary>
    public static (int Exp, ulong Sig) RoundPack(bool sign, int exp, UInt128 sig, int bias, int precision, ref FpEnv env, bool wrap)
    {
        int e = exp + bias;
        int maxE = 2 * bias + 1;
        bool ueMasked = (env.Masks & FpEnv.UE) != 0, oeMasked = (env.Masks & FpEnv.OE) != 0;
        if (e <= 0)
        {
            bool carryIfNormal = RoundCarries(sig, precision, sign, env.Rounding);
            bool tiny = e < 0 || !carryIfNormal;
            if (tiny && !ueMasked)
            {
                env.Flags |= FpEnv.UE;
                ulong k0 = RoundSig(sig, precision, sign, ref env, out bool c0);
                if (c0) e++;
                if (wrap) e += ExponentWrap;
                return (e, k0 << (64 - precision));
            }
            UInt128 den = ShiftRightJam(sig, 1 - e);
            int f0 = env.Flags;
            ulong k = RoundSig(den, precision, sign, ref env, out bool carry);
            bool inexact = (env.Flags & ~f0 & FpEnv.PE) != 0;
            if (tiny && inexact) env.Flags |= FpEnv.UE;
            int ef = 0;
            if (carry || (k >> (precision - 1)) != 0)
            {
                ef = 1;
                if (carry) k = 1ul << (precision - 1);
            }
            return (ef, k << (64 - precision));
        }
        ulong kept = RoundSig(sig, precision, sign, ref env, out bool cy);
        if (cy) e++;
        if (e >= maxE)
        {
            env.Flags |= FpEnv.OE;
            if (!oeMasked)
            {
                if (wrap) e -= ExponentWrap;
                return (e, kept << (64 - precision));
            }
            env.Flags |= FpEnv.PE;
            bool toInf = env.Rounding switch { 0 => true, 1 => sign, 2 => !sign, _ => false };
            if (toInf)
            {
                env.Flags |= FpEnv.C1;
                return (maxE, IntBit);
            }
            env.Flags &= ~FpEnv.C1;
            ulong max = precision == 64 ? ulong.MaxValue : ((1ul << precision) - 1) << (64 - precision);
            return (maxE - 1, max);
        }
        return (e, kept << (64 - precision));
    }

    private static bool RoundCarries(UInt128 sig, int precision, bool sign, int rc)
    {
        var env = new FpEnv(rc, precision);
        RoundSig(sig, precision, sign, ref env, out bool carry);
        return carry;
    }

    /// <summary>Keeps the top <paramref name="precision"/> of 128 bits, rounded; on a carry out returns 2^(precision-1) and sets carry.</summary>
    private static ulong RoundSig(UInt128 sig, int precision, bool sign, ref FpEnv env, out bool carry)
    {
        int drop = 128 - precision;
        UInt128 mask = (UInt128.One << drop) - 1;
        UInt128 low = sig & mask;
        UInt128 half = UInt128.One << (drop - 1);
        ulong kept = (ulong)(sig >> drop);
        carry = false;
        if (low == 0) return kept;
        env.Flags |= FpEnv.PE;
        bool inc = env.Rounding switch
        {
            0 => low > half || (low == half && (kept & 1) != 0),
            1 => sign,
            2 => !sign,
            _ => false,
        };
        if (!inc)
        {
            env.Flags &= ~FpEnv.C1;
            return kept;
        }
        env.Flags |= FpEnv.C1;
        kept++;
        if (precision < 64 ? kept >> precision != 0 : kept == 0)
        {
            carry = true;
            kept = 1ul << (precision - 1);
        }
        return kept;
    }

    /// <summary>Rounds to a double-extended register value at <paramref name="precision"/> bits with exponent wrap.</summary>
    public static Float80 Pack80(bool sign, int exp, UInt128 sig, int precision, ref FpEnv env)
    {
        if (sig == 0) return Float80.Zero(sign);
        int lz = (int)UInt128.LeadingZeroCount(sig);
        if (lz != 0)
        {
            sig <<= lz;
            exp -= lz;
        }
        var (e, s) = RoundPack(sign, exp, sig, Float80.Bias, precision, ref env, true);
        return new Float80((ushort)((sign ? 0x8000 : 0) | (e & 0x7FFF)), s);
    }

    // ---------- operand checks ----------

    /// <summary>
    /// Handles NaN and unsupported operands of a two-operand arithmetic instruction (SDM Vol. 1 Table 4-7, §8.2.2).
    /// Returns true with the result when one applies.
    /// </summary>
    public static bool SpecialOperands(Float80 a, Float80 b, ref FpEnv env, out Float80 result)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            env.Flags |= FpEnv.IE;
            result = Float80.Indefinite;
            return true;
        }
        if (a.IsNaN || b.IsNaN)
        {
            result = PropagateNaN(a, b, ref env);
            return true;
        }
        result = default;
        return false;
    }

    /// <summary>x87 NaN rule: a QNaN beats an SNaN, otherwise the larger significand wins; SNaNs are quieted with IE.</summary>
    public static Float80 PropagateNaN(Float80 a, Float80 b, ref FpEnv env)
    {
        if (a.IsSignalingNaN || b.IsSignalingNaN) env.Flags |= FpEnv.IE;
        if (!b.IsNaN) return a.Quiet();
        if (!a.IsNaN) return b.Quiet();
        if (a.IsQuietNaN && b.IsSignalingNaN) return a;
        if (b.IsQuietNaN && a.IsSignalingNaN) return b;
        ulong ma = a.Significand | QuietBit, mb = b.Significand | QuietBit;
        if (ma > mb) return a.Quiet();
        if (mb > ma) return b.Quiet();
        return (a.Sign ? b : a).Quiet();
    }

    /// <summary>Single-operand NaN/unsupported handling; true when it produced the result.</summary>
    public static bool SpecialOperand(Float80 a, ref FpEnv env, out Float80 result)
    {
        if (a.IsUnsupported)
        {
            env.Flags |= FpEnv.IE;
            result = Float80.Indefinite;
            return true;
        }
        if (a.IsNaN)
        {
            if (a.IsSignalingNaN) env.Flags |= FpEnv.IE;
            result = a.Quiet();
            return true;
        }
        result = default;
        return false;
    }

    private static Float80 Invalid(ref FpEnv env)
    {
        env.Flags |= FpEnv.IE;
        return Float80.Indefinite;
    }

    private static void CheckDenormal(Float80 a, ref FpEnv env)
    {
        if (a.IsDenormal) env.Flags |= FpEnv.DE;
    }

    // ---------- arithmetic ----------

    public static Float80 Add(Float80 a, Float80 b, ref FpEnv env) => AddSub(a, b, false, ref env);

    public static Float80 Sub(Float80 a, Float80 b, ref FpEnv env) => AddSub(a, b, true, ref env);

    private static Float80 AddSub(Float80 a, Float80 b, bool subtract, ref FpEnv env)
    {
        if (SpecialOperands(a, b, ref env, out var r)) return r;
        if (subtract) b = b.Negate();
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsInfinity && b.IsInfinity && a.Sign != b.Sign) return Invalid(ref env);
            CheckDenormal(a, ref env);
            CheckDenormal(b, ref env);
            return a.IsInfinity ? a : b;
        }
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (a.IsZero && b.IsZero)
            return Float80.Zero(a.Sign == b.Sign ? a.Sign : env.Rounding == 1);
        if (a.IsZero) return Round80(b, env.Precision, ref env);
        if (b.IsZero) return Round80(a, env.Precision, ref env);
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        bool signA = a.Sign, signB = b.Sign;
        if (ea < eb || (ea == eb && sa < sb))
        {
            (ea, eb) = (eb, ea);
            (sa, sb) = (sb, sa);
            (signA, signB) = (signB, signA);
        }
        UInt128 x = (UInt128)sa << 63;
        UInt128 y = ShiftRightJam((UInt128)sb << 63, ea - eb);
        UInt128 z = signA == signB ? x + y : x - y;
        if (z == 0) return Float80.Zero(env.Rounding == 1);
        return Pack80(signA, ea + 1, z, env.Precision, ref env);
    }

    /// <summary>Rounds a finite value to the given precision (x + 0 under precision control).</summary>
    public static Float80 Round80(Float80 a, int precision, ref FpEnv env)
    {
        if (a.IsZero) return a;
        Normalize(a, out int e, out ulong s);
        return Pack80(a.Sign, e, (UInt128)s << 64, precision, ref env);
    }

    public static Float80 Mul(Float80 a, Float80 b, ref FpEnv env)
    {
        if (SpecialOperands(a, b, ref env, out var r)) return r;
        bool sign = a.Sign ^ b.Sign;
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsZero || b.IsZero) return Invalid(ref env);
            CheckDenormal(a, ref env);
            CheckDenormal(b, ref env);
            return Float80.Infinity(sign);
        }
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (a.IsZero || b.IsZero) return Float80.Zero(sign);
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        UInt128 p = (UInt128)sa * sb;
        return Pack80(sign, ea + eb + 1, p, env.Precision, ref env);
    }

    public static Float80 Div(Float80 a, Float80 b, ref FpEnv env)
    {
        if (SpecialOperands(a, b, ref env, out var r)) return r;
        bool sign = a.Sign ^ b.Sign;
        if (a.IsInfinity)
        {
            if (b.IsInfinity) return Invalid(ref env);
            CheckDenormal(b, ref env);
            return Float80.Infinity(sign);
        }
        if (b.IsInfinity)
        {
            CheckDenormal(a, ref env);
            return Float80.Zero(sign);
        }
        if (b.IsZero)
        {
            if (a.IsZero) return Invalid(ref env);
            env.Flags |= FpEnv.ZE;
            return Float80.Infinity(sign);
        }
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (a.IsZero) return Float80.Zero(sign);
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        UInt128 n = (UInt128)sa << 63;
        UInt128 q1 = n / sb, rem = n % sb;
        UInt128 n2 = rem << 64;
        UInt128 q2 = n2 / sb;
        bool sticky = n2 % sb != 0;
        UInt128 q = (q1 << 64) | q2;
        if (sticky) q |= 1;
        return Pack80(sign, ea - eb, q, env.Precision, ref env);
    }

    public static Float80 Sqrt(Float80 a, ref FpEnv env)
    {
        if (SpecialOperand(a, ref env, out var r)) return r;
        if (a.IsZero) return a;
        if (a.Sign) return Invalid(ref env);
        if (a.IsInfinity) return a;
        CheckDenormal(a, ref env);
        Normalize(a, out int e, out ulong s);
        // sqrt(s/2^63 × 2^e): make e even, N = m × 2^130 with m = s/2^63 (× 2 when e is odd), root = floor(sqrt(N)) has 66 bits.
        int shift = 67;
        if ((e & 1) != 0)
        {
            shift = 68;
            e--;
        }
        UInt128 rem = 0, root = 0;
        for (int bit = 131; bit >= 1; bit -= 2)
        {
            int pair = (NBit(s, shift, bit) << 1) | NBit(s, shift, bit - 1);
            rem = (rem << 2) | (uint)pair;
            UInt128 trial = (root << 2) | 1;
            if (rem >= trial)
            {
                rem -= trial;
                root = (root << 1) | 1;
            }
            else
            {
                root <<= 1;
            }
        }
        UInt128 q = root << 62;
        if (rem != 0) q |= 1;
        return Pack80(false, e / 2, q, env.Precision, ref env);
    }

    private static int NBit(ulong s, int shift, int bit)
    {
        int k = bit - shift;
        return k is >= 0 and < 64 ? (int)((s >> k) & 1) : 0;
    }

    // ---------- integers ----------

    /// <summary>
    /// Magnitude of a finite value rounded to an integer with rounding control <paramref name="rc"/>; sets PE and C1.
    /// Valid for magnitudes below 2^64 (exp ≤ 63); <paramref name="overflow"/> otherwise.
    /// </summary>
    public static ulong RoundToIntegerMagnitude(Float80 a, int rc, ref FpEnv env, out bool overflow)
    {
        overflow = false;
        if (a.IsZero) return 0;
        Normalize(a, out int e, out ulong s);
        if (e > 63)
        {
            overflow = true;
            return 0;
        }
        UInt128 fixedPoint = e >= -1 ? (UInt128)s << (e + 1) : ShiftRightJam(s, -(e + 1));
        ulong ip = (ulong)(fixedPoint >> 64);
        ulong frac = (ulong)fixedPoint;
        if (frac == 0) return ip;
        env.Flags |= FpEnv.PE;
        bool inc = rc switch
        {
            0 => frac > IntBit || (frac == IntBit && (ip & 1) != 0),
            1 => a.Sign,
            2 => !a.Sign,
            _ => false,
        };
        if (inc)
        {
            env.Flags |= FpEnv.C1;
            ip++;
            if (ip == 0) overflow = true;
        }
        else
        {
            env.Flags &= ~FpEnv.C1;
        }
        return ip;
    }

    /// <summary>FRNDINT: round to an integral value with the rounding control (precision control does not apply).</summary>
    public static Float80 RoundToInt(Float80 a, ref FpEnv env)
    {
        if (SpecialOperand(a, ref env, out var r)) return r;
        if (a.IsInfinity || a.IsZero) return a;
        CheckDenormal(a, ref env);
        Normalize(a, out int e, out _);
        if (e >= 63) return a;
        ulong m = RoundToIntegerMagnitude(a, env.Rounding, ref env, out _);
        return FromUInt64(a.Sign, m);
    }

    public static Float80 FromUInt64(bool sign, ulong m)
    {
        if (m == 0) return Float80.Zero(sign);
        int lz = BitOperations.LeadingZeroCount(m);
        return new Float80((ushort)((sign ? 0x8000 : 0) | (Float80.Bias + 63 - lz)), m << lz);
    }

    public static Float80 FromInt64(long v) => FromUInt64(v < 0, v < 0 ? (ulong)-(v + 1) + 1 : (ulong)v);

    /// <summary>
    /// Conversion to a signed integer of <paramref name="bits"/> (16, 32, 64) with rounding control <paramref name="rc"/>
    /// (3 for FISTTP). Invalid (NaN, infinity, out of range) sets IE and returns the integer indefinite.
    /// </summary>
    public static long ToInt(Float80 a, int bits, int rc, ref FpEnv env)
    {
        long indefinite = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        if (a.IsNaN || a.IsUnsupported || a.IsInfinity)
        {
            env.Flags |= FpEnv.IE;
            return indefinite;
        }
        var probe = env;
        ulong m = RoundToIntegerMagnitude(a, rc, ref probe, out bool overflow);
        ulong limit = a.Sign ? 1ul << (bits - 1) : (1ul << (bits - 1)) - 1;
        if (overflow || m > limit)
        {
            env.Flags |= FpEnv.IE;
            return indefinite;
        }
        env = probe;
        return a.Sign ? (long)(0 - m) : (long)m;
    }

    // ---------- float32 / float64 ----------

    public static Float80 FromFloat32(uint v, ref FpEnv env) => FromBinary(v, 8, 23, ref env);

    public static Float80 FromFloat64(ulong v, ref FpEnv env) => FromBinary(v, 11, 52, ref env);

    private static Float80 FromBinary(ulong v, int expBits, int fracBits, ref FpEnv env)
    {
        bool sign = (v >> (expBits + fracBits)) != 0;
        int maxE = (1 << expBits) - 1, bias = maxE >> 1;
        int e = (int)((v >> fracBits) & (ulong)maxE);
        ulong f = v & ((1ul << fracBits) - 1);
        ushort sw = sign ? (ushort)0x8000 : (ushort)0;
        if (e == maxE)
        {
            if (f == 0) return Float80.Infinity(sign);
            var nan = new Float80((ushort)(sw | 0x7FFF), IntBit | (f << (63 - fracBits)));
            if (nan.IsSignalingNaN) env.Flags |= FpEnv.IE;
            return nan.Quiet();
        }
        if (e == 0)
        {
            if (f == 0) return Float80.Zero(sign);
            env.Flags |= FpEnv.DE;
            int lz = BitOperations.LeadingZeroCount(f);
            // value = f × 2^(1 - bias - fracBits)
            int exp = 1 - bias - fracBits + (63 - lz);
            return new Float80((ushort)(sw | (exp + Float80.Bias)), f << lz);
        }
        return new Float80((ushort)(sw | (e - bias + Float80.Bias)), IntBit | (f << (63 - fracBits)));
    }

    public static uint ToFloat32(Float80 a, ref FpEnv env) => (uint)ToBinary(a, 8, 23, ref env);

    public static ulong ToFloat64(Float80 a, ref FpEnv env) => ToBinary(a, 11, 52, ref env);

    private static ulong ToBinary(Float80 a, int expBits, int fracBits, ref FpEnv env)
    {
        ulong maxE = (1ul << expBits) - 1;
        int bias = (int)(maxE >> 1);
        if (a.IsUnsupported)
        {
            env.Flags |= FpEnv.IE;
            a = Float80.Indefinite;
        }
        ulong sign = a.Sign ? 1ul << (expBits + fracBits) : 0;
        if (a.IsNaN)
        {
            if (a.IsSignalingNaN) env.Flags |= FpEnv.IE;
            ulong frac = ((a.Significand | QuietBit) << 1) >> (64 - fracBits);
            return sign | (maxE << fracBits) | frac;
        }
        if (a.IsInfinity) return sign | (maxE << fracBits);
        if (a.IsZero) return sign;
        Normalize(a, out int e, out ulong s);
        var (ef, sig) = RoundPack(a.Sign, e, (UInt128)s << 64, bias, fracBits + 1, ref env, false);
        return sign | ((ulong)ef << fracBits) | ((sig << 1) >> (64 - fracBits));
    }

    // ---------- comparisons ----------

    /// <summary>Compare result: less, equal, greater, unordered.</summary>
    public enum Relation { Less, Equal, Greater, Unordered }

    /// <summary>FCOM (signaling: any NaN is invalid) or FUCOM (quiet: only SNaN is invalid) comparison.</summary>
    public static Relation Compare(Float80 a, Float80 b, bool quiet, ref FpEnv env)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            env.Flags |= FpEnv.IE;
            return Relation.Unordered;
        }
        if (a.IsNaN || b.IsNaN)
        {
            if (!quiet || a.IsSignalingNaN || b.IsSignalingNaN) env.Flags |= FpEnv.IE;
            return Relation.Unordered;
        }
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (a.IsZero && b.IsZero) return Relation.Equal;
        int ka = Key(a, out ulong ma), kb = Key(b, out ulong mb);
        int c;
        if (a.Sign != b.Sign && !(a.IsZero || b.IsZero)) c = a.Sign ? -1 : 1;
        else
        {
            // Compare as signed magnitudes.
            bool sa = a.IsZero ? !b.Sign : a.Sign;
            bool sb = b.IsZero ? !a.Sign : b.Sign;
            if (a.IsZero) return b.Sign ? Relation.Greater : Relation.Less;
            if (b.IsZero) return a.Sign ? Relation.Less : Relation.Greater;
            int mag = ka != kb ? ka.CompareTo(kb) : ma.CompareTo(mb);
            c = a.Sign ? -mag : mag;
            _ = sa;
            _ = sb;
        }
        return c < 0 ? Relation.Less : c > 0 ? Relation.Greater : Relation.Equal;
    }

    private static int Key(Float80 a, out ulong m)
    {
        if (a.IsInfinity)
        {
            m = 0;
            return int.MaxValue;
        }
        if (a.IsZero)
        {
            m = 0;
            return int.MinValue;
        }
        Normalize(a, out int e, out m);
        return e;
    }

    // ---------- scale, extract, remainder ----------

    /// <summary>FSCALE: ST(0) × 2^trunc(ST(1)) (SDM Vol. 2A FSCALE, Table 3-45).</summary>
    public static Float80 Scale(Float80 a, Float80 b, ref FpEnv env)
    {
        if (SpecialOperands(a, b, ref env, out var r)) return r;
        if (b.IsInfinity)
        {
            CheckDenormal(a, ref env);
            if (!b.Sign)
            {
                if (a.IsZero) return Invalid(ref env);
                return Float80.Infinity(a.Sign);
            }
            if (a.IsInfinity) return Invalid(ref env);
            return Float80.Zero(a.Sign);
        }
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (a.IsInfinity || a.IsZero) return a;
        Normalize(a, out int e, out ulong s);
        int n;
        if (b.IsZero) n = 0;
        else
        {
            Normalize(b, out int eb, out ulong sb);
            if (eb < 0) n = 0;
            else if (eb > 20) n = b.Sign ? -(1 << 20) : 1 << 20;
            else
            {
                int mag = (int)(sb >> (63 - eb));
                n = b.Sign ? -mag : mag;
            }
        }
        return Pack80(a.Sign, e + n, (UInt128)s << 64, 64, ref env);
    }

    /// <summary>FXTRACT: (exponent as a value, significand with exponent 0).</summary>
    public static (Float80 Exponent, Float80 Significand) Extract(Float80 a, ref FpEnv env)
    {
        if (SpecialOperand(a, ref env, out var r)) return (r, r);
        if (a.IsZero)
        {
            env.Flags |= FpEnv.ZE;
            return (Float80.Infinity(true), a);
        }
        if (a.IsInfinity) return (Float80.Infinity(false), a);
        CheckDenormal(a, ref env);
        Normalize(a, out int e, out ulong s);
        var sig = new Float80((ushort)((a.Sign ? 0x8000 : 0) | Float80.Bias), s);
        return (FromInt64(e), sig);
    }

    /// <summary>
    /// FPREM (<paramref name="nearest"/> false: truncating quotient) or FPREM1 (IEEE remainder). Returns the partial
    /// remainder and sets <paramref name="quotientBits"/> (Q2 Q1 Q0 in bits 2..0) and <paramref name="incomplete"/> (C2).
    /// </summary>
    public static Float80 Remainder(Float80 a, Float80 b, bool nearest, ref FpEnv env, out int quotientBits, out bool incomplete)
    {
        quotientBits = 0;
        incomplete = false;
        if (SpecialOperands(a, b, ref env, out var r)) return r;
        if (a.IsInfinity || b.IsZero) return Invalid(ref env);
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (b.IsInfinity || a.IsZero) return a;
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        int d = ea - eb;
        if (d < -1) return a;
        bool roundNearest = nearest;
        if (d >= 64)
        {
            // Partial reduction by 2^(d - n), n in 32..63 (SDM Vol. 2A FPREM).
            int n = 32 + (d & 31);
            eb += d - n;
            d = n;
            incomplete = true;
            roundNearest = false;
        }
        // a/b = (sa << (d+1)) / (sb << 1) at divisor exponent eb.
        UInt128 num = (UInt128)sa << (d + 1);
        UInt128 den = (UInt128)sb << 1;
        UInt128 q = num / den;
        UInt128 rem = num % den;
        bool sign = a.Sign;
        if (roundNearest)
        {
            UInt128 twice = rem << 1;
            if (twice > den || (twice == den && (q & 1) != 0))
            {
                q++;
                rem = den - rem;
                sign = !sign;
            }
        }
        if (!incomplete) quotientBits = (int)(q & 7);
        if (rem == 0) return Float80.Zero(a.Sign);
        // rem is in units of 2^(eb - 64).
        var env2 = env;
        env2.Masks |= FpEnv.UE;
        var res = Pack80(sign, eb - 64 + 127, rem, 64, ref env2);
        if (res.IsDenormal && (env.Masks & FpEnv.UE) == 0)
        {
            env.Flags |= FpEnv.UE;
            res = new Float80((ushort)(res.SignExp + ExponentWrap), res.Significand);
        }
        return res;
    }
}
