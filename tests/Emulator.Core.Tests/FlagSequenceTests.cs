using Emulator.Core.Cpu;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// Flags across instruction sequences inside one translated block (lazy flags, dead-producer elimination): INC/DEC
/// keep the carry of the instruction before them (SDM Vol. 2A DEC/INC: "CF flag is not affected").
/// </summary>
public class FlagSequenceTests
{
    private static (bool Cf, bool Zf, bool Sf) Run(Action<Assembler> body, uint eax, uint ebx, uint ecx)
    {
        using var t = new TestCpu();
        var cpu = t.Cpu;
        t.EnterFlat32();
        t.Load(32, 0x100000, a =>
        {
            body(a);
            a.hlt();
        });
        cpu.Rip = 0x100000;
        cpu.Rax = eax;
        cpu.Rbx = ebx;
        cpu.Rcx = ecx;
        t.RunToHalt();
        uint f = cpu.GetEflags();
        return ((f & Eflags.CF) != 0, (f & Eflags.ZF) != 0, (f & Eflags.SF) != 0);
    }

    public static IEnumerable<object[]> Cases()
    {
        var rng = new Random(12345);
        for (int n = 0; n < 40; n++)
        {
            uint a = (uint)rng.NextInt64(0, 1L << 32), b = (uint)rng.NextInt64(0, 1L << 32);
            if (n % 5 == 0) b = a;
            uint c = n % 7 == 0 ? 1u : (uint)rng.Next();
            yield return new object[] { a, b, c };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecKeepsTheBorrowOfCmp(uint a, uint b, uint c)
    {
        var (cf, zf, sf) = Run(x => { x.cmp(eax, ebx); x.dec(ecx); }, a, b, c);
        Assert.Equal(a < b, cf);
        Assert.Equal(c - 1 == 0, zf);
        Assert.Equal((int)(c - 1) < 0, sf);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IncKeepsTheCarryOfAddThroughAMove(uint a, uint b, uint c)
    {
        var (cf, zf, _) = Run(x => { x.add(eax, ebx); x.mov(edx, eax); x.inc(ecx); }, a, b, c);
        Assert.Equal((ulong)a + b > uint.MaxValue, cf);
        Assert.Equal(c + 1 == 0, zf);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecAfterLogicHasNoCarryAndAdcSeesIt(uint a, uint b, uint c)
    {
        var (cf, _, _) = Run(x => { x.sub(eax, ebx); x.dec(ecx); x.mov(edx, 0); x.adc(edx, 0); x.cmp(edx, 1); x.cmc(); }, a, b, c);
        // ADC EDX, 0 adds the SUB's borrow; CMP EDX, 1 then borrows iff EDX = 0; CMC inverts: CF = borrow of the SUB.
        Assert.Equal(a < b, cf);
        var (cf2, _, _) = Run(x => { x.and(eax, ebx); x.dec(ecx); }, a, b, c);
        Assert.False(cf2);
    }
}
