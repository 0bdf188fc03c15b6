using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// System-architecture behaviour checked against the SDM (Vol. 3A): entering protected mode, paging and #PF error
/// codes, interrupt gates across privilege levels, call gates, task gates, virtual-8086 mode.
/// </summary>
public class ProtectedModeTests
{
    private const ulong Gdt = 0x1000, Idt = 0x2000, Tss = 0x3000, Tss2 = 0x3200, PageDir = 0x10000, PageTable = 0x11000;
    private const ushort Code0 = 0x08, Data0 = 0x10, Code3 = 0x1B, Data3 = 0x23, TssSel = 0x28, GateSel = 0x30, Tss2Sel = 0x38;

    private static ulong Descriptor(uint baseAddr, uint limit, byte access, byte flags) =>
        (limit & 0xFFFF) | ((ulong)(baseAddr & 0xFFFFFF) << 16) | ((ulong)access << 40) | ((ulong)((limit >> 16) & 0xF) << 48)
        | ((ulong)(flags & 0xF) << 52) | ((ulong)(baseAddr >> 24) << 56);

    private static ulong Gate(ushort selector, uint offset, byte type, int dpl, int paramCount = 0) =>
        (offset & 0xFFFF) | ((ulong)selector << 16) | ((ulong)(paramCount & 0x1F) << 32) | ((ulong)(0x80 | (dpl << 5) | type) << 40) | ((ulong)(offset >> 16) << 48);

    private static void Write64(TestCpu t, ulong addr, ulong v) => t.Memory.WritePhysical(addr, BitConverter.GetBytes(v));

    private static void Write32(TestCpu t, ulong addr, uint v) => t.Memory.WritePhysical(addr, BitConverter.GetBytes(v));

    /// <summary>Flat ring-0/ring-3 code and data, a 32-bit TSS, and loaded GDTR/IDTR; the CPU left in 32-bit ring 0.</summary>
    private static TestCpu FlatMachine()
    {
        var t = new TestCpu();
        Write64(t, Gdt + 0x08, Descriptor(0, 0xFFFFF, 0x9A, 0xC));
        Write64(t, Gdt + 0x10, Descriptor(0, 0xFFFFF, 0x92, 0xC));
        Write64(t, Gdt + 0x18, Descriptor(0, 0xFFFFF, 0xFA, 0xC));
        Write64(t, Gdt + 0x20, Descriptor(0, 0xFFFFF, 0xF2, 0xC));
        Write64(t, Gdt + 0x28, Descriptor((uint)Tss, 0x67 + 0x2000 / 8 + 1, 0x89, 0x0));
        Write32(t, Tss + 4, 0x90000); // ESP0
        Write32(t, Tss + 8, Data0); // SS0
        Write32(t, Tss + 0x66, 0x68 << 16); // I/O map base 0x68 (bit map follows; all zero = all ports allowed)
        var cpu = t.Cpu;
        cpu.GdtrBase = (uint)Gdt;
        cpu.GdtrLimit = 0x3F;
        cpu.IdtrBase = (uint)Idt;
        cpu.IdtrLimit = 0x7FF;
        t.Load(16, 0x7000, a =>
        {
            a.mov(eax, cr0);
            a.or(eax, 1);
            a.mov(cr0, eax);
            a.db(0x66, 0xEA); // jmp far dword 0008:00008000
            a.dd(0x8000);
            a.dw(Code0);
        });
        t.StartReal(0, 0x7000);
        return t;
    }

