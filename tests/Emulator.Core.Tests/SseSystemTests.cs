using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Simd;
using Emulator.Core.Execution;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// The system side of MMX/SSE (SDM Vol. 3A §2.5, §13.1-13.5, Vol. 1 §9.5, §11.5): #UD per CR0.EM/CR4.OSFXSR, #NM per
/// CR0.TS, #XM vs #UD per CR4.OSXMMEXCPT for unmasked exceptions, #GP for misaligned 16-byte operands and reserved
/// MXCSR bits, the MMX/x87 register aliasing and EMMS, FXSAVE/FXRSTOR of the SSE state, CPUID bits.
/// </summary>
public class SseSystemTests
{
    private const ushort Code = 0x7C00;
    private const ushort Data = 0x1000;
    private const ushort Marker = 0x500;

    /// <summary>Runs real-mode code with handlers for #UD, #NM, #GP and #XM that store their vector at 0x500 and halt.</summary>
    private static TestCpu Run(Action<Assembler> body, Action<TestCpu>? setup = null)
    {
        var t = new TestCpu();
        foreach (int v in new[] { Vectors.UD, Vectors.NM, Vectors.GP, Vectors.XM })
        {
            ushort handler = (ushort)(0x600 + 16 * v);
            t.Memory.WritePhysical((ulong)(4 * v), new byte[] { (byte)handler, (byte)(handler >> 8), 0, 0 });
            t.Load(16, handler, a =>
            {
                a.mov(__byte_ptr[Marker], (byte)v);
                a.hlt();
            });
        }
        t.Memory.WritePhysical(Marker, new byte[] { 0xFF });
        t.Load(16, Code, a =>
        {
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            body(a);
            a.mov(__byte_ptr[Marker], 0xEE);
            a.hlt();
        });
        t.Cpu.Cr4 |= Cr.CR4_OSFXSR;
        setup?.Invoke(t);
        t.StartReal(0, Code);
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        return t;
    }

    private static int Outcome(TestCpu t)
    {
        var b = new byte[1];
        t.Memory.ReadPhysical(Marker, b);
        return b[0];
    }

    private const int Completed = 0xEE;

    [Fact]
    public void AddpsNeedsOsfxsr()
    {
        using var t = Run(a => a.addps(xmm0, xmm1), t => t.Cpu.Cr4 &= ~Cr.CR4_OSFXSR);
        Assert.Equal(Vectors.UD, Outcome(t));
    }

    [Fact]
    public void EmulationBitMakesSseAndMmxUndefined()
    {
        using var t1 = Run(a => a.addps(xmm0, xmm1), t => t.Cpu.Cr0 |= Cr.CR0_EM);
        Assert.Equal(Vectors.UD, Outcome(t1));
        using var t2 = Run(a => a.paddb(mm0, mm1), t => t.Cpu.Cr0 |= Cr.CR0_EM);
        Assert.Equal(Vectors.UD, Outcome(t2));
    }

    [Fact]
    public void TaskSwitchedBitRaisesNmForLazySwitching()
    {
        using var t1 = Run(a => a.mulsd(xmm0, xmm1), t => t.Cpu.Cr0 |= Cr.CR0_TS);
        Assert.Equal(Vectors.NM, Outcome(t1));
        using var t2 = Run(a => a.movq(mm0, mm1), t => t.Cpu.Cr0 |= Cr.CR0_TS);
        Assert.Equal(Vectors.NM, Outcome(t2));
        using var t3 = Run(a => a.ldmxcsr(__dword_ptr[Data]), t => t.Cpu.Cr0 |= Cr.CR0_TS);
        Assert.Equal(Vectors.NM, Outcome(t3));
        // CLTS then the same instruction runs (the OS restored the state).
        using var t4 = Run(a =>
        {
            a.clts();
            a.mulsd(xmm0, xmm1);
        }, t => t.Cpu.Cr0 |= Cr.CR0_TS);
        Assert.Equal(Completed, Outcome(t4));
    }

    private static void DivideByZeroUnmasked(Assembler a)
    {
        a.ldmxcsr(__dword_ptr[Data]);
        a.movups(xmm0, __xmmword_ptr[Data + 0x10]);
        a.movups(xmm1, __xmmword_ptr[Data + 0x20]);
        a.divps(xmm0, xmm1);
    }

    private static void DivideSetup(TestCpu t, bool osxmmexcpt)
    {
        t.Memory.WritePhysical(Data, BitConverter.GetBytes(Mxcsr.Default & ~Mxcsr.ZM));
        var ones = new byte[16];
        for (int k = 0; k < 4; k++) BitConverter.GetBytes(1.0f).CopyTo(ones, 4 * k);
        t.Memory.WritePhysical(Data + 0x10, ones);
        var divisor = (byte[])ones.Clone();
        BitConverter.GetBytes(0.0f).CopyTo(divisor, 8);
        t.Memory.WritePhysical(Data + 0x20, divisor);
        if (osxmmexcpt) t.Cpu.Cr4 |= Cr.CR4_OSXMMEXCPT;
    }

    [Fact]
    public void UnmaskedZeroDivideIsXmWithOsxmmexcptAndUdWithout()
    {
        using var t1 = Run(DivideByZeroUnmasked, t => DivideSetup(t, true));
        Assert.Equal(Vectors.XM, Outcome(t1));
        Assert.Equal(Mxcsr.ZE, t1.Cpu.Fpu.Mxcsr & Mxcsr.Flags);
        Assert.Equal(BitConverter.SingleToUInt32Bits(1.0f), (uint)t1.Cpu.Fpu.Xmm[1]); // destination unchanged
        using var t2 = Run(DivideByZeroUnmasked, t => DivideSetup(t, false));
        Assert.Equal(Vectors.UD, Outcome(t2));
    }

