using Emulator.Core.Cpu;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>REP string instructions (SDM Vol. 2B MOVS/STOS/SCAS): element-by-element semantics, including overlap.</summary>
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
    /// <summary>
    /// REPNE/REPE SCASB against an element-by-element reference: where it stops (match, mismatch, count exhausted,
    /// across a page boundary), EDI, ECX and the flags of the last comparison.
    /// </summary>
    [Theory]
    [InlineData(true, 0x200F80, 300, 5)]
    [InlineData(true, 0x200F80, 300, 200)] // the match lies on the next page
    [InlineData(true, 0x200F80, 100, -1)] // no match: the count runs out
    [InlineData(true, 0x200F80, 1, 0)]
    [InlineData(true, 0x200FFF, 9000, -1)] // several pages
    [InlineData(false, 0x200F80, 300, 7)]
    [InlineData(false, 0x200F80, 300, 250)]
    [InlineData(false, 0x200F80, 5000, -1)]
    public void RepScasbStopsWhereTheReferenceDoes(bool repne, uint start, int count, int target)
    {
        using var t = Flat();
        var rnd = new Random(count * 31 + target);
        var data = new byte[count + 16];
        const byte Al = 0x5A;
        for (int k = 0; k < data.Length; k++)
        {
            // REPNE looks for AL among other bytes; REPE runs over AL until another byte.
            byte other;
            do other = (byte)rnd.Next(256); while (other == Al);
            data[k] = repne ? (k == target ? Al : other) : (k == target ? other : Al);
        }
        t.Memory.WritePhysical(start, data);
        t.Load(32, 0x100000, a =>
        {
            a.cld();
            a.mov(eax, 0x1234_5600u | Al);
            a.mov(edi, start);
            a.mov(ecx, (uint)count);
            a.cmp(eax, eax); // known flags before the scan (a zero count must leave them)
            if (repne) a.repne.scasb();
            else a.repe.scasb();
            a.hlt();
        });
        t.Cpu.Rip = 0x100000;
        t.RunToHalt();

        uint wantEdi = start, wantEcx = (uint)count;
        uint flags = Eflags.ZF | Eflags.PF;
        while (wantEcx != 0)
        {
            byte b = data[wantEdi - start];
            wantEdi++;
            wantEcx--;
            flags = CmpFlags(Al, b);
            bool zf = (flags & Eflags.ZF) != 0;
            if (repne ? zf : !zf) break;
        }
        Assert.Equal(wantEdi, (uint)t.Cpu.Rdi);
        Assert.Equal(wantEcx, (uint)t.Cpu.Rcx);
        Assert.Equal(flags, t.Cpu.GetEflags() & Eflags.Arithmetic);
    }

    /// <summary>The flags of CMP a, b on bytes, from their definitions (SDM Vol. 1 Appendix A).</summary>
    private static uint CmpFlags(byte a, byte b)
    {
        int r = a - b;
        byte res = (byte)r;
        uint f = 0;
        if (r < 0) f |= Eflags.CF;
        if (res == 0) f |= Eflags.ZF;
        if ((res & 0x80) != 0) f |= Eflags.SF;
        if (((a ^ b) & (a ^ res) & 0x80) != 0) f |= Eflags.OF;
        if (((a ^ b ^ res) & 0x10) != 0) f |= Eflags.AF;
        int ones = 0;
        for (int k = 0; k < 8; k++) ones += (res >> k) & 1;
        if (ones % 2 == 0) f |= Eflags.PF;
        return f;
    }
}
