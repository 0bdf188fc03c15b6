using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// A compiled block that jumps back to its own start loops inside its method, and one whose exit is linked to a
/// successor continues straight into it. Both must stop exactly where the dispatcher would have stopped: at the run
/// budget, at a timer deadline (an NMI taken between two blocks), and when code overwrites itself (the next
/// execution runs the new instruction, SDM Vol. 3A §11.6).
/// </summary>
public sealed class TightLoopTests
{
    private static TestCpu Compiled()
    {
        var t = new TestCpu();
        t.Core.Cache.TierUpThreshold = 0;
        t.Core.Cache.BackgroundCompilation = false;
        return t;
    }

    /// <summary>
    /// A loop body a little longer than the block limit still closes in one block (the budget stop shows it: the
    /// block retires whole passes), while a straight run of the same length is cut at the limit.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ALoopBodyJustOverTheBlockLimitIsOneBlock(bool closesTheLoop)
    {
        using var t = Compiled();
        int body = Translation.BlockCompiler.MaxInstructions + 6;
        t.Load(32, 0x10_0000, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            for (int k = 0; k < body - 2; k++) a.add(eax, 1);
            a.dec(ecx);
            if (closesTheLoop) a.jne(loop);
            else a.nop();
            a.hlt();
        });
        t.EnterFlat32();
        t.Cpu.Rip = 0x10_0000;
        t.Cpu.Rcx = 1000;
        var block = t.Core.Cache.Find(Translation.BlockCompiler.ModeOf(t.Cpu))!;
        Assert.Equal(closesTheLoop ? body : Translation.BlockCompiler.MaxInstructions, block.Instructions.Length);
        if (!closesTheLoop) return;
        Assert.Equal(StopReason.InstructionLimit, t.Core.Run(10 * body + 1));
        Assert.Equal(11L * body, t.Cpu.Retired); // whole passes: the eleventh started below the budget
        Assert.Equal(11u * (uint)(body - 2), (uint)t.Cpu.Rax);
        Assert.Equal(StopReason.HaltedForever, t.Core.Run(1_000_000));
        Assert.Equal(1000u * (uint)(body - 2), (uint)t.Cpu.Rax);
    }

    [Fact]
    public void AnEndlessLoopStopsAtTheBlockBoundaryAfterTheBudget()
    {
        using var t = Compiled();
        t.Load(16, 0x7C00, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.inc(ax);
            a.jmp(loop);
        });
        t.StartReal(0, 0x7C00);
        Assert.Equal(StopReason.InstructionLimit, t.Core.Run(1001));
        // Blocks are atomic: the two-instruction block runs while fewer than 1001 have retired, so 501 times.
        Assert.Equal(1002, t.Cpu.Retired);
        Assert.Equal(501u, (uint)t.Cpu.Rax & 0xFFFF);
        Assert.Equal(0x7C00u, (uint)t.Cpu.Rip);
        // And it resumes where it stopped.
        Assert.Equal(StopReason.InstructionLimit, t.Core.Run(1000));
        Assert.Equal(1001u, (uint)t.Cpu.Rax & 0xFFFF);
        Assert.Equal(2002, t.Cpu.Retired);
    }

    [Fact]
    public void ATimerDeadlineInterruptsTheLoopBetweenIterations()
    {
        using var t = Compiled();
        // NMI handler at 0:0500 copies the loop counter to BX, then halts with interrupts off.
        t.Load(16, 0x500, a =>
        {
            a.mov(bx, cx);
            a.cli();
            a.hlt();
        });
        t.Memory.WritePhysical(2 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 });
        t.Load(16, 0x7C00, a =>
        {
            var loop = a.CreateLabel();
            a.mov(sp, 0x7000);
            a.xor(cx, cx);
            a.Label(ref loop);
            a.inc(cx);
            a.nop();
            a.jmp(loop);
        });
        long fired = -1;
        var timer = t.Clock.CreateTimer(_ =>
        {
            fired = t.Cpu.Retired;
            t.Cpu.NmiPending = true;
            t.Cpu.InterruptCheck = true;
        });
        // 2 setup instructions, then 3 per iteration: the deadline falls inside iteration 1000.
        timer.Arm(2 + 3 * 1000 - 1);
        t.StartReal(0, 0x7C00);
        Assert.Equal(StopReason.HaltedForever, t.Core.Run(1_000_000));
        // The timer ran at the first block boundary at or after its deadline, and the NMI came right after it.
        Assert.Equal(2 + 3 * 1000, fired);
        Assert.Equal(1000u, (uint)t.Cpu.Rbx & 0xFFFF);
    }

    [Fact]
    public void ALoopThatRewritesItsOwnCodeRunsTheNewInstructionNextIteration()
    {
        using var t = Compiled();
        // loop: add bx, imm8 (83 C3 01) ; mov [loop+2], cl ; dec cx ; jnz loop — each pass adds the CX of the pass before:
        // 1 + 10 + 9 + … + 2.
        var code = t.Load(16, 0x7C00, a =>
        {
            var loop = a.CreateLabel();
            a.xor(bx, bx);
            a.mov(cx, 10);
            a.Label(ref loop);
            a.add(bx, 1);
            a.mov(__byte_ptr[0x7C00 + 5 + 2], cl);
            a.dec(cx);
            a.jne(loop);
            a.hlt();
        });
        Assert.Equal(new byte[] { 0x83, 0xC3, 0x01 }, code[5..8]); // ADD BX, imm8 at offset 5
        t.StartReal(0, 0x7C00);
        Assert.Equal(StopReason.HaltedForever, t.Core.Run(1_000_000));
        Assert.Equal(55u, (uint)t.Cpu.Rbx & 0xFFFF);
        Assert.Equal(2 + 10 * 4 + 1, t.Cpu.Retired);
    }

    [Fact]
    public void InterpretedAndCompiledLoopsRetireTheSameCount()
    {
        long Run(int threshold)
        {
            using var t = new TestCpu();
            t.Core.Cache.TierUpThreshold = threshold;
            t.Core.Cache.BackgroundCompilation = false;
            t.Load(32, 0x1000, a =>
            {
                var loop = a.CreateLabel();
                a.xor(eax, eax);
                a.mov(ecx, 100_000);
                a.Label(ref loop);
                a.add(eax, ecx);
                a.dec(ecx);
                a.jne(loop);
                a.hlt();
            });
            t.EnterFlat32();
            t.Cpu.Rip = 0x1000;
            Assert.Equal(StopReason.InstructionLimit, t.Core.Run(150_001));
            Assert.Equal(0x1000u + 7u, (uint)t.Cpu.Rip);
            return t.Cpu.Retired * 1_000_000_000L + (uint)t.Cpu.Rax;
        }

        Assert.Equal(Run(int.MaxValue), Run(0));
    }

    /// <summary>A loop of three blocks (A jumps to C, C to B, B back to A), so every transition is a chained exit.</summary>
    private static void ThreeBlockLoop(Iced.Intel.Assembler a)
    {
        var blockA = a.CreateLabel();
        var blockB = a.CreateLabel();
        var blockC = a.CreateLabel();
        a.mov(sp, 0x7000);
        a.xor(cx, cx);
        a.xor(dx, dx);
        a.xor(si, si);
        a.jmp(blockA);
        a.Label(ref blockB);
        a.add(dx, 3);
        a.jmp(blockA);
        a.Label(ref blockC);
        a.sub(si, 1);
        a.jmp(blockB);
        a.Label(ref blockA);
        a.inc(cx);
        a.jmp(blockC);
    }

    [Fact]
    public void ChainedBlocksStopAtTheBudget()
    {
        using var t = Compiled();
        t.Load(16, 0x7C00, ThreeBlockLoop);
        t.StartReal(0, 0x7C00);
        // 5 setup instructions, then 6 per round: blocks of 2 run while fewer than 5 + 6 * 1000 + 1 have retired.
        Assert.Equal(StopReason.InstructionLimit, t.Core.Run(5 + 6 * 1000 + 1));
        Assert.Equal(5 + 6 * 1000 + 2, t.Cpu.Retired);
        Assert.Equal(1001u, (uint)t.Cpu.Rcx & 0xFFFF);
        Assert.Equal(3000u, (uint)t.Cpu.Rdx & 0xFFFF);
        Assert.Equal(unchecked((ushort)-1000), (ushort)t.Cpu.Rsi);
    }

    [Fact]
    public void ATimerDeadlineInterruptsAChainBetweenBlocks()
    {
        using var t = Compiled();
        t.Load(16, 0x500, a =>
        {
            a.mov(bx, cx);
            a.mov(di, dx);
            a.cli();
            a.hlt();
        });
        t.Memory.WritePhysical(2 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 });
        t.Load(16, 0x7C00, ThreeBlockLoop);
        long fired = -1;
        var timer = t.Clock.CreateTimer(_ =>
        {
            fired = t.Cpu.Retired;
            t.Cpu.NmiPending = true;
            t.Cpu.InterruptCheck = true;
        });
        // The deadline falls on the second instruction of block C in round 500 (A=2, C=2, B=2 per round).
        timer.Arm(5 + 6 * 499 + 2 + 2);
        t.StartReal(0, 0x7C00);
        Assert.Equal(StopReason.HaltedForever, t.Core.Run(1_000_000));
        // The timer ran at the end of that block C, before block B: CX counted 500 rounds, DX only 499.
        Assert.Equal(5 + 6 * 499 + 4, fired);
        Assert.Equal(500u, (uint)t.Cpu.Rbx & 0xFFFF);
        Assert.Equal(3u * 499, (uint)t.Cpu.Rdi & 0xFFFF);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(int.MaxValue, false)]
    [InlineData(0, true)]
    [InlineData(int.MaxValue, true)]
    public void AFaultAtTheTopOfALoopPassSeesTheFlagsOfThePreviousPassesComparison(int tierUpThreshold, bool deadInc)
    {
        // The compiled loop carries the CMP's lazy record over its back-edge in locals; the word read at the top of the
        // pass with SI = FFFF raises #GP(0) (real mode, SDM Vol. 3A §20.1.3), and the FLAGS image pushed for the handler
        // must be the previous pass's CMP FFFF, 1234 (SF only) — not ADD's (SF, PF) and not the flags before the loop.
        using var t = new TestCpu();
        t.Core.Cache.TierUpThreshold = tierUpThreshold;
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
            var loop = a.CreateLabel();
            a.mov(sp, 0x7000);
            a.mov(si, 0xFFF8);
            a.xor(ax, ax); // ZF, PF before the loop
            a.Label(ref loop);
            a.mov(ax, __word_ptr[si]);
            if (deadInc) a.inc(di); // its flags are overwritten by the ADD: the carried record goes on past it
            a.add(si, 1);
            a.mov(bx, si);
            a.cmp(bx, 0x1234);
            a.jne(loop); // the block goes on past its back-edge
            a.hlt();
        });
        t.StartReal(0, 0x7C00);
        t.RunToHalt();
        Assert.Equal(0x600u + 3 + 3, (uint)t.Cpu.Rip); // halted in the #GP handler
        Assert.Equal(0xFFFFu, (uint)t.Cpu.Rsi & 0xFFFF);
        const uint arithmetic = Eflags.CF | Eflags.PF | Eflags.AF | Eflags.ZF | Eflags.SF | Eflags.OF;
        Assert.Equal(Eflags.SF, (uint)t.Cpu.Rdx & arithmetic);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public void ConditionalBranchesInsideABlockChainToTheirOwnTargets(int tierUpThreshold)
    {
        // Blocks A and B each go on past a Jcc (a side exit when taken); A continues into B through its link. Each
        // side exit must be linked to its own successor, on its own block: a link recorded on the block a chain
        // started with (A) for B's side exit would later send A's side exit down B's path.
        using var t = new TestCpu();
        t.Core.Cache.TierUpThreshold = tierUpThreshold;
        t.Core.Cache.BackgroundCompilation = false;
        t.Load(16, 0x7C00, a =>
        {
            Iced.Intel.Label blockA = a.CreateLabel(), x = a.CreateLabel(), blockB = a.CreateLabel(), y = a.CreateLabel(), c = a.CreateLabel();
            a.mov(cx, 1000);
            a.xor(ax, ax);
            a.xor(bx, bx);
            a.xor(dx, dx);
            a.Label(ref blockA);
            a.test(cl, 1);
            a.jnz(x);
            a.inc(ax);
            a.jmp(blockB);
            a.Label(ref x);
            a.add(dx, 3);
            a.jmp(blockB);
            a.Label(ref blockB);
            a.test(cl, 2);
            a.jnz(y);
            a.inc(bx);
            a.jmp(c);
            a.Label(ref y);
            a.add(dx, 5);
            a.Label(ref c);
            a.dec(cx);
            a.jnz(blockA);
            a.hlt();
        });
        uint even = 0, notTwo = 0, sum = 0;
        for (uint n = 1000; n >= 1; n--)
        {
            if ((n & 1) != 0) sum += 3;
            else even++;
            if ((n & 2) != 0) sum += 5;
            else notTwo++;
        }
        t.StartReal(0, 0x7C00);
        Assert.Equal(StopReason.HaltedForever, t.Core.Run(1_000_000));
        Assert.Equal(even, (uint)t.Cpu.Rax & 0xFFFF);
        Assert.Equal(notTwo, (uint)t.Cpu.Rbx & 0xFFFF);
        Assert.Equal(sum & 0xFFFF, (uint)t.Cpu.Rdx & 0xFFFF);
    }

    [Fact]
    public void BothTiersStopAtTheSameInstructionBoundaries()
    {
        // Where a run may stop (and so where an interrupt is taken) must not depend on whether a block is compiled yet:
        // a Jcc taken to a later instruction of its block goes on inside the block in both tiers.
        long[] Boundaries(int tierUpThreshold)
        {
            using var t = new TestCpu();
            t.Core.Cache.TierUpThreshold = tierUpThreshold;
            t.Core.Cache.BackgroundCompilation = false;
            t.Load(16, 0x7C00, a =>
            {
                Iced.Intel.Label top = a.CreateLabel(), skip = a.CreateLabel();
                a.mov(cx, 300);
                a.xor(ax, ax);
                a.xor(bx, bx);
                a.xor(dx, dx);
                a.Label(ref top);
                a.test(cl, 1);
                a.jnz(skip);
                a.inc(ax);
                a.inc(bx);
                a.Label(ref skip);
                a.inc(dx);
                a.dec(cx);
                a.jnz(top);
                a.hlt();
            });
            t.StartReal(0, 0x7C00);
            var stops = new List<long>();
            while (t.Core.Run(1) == StopReason.InstructionLimit) stops.Add(t.Cpu.Retired);
            stops.Add(t.Cpu.Retired);
            Assert.Equal(300u, (uint)t.Cpu.Rdx & 0xFFFF);
            Assert.Equal(150u, (uint)t.Cpu.Rax & 0xFFFF);
            return stops.ToArray();
        }
        Assert.Equal(Boundaries(int.MaxValue), Boundaries(0));
    }
}