    [Fact]
    public void MaskedZeroDivideGivesInfinityAndSetsZe()
    {
        using var t = Run(a =>
        {
            a.movups(xmm0, __xmmword_ptr[Data + 0x10]);
            a.movups(xmm1, __xmmword_ptr[Data + 0x20]);
            a.divps(xmm0, xmm1);
        }, t => DivideSetup(t, true));
        Assert.Equal(Completed, Outcome(t));
        Assert.Equal(float.PositiveInfinity, BitConverter.UInt32BitsToSingle((uint)t.Cpu.Fpu.Xmm[1]));
        Assert.Equal(Mxcsr.Default | Mxcsr.ZE, t.Cpu.Fpu.Mxcsr);
    }

    [Fact]
    public void MisalignedMovapsIsGpButMovupsIsNot()
    {
        using var t1 = Run(a => a.movaps(xmm0, __xmmword_ptr[Data + 4]));
        Assert.Equal(Vectors.GP, Outcome(t1));
        using var t2 = Run(a => a.movups(xmm0, __xmmword_ptr[Data + 4]));
        Assert.Equal(Completed, Outcome(t2));
        using var t3 = Run(a => a.paddd(xmm0, __xmmword_ptr[Data + 8]));
        Assert.Equal(Vectors.GP, Outcome(t3));
    }

    [Fact]
    public void LdmxcsrReservedBitIsGp()
    {
        using var t = Run(a => a.ldmxcsr(__dword_ptr[Data]), t => t.Memory.WritePhysical(Data, BitConverter.GetBytes(0x1_1F80u)));
        Assert.Equal(Vectors.GP, Outcome(t));
        Assert.Equal(Mxcsr.Default, t.Cpu.Fpu.Mxcsr);
    }

    [Fact]
    public void MmxAliasesX87AndEmmsEmpties()
    {
        using var t = Run(a =>
        {
            a.fninit();
            a.fld1();
            a.fld1();
            a.movq(mm3, __qword_ptr[Data]);
            a.fxsave(__[Data + 0x100]);
            a.emms();
        }, t => t.Memory.WritePhysical(Data, BitConverter.GetBytes(0x1122_3344_5566_7788ul)));
        Assert.Equal(Completed, Outcome(t));
        var f = t.Cpu.Fpu;
        Assert.Equal(0x1122_3344_5566_7788ul, f.Mantissa[3]);
        Assert.Equal(0xFFFF, f.SignExponent[3]);
        Assert.Equal(0, (f.Status >> 11) & 7); // TOP = 0
        var img = new byte[512];
        t.Memory.ReadPhysical(Data + 0x100, img);
        Assert.Equal(0xFF, img[4]); // abridged tag: all valid after the MMX instruction
        Assert.Equal(0x1122_3344_5566_7788ul, BitConverter.ToUInt64(img, 32 + 16 * 3)); // ST(3) = R3 with TOP = 0
        Assert.Equal(0xFFFF, f.Tag); // EMMS
    }

    [Fact]
    public void FxsaveAndFxrstorCarryXmmAndMxcsr()
    {
        using var t = Run(a =>
        {
            a.movups(xmm5, __xmmword_ptr[Data]);
            a.ldmxcsr(__dword_ptr[Data + 0x10]);
            a.fxsave(__[Data + 0x200]);
            a.pxor(xmm5, xmm5);
            a.ldmxcsr(__dword_ptr[Data + 0x14]);
            a.fxrstor(__[Data + 0x200]);
        }, t =>
        {
            var b = new byte[0x18];
            for (int k = 0; k < 16; k++) b[k] = (byte)(0xA0 + k);
            BitConverter.GetBytes(0x7F80u | Mxcsr.DAZ).CopyTo(b, 0x10);
            BitConverter.GetBytes(Mxcsr.Default).CopyTo(b, 0x14);
            t.Memory.WritePhysical(Data, b);
        });
        Assert.Equal(Completed, Outcome(t));
        var img = new byte[512];
        t.Memory.ReadPhysical(Data + 0x200, img);
        Assert.Equal(0x7F80u | Mxcsr.DAZ, BitConverter.ToUInt32(img, 24));
        Assert.Equal(0xFFFFu, BitConverter.ToUInt32(img, 28)); // MXCSR_MASK
        Assert.Equal(0xA7A6A5A4A3A2A1A0ul, BitConverter.ToUInt64(img, 160 + 16 * 5));
        Assert.Equal(0xA7A6A5A4A3A2A1A0ul, t.Cpu.Fpu.Xmm[10]);
        Assert.Equal(0xAFAEADACABAAA9A8ul, t.Cpu.Fpu.Xmm[11]);
        Assert.Equal(0x7F80u | Mxcsr.DAZ, t.Cpu.Fpu.Mxcsr);
    }

    [Fact]
    public void Core2DuoAdvertisesMmxThroughSsse3()
    {
        var m = CpuModel.Core2Duo;
        foreach (int bit in new[] { 19, 23, 24, 25, 26 }) Assert.True((m.Features1Edx & (1u << bit)) != 0, $"EDX bit {bit}");
        Assert.Equal((1u << 0) | (1u << 9), m.Features1Ecx & ((1u << 0) | (1u << 9)));
        Assert.Equal(0u, m.Features1Ecx & (1u << 3)); // no MONITOR/MWAIT
        Assert.Equal(0u, CpuModel.Pentium.Features1Edx & (1u << 25));
    }

    [Fact]
    public void SseOnAModelWithoutSseIsUd()
    {
        using var t = Run(a => a.addps(xmm0, xmm1), t => t.Cpu.Model = CpuModel.Pentium);
        Assert.Equal(Vectors.UD, Outcome(t));
    }
}
