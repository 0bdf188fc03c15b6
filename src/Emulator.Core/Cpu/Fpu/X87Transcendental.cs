using System.Numerics;

namespace Emulator.Core.Cpu.Fpu;

/// <summary>
/// x87 transcendental instructions (SDM Vol. 2A F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS).
/// Values are evaluated in binary fixed point (BigInteger scaled by 2^F, F ≥ 320 bits and more for tiny inputs), with
/// exact argument reduction against a 700-bit π, then rounded once to double extended with the rounding control.
/// The results are the correctly rounded values except when the exact value lies within about 2^-250 (relative) of a
/// rounding boundary; real processors are within one ulp and match these for almost all inputs.
/// </summary>
public static class X87Transcendental
{
    private const int C = 700;
    private const int MinScale = 320;

    /// <summary>π × 2^C.</summary>
    private static readonly BigInteger PiC = ComputePi();

    /// <summary>
    /// π rounded to 66 significant bits, the value the processors use for FSIN/FCOS/FSINCOS/FPTAN argument reduction
    /// (SDM Vol. 1 §8.3.10): results for large arguments follow it, as the host reference vectors confirm.
    /// </summary>
    private static readonly BigInteger ReductionPiC = (PiC >> (C + 2 - 66)) << (C + 2 - 66);

    /// <summary>ln 2 × 2^C.</summary>
    private static readonly BigInteger Ln2C = ComputeLn2();

    private static BigInteger ArctanInv(int n, int scale)
    {
        BigInteger one = BigInteger.One << scale;
        BigInteger term = one / n, sum = 0, n2 = (BigInteger)n * n;
        for (int k = 0; !term.IsZero; k++)
        {
            BigInteger t = term / (2 * k + 1);
            sum += (k & 1) == 0 ? t : -t;
            term /= n2;
        }
        return sum;
    }

    private static BigInteger ComputePi()
    {
        const int g = 32;
        BigInteger pi = 16 * ArctanInv(5, C + g) - 4 * ArctanInv(239, C + g);
        return pi >> g;
    }

    private static BigInteger ComputeLn2()
    {
        const int g = 32;
        // ln 2 = 2 atanh(1/3)
        BigInteger one = BigInteger.One << (C + g);
        BigInteger term = one / 3, sum = 0;
        for (int k = 0; !term.IsZero; k++)
        {
            sum += term / (2 * k + 1);
            term /= 9;
        }
        return (2 * sum) >> g;
    }

    private static BigInteger Const(BigInteger c, int f) => f <= C ? c >> (C - f) : c << (f - C);

    // ---------- fixed-point helpers ----------

    /// <summary>
    /// Working scale for an operand: at least 320 fraction bits, and for a tiny operand enough that the first
    /// correction term (x², x³ relative to x) is still visible, so the direction of the rounding is right.
    /// </summary>
    private static int ScaleFor(Float80 a)
    {
        if (a.IsZero) return MinScale;
        SoftFloat80.Normalize(a, out int e, out _);
        return e >= 0 ? MinScale : MinScale + 64 - 3 * e;
    }

    private static BigInteger ToFixed(Float80 a, int f)
    {
        if (a.IsZero) return BigInteger.Zero;
        SoftFloat80.Normalize(a, out int e, out ulong s);
        int sh = f + e - 63;
        BigInteger m = sh >= 0 ? (BigInteger)s << sh : (BigInteger)s >> -sh;
        return a.Sign ? -m : m;
    }

    private static BigInteger Mul(BigInteger a, BigInteger b, int f)
    {
        BigInteger p = a * b;
        return p.Sign < 0 ? -((-p) >> f) : p >> f;
    }

    private static BigInteger Div(BigInteger a, BigInteger b, int f) => (a << f) / b;

