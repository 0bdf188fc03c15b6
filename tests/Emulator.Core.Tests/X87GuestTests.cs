using System.Buffers.Binary;
using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Fpu;
using Emulator.Core.Execution;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>x87 instruction sequences run as real-mode guest code through the translator.</summary>
public class X87GuestTests
{
    private const ushort Code = 0x7C00;
    private const ushort Data = 0x0600;

    private static TestCpu Run(Action<Assembler> body, Action<TestCpu>? setup = null)
    {
        var t = new TestCpu();
        t.Load(16, Code, a =>
        {
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(sp, 0x7000);
            body(a);
            a.hlt();
        });
        setup?.Invoke(t);
        t.StartReal(0, Code);
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        return t;
    }

    private static byte[] Mem(TestCpu t, ulong addr, int n)
    {
        var b = new byte[n];
        t.Memory.ReadPhysical(addr, b);
        return b;
    }

    private static void Put(TestCpu t, ulong addr, byte[] b) => t.Memory.WritePhysical(addr, b);

    private static Float80 Tword(TestCpu t, ulong addr)
    {
        var b = Mem(t, addr, 10);
        return new Float80(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)), BinaryPrimitives.ReadUInt64LittleEndian(b));
    }

    private static byte[] F32(float v) => BitConverter.GetBytes(v);

    private static byte[] U16(ushort v) => BitConverter.GetBytes(v);

    [Fact]
    public void OneThirdRoundsPerPrecisionControl()
    {
        // 1/3 = 0.0101...b: the 64-bit significand AAAA...AAAA|AAA.. rounds up to ...AAAB; at 53 bits (double) it is
        // the significand of the double 1/3 (0x15555555555555) left-aligned.
        using var t = Run(a =>
        {
            a.fninit();
            a.fld1();
            a.fld(__dword_ptr[Data]);
            a.fdivp(st1, st0);
            a.fstp(__tword_ptr[Data + 0x10]);
            a.fldcw(__word_ptr[Data + 4]);
            a.fld1();
            a.fld(__dword_ptr[Data]);
            a.fdivp(st1, st0);
            a.fstp(__tword_ptr[Data + 0x20]);
        }, t =>
        {
            Put(t, Data, F32(3.0f));
            Put(t, Data + 4, U16(0x027F));
        });
        Assert.Equal(new Float80(0x3FFD, 0xAAAA_AAAA_AAAA_AAAB), Tword(t, Data + 0x10));
        ulong d = BitConverter.DoubleToUInt64Bits(1.0 / 3.0);
        Assert.Equal(new Float80(0x3FFD, ((d & 0xF_FFFF_FFFF_FFFF) | 0x10_0000_0000_0000) << 11), Tword(t, Data + 0x20));
        Assert.Equal(0xFFFF, t.Cpu.Fpu.Tag);
    }

    [Fact]
    public void FnstswAxAfterFcomReportsLessThan()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fld(__dword_ptr[Data]);
            a.fld1();
            a.fcom(st0, st1);
            a.fnstsw(ax);
            a.mov(bx, ax);
            a.fcomp(__dword_ptr[Data + 4]);
            a.fnstsw(ax);
            a.mov(cx, ax);
            a.fucompp();
            a.fnstsw(ax);
        }, t =>
        {
            Put(t, Data, F32(2.0f));
            Put(t, Data + 4, F32(1.0f));
        });
        // 1 < 2: C0 (bit 8); TOP = 6 after two loads.
        Assert.Equal(0x3100, (int)(t.Cpu.Rbx & 0xFFFF));
        // 1 == 1: C3 (bit 14), TOP still 6 when stored (FCOMP popped after comparing, so TOP = 7).
        Assert.Equal(0x4000 | (7 << 11), (int)(t.Cpu.Rcx & 0xFFFF));
        // FUCOMPP on an empty ST(1): stack underflow (IE, SF), masked → unordered C3 C2 C0, TOP back to 1.
        ushort sw = (ushort)t.Cpu.Rax;
        Assert.Equal(X87.SW_IE | X87.SW_SF | X87.SW_C0 | X87.SW_C2 | X87.SW_C3 | (1 << 11), sw);
    }

    [Fact]
    public void FcomiSetsCarryForLessAndBranchesOnIt()
    {
        using var t = Run(a =>
        {
            var less = a.CreateLabel();
            var done = a.CreateLabel();
            a.fninit();
            a.fld(__dword_ptr[Data]);
            a.fld1();
            a.mov(dx, 0);
            a.fcomip(st0, st1);
            a.jb(less);
            a.mov(dx, 1);
            a.jmp(done);
            a.Label(ref less);
            a.mov(dx, 2);
            a.Label(ref done);
            a.fldz();
            a.fucomi(st0, st0);
            a.pushf();
            a.pop(cx);
        }, t => Put(t, Data, F32(2.0f)));
        Assert.Equal(2u, (uint)t.Cpu.Rdx & 0xFFFF);
        Assert.Equal(Eflags.ZF, (uint)t.Cpu.Rcx & (Eflags.ZF | Eflags.PF | Eflags.CF));
    }

    [Fact]
    public void FnsaveFrstorRoundTrip()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fldcw(__word_ptr[Data]);
            a.fldpi();
            a.fld1();
            a.fnsave(__[Data + 0x100]);
            a.fnstcw(__word_ptr[Data + 2]);
            a.frstor(__[Data + 0x100]);
            a.fstp(__tword_ptr[Data + 0x10]);
            a.fstp(__tword_ptr[Data + 0x20]);
            a.fnstcw(__word_ptr[Data + 4]);
        }, t => Put(t, Data, U16(0x0F7F)));
        // Real-mode 16-bit FNSAVE image: FCW, FSW, FTW, FIP, FOP/FIP high, FDP, FDP high, then ST(0)..ST(7) at 14.
        var img = Mem(t, Data + 0x100, 94);
        Assert.Equal(0x0F7F, BinaryPrimitives.ReadUInt16LittleEndian(img));
        Assert.Equal(6 << 11, BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(2)));
        Assert.Equal(0x0FFF, BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(4))); // R6 valid (1.0), R7 valid (pi): tags 00
        Assert.Equal(0x8000_0000_0000_0000ul, BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(14)));
        Assert.Equal(0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(22)));
        Assert.Equal(0x037F, BinaryPrimitives.ReadUInt16LittleEndian(Mem(t, Data + 2, 2))); // FNSAVE then FNINIT
        Assert.Equal(Float80.One, Tword(t, Data + 0x10));
        // FLDPI under round-toward-zero (RC = 3 from 0x0F7F) gives the truncated 64-bit pi.
        Assert.Equal(new Float80(0x4000, 0xC90F_DAA2_2168_C234), Tword(t, Data + 0x20));
        Assert.Equal(0x0F7F, BinaryPrimitives.ReadUInt16LittleEndian(Mem(t, Data + 4, 2)));
    }

    [Fact]
    public void FldpiRoundsToNearestByDefault()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fldpi();
            a.fldl2e();
            a.fldln2();
            a.fstp(__tword_ptr[Data + 0x20]);
            a.fstp(__tword_ptr[Data + 0x10]);
            a.fstp(__tword_ptr[Data]);
        });
        Assert.Equal(new Float80(0x4000, 0xC90F_DAA2_2168_C235), Tword(t, Data));
        Assert.Equal(new Float80(0x3FFF, 0xB8AA_3B29_5C17_F0BC), Tword(t, Data + 0x10));
        Assert.Equal(new Float80(0x3FFE, 0xB172_17F7_D1CF_79AC), Tword(t, Data + 0x20));
    }

    [Fact]
    public void TaskSwitchedRaisesDeviceNotAvailableBeforeTouchingTheFpu()
    {
        using var t = Run(a =>
        {
            a.mov(bx, 0);
            a.fld1();
            a.mov(bx, 0x55);
        }, t =>
        {
            // #NM handler at 0000:0500: records the vector's work in CX and halts.
            t.Load(16, 0x500, a =>
            {
                a.mov(cx, 0x77);
                a.hlt();
            });
            t.Memory.WritePhysical(7 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 });
            t.Cpu.Cr0 |= Cr.CR0_TS;
        });
        Assert.Equal(0x77u, (uint)t.Cpu.Rcx & 0xFFFF);
        Assert.Equal(0u, (uint)t.Cpu.Rbx & 0xFFFF);
        Assert.Equal(0x5555, t.Cpu.Fpu.Tag); // still the RESET state: nothing was pushed
    }

    [Fact]
    public void UnmaskedZeroDivideRaisesMathFaultOnNextWaitingInstruction()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fldcw(__word_ptr[Data]);
            a.fld1();
            a.fldz();
            a.fdivp(st1, st0);
            a.mov(bx, 0x11);
            a.fld1();
            a.mov(bx, 0x22);
        }, t =>
        {
            Put(t, Data, U16(0x037B)); // ZE unmasked
            t.Load(16, 0x500, a =>
            {
                a.mov(cx, 0x10);
                a.hlt();
            });
            t.Memory.WritePhysical(16 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 });
            t.Cpu.Cr0 |= Cr.CR0_NE;
        });
        Assert.Equal(0x10u, (uint)t.Cpu.Rcx & 0xFFFF);
        Assert.Equal(0x11u, (uint)t.Cpu.Rbx & 0xFFFF);
        var f = t.Cpu.Fpu;
        Assert.True((f.Status & (X87.SW_ZE | X87.SW_ES | X87.SW_B)) == (X87.SW_ZE | X87.SW_ES | X87.SW_B));
        // The faulting FDIVP left both operands in place (no pop).
        Assert.Equal(6, X87.Top(f));
        Assert.Equal(Float80.One, X87.St(f, 1));
        Assert.False(f.FerrPending);
    }

    [Fact]
    public void UnmaskedExceptionWithoutNeSetsFerrPending()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fldcw(__word_ptr[Data]);
            a.fld1();
            a.fldz();
            a.fdivp(st1, st0);
        }, t => Put(t, Data, U16(0x037B)));
        Assert.True(t.Cpu.Fpu.FerrPending);
    }

    [Fact]
    public void FistRoundsPerControlAndFisttpTruncates()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fld(__dword_ptr[Data]);
            a.fist(__word_ptr[Data + 0x10]);
            a.fldcw(__word_ptr[Data + 4]);
            a.fist(__dword_ptr[Data + 0x14]);
            a.fisttp(__qword_ptr[Data + 0x18]);
            a.fld(__dword_ptr[Data + 8]);
            a.fistp(__word_ptr[Data + 0x20]);
        }, t =>
        {
            Put(t, Data, F32(-2.5f));
            Put(t, Data + 4, U16(0x077F)); // round down
            Put(t, Data + 8, F32(40000f));
        });
        Assert.Equal(-2, BinaryPrimitives.ReadInt16LittleEndian(Mem(t, Data + 0x10, 2))); // nearest-even
        Assert.Equal(-3, BinaryPrimitives.ReadInt32LittleEndian(Mem(t, Data + 0x14, 4))); // toward -inf
        Assert.Equal(-2L, BinaryPrimitives.ReadInt64LittleEndian(Mem(t, Data + 0x18, 8))); // truncation
        Assert.Equal(unchecked((short)0x8000), BinaryPrimitives.ReadInt16LittleEndian(Mem(t, Data + 0x20, 2))); // integer indefinite
        Assert.True((t.Cpu.Fpu.Status & X87.SW_IE) != 0);
    }

    [Fact]
    public void FbldFbstpRoundTripPackedBcd()
    {
        byte[] bcd = { 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80 }; // -123456789
        using var t = Run(a =>
        {
            a.fninit();
            a.fbld(__tword_ptr[Data]);
            a.fist(__dword_ptr[Data + 0x20]);
            a.fbstp(__tword_ptr[Data + 0x10]);
        }, t => Put(t, Data, bcd));
        Assert.Equal(-123456789, BinaryPrimitives.ReadInt32LittleEndian(Mem(t, Data + 0x20, 4)));
        Assert.Equal(bcd, Mem(t, Data + 0x10, 10));
    }

    [Fact]
    public void FxsaveImageHoldsControlStatusAndRegisters()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fld1();
            a.fxsave(__[Data + 0x200]);
            a.fninit();
            a.fxrstor(__[Data + 0x200]);
            a.fstp(__tword_ptr[Data]);
        });
        var img = Mem(t, Data + 0x200, 512);
        Assert.Equal(0x037F, BinaryPrimitives.ReadUInt16LittleEndian(img));
        Assert.Equal(7 << 11, BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(2)));
        Assert.Equal(0x80, img[4]); // abridged tag: only R7 in use
        Assert.Equal(0x1F80u, BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(24)));
        Assert.Equal(0x8000_0000_0000_0000ul, BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(32)));
        Assert.Equal(Float80.One, Tword(t, Data));
    }
}
