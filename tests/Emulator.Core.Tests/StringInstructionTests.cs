using Emulator.Core.Cpu;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>REP string instructions (SDM Vol. 2B MOVS/STOS): element-by-element semantics, including overlap.</summary>
public class StringInstructionTests
{
    private static TestCpu Flat()
    {
        var t = new TestCpu();
        t.EnterFlat32();
        t.Cpu.Rsp = 0x80000;
        return t;
    }

    [Fact]
    public void RepMovsdCopiesAcrossPages()
    {
        using var t = Flat();
        var src = new byte[40_000];
        new Random(7).NextBytes(src);
        t.Memory.WritePhysical(0x200123, src);
        t.Load(32, 0x100000, a =>
        {
            a.cld();
            a.mov(esi, 0x200123);
            a.mov(edi, 0x300abd);
            a.mov(ecx, 10_000);
            a.rep.movsd();
            a.hlt();
        });
        t.Cpu.Rip = 0x100000;
        t.RunToHalt();
        var dst = new byte[40_000];
        t.Memory.ReadPhysical(0x300abd, dst);
        Assert.Equal(src, dst);
        Assert.Equal(0ul, t.Cpu.Rcx);
        Assert.Equal(0x200123ul + 40_000, t.Cpu.Rsi);
        Assert.Equal(0x300abdul + 40_000, t.Cpu.Rdi);
    }

    [Fact]
    public void OverlappingForwardMovsbReplicatesThePattern()
    {
        using var t = Flat();
        t.Memory.WritePhysical(0x200000, new byte[] { 0xAB });
        t.Load(32, 0x100000, a =>
        {
            a.cld();
            a.mov(esi, 0x200000);
            a.mov(edi, 0x200001);
            a.mov(ecx, 9000);
            a.rep.movsb();
            a.hlt();
        });
        t.Cpu.Rip = 0x100000;
        t.RunToHalt();
        var dst = new byte[9001];
        t.Memory.ReadPhysical(0x200000, dst);
        Assert.All(dst, b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void RepStoswFillsAndStopsAtTheCount()
    {
        using var t = Flat();
        t.Load(32, 0x100000, a =>
        {
            a.cld();
            a.mov(eax, 0x1234);
            a.mov(edi, 0x200ffe);
            a.mov(ecx, 5000);
            a.rep.stosw();
            a.hlt();
        });
        t.Cpu.Rip = 0x100000;
        t.RunToHalt();
        for (ulong k = 0; k < 5000; k++) Assert.Equal(0x1234ul, t.Memory.Read(0x200ffe + 2 * k, 2));
        Assert.Equal(0ul, t.Memory.Read(0x200ffe + 10000, 2));
    }
}
