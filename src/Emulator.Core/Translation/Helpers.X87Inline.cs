using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Fpu;

namespace Emulator.Core.Translation;

/// <summary>
/// Entries for the compiled tier's hot x87 forms: the same <see cref="X87"/>/<see cref="SoftFloat80"/> operations as
/// the generic helpers (bit-exact 80-bit results), but with the stack operands, the FPU opcode and the instruction
/// pointer resolved at compile time and memory operands loaded inline. The compiled code calls the generic helper
/// instead when <see cref="X87Ready"/> is false (#NM or a pending x87 exception to deliver): the memory forms test it
/// before reading their operand (so #NM comes before a page fault), the register forms return false without doing anything.
/// </summary>
public static partial class Helpers
{
    /// <summary>No #NM (CR0.EM/TS clear) and no pending unmasked x87 exception for a waiting instruction.</summary>
    internal static bool X87Ready(CpuState cpu) => (cpu.Cr0 & (Cr.CR0_EM | Cr.CR0_TS)) == 0 && (cpu.Fpu.Status & X87.SW_ES) == 0;

    private static FpuState X87Record(CpuState cpu, uint ip, int fop)
    {
        var f = cpu.Fpu;
        f.LastInstructionPointer = ip;
        f.LastCodeSelector = cpu.Cs.Selector;
        f.LastOpcode = (ushort)fop;
        return f;
    }

    private static void X87RecordData(CpuState cpu, FpuState f, int seg, uint ea)
    {
        f.LastDataPointer = ea;
        f.LastDataSelector = cpu.Seg(seg).Selector;
    }

    // ---- register forms: false (nothing done) when not X87Ready; the compiled code then runs the generic helper ----

    /// <summary>
    /// FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR ST(dst), ST(src) (with pop for the P forms), one entry per operation so the fast
    /// path is specialised; not inlined into blocks (no faster, and it keeps the blocks' JIT time down).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool X87FaddRegs(CpuState cpu, int dst, int src, bool pop, uint ip, int fop) => X87ArithRegsOp(cpu, X87.Op.Add, dst, src, pop, ip, fop);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool X87FsubRegs(CpuState cpu, int dst, int src, bool pop, uint ip, int fop) => X87ArithRegsOp(cpu, X87.Op.Sub, dst, src, pop, ip, fop);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool X87FsubrRegs(CpuState cpu, int dst, int src, bool pop, uint ip, int fop) => X87ArithRegsOp(cpu, X87.Op.SubR, dst, src, pop, ip, fop);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool X87FmulRegs(CpuState cpu, int dst, int src, bool pop, uint ip, int fop) => X87ArithRegsOp(cpu, X87.Op.Mul, dst, src, pop, ip, fop);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool X87FdivRegs(CpuState cpu, int dst, int src, bool pop, uint ip, int fop) => X87ArithRegsOp(cpu, X87.Op.Div, dst, src, pop, ip, fop);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool X87FdivrRegs(CpuState cpu, int dst, int src, bool pop, uint ip, int fop) => X87ArithRegsOp(cpu, X87.Op.DivR, dst, src, pop, ip, fop);

