namespace Emulator.Core.Cpu.Fpu;

/// <summary>
/// An x87 double-extended value (SDM Vol. 1 §4.2.2, §4.8.3): 64-bit significand with an explicit integer bit
/// and a 16-bit sign+exponent field (bias 16383).
/// </summary>
public struct Float80 : IEquatable<Float80>
{
    public ulong Significand;
    public ushort SignExp;

    public const int Bias = 16383;
    public const int MaxExp = 0x7FFF;

    public Float80(ushort signExp, ulong significand)
    {
        SignExp = signExp;
        Significand = significand;
    }

    public readonly bool Sign => (SignExp & 0x8000) != 0;
    public readonly int Exponent => SignExp & 0x7FFF;
    public readonly bool IntegerBit => (Significand >> 63) != 0;

    public readonly bool IsZero => Exponent == 0 && Significand == 0;
    public readonly bool IsInfinity => Exponent == MaxExp && Significand == 0x8000_0000_0000_0000;
    public readonly bool IsNaN => Exponent == MaxExp && IntegerBit && (Significand << 1) != 0;
    public readonly bool IsSignalingNaN => IsNaN && (Significand & 0x4000_0000_0000_0000) == 0;
    public readonly bool IsQuietNaN => IsNaN && (Significand & 0x4000_0000_0000_0000) != 0;

    /// <summary>Exponent 0 with a non-zero significand: a denormal or (integer bit set) a pseudo-denormal.</summary>
    public readonly bool IsDenormal => Exponent == 0 && Significand != 0;

    /// <summary>Encodings the 387 and later reject as operands (SDM Vol. 1 §8.2.2): pseudo-NaN, pseudo-infinity, unnormal.</summary>
    public readonly bool IsUnsupported => Exponent != 0 && !IntegerBit;

    public static Float80 Zero(bool sign) => new(sign ? (ushort)0x8000 : (ushort)0, 0);
    public static Float80 Infinity(bool sign) => new((ushort)(sign ? 0xFFFF : 0x7FFF), 0x8000_0000_0000_0000);

    /// <summary>The QNaN floating-point indefinite (SDM Vol. 1 Table 4-3).</summary>
    public static Float80 Indefinite => new(0xFFFF, 0xC000_0000_0000_0000);

    public static Float80 One => new(0x3FFF, 0x8000_0000_0000_0000);

    public readonly Float80 Negate() => new((ushort)(SignExp ^ 0x8000), Significand);
    public readonly Float80 Abs() => new((ushort)(SignExp & 0x7FFF), Significand);
    public readonly Float80 Quiet() => new(SignExp, Significand | 0x4000_0000_0000_0000);

    public readonly bool Equals(Float80 other) => Significand == other.Significand && SignExp == other.SignExp;
    public override readonly bool Equals(object? obj) => obj is Float80 f && Equals(f);
    public override readonly int GetHashCode() => HashCode.Combine(Significand, SignExp);
    public static bool operator ==(Float80 a, Float80 b) => a.Equals(b);
    public static bool operator !=(Float80 a, Float80 b) => !a.Equals(b);

    public override readonly string ToString() => $"{SignExp:X4}:{Significand:X16}";

    /// <summary>Approximate host double, for diagnostics and tests only.</summary>
    public readonly double ToDoubleApprox()
    {
        if (Exponent == MaxExp) return IsNaN || IsUnsupported ? double.NaN : (Sign ? double.NegativeInfinity : double.PositiveInfinity);
        double m = Significand / 9223372036854775808.0;
        int e = (Exponent == 0 ? 1 : Exponent) - Bias;
        double v = Math.ScaleB(m, e);
        return Sign ? -v : v;
    }
}