    private static BigInteger Sqrt(BigInteger v, int f)
    {
        // floor(sqrt(v × 2^f)) by Newton's method.
        BigInteger n = v << f;
        if (n.IsZero) return n;
        BigInteger x = BigInteger.One << (int)((n.GetBitLength() + 1) / 2);
        while (true)
        {
            BigInteger y = (x + n / x) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }

    /// <summary>Rounds N / 2^f to double extended (64-bit precision, rounding control from env).</summary>
    private static Float80 FromFixed(BigInteger n, int f, ref FpEnv env)
    {
        bool sign = n.Sign < 0;
        BigInteger m = BigInteger.Abs(n);
        if (m.IsZero) return Float80.Zero(sign);
        int len = (int)m.GetBitLength();
        UInt128 sig;
        if (len > 128)
        {
            // The fixed-point value is an approximation: the sticky bit is always set (never claim exactness).
            sig = (UInt128)(m >> (len - 128)) | 1;
        }
        else
        {
            sig = ((UInt128)m << (128 - len)) | 1;
        }
        return SoftFloat80.Pack80(sign, len - 1 - f, sig, 64, ref env);
    }

    private static BigInteger ExpM1(BigInteger y, int f)
    {
        BigInteger sum = 0, term = y;
        for (int k = 2; !term.IsZero; k++)
        {
            sum += term;
            term = Mul(term, y, f) / k;
        }
        return sum;
    }

    private static BigInteger Atanh(BigInteger t, int f)
    {
        BigInteger t2 = Mul(t, t, f), sum = 0, p = t;
        for (int k = 0; !p.IsZero; k++)
        {
            sum += p / (2 * k + 1);
            p = Mul(p, t2, f);
        }
        return sum;
    }

    /// <summary>ln(x) for a positive fixed-point x given as a Float80 (exponent split off exactly).</summary>
    private static BigInteger Ln(Float80 x, int f)
    {
        SoftFloat80.Normalize(x, out int e, out ulong s);
        // m = s / 2^63 in [1, 2); use [0.75, 1.5) for a fast series.
        BigInteger m = (BigInteger)s << (f - 63);
        BigInteger one = BigInteger.One << f;
        if (s > 0xC000_0000_0000_0000)
        {
            m >>= 1;
            e++;
        }
        BigInteger ln = 2 * Atanh(Div(m - one, m + one, f), f);
        return ln + e * Const(Ln2C, f);
    }

    private static (BigInteger Sin, BigInteger Cos) SinCosSeries(BigInteger r, int f)
    {
        BigInteger r2 = Mul(r, r, f);
        BigInteger sin = 0, cos = 0, ts = r, tc = BigInteger.One << f;
        for (int k = 1; !(ts.IsZero && tc.IsZero); k += 2)
        {
            sin += ts;
            cos += tc;
            ts = -Mul(ts, r2, f) / ((k + 1) * (k + 2));
            tc = -Mul(tc, r2, f) / (k * (k + 1));
        }
        return (sin, cos);
    }

    /// <summary>atan(z) for 0 ≤ z ≤ 1 (two argument halvings, then the Taylor series).</summary>
    private static BigInteger Atan(BigInteger z, int f)
    {
        BigInteger one = BigInteger.One << f;
        // Halve the argument twice when it is not already small (atan z = 2 atan(z / (1 + sqrt(1 + z²)))).
        int halvings = z.GetBitLength() > f - 8 ? 2 : 0;
        for (int k = 0; k < halvings; k++) z = Div(z, one + Sqrt(one + Mul(z, z, f), f), f);
        BigInteger z2 = Mul(z, z, f), sum = 0, p = z;
        for (int k = 0; !p.IsZero; k++)
        {
            BigInteger t = p / (2 * k + 1);
            sum += (k & 1) == 0 ? t : -t;
            p = Mul(p, z2, f);
        }
        return sum << halvings;
    }

    /// <summary>x = k·π/2 + r with |r| ≤ π/4 (exact to about 2^-(f - 64)); returns k mod 4.</summary>
    private static int Reduce(Float80 x, int f, out BigInteger r)
    {
        BigInteger xf = BigInteger.Abs(ToFixed(x, f));
        BigInteger halfPi = Const(ReductionPiC, f) >> 1;
        BigInteger k = (xf + (halfPi >> 1)) / halfPi;
        r = xf - k * halfPi;
        return (int)(k & 3);
    }

    // ---------- instructions ----------

    private static bool Underflow0(FpuState f)
    {
        if (X87.StackFault(f, false)) X87.SetSt(f, 0, Float80.Indefinite);
        return false;
    }

    /// <summary>F2XM1: ST(0) = 2^ST(0) − 1 (defined for −1 ≤ ST(0) ≤ 1).</summary>
    public static void F2xm1(FpuState f)
    {
        if (X87.IsEmpty(f, 0))
        {
            Underflow0(f);
            return;
        }
        var env = X87.Env(f);
        env.Flags = 0;
        var x = X87.St(f, 0);
        Float80 r;
        if (SoftFloat80.SpecialOperand(x, ref env, out var sp)) r = sp;
        else if (x.IsZero) r = x;
        else if (x.IsInfinity) r = x.Sign ? new Float80(0xBFFF, 0x8000_0000_0000_0000) : x;
        else if (x == Float80.One) r = x;
        else if (x == Float80.One.Negate()) r = new Float80(0xBFFE, 0x8000_0000_0000_0000);
        else
        {
            if (x.IsDenormal) env.Flags |= FpEnv.DE;
            int sc = ScaleFor(x);
            BigInteger y = Mul(ToFixed(x, sc), Const(Ln2C, sc), sc);
            r = FromFixed(ExpM1(y, sc), sc, ref env);
        }
        if (!X87.Commit(f, env)) return;
        X87.SetSt(f, 0, r);
    }

    /// <summary>FYL2X: ST(1) = ST(1) × log2(ST(0)), pop; FYL2XP1: ST(1) = ST(1) × log2(ST(0) + 1), pop.</summary>
    public static void Fyl2x(FpuState f, bool plusOne)
    {
        if (X87.IsEmpty(f, 0) || X87.IsEmpty(f, 1))
        {
            if (X87.StackFault(f, false))
            {
                X87.SetSt(f, 1, Float80.Indefinite);
                X87.Pop(f);
            }
            return;
        }
        var env = X87.Env(f);
        env.Flags = 0;
        var x = X87.St(f, 0);
        var y = X87.St(f, 1);
        var r = plusOne ? Yl2xp1(x, y, ref env) : Yl2x(x, y, ref env);
        if (!X87.Commit(f, env)) return;
        X87.SetSt(f, 1, r);
        X87.Pop(f);
    }

    private static Float80 Invalid(ref FpEnv env)
    {
        env.Flags |= FpEnv.IE;
        return Float80.Indefinite;
    }

    private static Float80 Yl2x(Float80 x, Float80 y, ref FpEnv env)
    {
        if (SoftFloat80.SpecialOperands(x, y, ref env, out var sp)) return sp;
        if (x.Sign && !x.IsZero) return Invalid(ref env);
        if (x.IsDenormal || y.IsDenormal) env.Flags |= FpEnv.DE;
        if (x.IsZero)
        {
            if (y.IsZero) return Invalid(ref env);
            if (!y.IsInfinity) env.Flags |= FpEnv.ZE;
            return Float80.Infinity(!y.Sign);
        }
        if (x.IsInfinity)
        {
            if (y.IsZero) return Invalid(ref env);
            return Float80.Infinity(y.Sign);
        }
        if (x == Float80.One)
        {
            if (y.IsInfinity) return Invalid(ref env);
            return Float80.Zero(y.Sign);
        }
        if (y.IsInfinity) return Float80.Infinity(y.Sign ^ (x.Exponent < Float80.Bias));
        if (y.IsZero) return Float80.Zero(y.Sign ^ (x.Exponent < Float80.Bias));
        const int sc = MinScale + 64;
        BigInteger l = Div(Ln(x, sc), Const(Ln2C, sc), sc);
        return MulFixed(y, l, sc, ref env);
    }

    private static Float80 MulFixed(Float80 y, BigInteger l, int sc, ref FpEnv env)
    {
        SoftFloat80.Normalize(y, out int ey, out ulong sy);
        BigInteger p = l * sy;
        if (y.Sign) p = -p;
        // value = p / 2^(sc + 63 - ey)
        int f = sc + 63 - ey;
        if (f >= 0) return FromFixed(p, f, ref env);
        return FromFixed(p << -f, 0, ref env);
    }

    private static Float80 Yl2xp1(Float80 x, Float80 y, ref FpEnv env)
    {
        if (SoftFloat80.SpecialOperands(x, y, ref env, out var sp)) return sp;
        if (x.IsDenormal || y.IsDenormal) env.Flags |= FpEnv.DE;
        if (x.IsInfinity)
        {
            if (x.Sign || y.IsZero) return Invalid(ref env);
            return Float80.Infinity(y.Sign);
        }
        if (x.IsZero)
        {
            if (y.IsInfinity) return Invalid(ref env);
            return Float80.Zero(x.Sign ^ y.Sign);
        }
        if (y.IsInfinity) return Float80.Infinity(y.Sign ^ x.Sign);
        if (y.IsZero) return Float80.Zero(x.Sign ^ y.Sign);
        int sc = ScaleFor(x) + 64;
        BigInteger xf = ToFixed(x, sc);
        BigInteger one = BigInteger.One << sc;
        if (xf <= -one) return Invalid(ref env);
        BigInteger ln = 2 * Atanh(Div(xf, 2 * one + xf, sc), sc);
        BigInteger l = Div(ln, Const(Ln2C, sc), sc);
        return MulFixed(y, l, sc, ref env);
    }

    /// <summary>|x| ≥ 2^63: C2 = 1 and the operand is left unchanged (SDM Vol. 2A FSIN).</summary>
    private static bool OutOfRange(Float80 x) => !x.IsNaN && !x.IsInfinity && !x.IsUnsupported && x.Exponent >= Float80.Bias + 63;

    private enum Trig { Sin, Cos, Tan }

    private static Float80 Evaluate(Float80 x, Trig which, ref FpEnv env)
    {
        if (x.IsDenormal) env.Flags |= FpEnv.DE;
        if (x.IsZero) return which == Trig.Cos ? Float80.One : x;
        int sc = ScaleFor(x);
        int q = Reduce(x, sc, out BigInteger r);
        var (s, c) = SinCosSeries(r, sc);
        BigInteger v;
        bool neg = x.Sign;
        switch (which)
        {
            case Trig.Sin:
                v = q switch { 0 => s, 1 => c, 2 => -s, _ => -c };
                if (neg) v = -v;
                break;
            case Trig.Cos:
                v = q switch { 0 => c, 1 => -s, 2 => -c, _ => s };
                break;
            default:
                // Neither can be exactly zero for a 64-bit argument reduced by the 66-bit π; guard the division anyway.
                if (s.IsZero) s = BigInteger.One;
                if (c.IsZero) c = BigInteger.One;
                v = (q & 1) == 0 ? Div(s, c, sc) : -Div(c, s, sc);
                if (neg) v = -v;
                break;
        }
        return FromFixed(v, sc, ref env);
    }

    private static void TrigUnary(FpuState f, Trig which)
    {
        if (X87.IsEmpty(f, 0))
        {
            Underflow0(f);
            return;
        }
        var x = X87.St(f, 0);
        if (OutOfRange(x))
        {
            X87.SetC(f, (f.Status & X87.SW_C3) != 0, true, false, (f.Status & X87.SW_C0) != 0);
            return;
        }
        var env = X87.Env(f);
        env.Flags = 0;
        Float80 r;
        if (SoftFloat80.SpecialOperand(x, ref env, out var sp)) r = sp;
        else if (x.IsInfinity) r = Invalid(ref env);
        else r = Evaluate(x, which, ref env);
        if (!X87.Commit(f, env)) return;
        f.Status &= unchecked((ushort)~X87.SW_C2);
        X87.SetSt(f, 0, r);
    }

    public static void Fsin(FpuState f) => TrigUnary(f, Trig.Sin);

    public static void Fcos(FpuState f) => TrigUnary(f, Trig.Cos);

    /// <summary>FPTAN: ST(0) = tan(ST(0)), then push 1.0.</summary>
    public static void Fptan(FpuState f) => PushingTrig(f, false);

    /// <summary>FSINCOS: ST(0) = sin(ST(0)), then push cos.</summary>
    public static void Fsincos(FpuState f) => PushingTrig(f, true);

    private static void PushingTrig(FpuState f, bool sincos)
    {
        if (X87.IsEmpty(f, 0))
        {
            if (!X87.StackFault(f, false)) return;
            X87.SetSt(f, 0, Float80.Indefinite);
            X87.Push(f, Float80.Indefinite);
            return;
        }
        if (!X87.IsEmpty(f, 7))
        {
            if (!X87.StackFault(f, true)) return;
            X87.SetSt(f, 0, Float80.Indefinite);
            X87.Push(f, Float80.Indefinite);
            return;
        }
        var x = X87.St(f, 0);
        if (OutOfRange(x))
        {
            X87.SetC(f, (f.Status & X87.SW_C3) != 0, true, false, (f.Status & X87.SW_C0) != 0);
            return;
        }
        var env = X87.Env(f);
        env.Flags = 0;
        Float80 a, b;
        if (SoftFloat80.SpecialOperand(x, ref env, out var sp))
        {
            a = sp;
            b = sp;
        }
        else if (x.IsInfinity)
        {
            a = b = Invalid(ref env);
        }
        else if (sincos)
        {
            var e1 = env;
            a = Evaluate(x, Trig.Sin, ref e1);
            var e2 = env;
            b = Evaluate(x, Trig.Cos, ref e2);
            env.Flags = (e1.Flags | e2.Flags) & ~FpEnv.C1;
            env.Flags |= e1.Flags & FpEnv.C1;
        }
        else
        {
            a = Evaluate(x, Trig.Tan, ref env);
            b = Float80.One;
        }
        if (!X87.Commit(f, env)) return;
        f.Status &= unchecked((ushort)~X87.SW_C2);
        X87.SetSt(f, 0, a);
        X87.Push(f, b);
    }

    /// <summary>FPATAN: ST(1) = arctan(ST(1) / ST(0)) with the quadrant of (ST(0), ST(1)), pop.</summary>
    public static void Fpatan(FpuState f)
    {
        if (X87.IsEmpty(f, 0) || X87.IsEmpty(f, 1))
        {
            if (X87.StackFault(f, false))
            {
                X87.SetSt(f, 1, Float80.Indefinite);
                X87.Pop(f);
            }
            return;
        }
        var env = X87.Env(f);
        env.Flags = 0;
        var r = Atan2(X87.St(f, 1), X87.St(f, 0), ref env);
        if (!X87.Commit(f, env)) return;
        X87.SetSt(f, 1, r);
        X87.Pop(f);
    }

    private static Float80 PiMultiple(int num, int den, bool sign, ref FpEnv env)
    {
        BigInteger v = Const(PiC, MinScale) * num / den;
        return FromFixed(sign ? -v : v, MinScale, ref env);
    }

    private static Float80 Atan2(Float80 y, Float80 x, ref FpEnv env)
    {
        if (SoftFloat80.SpecialOperands(y, x, ref env, out var sp)) return sp;
        if (x.IsDenormal || y.IsDenormal) env.Flags |= FpEnv.DE;
        bool sy = y.Sign;
        if (y.IsZero)
        {
            return x.Sign ? PiMultiple(1, 1, sy, ref env) : y;
        }
        if (y.IsInfinity)
        {
            if (x.IsInfinity) return PiMultiple(x.Sign ? 3 : 1, 4, sy, ref env);
            return PiMultiple(1, 2, sy, ref env);
        }
        if (x.IsZero) return PiMultiple(1, 2, sy, ref env);
        if (x.IsInfinity) return x.Sign ? PiMultiple(1, 1, sy, ref env) : Float80.Zero(sy);
        // Ratio of the smaller to the larger magnitude, in fixed point scaled for its size.
        SoftFloat80.Normalize(x, out int ex, out ulong mx);
        SoftFloat80.Normalize(y, out int ey, out ulong my);
        bool swap = ey > ex || (ey == ex && my > mx);
        int eNum = swap ? ex : ey, eDen = swap ? ey : ex;
        ulong mNum = swap ? mx : my, mDen = swap ? my : mx;
        int d = eDen - eNum; // ≥ 0
        int sc = MinScale + 64 + 3 * d;
        BigInteger z = ((BigInteger)mNum << sc) / ((BigInteger)mDen << d);
        BigInteger a = Atan(z, sc);
        BigInteger pi = Const(PiC, sc);
        if (swap) a = (pi >> 1) - a;
        if (x.Sign) a = pi - a;
        return FromFixed(sy ? -a : a, sc, ref env);
    }
}
