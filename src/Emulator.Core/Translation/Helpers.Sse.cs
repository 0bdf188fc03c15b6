using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Simd;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// MMX, SSE, SSE2, SSE3 and SSSE3 (SDM Vol. 1 chapters 9-12): operand access, the #UD/#NM/#MF/#XM rules, MXCSR,
/// data movement and the floating-point instructions. MMX registers alias the x87 significands (an MMX instruction
/// sets TOP = 0 and tags every register valid, EMMS empties them). Floating-point results come from
/// <see cref="SseFloat"/>, or from the host (System.Runtime.Intrinsics, or plain IEEE arithmetic when the host has
/// no SSE or <see cref="CpuState.HostSimd"/> is off) when MXCSR and the operands make the host result exactly Intel's.
/// </summary>
public static partial class Helpers
{
    [StructLayout(LayoutKind.Sequential)]
    private struct X128
    {
        public ulong Lo, Hi;

        public X128(ulong lo, ulong hi)
        {
            Lo = lo;
            Hi = hi;
        }

        public ulong Get(int k, bool d) => d ? (k == 0 ? Lo : Hi) : ((k < 2 ? Lo : Hi) >> (32 * (k & 1))) & 0xFFFF_FFFFul;

        public void Set(int k, bool d, ulong v)
        {
            if (d)
            {
                if (k == 0) Lo = v;
                else Hi = v;
                return;
            }
            int sh = 32 * (k & 1);
            ulong m = 0xFFFF_FFFFul << sh;
            if (k < 2) Lo = (Lo & ~m) | ((v & 0xFFFF_FFFFul) << sh);
            else Hi = (Hi & ~m) | ((v & 0xFFFF_FFFFul) << sh);
        }
    }

    private static Span<byte> Bytes(ref X128 v) => MemoryMarshal.CreateSpan(ref Unsafe.As<X128, byte>(ref v), 16);

    private static Vector128<byte> Vec(in X128 v) => Vector128.Create(v.Lo, v.Hi).AsByte();

    private static X128 FromVec(Vector128<byte> v)
    {
        var u = v.AsUInt64();
        return new X128(u.GetElement(0), u.GetElement(1));
    }

    // CPUID.1 feature bits (SDM Vol. 2A Tables 3-10, 3-11).
    internal const uint CpuidMmx = 1u << 23, CpuidSse = 1u << 25, CpuidSse2 = 1u << 26, CpuidSse3 = 1u << 0, CpuidSsse3 = 1u << 9;

    /// <summary>Whether the CPU model advertises the instruction's feature set (others are #UD).</summary>
    private static bool ModelHas(CpuState cpu, in Instruction i)
    {
        var m = cpu.Model;
        const uint allEdx = CpuidMmx | CpuidSse | CpuidSse2, allEcx = CpuidSse3 | CpuidSsse3;
        if ((m.Features1Edx & allEdx) == allEdx && (m.Features1Ecx & allEcx) == allEcx) return true;
        foreach (var f in i.Code.CpuidFeatures())
        {
            bool ok = f switch
            {
                CpuidFeature.MMX => (m.Features1Edx & CpuidMmx) != 0,
                CpuidFeature.SSE => (m.Features1Edx & CpuidSse) != 0,
                CpuidFeature.SSE2 => (m.Features1Edx & CpuidSse2) != 0,
                CpuidFeature.SSE3 => (m.Features1Ecx & CpuidSse3) != 0,
                CpuidFeature.SSSE3 => (m.Features1Ecx & CpuidSsse3) != 0,
                _ => true,
            };
            if (!ok) return false;
        }
        return true;
    }

    private static bool UsesMm(in Instruction i)
    {
        for (int k = 0; k < i.OpCount; k++)
        {
            if (i.GetOpKind(k) == OpKind.Register && i.GetOpRegister(k).IsMM()) return true;
        }
        return false;
    }

    private static bool UsesXmm(in Instruction i)
    {
        for (int k = 0; k < i.OpCount; k++)
        {
            if (i.GetOpKind(k) == OpKind.Register && i.GetOpRegister(k).IsXMM()) return true;
        }
        return false;
    }