    private static void RunTo32(TestCpu t, Action<Assembler> code)
    {
        t.Load(32, 0x8000, a =>
        {
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x80000);
            a.mov(ax, TssSel);
            a.ltr(ax);
            code(a);
        });
    }

    /// <summary>IRETD to ring 3 at <paramref name="eip"/> with the ring-3 stack at 0x70000 and interrupts off.</summary>
    private static void EnterRing3(Assembler a, uint eip)
    {
        a.push(Data3);
        a.push(0x70000);
        a.push(0x2);
        a.push(Code3);
        a.push(eip);
        a.iretd();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public void DataSegmentLoadsBetweenFlatAndBasedSegmentsTakeEffectAtTheNextInstruction(int tierUpThreshold)
    {
        // Compiled blocks in a flat-segments mode add no segment base: a load of DS/ES that makes the segments non-flat
        // (or flat again) must end the block, so the very next access uses the new base — compiled or interpreted.
        const ushort Based = 0x30;
        using var t = FlatMachine();
        t.Core.Cache.TierUpThreshold = tierUpThreshold;
        t.Core.Cache.BackgroundCompilation = false;
        Write64(t, Gdt + Based, Descriptor(0x10_0000, 0xFFFFF, 0x92, 0xC));
        Write32(t, 0x6000, 0); // far pointer 0030:00000000
        t.Memory.WritePhysical(0x6004, BitConverter.GetBytes(Based));
        RunTo32(t, a =>
        {
            var loop = a.CreateLabel();
            a.mov(__dword_ptr[0x5000], 0x1111_1111);
            a.mov(__dword_ptr[0x10_5000], 0x2222_2222);
            a.mov(ecx, 3); // three passes: compiled blocks, then linked ones
            a.Label(ref loop);
            a.push(Based);
            a.pop(ds);
            a.mov(ebx, __dword_ptr[0x5000]);
            a.push(Data0);
            a.pop(ds);
            a.mov(edx, __dword_ptr[0x5000]);
            a.lds(esi, __dword_ptr[0x6000]);
            a.mov(edi, __dword_ptr[0x5000]);
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.les(esi, __dword_ptr[0x6000]);
            a.mov(ebp, __dword_ptr.es[0x5000]);
            a.mov(ax, Data0);
            a.mov(es, ax);
            a.mov(eax, __dword_ptr.es[0x5000]);
            a.dec(ecx);
            a.jne(loop);
            a.hlt();
        });
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        Assert.Equal(0x2222_2222u, (uint)t.Cpu.Rbx);
        Assert.Equal(0x1111_1111u, (uint)t.Cpu.Rdx);
        Assert.Equal(0x2222_2222u, (uint)t.Cpu.Rdi);
        Assert.Equal(0x2222_2222u, (uint)t.Cpu.Rbp);
        Assert.Equal(0x1111_1111u, (uint)t.Cpu.Rax);
        Assert.Equal(0u, (uint)t.Cpu.Rcx);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public void RdtscInRing3WithCr4TsdRaisesGeneralProtectionAndOtherwiseReadsTheCounter(int tierUpThreshold)
    {
        // SDM RDTSC: #GP(0) if CR4.TSD = 1 and CPL > 0. Ring 3 reads the counter twice with TSD clear (same value
        // within one block, in both tiers), then sets nothing and faults on the third read after ring 0 set TSD.
        using var t = FlatMachine();
        t.Core.Cache.TierUpThreshold = tierUpThreshold;
        t.Core.Cache.BackgroundCompilation = false;
        InstallGpRecorder(t);
        Write64(t, Idt + 0x80 * 8, Gate(Code0, 0x9100, 0xE, 3));
        t.Load(32, 0x9100, a =>
        {
            a.mov(eax, cr4); // INT 80h from ring 3: set CR4.TSD, return
            a.or(eax, 4);
            a.mov(cr4, eax);
            a.iretd();
        });
        t.Load(32, 0xA000, a =>
        {
            a.rdtsc();
            a.mov(esi, eax);
            a.mov(edi, edx);
            a.rdtsc();
            a.mov(ebx, eax);
            a.mov(ecx, edx);
            a.@int(0x80);
            a.rdtsc(); // at 0xA00E: faults
            a.hlt();
        });
        RunTo32(t, a => EnterRing3(a, 0xA000));
        t.RunToHalt();
        Assert.Equal(0xA00Eul, t.Memory.Read(0x6004, 4));
        Assert.Equal(0ul, t.Memory.Read(0x6000, 4));
        Assert.Equal((uint)t.Cpu.Rsi, (uint)t.Cpu.Rbx);
        Assert.Equal((uint)t.Cpu.Rdi, (uint)t.Cpu.Rcx);
        Assert.NotEqual(0u, (uint)t.Cpu.Rsi);
    }

    /// <summary>#GP handler at 0x9000 (ring 0): stores the error code at 0x6000 and the faulting EIP at 0x6004, halts.</summary>
    private static void InstallGpRecorder(TestCpu t)
    {
        Write64(t, Idt + 13 * 8, Gate(Code0, 0x9000, 0xE, 0));
        t.Load(32, 0x9000, a =>
        {
            a.push(eax);
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.pop(eax);
            a.pop(eax); // error code
            a.mov(__dword_ptr[0x6000], eax);
            a.pop(eax); // faulting EIP
            a.mov(__dword_ptr[0x6004], eax);
            a.hlt();
        });
    }

    [Fact]
    public void EntersProtectedModeThroughAFarJump()
    {
        using var t = FlatMachine();
        RunTo32(t, a =>
        {
            a.mov(__dword_ptr[0x5000], 0xCAFEBABE);
            a.hlt();
        });
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        Assert.True(t.Cpu.ProtectedMode);
        Assert.True(t.Cpu.Cs.Big);
        Assert.Equal(Code0, t.Cpu.Cs.Selector);
        Assert.Equal(0xCAFEBABEul, t.Memory.Read(0x5000, 4));
    }

    /// <summary>A #PF handler at 0x9000 that stores the error code at 0x6000 and CR2 at 0x6004, then halts.</summary>
    private static void InstallPageFaultRecorder(TestCpu t)
    {
        Write64(t, Idt + 14 * 8, Gate(Code0, 0x9000, 0xE, 0));
        t.Load(32, 0x9000, a =>
        {
            a.push(eax);
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.pop(eax);
            a.pop(eax);
            a.mov(__dword_ptr[0x6000], eax);
            a.mov(eax, cr2);
            a.mov(__dword_ptr[0x6004], eax);
            a.hlt();
        });
    }

    [Fact]
    public void PageFaultReportsCr2AndErrorCode()
    {
        using var t = FlatMachine();
        // Identity-map the first 4 MiB except page 0x400 (linear 0x400000 lies outside: not present PDE),
        // and map page 0x300 read-only for a write-protection fault.
        Write32(t, PageDir, (uint)PageTable | 0x7);
        for (uint p = 0; p < 1024; p++) Write32(t, PageTable + p * 4, (p << 12) | (p == 0x300 ? 0x5u : 0x7u));
        // #PF handler: store CR2 and the error code, then halt.
        InstallPageFaultRecorder(t);
        RunTo32(t, a =>
        {
            a.mov(eax, (uint)PageDir);
            a.mov(cr3, eax);
            a.mov(eax, cr0);
            a.or(eax, 0x80010000); // PG | WP
            a.mov(cr0, eax);
            a.mov(__dword_ptr[0x300010], 1); // write to a read-only page: #PF(P=1, W=1)
            a.hlt();
        });
        t.RunToHalt();
        Assert.Equal(0x300010ul, t.Memory.Read(0x6004, 4));
        Assert.Equal(0x3ul, t.Memory.Read(0x6000, 4)); // present | write, supervisor
        // The accessed bit of the PDE was written back (SDM §4.8).
        Assert.NotEqual(0ul, t.Memory.Read(PageDir, 4) & 0x20);
    }

    /// <summary>One page table mapping linear 0–4 MiB to the same physical addresses (user, writable).</summary>
    private static void IdentityMapFirst4MiB(TestCpu t)
    {
        Write32(t, PageDir, (uint)PageTable | 0x7);
        for (uint p = 0; p < 1024; p++) Write32(t, PageTable + p * 4, (p << 12) | 0x7u);
    }

    /// <summary>CR3 = the page directory, then CR0.PG.</summary>
    private static void EnablePaging(Iced.Intel.Assembler a)
    {
        a.mov(eax, (uint)PageDir);
        a.mov(cr3, eax);
        a.mov(eax, cr0);
        a.or(eax, 0x80000000);
        a.mov(cr0, eax);
    }

    [Fact]
    public void AFunctionWhosePageIsRemappedRunsTheNewCodeOnItsNextCall()
    {
        using var t = FlatMachine();
        t.Core.Cache.TierUpThreshold = 0;
        t.Core.Cache.BackgroundCompilation = false;
        // Linear page 0x200000 first maps frame 0x200000 (EBX += 1), then frame 0x201000 (EBX += 100): the call's
        // link to the old function must not survive the INVLPG (SDM Vol. 3A §4.10.4.1), while the loop's links
        // within its own page may.
        IdentityMapFirst4MiB(t);
        t.Load(32, 0x200000, a =>
        {
            a.add(ebx, 1);
            a.ret();
        });
        t.Load(32, 0x201000, a =>
        {
            a.add(ebx, 100);
            a.ret();
        });
        RunTo32(t, a =>
        {
            var loop = a.CreateLabel();
            var skip = a.CreateLabel();
            EnablePaging(a);
            a.xor(ebx, ebx);
            a.mov(ecx, 4);
            a.Label(ref loop);
            a.call(0x200000ul);
            a.cmp(ecx, 3);
            a.jne(skip);
            a.mov(__dword_ptr[(uint)PageTable + 0x200 * 4], 0x201007);
            a.invlpg(__byte_ptr[0x200000]);
            a.Label(ref skip);
            a.dec(ecx);
            a.jne(loop);
            a.hlt();
        });
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        Assert.Equal(1u + 1 + 100 + 100, (uint)t.Cpu.Rbx);
    }

    /// <summary>
    /// INVLPG of a data page takes effect at once (the next read sees the new mapping) but starts no new translation
    /// epoch — lookups and links of code stay valid — while INVLPG of a page holding code looked up in this epoch
    /// does (the test above shows why it must).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InvlpgOfADataPageKeepsTheTranslationEpochAndOfACodePageStartsANewOne(bool codePage)
    {
        using var t = FlatMachine();
        t.Core.Cache.TierUpThreshold = 0;
        t.Core.Cache.BackgroundCompilation = false;
        IdentityMapFirst4MiB(t);
        Write32(t, 0x300000, 11);
        Write32(t, 0x301000, 22);
        t.Load(32, 0x200000, a =>
        {
            a.add(ebx, __dword_ptr[0x300000]);
            a.ret();
        });
        RunTo32(t, a =>
        {
            EnablePaging(a);
            a.xor(ebx, ebx);
            a.call(0x200000ul);
            a.hlt();
            a.mov(__dword_ptr[(uint)PageTable + 0x300 * 4], 0x301007); // the data page now maps frame 0x301000
            a.invlpg(__byte_ptr[codePage ? 0x200000 : 0x300000]);
            a.call(0x200000ul);
            a.hlt();
        });
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        Assert.Equal(11u, (uint)t.Cpu.Rbx);
        long epochAfterPaging = t.Cpu.TranslationEpoch;
        t.Cpu.Halted = false;
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        // The data page's INVLPG took effect: the function read the newly mapped frame.
        if (!codePage) Assert.Equal(11u + 22, (uint)t.Cpu.Rbx);
        Assert.Equal(epochAfterPaging + (codePage ? 1 : 0), t.Cpu.TranslationEpoch);
    }

    [Fact]
    public void NotPresentPageFaultHasErrorCodeZeroForSupervisorRead()
    {
        using var t = FlatMachine();
        IdentityMapFirst4MiB(t);
        InstallPageFaultRecorder(t);
        RunTo32(t, a =>
        {
            EnablePaging(a);
            a.mov(ebx, __dword_ptr[0x500004]); // PDE 1 not present
            a.hlt();
        });
        t.RunToHalt();
        Assert.Equal(0x500004ul, t.Memory.Read(0x6004, 4));
        Assert.Equal(0ul, t.Memory.Read(0x6000, 4));
    }

    [Fact]
    public void InterruptFromRing3SwitchesToTheTssStackAndIretReturns()
    {
        using var t = FlatMachine();
        Write64(t, Idt + 0x80 * 8, Gate(Code0, 0x9000, 0xE, 3));
        t.Load(32, 0x9000, a =>
        {
            a.push(eax);
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.pop(eax);
            // Ring 0: record CS of the interrupted code and the old SS:ESP from the frame, then return.
            a.mov(eax, __dword_ptr[esp + 4]);
            a.mov(__dword_ptr[0x6000], eax);
            a.mov(eax, __dword_ptr[esp + 12]);
            a.mov(__dword_ptr[0x6004], eax);
            a.mov(eax, __dword_ptr[esp + 16]);
            a.mov(__dword_ptr[0x6008], eax);
            a.mov(__dword_ptr[0x600C], esp);
            a.iretd();
        });
        t.Load(32, 0xA000, a =>
        {
            a.mov(ax, Data3);
            a.mov(ds, ax);
            // Ring 3
            a.mov(ebx, 0x1234);
            a.@int(0x80);
            a.mov(ax, Data3); // the handler loaded DS with a ring-0 selector; IRET to ring 3 nulled it (SDM IRET)
            a.mov(ds, ax);
            a.mov(__dword_ptr[0x6010], ebx);
            a.mov(__word_ptr[0x6014], cs);
            var spin = a.CreateLabel();
            a.Label(ref spin);
            a.jmp(spin);
        });
        RunTo32(t, a =>
        {
            // iretd to ring 3: push SS, ESP, EFLAGS, CS, EIP
            EnterRing3(a, 0xA000);
        });
        t.RunToHalt(20_000);
        Assert.Equal((ulong)Code3, t.Memory.Read(0x6000, 4));
        Assert.Equal(0x70000ul, t.Memory.Read(0x6004, 4));
        Assert.Equal((ulong)Data3, t.Memory.Read(0x6008, 4));
        Assert.Equal(0x90000ul - 20, t.Memory.Read(0x600C, 4)); // five dwords pushed on the ring-0 stack
        Assert.Equal(0x1234ul, t.Memory.Read(0x6010, 4));
        Assert.Equal((ulong)Code3, t.Memory.Read(0x6014, 2));
        Assert.Equal(3, t.Cpu.Cpl);
    }

    [Fact]
    public void PrivilegedInstructionInRing3RaisesGeneralProtection()
    {
        using var t = FlatMachine();
        InstallGpRecorder(t);
        t.Load(32, 0xA000, a =>
        {
            a.mov(ax, Data3);
            a.mov(ds, ax);
            a.nop();
            a.cli(); // IOPL 0 < CPL 3
        });
        RunTo32(t, a =>
        {
            EnterRing3(a, 0xA000);
        });
        t.RunToHalt();
        Assert.Equal(0ul, t.Memory.Read(0x6000, 4));
        Assert.Equal(0xA008ul, t.Memory.Read(0x6004, 4)); // CLI itself (after MOV AX (4 bytes), MOV DS (3), NOP): a fault
    }

    [Fact]
    public void CallGateRaisesPrivilegeAndCopiesParameters()
    {
        using var t = FlatMachine();
        Write64(t, Gdt + GateSel, Gate(Code0, 0x9000, 0xC, 3, paramCount: 2));
        t.Load(32, 0x9000, a =>
        {
            a.push(eax);
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.pop(eax);
            // Ring 0 through the gate: frame = EIP, CS, param1, param2, ESP, SS (SDM Figure 5-13).
            a.mov(eax, __dword_ptr[esp + 8]);
            a.mov(__dword_ptr[0x6000], eax);
            a.mov(eax, __dword_ptr[esp + 12]);
            a.mov(__dword_ptr[0x6004], eax);
            a.mov(__word_ptr[0x6008], cs);
            a.retf(8);
        });
        t.Load(32, 0xA000, a =>
        {
            a.mov(ax, Data3);
            a.mov(ds, ax);
            a.push(0x22222222);
            a.push(0x11111111);
            a.call(GateSel, 0);
            a.mov(ax, Data3); // RETF to ring 3 nulled the ring-0 DS (SDM RET)
            a.mov(ds, ax);
            a.mov(__dword_ptr[0x600C], esp);
            a.mov(__word_ptr[0x6010], cs);
            var spin = a.CreateLabel();
            a.Label(ref spin);
            a.jmp(spin);
        });
        RunTo32(t, a =>
        {
            EnterRing3(a, 0xA000);
        });
        t.RunToHalt(20_000);
        Assert.Equal(0x11111111ul, t.Memory.Read(0x6000, 4));
        Assert.Equal(0x22222222ul, t.Memory.Read(0x6004, 4));
        Assert.Equal((ulong)Code0, t.Memory.Read(0x6008, 2));
        Assert.Equal(0x70000ul, t.Memory.Read(0x600C, 4)); // RETF 8 popped the parameters from the ring-3 stack
        Assert.Equal((ulong)Code3, t.Memory.Read(0x6010, 2));
    }

    [Fact]
    public void DoubleFaultThroughATaskGateSwitchesTask()
    {
        using var t = FlatMachine();
        // A second TSS for the #DF task, reached through a task gate in IDT[8]; #NP on vector 0x40 (gate not present)
        // whose own delivery fails (#NP handler gate not present) escalates to #DF.
        Write64(t, Gdt + Tss2Sel, Descriptor((uint)Tss2, 0x67, 0x89, 0x0));
        Write32(t, Tss2 + 0x1C, 0); // CR3
        Write32(t, Tss2 + 0x20, 0x9000); // EIP
        Write32(t, Tss2 + 0x24, 0x2); // EFLAGS
        Write32(t, Tss2 + 0x38, 0x88000); // ESP
        foreach (var (off, sel) in new[] { (0x48, Data0), (0x4C, Code0), (0x50, Data0), (0x54, Data0), (0x58, Data0), (0x5C, Data0) })
            Write32(t, Tss2 + (ulong)off, sel);
        Write64(t, Idt + 8 * 8, Gate(Tss2Sel, 0, 0x5, 0));
        t.Load(32, 0x9000, a =>
        {
            a.push(eax);
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.pop(eax);
            a.str(ax);
            a.mov(__word_ptr[0x6000], ax);
            a.pop(eax); // #DF error code (0)
            a.mov(__dword_ptr[0x6004], eax);
            a.hlt();
        });
        RunTo32(t, a =>
        {
            a.@int(0x40); // IDT[0x40] not present → #NP; IDT[11] not present → #NP during #NP delivery → #DF
            a.hlt();
        });
        // IDT[0x40] and IDT[11] are zero (not present): make them present-bit-clear gates explicitly.
        Write64(t, Idt + 0x40 * 8, Gate(Code0, 0xB000, 0xE, 3) & ~(0x80ul << 40));
        t.RunToHalt();
        Assert.Equal((ulong)Tss2Sel, t.Memory.Read(0x6000, 2));
        Assert.Equal(0ul, t.Memory.Read(0x6004, 4));
        // The outgoing task's busy bit stays set (nested via interrupt), and the back link points to it.
        Assert.Equal((ulong)TssSel, t.Memory.Read(Tss2, 2));
        Assert.NotEqual(0u, t.Cpu.Eflags & Eflags.NT);
    }

    [Fact]
    public void Virtual8086ModeTrapsIntWhenIoplIsBelowThree()
    {
        using var t = FlatMachine();
        Write64(t, Idt + 13 * 8, Gate(Code0, 0x9000, 0xE, 0));
        t.Load(32, 0x9000, a =>
        {
            a.push(eax);
            a.mov(ax, Data0);
            a.mov(ds, ax);
            a.pop(eax);
            // Frame from v8086: error, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
            a.mov(eax, __dword_ptr[esp + 12]);
            a.mov(__dword_ptr[0x6000], eax); // EFLAGS with VM
            a.mov(eax, __dword_ptr[esp + 8]);
            a.mov(__dword_ptr[0x6004], eax); // v86 CS
            a.mov(eax, __dword_ptr[esp + 4]);
            a.mov(__dword_ptr[0x6008], eax); // faulting IP
            a.hlt();
        });
        // v8086 code at 0x2000:0x0010 = linear 0x20010.
        t.Load(16, 0x20010, a =>
        {
            a.mov(ax, 0x1234);
            a.@int(0x21);
        });
        RunTo32(t, a =>
        {
            a.push(0); // GS
            a.push(0); // FS
            a.push(0); // DS
            a.push(0); // ES
            a.push(0x3000); // SS
            a.push(0x0100); // SP
            a.push(0x20002); // EFLAGS: VM, IOPL 0
            a.push(0x2000); // CS
            a.push(0x0010); // IP
            a.iretd();
        });
        t.RunToHalt();
        Assert.NotEqual(0ul, t.Memory.Read(0x6000, 4) & Eflags.VM);
        Assert.Equal(0x2000ul, t.Memory.Read(0x6004, 4));
        Assert.Equal(0x13ul, t.Memory.Read(0x6008, 4)); // the INT (after the 3-byte MOV)
        Assert.False(t.Cpu.V86Mode);
    }

    [Fact]
    public void InstructionBreakpointFaultsBeforeTheInstructionAndResumesWithRf()
    {
        using var t = FlatMachine();
        Write64(t, Idt + 1 * 8, Gate(Code0, 0x9000, 0xE, 0));
        t.Load(32, 0x9000, a =>
        {
            a.mov(eax, dr6);
            a.mov(__dword_ptr[0x6000], eax);
            a.mov(eax, __dword_ptr[esp]);
            a.mov(__dword_ptr[0x6004], eax); // pushed EIP: the breakpointed instruction
            a.mov(eax, __dword_ptr[esp + 8]);
            a.mov(__dword_ptr[0x6008], eax); // pushed EFLAGS: RF set
            a.inc(__dword_ptr[0x600C]);
            a.iretd();
        });
        t.Load(32, 0xB000, a =>
        {
            a.mov(ebx, 1);
            a.mov(ebx, 2); // 0xB005: breakpoint
            a.mov(__dword_ptr[0x6010], ebx);
            a.hlt();
        });
        RunTo32(t, a =>
        {
            a.mov(eax, 0xB005);
            a.mov(dr0, eax);
            a.mov(eax, 0x1); // L0, R/W0 = 00 (execution), LEN0 = 00
            a.mov(dr7, eax);
            a.jmp(0xB000);
        });
        t.RunToHalt();
        Assert.Equal(1ul, t.Memory.Read(0x6000, 4) & 0xF); // DR6.B0
        Assert.Equal(0xB005ul, t.Memory.Read(0x6004, 4));
        Assert.NotEqual(0ul, t.Memory.Read(0x6008, 4) & Eflags.RF);
        Assert.Equal(1ul, t.Memory.Read(0x600C, 4)); // once: RF suppressed the second hit
        Assert.Equal(2ul, t.Memory.Read(0x6010, 4));
    }

    [Fact]
    public void DataBreakpointTrapsAfterTheWritingInstruction()
    {
        using var t = FlatMachine();
        Write64(t, Idt + 1 * 8, Gate(Code0, 0x9000, 0xE, 0));
        t.Load(32, 0x9000, a =>
        {
            a.mov(eax, dr6);
            a.mov(__dword_ptr[0x6000], eax);
            a.mov(eax, __dword_ptr[esp]);
            a.mov(__dword_ptr[0x6004], eax); // pushed EIP: the instruction after the store
            a.inc(__dword_ptr[0x600C]);
            a.iretd();
        });
        t.Load(32, 0xB000, a =>
        {
            a.mov(__dword_ptr[0x5100], 7); // not watched
            a.mov(ebx, __dword_ptr[0x5002]); // a read: not watched by R/W = 01
            a.mov(__word_ptr[0x5002], 9); // watched (overlaps 0x5000–0x5003): #DB after it, at 0xB019 (10 + 6 + 9 bytes in)
            a.mov(__dword_ptr[0x6010], 1);
            a.hlt();
        });
        RunTo32(t, a =>
        {
            a.mov(eax, 0x5000);
            a.mov(dr1, eax);
            a.mov(eax, (3u << 22) | (1u << 20) | (1u << 2)); // L1, R/W1 = 01 (writes), LEN1 = 11 (4 bytes)
            a.mov(dr7, eax);
            a.jmp(0xB000);
        });
        t.RunToHalt();
        Assert.Equal(2ul, t.Memory.Read(0x6000, 4) & 0xF); // DR6.B1
        Assert.Equal(0xB019ul, t.Memory.Read(0x6004, 4));
        Assert.Equal(1ul, t.Memory.Read(0x600C, 4));
        Assert.Equal(9ul, t.Memory.Read(0x5002, 2)); // the store completed before the trap
        Assert.Equal(1ul, t.Memory.Read(0x6010, 4));
    }

    [Fact]
    public void FarJumpToA16BitTssSwitchesTaskAndSavesTheOutgoingState()
    {
        using var t = FlatMachine();
        const ulong Tss16 = 0x3400;
        Write64(t, Gdt + Tss2Sel, Descriptor((uint)Tss16, 0x2B, 0x81, 0x0)); // available 16-bit TSS (type 1)
        void W16(ulong off, ushort v) => t.Memory.WritePhysical(Tss16 + off, BitConverter.GetBytes(v));
        W16(14, 0x9000); // IP
        W16(16, 0x0002); // FLAGS
        W16(18, 0x1234); // AX
        W16(26, 0x8800); // SP
        W16(34, Data0); // ES
        W16(36, Code0); // CS
        W16(38, Data0); // SS
        W16(40, Data0); // DS
        W16(42, 0); // LDT
        t.Load(32, 0x9000, a =>
        {
            a.mov(__word_ptr[0x6000], ax);
            a.str(bx);
            a.mov(__word_ptr[0x6002], bx);
            a.hlt();
        });
        RunTo32(t, a =>
        {
            a.mov(eax, 0x55667788);
            a.jmp(Tss2Sel, 0);
        });
        t.RunToHalt();
        Assert.Equal(0x1234ul, t.Memory.Read(0x6000, 2));
        Assert.Equal((ulong)Tss2Sel, t.Memory.Read(0x6002, 2));
        Assert.Equal(0x55667788ul, t.Memory.Read(Tss + 0x28, 4)); // outgoing EAX saved in the 32-bit TSS
        Assert.Equal(0ul, t.Memory.Read(Tss16, 2)); // JMP: no back link
        Assert.Equal(0x8800ul, t.Cpu.Rsp & 0xFFFF);
        Assert.NotEqual(0u, t.Cpu.Cr0 & Cr.CR0_TS);
        // The old TSS is no longer busy (type 9), the new one is (type 3).
        Assert.Equal(0x9ul, (t.Memory.Read(Gdt + TssSel + 5, 1)) & 0xF);
        Assert.Equal(0x3ul, (t.Memory.Read(Gdt + Tss2Sel + 5, 1)) & 0xF);
    }
}