    /// <summary>One operation's register form: the inlined fast path for it, else the general <see cref="X87.ArithRegs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool X87ArithRegsOp(CpuState cpu, X87.Op op, int dst, int src, bool pop, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        var f = X87Record(cpu, ip, fop);
        if (!X87.TryFastArithRegs(f, op, dst, src, pop)) X87.ArithRegsGeneral(f, op, dst, src, pop);
        FpuDone(cpu);
        return true;
    }

    /// <summary>The m32/m64 arithmetic forms with the operand's bits already read.</summary>
    internal static void X87ArithMem(CpuState cpu, int op, ulong bits, bool m64, int seg, uint ea, uint ip, int fop)
    {
        var f = cpu.Fpu;
        if (TryFastFloat(bits, m64, out ushort seB, out ulong mB) && X87.TryFastArithValue(f, (X87.Op)op, seB, mB))
        {
            X87Record(cpu, ip, fop);
            X87RecordData(cpu, f, seg, ea);
            FpuDone(cpu);
            return;
        }
        var env = X87.Env(f);
        env.Flags = 0;
        var v = m64 ? SoftFloat80.FromFloat64(bits, ref env) : SoftFloat80.FromFloat32((uint)bits, ref env);
        X87Record(cpu, ip, fop);
        X87RecordData(cpu, f, seg, ea);
        X87.ArithValue(f, (X87.Op)op, v, env);
        FpuDone(cpu);
    }

    /// <summary>A normal or zero float32/float64 as a double-extended value (exact, no flags); false for denormal, infinity, NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryFastFloat(ulong bits, bool m64, out ushort se, out ulong m)
    {
        int e;
        if (m64)
        {
            if ((bits << 1) == 0)
            {
                se = (ushort)((bits >> 48) & 0x8000);
                m = 0;
                return true;
            }
            e = (int)(bits >> 52) & 0x7FF;
            se = (ushort)(((bits >> 48) & 0x8000) | (uint)(e - 1023 + Float80.Bias));
            m = 0x8000_0000_0000_0000 | (bits << 11);
            return (uint)(e - 1) < 0x7FE;
        }
        if ((bits << 33) == 0)
        {
            se = (ushort)((bits >> 16) & 0x8000);
            m = 0;
            return true;
        }
        e = (int)(bits >> 23) & 0xFF;
        se = (ushort)(((bits >> 16) & 0x8000) | (uint)(e - 127 + Float80.Bias));
        m = 0x8000_0000_0000_0000 | (bits << 40);
        return (uint)(e - 1) < 0xFE;
    }

    /// <summary>Ordering of two normal values (sign, then exponent and significand as one magnitude); false otherwise.</summary>
    private static bool TryFastCompare(Float80 a, Float80 b, out SoftFloat80.Relation rel)
    {
        rel = SoftFloat80.Relation.Unordered;
        if (!SoftFloat80.IsNormal(a.SignExp, a.Significand) || !SoftFloat80.IsNormal(b.SignExp, b.Significand)) return false;
        if (a == b)
        {
            rel = SoftFloat80.Relation.Equal;
            return true;
        }
        bool less;
        if (a.Sign != b.Sign) less = a.Sign;
        else
        {
            bool magLess = a.Exponent != b.Exponent ? a.Exponent < b.Exponent : a.Significand < b.Significand;
            less = a.Sign ? !magLess : magLess;
        }
        rel = less ? SoftFloat80.Relation.Less : SoftFloat80.Relation.Greater;
        return true;
    }

    /// <summary>FLD m32/m64 with the operand's bits already read.</summary>
    internal static void X87LoadMem(CpuState cpu, ulong bits, bool m64, int seg, uint ea, uint ip, int fop)
    {
        var f = cpu.Fpu;
        if (TryFastFloat(bits, m64, out ushort se, out ulong m))
        {
            // A normal value converts exactly without flags: a plain push (stack overflow is Load's rule).
            X87Record(cpu, ip, fop);
            X87RecordData(cpu, f, seg, ea);
            X87.Load(f, new Float80(se, m));
            FpuDone(cpu);
            return;
        }
        var env = X87.Env(f);
        env.Flags = 0;
        var v = m64 ? SoftFloat80.FromFloat64(bits, ref env) : SoftFloat80.FromFloat32((uint)bits, ref env);
        X87Record(cpu, ip, fop);
        X87RecordData(cpu, f, seg, ea);
        X87.LoadConverted(f, v, env);
        FpuDone(cpu);
    }

    /// <summary>FLD ST(i).</summary>
    internal static bool X87LoadReg(CpuState cpu, int i, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        X87.LoadReg(X87Record(cpu, ip, fop), i);
        FpuDone(cpu);
        return true;
    }

    /// <summary>FST/FSTP ST(i).</summary>
    internal static bool X87StoreReg(CpuState cpu, int i, bool pop, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        X87.StoreReg(X87Record(cpu, ip, fop), i, pop);
        FpuDone(cpu);
        return true;
    }

    /// <summary>FXCH ST(i).</summary>
    internal static bool X87Xch(CpuState cpu, int i, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        X87.Xch(X87Record(cpu, ip, fop), i);
        FpuDone(cpu);
        return true;
    }

    /// <summary>FLDZ, FLD1 and the other constants.</summary>
    internal static bool X87LoadConst(CpuState cpu, int c, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        X87.LoadConstant(X87Record(cpu, ip, fop), (X87.Constant)c);
        FpuDone(cpu);
        return true;
    }

    /// <summary>FCOMI/FCOMIP/FUCOMI/FUCOMIP ST(0), ST(k): as <see cref="FCompareEflags"/>.</summary>
    internal static bool X87CompareEflags(CpuState cpu, int k, bool quiet, bool pop, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        var f = X87Record(cpu, ip, fop);
        var rel = SoftFloat80.Relation.Unordered;
        if (!X87.IsEmpty(f, 0) && !X87.IsEmpty(f, k) && TryFastCompare(X87.St(f, 0), X87.St(f, k), out rel))
        {
            // Two normal values: no exception, C1 cleared as Commit does for an operation without flags.
            f.Status &= unchecked((ushort)~X87.SW_C1);
        }
        else if (X87.IsEmpty(f, 0) || X87.IsEmpty(f, k))
        {
            if (!X87.StackFault(f, false))
            {
                FpuDone(cpu);
                return true;
            }
        }
        else
        {
            var env = X87.Env(f);
            env.Flags = 0;
            rel = SoftFloat80.Compare(X87.St(f, 0), X87.St(f, k), quiet, ref env);
            if (!X87.Commit(f, env))
            {
                FpuDone(cpu);
                return true;
            }
        }
        uint fl = cpu.GetEflags() & ~Eflags.Arithmetic;
        fl |= rel switch
        {
            SoftFloat80.Relation.Less => Eflags.CF,
            SoftFloat80.Relation.Equal => Eflags.ZF,
            SoftFloat80.Relation.Greater => 0u,
            _ => Eflags.ZF | Eflags.PF | Eflags.CF,
        };
        cpu.Eflags = fl;
        cpu.LazyOp = LazyFlagOp.None;
        if (pop) X87.Pop(f);
        FpuDone(cpu);
        return true;
    }

    // ---- stores to memory: a pure "try" computes the value (nothing changed), the compiled code writes it inline
    // (a fault leaves the FPU state untouched), then "done" records the pointers, the flags and the pop ----

    /// <summary>No #NM (CR0.EM/TS clear): the check of the non-waiting forms (FNSTCW, FNSTSW).</summary>
    internal static bool X87NoWaitReady(CpuState cpu) => (cpu.Cr0 & (Cr.CR0_EM | Cr.CR0_TS)) == 0;

    /// <summary>
    /// FST/FSTP m32fp/m64fp when <see cref="X87Ready"/>, ST(0) holds a normal value and its conversion is a normal
    /// float with at most a masked precision exception (<see cref="SoftFloat80.TryFastToBinary"/>); false (nothing
    /// changed) otherwise.
    /// </summary>
    internal static bool X87TryStoreFloat(CpuState cpu, bool m64, out ulong bits, out int flags)
    {
        bits = 0;
        flags = 0;
        if (!X87Ready(cpu)) return false;
        var f = cpu.Fpu;
        int top = X87.Top(f);
        if (X87.GetTag(f, top) == X87.TagEmpty) return false;
        return SoftFloat80.TryFastToBinary(f.SignExponent[top], f.Mantissa[top], m64, f.Control, out bits, out flags);
    }

    /// <summary>FIST/FISTP m16/m32/m64int with the current rounding control (<see cref="SoftFloat80.TryFastToInt"/>); false (nothing changed) otherwise.</summary>
    internal static bool X87TryStoreInt(CpuState cpu, int bitsWide, out ulong value, out int flags)
    {
        value = 0;
        flags = 0;
        if (!X87Ready(cpu)) return false;
        var f = cpu.Fpu;
        int top = X87.Top(f);
        if (X87.GetTag(f, top) == X87.TagEmpty) return false;
        int cw = f.Control;
        if (!SoftFloat80.TryFastToInt(f.SignExponent[top], f.Mantissa[top], bitsWide, (cw >> 10) & 3, cw, out long v, out flags)) return false;
        value = (ulong)v;
        return true;
    }

    /// <summary>After the inline write of a fast store: pointers, PE/C1 (<paramref name="flags"/>), pop.</summary>
    internal static void X87StoreDone(CpuState cpu, int flags, bool pop, int seg, uint ea, uint ip, int fop)
    {
        var f = X87Record(cpu, ip, fop);
        X87RecordData(cpu, f, seg, ea);
        f.Status = (ushort)((f.Status & ~X87.SW_C1) | flags);
        if (pop) X87.Pop(f);
        FpuDone(cpu);
    }

    /// <summary>FILD m16/m32/m64int with the integer already read (exact, no flags).</summary>
    internal static void X87LoadInt(CpuState cpu, long value, int seg, uint ea, uint ip, int fop)
    {
        var f = X87Record(cpu, ip, fop);
        X87RecordData(cpu, f, seg, ea);
        X87.Load(f, SoftFloat80.FromInt64(value));
        FpuDone(cpu);
    }

    /// <summary>FLDCW with the word already read.</summary>
    internal static void X87LoadControl(CpuState cpu, int cw)
    {
        SetControl(cpu.Fpu, (ushort)cw);
        FpuDone(cpu);
    }

    internal static int X87Control(CpuState cpu) => cpu.Fpu.Control;

    internal static int X87Status(CpuState cpu) => cpu.Fpu.Status;

    /// <summary>FNSTSW AX.</summary>
    internal static bool X87StoreStatusAx(CpuState cpu)
    {
        if (!X87NoWaitReady(cpu)) return false;
        cpu.Rax = (cpu.Rax & ~0xFFFFul) | cpu.Fpu.Status;
        return true;
    }

    // ---- single-operand register forms ----

    /// <summary>FCHS / FABS.</summary>
    internal static bool X87SignOp(CpuState cpu, bool abs, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        X87.SignOp(X87Record(cpu, ip, fop), abs);
        FpuDone(cpu);
        return true;
    }

    /// <summary>FSQRT: the fast path for a normal positive ST(0) (<see cref="SoftFloat80.TryFastSqrt"/>), else the general one.</summary>
    internal static bool X87Sqrt(CpuState cpu, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        var f = X87Record(cpu, ip, fop);
        if (!X87.TryFastSqrt(f)) X87.Sqrt(f);
        FpuDone(cpu);
        return true;
    }

    // ---- FCOM family with the condition codes (the FNSTSW AX + SAHF/TEST AH pattern) ----

    /// <summary>FCOM/FCOMP/FCOMPP/FUCOM/FUCOMP/FUCOMPP ST(0), ST(k): C3 C2 C0 (C1 cleared), then <paramref name="pops"/> pops.</summary>
    internal static bool X87CompareRegs(CpuState cpu, int k, bool quiet, int pops, uint ip, int fop)
    {
        if (!X87Ready(cpu)) return false;
        var f = X87Record(cpu, ip, fop);
        if (!X87.IsEmpty(f, 0) && !X87.IsEmpty(f, k) && TryFastCompare(X87.St(f, 0), X87.St(f, k), out var rel))
        {
            X87.CompareCodes(f, rel);
            for (int n = 0; n < pops; n++) X87.Pop(f);
        }
        else
        {
            X87.Compare(f, X87.St(f, k), X87.IsEmpty(f, k), quiet, pops, default, out _);
        }
        FpuDone(cpu);
        return true;
    }

    /// <summary>FCOM/FCOMP m32fp/m64fp with the operand's bits already read.</summary>
    internal static void X87CompareMem(CpuState cpu, ulong bits, bool m64, int pops, int seg, uint ea, uint ip, int fop)
    {
        var f = X87Record(cpu, ip, fop);
        X87RecordData(cpu, f, seg, ea);
        if (!X87.IsEmpty(f, 0) && TryFastFloat(bits, m64, out ushort se, out ulong m) && TryFastCompare(X87.St(f, 0), new Float80(se, m), out var rel))
        {
            X87.CompareCodes(f, rel);
            for (int n = 0; n < pops; n++) X87.Pop(f);
        }
        else
        {
            var env = default(FpEnv);
            var v = m64 ? SoftFloat80.FromFloat64(bits, ref env) : SoftFloat80.FromFloat32((uint)bits, ref env);
            X87.Compare(f, v, false, false, pops, env, out _);
        }
        FpuDone(cpu);
    }
}