    /// <summary>
    /// The checks before an MMX/SSE instruction (SDM Vol. 3A Table 12-1 / 13-?): CR0.EM → #UD; an XMM instruction
    /// with CR4.OSFXSR = 0 → #UD; CR0.TS → #NM; an MMX instruction with a pending x87 exception → #MF; then the
    /// x87 → MMX transition. False when it faulted.
    /// </summary>
    private static bool SimdEnter(CpuState cpu, in Instruction i, bool sseClass = false)
    {
        bool mm = UsesMm(i), xmm = sseClass || UsesXmm(i);
        uint cr0 = cpu.Cr0;
        if ((cr0 & Cr.CR0_EM) != 0 || (xmm && (cpu.Cr4 & Cr.CR4_OSFXSR) == 0) || !ModelHas(cpu, i))
        {
            Ud(cpu);
            return false;
        }
        if ((cr0 & Cr.CR0_TS) != 0)
        {
            cpu.RaiseException(Vectors.NM);
            return false;
        }
        if (mm)
        {
            if (!FpuWaitCheck(cpu)) return false;
            MmxTransition(cpu.Fpu);
        }
        return true;
    }

    /// <summary>x87 → MMX state: TOP = 0 and every tag valid (SDM Vol. 1 §9.5.1).</summary>
    private static void MmxTransition(FpuState f)
    {
        f.Status &= unchecked((ushort)~(7 << 11));
        f.Tag = 0;
    }

    private static X128 GetXmm(CpuState cpu, Register r)
    {
        int n = 2 * (r - Register.XMM0);
        var x = cpu.Fpu.Xmm;
        return new X128(x[n], x[n + 1]);
    }

    private static void SetXmm(CpuState cpu, Register r, in X128 v)
    {
        int n = 2 * (r - Register.XMM0);
        var x = cpu.Fpu.Xmm;
        x[n] = v.Lo;
        x[n + 1] = v.Hi;
    }

    /// <summary>An MMX register write: the significand of R(n), with sign and exponent all ones (SDM Vol. 1 §9.5.1).</summary>
    private static void SetMm(CpuState cpu, Register r, ulong v)
    {
        int n = r - Register.MM0;
        cpu.Fpu.Mantissa[n] = v;
        cpu.Fpu.SignExponent[n] = 0xFFFF;
    }

    /// <summary>Legacy SSE 16-byte memory operands must be aligned except for these (SDM Vol. 1 §11.6.7... per instruction).</summary>
    private static bool NeedsAlign(in Instruction i) => i.Mnemonic is not (Mnemonic.Movups or Mnemonic.Movupd or Mnemonic.Movdqu or Mnemonic.Lddqu);

    private static bool ReadMem(CpuState cpu, in Instruction i, int size, bool align, out X128 v)
    {
        v = default;
        int seg = MemSeg(i);
        uint ea = Operands.EffectiveAddress(cpu, i);
        if (size == 16 && align && ((cpu.Seg(seg).Base + ea) & 15) != 0)
        {
            cpu.RaiseGp(0);
            return false;
        }
        if (size <= 8)
        {
            v.Lo = Mmu.ReadSlow(cpu, seg, ea, size);
            return !cpu.Faulted;
        }
        v.Lo = Mmu.ReadSlow(cpu, seg, ea, 8);
        if (cpu.Faulted) return false;
        v.Hi = Mmu.ReadSlow(cpu, seg, ea + 8, 8);
        return !cpu.Faulted;
    }

    /// <summary>Reads operand <paramref name="op"/> (XMM, MM, GPR, memory or immediate), zero-extended to 128 bits.</summary>
    private static bool ReadX(CpuState cpu, in Instruction i, int op, out X128 v)
    {
        switch (i.GetOpKind(op))
        {
            case OpKind.Register:
            {
                var r = i.GetOpRegister(op);
                if (r.IsXMM()) v = GetXmm(cpu, r);
                else if (r.IsMM()) v = new X128(cpu.Fpu.Mantissa[r - Register.MM0], 0);
                else v = new X128(Operands.ReadReg(cpu, r), 0);
                return true;
            }
            case OpKind.Memory:
                return ReadMem(cpu, i, i.MemorySize.GetSize(), NeedsAlign(i), out v);
            default:
                v = new X128(i.GetImmediate(op), 0);
                return true;
        }
    }

