using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Fpu;
using Xunit;

namespace Emulator.Core.Tests;

/// <summary>Soft-float rules taken from the SDM that the host reference vectors do not reach (unmasked responses, encodings).</summary>
public class X87SoftFloatTests
{
    private static readonly Float80 Max = new(0x7FFE, ulong.MaxValue);

    [Fact]
    public void UnmaskedOverflowWrapsTheExponentBy24576()
    {
        // SDM Vol. 1 §8.5.3.2: with OE unmasked the result kept on the stack has its exponent divided by 2^24576.
        var env = new FpEnv(0, 64, 0x3F & ~FpEnv.OE);
        var r = SoftFloat80.Mul(Max, new Float80(0x4000, 0x8000_0000_0000_0000), ref env);
        Assert.True((env.Flags & FpEnv.OE) != 0);
        Assert.Equal(new Float80((ushort)(0x7FFF - 24576), ulong.MaxValue), r);
    }

    [Fact]
    public void MaskedOverflowFollowsTheRoundingMode()
    {
        var two = new Float80(0x4000, 0x8000_0000_0000_0000);
        var near = new FpEnv(0, 64);
        Assert.Equal(Float80.Infinity(false), SoftFloat80.Mul(Max, two, ref near));
        var zero = new FpEnv(3, 64);
        Assert.Equal(Max, SoftFloat80.Mul(Max, two, ref zero));
        var down = new FpEnv(1, 53);
        Assert.Equal(new Float80(0x7FFE, 0xFFFF_FFFF_FFFF_F800), SoftFloat80.Mul(Max, two, ref down));
        Assert.True((down.Flags & (FpEnv.OE | FpEnv.PE)) == (FpEnv.OE | FpEnv.PE));
    }

    [Fact]
    public void UnnormalOperandIsInvalidAndGivesTheIndefinite()
    {
        var unnormal = new Float80(0x3FFF, 0x4000_0000_0000_0000);
        var env = new FpEnv(0, 64);
        Assert.Equal(Float80.Indefinite, SoftFloat80.Add(unnormal, Float80.One, ref env));
        Assert.Equal(FpEnv.IE, env.Flags & 0x3F);
    }

    [Fact]
    public void PseudoDenormalIsAcceptedWithDenormalFlag()
    {
        // Exponent 0 with the integer bit set: valued as exponent 1 (2^-16382), signals DE (SDM Vol. 1 §8.2.2).
        var pseudo = new Float80(0x0000, 0x8000_0000_0000_0000);
        var env = new FpEnv(0, 64);
        var r = SoftFloat80.Add(pseudo, pseudo, ref env);
        Assert.Equal(new Float80(0x0002, 0x8000_0000_0000_0000), r);
        Assert.Equal(FpEnv.DE, env.Flags & 0x3F);
    }

    [Fact]
    public void FpremReportsIncompleteReductionForHugeExponentDifference()
    {
        var f = new FpuState();
        X87.Init(f);
        X87.Load(f, new Float80(0x3FFF, 0xC000_0000_0000_0000)); // ST(1) = 1.5
        X87.Load(f, new Float80(0x3FFF + 200, 0x8000_0000_0000_0001)); // ST(0) = huge
        X87.Prem(f, false);
        Assert.True((f.Status & X87.SW_C2) != 0);
        // Repeating until C2 clears gives the complete remainder, below 1.5.
        for (int k = 0; k < 10 && (f.Status & X87.SW_C2) != 0; k++) X87.Prem(f, false);
        Assert.Equal(0, f.Status & X87.SW_C2);
        Assert.True(X87.St(f, 0).ToDoubleApprox() is >= 0 and < 1.5);
    }

    [Fact]
    public void StackOverflowPushesIndefiniteWhenMasked()
    {
        var f = new FpuState();
        X87.Init(f);
        for (int k = 0; k < 8; k++) X87.Load(f, Float80.One);
        X87.Load(f, Float80.One);
        Assert.Equal(X87.SW_IE | X87.SW_SF | X87.SW_C1, f.Status & (X87.SW_IE | X87.SW_SF | X87.SW_C1));
        Assert.Equal(Float80.Indefinite, X87.St(f, 0));
    }
}
