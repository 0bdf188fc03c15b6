using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Fpu;
using Xunit;

namespace Emulator.Core.Tests;

/// <summary>
/// The FADD/FSUB/FMUL/FDIV fast path (normal operands, 128-bit exact result, one rounding) against the general
/// soft-float path, which the host reference vectors check: same bits, same PE/C1, and it must decline (leave the
/// state alone) wherever the general rules are needed (zero, denormal or overflowing results, unmasked PE).
/// </summary>
public class X87FastPathTests
{
    private static ulong Next(ref ulong s)
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }

    private static Float80 RandomNormal(ref ulong s)
    {
        ulong r = Next(ref s);
        int kind = (int)(r % 8);
        ushort sign = (r & 0x100) != 0 ? (ushort)0x8000 : (ushort)0;
        ulong m = Next(ref s) | 0x8000_0000_0000_0000;
        if (kind == 0) m &= ~((1ul << (int)(Next(ref s) % 64)) - 1) | 0x8000_0000_0000_0000; // short significands: exact results
        if (kind == 1) m = (Next(ref s) & 1) != 0 ? ulong.MaxValue << (int)(Next(ref s) % 8) : 0x8000_0000_0000_0000 | (Next(ref s) % 4);
        int e = kind switch
        {
            2 => 1 + (int)(Next(ref s) % 80),          // near the denormal boundary
            3 => 0x7FFE - (int)(Next(ref s) % 80),     // near overflow
            _ => 0x3FFF - 70 + (int)(Next(ref s) % 140),
        };
        return new Float80((ushort)(sign | e), m);
    }

    [Fact]
    public void FastArithmeticMatchesTheGeneralPath()
    {
        ulong seed = 0x9E37_79B9_7F4A_7C15;
        int taken = 0, declined = 0;
        for (int k = 0; k < 60_000; k++)
        {
            var a = RandomNormal(ref seed);
            var b = (k % 5) == 0 ? new Float80(a.SignExp, a.Significand ^ (Next(ref seed) >> (int)(Next(ref seed) % 64))) : RandomNormal(ref seed);
            if (!b.IntegerBit) b = new Float80(b.SignExp, b.Significand | 0x8000_0000_0000_0000);
            int rc = (int)(Next(ref seed) & 3), pcBits = (int)(Next(ref seed) % 3) switch { 0 => 0, 1 => 2, _ => 3 };
            ushort cw = (ushort)(0x037F & ~0x0F00 | (pcBits << 8) | (rc << 10));
            if ((k % 17) == 0) cw &= unchecked((ushort)~X87.SW_PE); // PE unmasked: the fast path must decline on inexact results
            var op = (X87.Op)(k % 6);
            var fast = NewState(cw, a, b);
            var general = NewState(cw, a, b);
            bool pop = (k & 1) != 0;
            bool ok = X87.TryFastArithRegs(fast, op, 0, 1, pop);
            X87.ArithRegsGeneral(general, op, 0, 1, pop);
            if (!ok)
            {
                declined++;
                var untouched = NewState(cw, a, b);
                Assert.Equal(untouched.Status, fast.Status);
                Assert.Equal(untouched.Tag, fast.Tag);
                Assert.Equal(untouched.Mantissa, fast.Mantissa);
                continue;
            }
            taken++;
            Assert.True(general.Status == fast.Status && general.Tag == fast.Tag && general.Mantissa.SequenceEqual(fast.Mantissa)
                && general.SignExponent.SequenceEqual(fast.SignExponent), $"{op} {a} {b} cw {cw:X4}: fast {X87.St(fast, 0)} sw {fast.Status:X4}, general {X87.St(general, 0)} sw {general.Status:X4}");
        }
        Assert.True(taken > 40_000, $"fast path taken only {taken} times");
        Assert.True(declined > 1_000, $"fast path declined only {declined} times");
    }

    private static FpuState NewState(ushort cw, Float80 a, Float80 b)
    {
        var f = new FpuState();
        X87.Init(f);
        f.Control = cw;
        X87.Load(f, b);
        X87.Load(f, a);
        return f;
    }
}