    /// <summary>Writes operand <paramref name="op"/>: XMM (all 128 bits), MM, GPR (low 32 bits) or memory of its size.</summary>
    private static int WriteX(CpuState cpu, in Instruction i, int op, in X128 v)
    {
        switch (i.GetOpKind(op))
        {
            case OpKind.Register:
            {
                var r = i.GetOpRegister(op);
                if (r.IsXMM()) SetXmm(cpu, r, v);
                else if (r.IsMM()) SetMm(cpu, r, v.Lo);
                else Operands.WriteReg(cpu, r, (uint)v.Lo);
                return Continue;
            }
            case OpKind.Memory:
            {
                int size = i.MemorySize.GetSize();
                int seg = MemSeg(i);
                uint ea = Operands.EffectiveAddress(cpu, i);
                if (size <= 8) return Mmu.WriteSlow(cpu, seg, ea, size, v.Lo);
                if (NeedsAlign(i) && ((cpu.Seg(seg).Base + ea) & 15) != 0)
                {
                    cpu.RaiseGp(0);
                    return Fault;
                }
                if (!Mmu.ProbeWrite(cpu, seg, ea, 16)) return Fault;
                int s1 = Mmu.WriteSlow(cpu, seg, ea, 8, v.Lo);
                if (s1 == Fault) return Fault;
                int s2 = Mmu.WriteSlow(cpu, seg, ea + 8, 8, v.Hi);
                if (s2 == Fault) return Fault;
                return Math.Max(s1, s2);
            }
            default:
                return Ud(cpu);
        }
    }

    /// <summary>
    /// Records SIMD floating-point exception flags (SDM Vol. 1 §11.5.1): all masked → flags set, result stored; an
    /// unmasked one → #XM (CR4.OSXMMEXCPT = 1) or #UD, nothing stored, and only the pre-computation flags reported when
    /// one of those is unmasked. False when it faulted.
    /// </summary>
    private static bool MxCommit(CpuState cpu, uint flags)
    {
        var f = cpu.Fpu;
        uint unmasked = flags & ~(f.Mxcsr >> 7) & Mxcsr.Flags;
        if (unmasked == 0)
        {
            f.Mxcsr |= flags;
            return true;
        }
        f.Mxcsr |= (unmasked & Mxcsr.PreComputation) != 0 ? flags & Mxcsr.PreComputation : flags;
        cpu.RaiseException((cpu.Cr4 & Cr.CR4_OSXMMEXCPT) != 0 ? Vectors.XM : Vectors.UD);
        return false;
    }

    private static bool UseHost(CpuState cpu) => cpu.HostSimd && Sse2.IsSupported;

