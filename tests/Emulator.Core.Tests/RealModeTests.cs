using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

public class RealModeTests
{
    [Fact]
    public void LoopSumsToExpectedValue()
    {
        using var t = new TestCpu();
        t.Load(16, 0x7C00, a =>
        {
            var loop = a.CreateLabel();
            a.xor(ax, ax);
            a.mov(cx, 100);
            a.Label(ref loop);
            a.add(ax, cx);
            a.loop(loop);
            a.hlt();
        });
        t.StartReal(0, 0x7C00);
        var r = t.RunToHalt();
        Assert.Equal(StopReason.HaltedForever, r);
        Assert.Equal(5050u, (uint)t.Cpu.Rax & 0xFFFF);
        Assert.Equal(0u, (uint)t.Cpu.Rcx & 0xFFFF);
        // 3 setup + 100 × (ADD, LOOP) + HLT
        Assert.Equal(3 + 200, t.Cpu.Retired);
    }

    [Fact]
    public void SoftwareInterruptGoesThroughTheIvtAndIretReturns()
    {
        using var t = new TestCpu();
        // Handler at 0000:0500 sets BX and returns.
        t.Load(16, 0x500, a =>
        {
            a.mov(bx, 0x1234);
            a.iret();
        });
        t.Memory.WritePhysical(0x21 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 });
        t.Load(16, 0x7C00, a =>
        {
            a.mov(sp, 0x7000);
            a.@int(0x21);
            a.mov(cx, bx);
            a.hlt();
        });
        t.StartReal(0, 0x7C00);
        t.RunToHalt();
        Assert.Equal(0x1234u, (uint)t.Cpu.Rcx & 0xFFFF);
        Assert.Equal(0x7000u, (uint)t.Cpu.Rsp & 0xFFFF);
    }

    [Fact]
    public void DivideByZeroRaisesVectorZeroWithFaultingIp()
    {
        using var t = new TestCpu();
        t.Load(16, 0x600, a =>
        {
            a.hlt();
        });
        t.Memory.WritePhysical(0, new byte[] { 0x00, 0x06, 0x00, 0x00 });
        var code = t.Load(16, 0x7C00, a =>
        {
            a.mov(sp, 0x7000);
            a.xor(cx, cx);
            a.div(cx);
        });
        t.StartReal(0, 0x7C00);
        t.RunToHalt();
        // The pushed IP is the DIV itself (a fault), at 0x7C00 + len(mov sp) + len(xor).
        ushort pushedIp = (ushort)t.Memory.Read(0x7000 - 6, 2);
        Assert.Equal(0x7C00 + 3 + 2, pushedIp);
        Assert.Equal(0x601u, (uint)t.Cpu.Rip);
    }

    [Fact]
    public void SelfModifyingStoreIntoTheRunningBlockTakesEffect()
    {
        using var t = new TestCpu();
        // mov byte [patch+1], 0x42 ; patch: mov al, 0x11 ; hlt  — the patched immediate must be seen.
        var probe = t.Load(16, 0x7C00, a =>
        {
            var patch = a.CreateLabel();
            a.mov(__byte_ptr[0x7C00 + 5 + 1], 0x42);
            a.Label(ref patch);
            a.mov(al, 0x11);
            a.hlt();
        });
        Assert.Equal(0xB0, probe[5]); // MOV AL, imm8 sits at offset 5
        t.StartReal(0, 0x7C00);
        t.RunToHalt();
        Assert.Equal(0x42u, (uint)t.Cpu.Rax & 0xFF);
    }

    [Fact]
    public void AFaultHandlerSeesTheFlagsOfTheLastArithmeticInstructionBeforeTheFault()
    {
        // ADD AX, BX (FFFF + 1: CF, PF, AF, ZF set; SF, OF clear) then a word read at offset FFFF, which raises #GP(0)
        // in real mode (SDM Vol. 3A §20.1.3): the FLAGS image pushed for the handler is ADD's result, compiled or not.
        foreach (int threshold in new[] { 0, int.MaxValue })
        {
            using var t = new TestCpu();
            t.Core.Cache.TierUpThreshold = threshold;
            t.Core.Cache.BackgroundCompilation = false;
            t.Load(16, 0x600, a =>
            {
                a.mov(bp, sp);
                a.mov(dx, __word_ptr[bp + 4]);
                a.hlt();
            });
            t.Memory.WritePhysical(13 * 4, new byte[] { 0x00, 0x06, 0x00, 0x00 });
            t.Load(16, 0x7C00, a =>
            {
                a.mov(sp, 0x7000);
                a.mov(ax, 0xFFFF);
                a.mov(bx, 1);
                a.mov(si, 0xFFFF);
                a.add(ax, bx);
                a.mov(cx, __word_ptr[si]);
                a.hlt();
            });
            t.StartReal(0, 0x7C00);
            t.RunToHalt();
            Assert.Equal(0x600u + 3 + 3, (uint)t.Cpu.Rip); // halted in the #GP handler
            const uint arithmetic = Eflags.CF | Eflags.PF | Eflags.AF | Eflags.ZF | Eflags.SF | Eflags.OF;
            Assert.Equal(Eflags.CF | Eflags.PF | Eflags.AF | Eflags.ZF, (uint)t.Cpu.Rdx & arithmetic);
        }
    }
}
