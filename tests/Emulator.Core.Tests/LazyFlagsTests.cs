using Emulator.Core.Cpu;
using Xunit;

namespace Emulator.Core.Tests;

/// <summary>
/// The lazy-flag record read three ways must agree with the flags' definitions (SDM Vol. 1 Appendix A): the full
/// computation, the carry alone (<see cref="LazyFlags.CarryOf"/>) and conditions evaluated without materializing.
/// </summary>
public class LazyFlagsTests
{
    private static readonly uint[] Edges = { 0, 1, 0x0F, 0x10, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF };

    /// <summary>Reference flags of ADD/ADC/SUB/SBB on <paramref name="bits"/>-bit operands, computed in 64 bits.</summary>
    private static uint Reference(bool add, bool carryIn, int bits, uint a, uint b)
    {
        ulong mask = (1ul << bits) - 1;
        ulong x = a & mask, y = b & mask, c = carryIn ? 1ul : 0;
        ulong wide = add ? x + y + c : x - y - c;
        ulong r = wide & mask;
        long sx = (long)(x << (64 - bits)) >> (64 - bits), sy = (long)(y << (64 - bits)) >> (64 - bits);
        long sc = add ? sx + sy + (long)c : sx - sy - (long)c;
        uint f = 0;
        if (add ? wide > mask : x < y + c) f |= Eflags.CF;
        if (r == 0) f |= Eflags.ZF;
        if ((r >> (bits - 1) & 1) != 0) f |= Eflags.SF;
        if (sc != (long)(r << (64 - bits)) >> (64 - bits)) f |= Eflags.OF;
        if (((x ^ y ^ r) & 0x10) != 0) f |= Eflags.AF;
        if (System.Numerics.BitOperations.PopCount(r & 0xFF) % 2 == 0) f |= Eflags.PF;
        return f;
    }

    private static bool ConditionOf(uint f, int cc)
    {
        bool cf = (f & Eflags.CF) != 0, zf = (f & Eflags.ZF) != 0, sf = (f & Eflags.SF) != 0, of = (f & Eflags.OF) != 0, pf = (f & Eflags.PF) != 0;
        bool r = (cc >> 1) switch { 0 => of, 1 => cf, 2 => zf, 3 => cf || zf, 4 => sf, 5 => pf, 6 => sf != of, _ => zf || sf != of };
        return (cc & 1) != 0 ? !r : r;
    }

    [Fact]
    public void ArithmeticRecordsMatchTheDefinitions()
    {
        using var t = new TestCpu();
        var cpu = t.Cpu;
        var rnd = new Random(11);
        for (int n = 0; n < 200_000; n++)
        {
            uint a = n < 225 ? Edges[n % 15] : (uint)rnd.NextInt64(1L << 32) >> rnd.Next(32);
            uint b = n < 225 ? Edges[n / 15] : (uint)rnd.NextInt64(1L << 32) >> rnd.Next(32);
            int sizeIndex = rnd.Next(3), bits = 8 << sizeIndex;
            int kind = rnd.Next(4); // ADD, ADC, SUB, SBB (ADC/SBB record a carry-in of 1)
            bool add = kind < 2, carry = (kind & 1) != 0;
            uint mask = bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;
            uint r = (add ? a + b + (carry ? 1u : 0) : a - b - (carry ? 1u : 0)) & mask;
            uint want = Reference(add, carry, bits, a, b);
            var op = LazyFlags.Op(kind, 1 << sizeIndex);

            Assert.Equal(want, LazyFlags.Compute(op, a, b, r, 0));
            cpu.LazyOp = op;
            cpu.LazyA = a;
            cpu.LazyB = b;
            cpu.LazyR = r;
            Assert.Equal(want & Eflags.CF, LazyFlags.CarryOf(cpu));
            int cc = n & 15;
            Assert.Equal(ConditionOf(want, cc), LazyFlags.Condition(cpu, cc));
            cpu.LazyOp = op;
            Assert.Equal(want, cpu.GetEflags() & Eflags.Arithmetic);
        }
    }
}