    // ---------- MXCSR, state, no-ops ----------

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ldmxcsr(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i, true)) return Fault;
        if (!ReadMem(cpu, i, 4, false, out var v)) return Fault;
        if ((v.Lo & ~Mxcsr.Mask) != 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        cpu.Fpu.Mxcsr = (uint)v.Lo;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Stmxcsr(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i, true)) return Fault;
        return Mmu.WriteSlow(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), 4, cpu.Fpu.Mxcsr);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Emms(CpuState cpu, ref Instruction i)
    {
        if ((cpu.Cr0 & Cr.CR0_EM) != 0 || !ModelHas(cpu, i)) return Ud(cpu);
        if ((cpu.Cr0 & Cr.CR0_TS) != 0)
        {
            cpu.RaiseException(Vectors.NM);
            return Fault;
        }
        if (!FpuWaitCheck(cpu)) return Fault;
        cpu.Fpu.Tag = 0xFFFF;
        return Continue;
    }

    /// <summary>Fences and prefetches: ordering and cache hints only (no #NM, no memory access).</summary>
    private static int Hint(CpuState cpu, in Instruction i) => ModelHas(cpu, i) ? Continue : Ud(cpu);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lfence(CpuState cpu, ref Instruction i) => Hint(cpu, i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Mfence(CpuState cpu, ref Instruction i) => Hint(cpu, i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sfence(CpuState cpu, ref Instruction i) => Hint(cpu, i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Prefetchnta(CpuState cpu, ref Instruction i) => Hint(cpu, i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Prefetcht0(CpuState cpu, ref Instruction i) => Hint(cpu, i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Prefetcht1(CpuState cpu, ref Instruction i) => Hint(cpu, i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Prefetcht2(CpuState cpu, ref Instruction i) => Hint(cpu, i);

    // ---------- data movement ----------

    /// <summary>Whole-operand copy: MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU/LDDQU/MOVNT*.</summary>
    private static int Move(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var v)) return Fault;
        return WriteX(cpu, i, 0, v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movaps(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movups(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movapd(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movupd(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movdqa(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movdqu(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lddqu(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movntps(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movntpd(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movntdq(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movntq(CpuState cpu, ref Instruction i) => Move(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movnti(CpuState cpu, ref Instruction i)
    {
        if (!ModelHas(cpu, i)) return Ud(cpu);
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        return Operands.Write(cpu, i, 0, v);
    }

    /// <summary>MOVD/MOVQ: to a register the value is zero-extended (XMM) or replaces the MM register; to memory/GPR its low part.</summary>
    private static int MoveLow(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var v)) return Fault;
        int size = i.Mnemonic == Mnemonic.Movd ? 4 : 8;
        v = new X128(size == 4 ? v.Lo & 0xFFFF_FFFFul : v.Lo, 0);
        return WriteX(cpu, i, 0, v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movd(CpuState cpu, ref Instruction i) => MoveLow(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movq(CpuState cpu, ref Instruction i) => MoveLow(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movq2dq(CpuState cpu, ref Instruction i) => MoveLow(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movdq2q(CpuState cpu, ref Instruction i) => MoveLow(cpu, ref i);

    /// <summary>MOVSS/MOVSD (SSE): register to register merges the low element; a load zeroes the rest; a store writes the element.</summary>
    private static int MoveScalar(CpuState cpu, ref Instruction i, bool d)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var v)) return Fault;
        if (i.Op0Kind == OpKind.Register && i.Op1Kind == OpKind.Register)
        {
            var r = GetXmm(cpu, i.Op0Register);
            r.Set(0, d, v.Get(0, d));
            SetXmm(cpu, i.Op0Register, r);
            return Continue;
        }
        return WriteX(cpu, i, 0, new X128(v.Get(0, d), 0));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movss(CpuState cpu, ref Instruction i) => MoveScalar(cpu, ref i, false);

    /// <summary>MOVSD xmm forms (the string MOVSD dispatches here from <see cref="Movsd"/>).</summary>
    private static int MovsdXmm(CpuState cpu, ref Instruction i) => MoveScalar(cpu, ref i, true);

    /// <summary>MOVLPS/MOVLPD/MOVHPS/MOVHPD: one quadword between memory and the low or high half.</summary>
    private static int MoveHalf(CpuState cpu, ref Instruction i, bool high)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (i.Op0Kind == OpKind.Register)
        {
            if (!ReadX(cpu, i, 1, out var m)) return Fault;
            var r = GetXmm(cpu, i.Op0Register);
            if (high) r.Hi = m.Lo;
            else r.Lo = m.Lo;
            SetXmm(cpu, i.Op0Register, r);
            return Continue;
        }
        var s = GetXmm(cpu, i.Op1Register);
        return WriteX(cpu, i, 0, new X128(high ? s.Hi : s.Lo, 0));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movlps(CpuState cpu, ref Instruction i) => MoveHalf(cpu, ref i, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movlpd(CpuState cpu, ref Instruction i) => MoveHalf(cpu, ref i, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movhps(CpuState cpu, ref Instruction i) => MoveHalf(cpu, ref i, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movhpd(CpuState cpu, ref Instruction i) => MoveHalf(cpu, ref i, true);

    private delegate X128 Combine(X128 d, X128 s, int imm);

    /// <summary>dest = f(dest, source, imm8) for an XMM (or MM) destination register.</summary>
    private static int Shape(CpuState cpu, ref Instruction i, Combine f)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var s)) return Fault;
        if (!ReadX(cpu, i, 0, out var d)) return Fault;
        int imm = i.OpCount > 2 ? i.Immediate8 : 0;
        return WriteX(cpu, i, 0, f(d, s, imm));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movhlps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(s.Hi, d.Hi));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movlhps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(d.Lo, s.Lo));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movddup(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (_, s, _) => new X128(s.Lo, s.Lo));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movshdup(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (_, s, _) =>
        new X128((s.Lo & 0xFFFF_FFFF_0000_0000ul) | (s.Lo >> 32), (s.Hi & 0xFFFF_FFFF_0000_0000ul) | (s.Hi >> 32)));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movsldup(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (_, s, _) =>
        new X128((s.Lo & 0xFFFF_FFFFul) | (s.Lo << 32), (s.Hi & 0xFFFF_FFFFul) | (s.Hi << 32)));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Shufps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, imm) =>
    {
        var r = default(X128);
        r.Set(0, false, d.Get(imm & 3, false));
        r.Set(1, false, d.Get((imm >> 2) & 3, false));
        r.Set(2, false, s.Get((imm >> 4) & 3, false));
        r.Set(3, false, s.Get((imm >> 6) & 3, false));
        return r;
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Shufpd(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, imm) =>
        new X128((imm & 1) != 0 ? d.Hi : d.Lo, (imm & 2) != 0 ? s.Hi : s.Lo));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Unpcklps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) =>
        new X128((d.Lo & 0xFFFF_FFFFul) | (s.Lo << 32), (d.Lo >> 32) | (s.Lo & 0xFFFF_FFFF_0000_0000ul)));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Unpckhps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) =>
        new X128((d.Hi & 0xFFFF_FFFFul) | (s.Hi << 32), (d.Hi >> 32) | (s.Hi & 0xFFFF_FFFF_0000_0000ul)));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Unpcklpd(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(d.Lo, s.Lo));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Unpckhpd(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(d.Hi, s.Hi));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Andps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(d.Lo & s.Lo, d.Hi & s.Hi));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Andpd(CpuState cpu, ref Instruction i) => Andps(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Andnps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(~d.Lo & s.Lo, ~d.Hi & s.Hi));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Andnpd(CpuState cpu, ref Instruction i) => Andnps(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Orps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(d.Lo | s.Lo, d.Hi | s.Hi));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Orpd(CpuState cpu, ref Instruction i) => Orps(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Xorps(CpuState cpu, ref Instruction i) => Shape(cpu, ref i, static (d, s, _) => new X128(d.Lo ^ s.Lo, d.Hi ^ s.Hi));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Xorpd(CpuState cpu, ref Instruction i) => Xorps(cpu, ref i);

    /// <summary>MOVMSKPS/MOVMSKPD/PMOVMSKB: the sign bits of the source elements into a GPR.</summary>
    private static int MoveMask(CpuState cpu, ref Instruction i, int elementBytes)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var s)) return Fault;
        int n = (i.GetOpKind(1) == OpKind.Register && i.Op1Register.IsMM() ? 8 : 16) / elementBytes;
        uint m = 0;
        var b = Bytes(ref s);
        for (int k = 0; k < n; k++) m |= (uint)(b[k * elementBytes + elementBytes - 1] >> 7) << k;
        Operands.WriteReg(cpu, i.Op0Register.IsGPR32() ? i.Op0Register : i.Op0Register.GetFullRegister32(), m);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movmskps(CpuState cpu, ref Instruction i) => MoveMask(cpu, ref i, 4);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movmskpd(CpuState cpu, ref Instruction i) => MoveMask(cpu, ref i, 8);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pmovmskb(CpuState cpu, ref Instruction i) => MoveMask(cpu, ref i, 1);

    /// <summary>MASKMOVQ/MASKMOVDQU: bytes of op1 whose mask (op2) byte has bit 7 set are stored at DS:[E]DI.</summary>
    private static int MaskMove(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var v) || !ReadX(cpu, i, 2, out var m)) return Fault;
        int n = i.Op1Register.IsMM() ? 8 : 16;
        int seg = MemSeg(i);
        uint ea = i.Op0Kind == OpKind.MemorySegDI ? (ushort)cpu.Rdi : (uint)cpu.Rdi;
        var vb = Bytes(ref v);
        var mb = Bytes(ref m);
        int status = Continue;
        for (int k = 0; k < n; k++)
        {
            if ((mb[k] & 0x80) == 0) continue;
            if (!Mmu.ProbeWrite(cpu, seg, ea + (uint)k, 1)) return Fault;
        }
        for (int k = 0; k < n; k++)
        {
            if ((mb[k] & 0x80) == 0) continue;
            int st = Mmu.WriteSlow(cpu, seg, ea + (uint)k, 1, vb[k]);
            if (st == Fault) return Fault;
            status = Math.Max(status, st);
        }
        return status;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Maskmovq(CpuState cpu, ref Instruction i) => MaskMove(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Maskmovdqu(CpuState cpu, ref Instruction i) => MaskMove(cpu, ref i);

    // ---------- floating-point arithmetic ----------

    private const uint FastMask = Mxcsr.RC | Mxcsr.FZ | Mxcsr.DAZ | Mxcsr.PM | Mxcsr.PE;

    /// <summary>Biased exponent strictly inside the normal range (so no flag but PE can arise and tininess is impossible).</summary>
    private static bool Comfortable(ulong x, bool d)
    {
        int e = SseFloat.ExpOf(x, d);
        return e >= 2 && e < (d ? 2046 : 254);
    }

    /// <summary>
    /// The host's IEEE result when it is exactly Intel's: round to nearest, no DAZ/FTZ, PE already set and masked,
    /// and every operand and result comfortably normal (so the only possible flag, PE, changes nothing).
    /// </summary>
    private static bool TryHost(CpuState cpu, SseFloat.Op op, bool d, int n, in X128 a, in X128 b, out X128 r)
    {
        r = a;
        if ((cpu.Fpu.Mxcsr & FastMask) != (Mxcsr.PM | Mxcsr.PE) || op > SseFloat.Op.Div && op != SseFloat.Op.Sqrt) return false;
        if (UseHost(cpu) && n > 1)
        {
            var va = Vec(a);
            var vb = Vec(b);
            r = FromVec(HostFp(op, d, va, vb));
        }
        else
        {
            for (int k = 0; k < n; k++) r.Set(k, d, Portable(op, a.Get(k, d), b.Get(k, d), d));
        }
        for (int k = 0; k < n; k++)
        {
            if (op != SseFloat.Op.Sqrt && !Comfortable(a.Get(k, d), d)) return false;
            ulong bk = b.Get(k, d);
            if (!Comfortable(bk, d) || !Comfortable(r.Get(k, d), d)) return false;
            if (op == SseFloat.Op.Sqrt && (bk & SseFloat.SignBit(d)) != 0) return false;
        }
        return true;
    }

    private static Vector128<byte> HostFp(SseFloat.Op op, bool d, Vector128<byte> va, Vector128<byte> vb)
    {
        if (d)
        {
            var x = va.AsDouble();
            var y = vb.AsDouble();
            var r = op switch
            {
                SseFloat.Op.Add => Sse2.Add(x, y),
                SseFloat.Op.Sub => Sse2.Subtract(x, y),
                SseFloat.Op.Mul => Sse2.Multiply(x, y),
                SseFloat.Op.Div => Sse2.Divide(x, y),
                _ => Sse2.Sqrt(y),
            };
            return r.AsByte();
        }
        var fx = va.AsSingle();
        var fy = vb.AsSingle();
        var fr = op switch
        {
            SseFloat.Op.Add => Sse.Add(fx, fy),
            SseFloat.Op.Sub => Sse.Subtract(fx, fy),
            SseFloat.Op.Mul => Sse.Multiply(fx, fy),
            SseFloat.Op.Div => Sse.Divide(fx, fy),
            _ => Sse.Sqrt(fy),
        };
        return fr.AsByte();
    }

    /// <summary>Plain IEEE arithmetic of .NET (round to nearest), for operands the caller has checked.</summary>
    private static ulong Portable(SseFloat.Op op, ulong a, ulong b, bool d)
    {
        if (d)
        {
            double x = BitConverter.UInt64BitsToDouble(a), y = BitConverter.UInt64BitsToDouble(b);
            double r = op switch
            {
                SseFloat.Op.Add => x + y,
                SseFloat.Op.Sub => x - y,
                SseFloat.Op.Mul => x * y,
                SseFloat.Op.Div => x / y,
                _ => Math.Sqrt(y),
            };
            return BitConverter.DoubleToUInt64Bits(r);
        }
        float fx = BitConverter.UInt32BitsToSingle((uint)a), fy = BitConverter.UInt32BitsToSingle((uint)b);
        float fr = op switch
        {
            SseFloat.Op.Add => fx + fy,
            SseFloat.Op.Sub => fx - fy,
            SseFloat.Op.Mul => fx * fy,
            SseFloat.Op.Div => fx / fy,
            _ => MathF.Sqrt(fy),
        };
        return BitConverter.SingleToUInt32Bits(fr);
    }

    private static int FpArith(CpuState cpu, ref Instruction i, SseFloat.Op op, bool d, bool scalar)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var b)) return Fault;
        var a = GetXmm(cpu, i.Op0Register);
        int n = scalar ? 1 : d ? 2 : 4;
        if (!TryHost(cpu, op, d, n, a, b, out var r))
        {
            r = a;
            uint mx = cpu.Fpu.Mxcsr, flags = 0;
            for (int k = 0; k < n; k++) r.Set(k, d, SseFloat.Binary(op, a.Get(k, d), b.Get(k, d), d, mx, ref flags));
            if (!MxCommit(cpu, flags)) return Fault;
        }
        else if (scalar)
        {
            var merged = a;
            merged.Set(0, d, r.Get(0, d));
            r = merged;
        }
        SetXmm(cpu, i.Op0Register, r);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Addps(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Add, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Addss(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Add, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Addpd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Add, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Addsd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Add, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Subps(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sub, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Subss(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sub, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Subpd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sub, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Subsd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sub, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Mulps(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Mul, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Mulss(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Mul, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Mulpd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Mul, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Mulsd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Mul, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Divps(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Div, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Divss(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Div, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Divpd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Div, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Divsd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Div, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Minps(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Min, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Minss(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Min, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Minpd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Min, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Minsd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Min, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Maxps(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Max, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Maxss(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Max, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Maxpd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Max, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Maxsd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Max, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Sqrtps(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sqrt, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Sqrtss(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sqrt, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Sqrtpd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sqrt, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Sqrtsd(CpuState c, ref Instruction i) => FpArith(c, ref i, SseFloat.Op.Sqrt, true, true);

    /// <summary>SSE3 horizontal and alternating forms: element k of the result is op(x[k], y[k]) over rearranged operands.</summary>
    private static int FpPairs(CpuState cpu, ref Instruction i, bool d, int kind)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var b)) return Fault;
        var a = GetXmm(cpu, i.Op0Register);
        int n = d ? 2 : 4;
        uint mx = cpu.Fpu.Mxcsr, flags = 0;
        var r = default(X128);
        for (int k = 0; k < n; k++)
        {
            ulong x, y;
            SseFloat.Op op;
            if (kind == 0)
            {
                x = a.Get(k, d);
                y = b.Get(k, d);
                op = (k & 1) == 0 ? SseFloat.Op.Sub : SseFloat.Op.Add;
            }
            else
            {
                var src = k < n / 2 ? a : b;
                int j = 2 * (k % (n / 2));
                x = src.Get(j, d);
                y = src.Get(j + 1, d);
                op = kind == 1 ? SseFloat.Op.Add : SseFloat.Op.Sub;
            }
            r.Set(k, d, SseFloat.Binary(op, x, y, d, mx, ref flags));
        }
        if (!MxCommit(cpu, flags)) return Fault;
        SetXmm(cpu, i.Op0Register, r);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Addsubps(CpuState c, ref Instruction i) => FpPairs(c, ref i, false, 0);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Addsubpd(CpuState c, ref Instruction i) => FpPairs(c, ref i, true, 0);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Haddps(CpuState c, ref Instruction i) => FpPairs(c, ref i, false, 1);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Haddpd(CpuState c, ref Instruction i) => FpPairs(c, ref i, true, 1);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Hsubps(CpuState c, ref Instruction i) => FpPairs(c, ref i, false, 2);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Hsubpd(CpuState c, ref Instruction i) => FpPairs(c, ref i, true, 2);

    private static int FpCompare(CpuState cpu, ref Instruction i, bool d, bool scalar)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var b)) return Fault;
        var a = GetXmm(cpu, i.Op0Register);
        int n = scalar ? 1 : d ? 2 : 4;
        uint mx = cpu.Fpu.Mxcsr, flags = 0;
        var r = a;
        int imm = i.Immediate8;
        for (int k = 0; k < n; k++) r.Set(k, d, SseFloat.Predicate(imm, a.Get(k, d), b.Get(k, d), d, mx, ref flags) ? ~0ul : 0);
        if (!MxCommit(cpu, flags)) return Fault;
        SetXmm(cpu, i.Op0Register, r);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cmpps(CpuState c, ref Instruction i) => FpCompare(c, ref i, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cmpss(CpuState c, ref Instruction i) => FpCompare(c, ref i, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cmppd(CpuState c, ref Instruction i) => FpCompare(c, ref i, true, false);

    /// <summary>CMPSD xmm form (the string CMPSD dispatches here from <see cref="Cmpsd"/>).</summary>
    private static int CmpsdXmm(CpuState c, ref Instruction i) => FpCompare(c, ref i, true, true);

    /// <summary>COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF = 111 unordered, 000 greater, 001 less, 100 equal; OF SF AF = 0.</summary>
    private static int FpComi(CpuState cpu, ref Instruction i, bool d, bool signaling)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var b)) return Fault;
        var a = GetXmm(cpu, i.Op0Register);
        uint flags = 0;
        int rel = SseFloat.Compare(a.Get(0, d), b.Get(0, d), d, signaling, cpu.Fpu.Mxcsr, ref flags);
        if (!MxCommit(cpu, flags)) return Fault;
        uint ef = cpu.GetEflags() & ~Eflags.Arithmetic;
        ef |= rel switch
        {
            2 => Eflags.ZF | Eflags.PF | Eflags.CF,
            -1 => Eflags.CF,
            0 => Eflags.ZF,
            _ => 0u,
        };
        cpu.LazyOp = LazyFlagOp.None;
        cpu.Eflags = ef;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Comiss(CpuState c, ref Instruction i) => FpComi(c, ref i, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Ucomiss(CpuState c, ref Instruction i) => FpComi(c, ref i, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Comisd(CpuState c, ref Instruction i) => FpComi(c, ref i, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Ucomisd(CpuState c, ref Instruction i) => FpComi(c, ref i, true, false);

    /// <summary>RCPPS/RCPSS/RSQRTPS/RSQRTSS: the host's approximation where it has SSE, else <see cref="SseFloat.Approx"/>.</summary>
    private static int FpApprox(CpuState cpu, ref Instruction i, bool rsqrt, bool scalar)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var b)) return Fault;
        var r = GetXmm(cpu, i.Op0Register);
        int n = scalar ? 1 : 4;
        if (UseHost(cpu))
        {
            var v = Vec(b).AsSingle();
            var h = FromVec((rsqrt ? Sse.ReciprocalSqrt(v) : Sse.Reciprocal(v)).AsByte());
            for (int k = 0; k < n; k++) r.Set(k, false, h.Get(k, false));
        }
        else
        {
            for (int k = 0; k < n; k++) r.Set(k, false, SseFloat.Approx((uint)b.Get(k, false), rsqrt));
        }
        SetXmm(cpu, i.Op0Register, r);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Rcpps(CpuState c, ref Instruction i) => FpApprox(c, ref i, false, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Rcpss(CpuState c, ref Instruction i) => FpApprox(c, ref i, false, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Rsqrtps(CpuState c, ref Instruction i) => FpApprox(c, ref i, true, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Rsqrtss(CpuState c, ref Instruction i) => FpApprox(c, ref i, true, true);

    // ---------- conversions ----------

    /// <summary>Element kinds of conversions: float32, float64, int32.</summary>
    private enum Ek { F32, F64, I32 }

    /// <summary>
    /// Converts <paramref name="n"/> source elements of kind <paramref name="from"/> to <paramref name="to"/>; the
    /// result replaces the low elements of the destination. <paramref name="zeroRest"/>: the other destination
    /// bits are cleared (packed forms) rather than kept (scalar forms).
    /// </summary>
    private static int Convert(CpuState cpu, ref Instruction i, Ek from, Ek to, int n, bool zeroRest, bool truncate = false)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var s)) return Fault;
        var dreg = i.Op0Register;
        X128 r = zeroRest || !dreg.IsXMM() ? default : GetXmm(cpu, dreg);
        uint mx = cpu.Fpu.Mxcsr, flags = 0;
        bool fromD = from == Ek.F64, toD = to == Ek.F64;
        for (int k = 0; k < n; k++)
        {
            ulong x = s.Get(k, fromD);
            ulong y = (from, to) switch
            {
                (Ek.I32, _) => SseFloat.FromInt((int)(uint)x, toD, mx, ref flags),
                (_, Ek.I32) => SseFloat.ToInt(x, fromD, 32, truncate, mx, ref flags),
                _ => SseFloat.Convert(x, fromD, mx, ref flags),
            };
            r.Set(k, toD, y);
        }
        if (!MxCommit(cpu, flags)) return Fault;
        if (dreg.IsXMM()) SetXmm(cpu, dreg, r);
        else if (dreg.IsMM()) SetMm(cpu, dreg, r.Lo);
        else Operands.WriteReg(cpu, dreg, (uint)r.Lo);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtps2pd(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.F64, 2, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtpd2ps(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.F32, 2, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtss2sd(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.F64, 1, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtsd2ss(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.F32, 1, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtdq2ps(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.I32, Ek.F32, 4, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtdq2pd(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.I32, Ek.F64, 2, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtps2dq(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.I32, 4, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvttps2dq(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.I32, 4, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtpd2dq(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.I32, 2, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvttpd2dq(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.I32, 2, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtpi2ps(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.I32, Ek.F32, 2, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtpi2pd(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.I32, Ek.F64, 2, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtps2pi(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.I32, 2, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvttps2pi(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.I32, 2, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtpd2pi(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.I32, 2, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvttpd2pi(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.I32, 2, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtsi2ss(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.I32, Ek.F32, 1, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtsi2sd(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.I32, Ek.F64, 1, false);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtss2si(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.I32, 1, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvttss2si(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F32, Ek.I32, 1, true, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvtsd2si(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.I32, 1, true);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Cvttsd2si(CpuState c, ref Instruction i) => Convert(c, ref i, Ek.F64, Ek.I32, 1, true, true);
}
