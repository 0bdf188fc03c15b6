using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Fpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// x87 FPU instructions (SDM Vol. 1 chapter 8, Vol. 2 instruction pages). Operands are fetched here; the arithmetic
/// and the stack rules live in <see cref="X87"/>, <see cref="SoftFloat80"/> and <see cref="X87Transcendental"/>.
/// Every helper checks #NM (CR0.EM/TS) first, then — for waiting instructions — a pending unmasked exception (#MF with
/// CR0.NE = 1, FERR# otherwise), and faults on memory before changing any FPU state.
/// </summary>
public static partial class Helpers
{
    // ---------- common ----------

    /// <summary>#NM and pending-exception checks before an x87 instruction; false when it faulted.</summary>
    private static bool FpuEnter(CpuState cpu, bool waiting)
    {
        if ((cpu.Cr0 & (Cr.CR0_EM | Cr.CR0_TS)) != 0)
        {
            cpu.RaiseException(Vectors.NM);
            return false;
        }
        return !waiting || FpuWaitCheck(cpu);
    }

    /// <summary>
    /// The x87 part of WAIT/FWAIT (SDM Vol. 2B WAIT): after the CR0.MP+TS #NM check, a pending unmasked x87 exception
    /// raises #MF (CR0.NE = 1) or asserts FERR# (<see cref="FpuState.FerrPending"/>). False when it faulted.
    /// </summary>
    public static bool FpuWaitCheck(CpuState cpu)
    {
        if ((cpu.Fpu.Status & X87.SW_ES) == 0) return true;
        if ((cpu.Cr0 & Cr.CR0_NE) != 0)
        {
            cpu.RaiseException(Vectors.MF);
            return false;
        }
        AssertFerr(cpu);
        return true;
    }

    /// <summary>FERR#: recorded on the FPU state and signalled to the board (the PC wires it to IRQ13).</summary>
    private static void AssertFerr(CpuState cpu)
    {
        if (cpu.Fpu.FerrPending) return;
        cpu.Fpu.FerrPending = true;
        cpu.FerrAsserted?.Invoke();
        cpu.InterruptCheck = true;
    }

    /// <summary>After an x87 instruction: with CR0.NE = 0 a newly unmasked exception asserts FERR#.</summary>
    private static int FpuDone(CpuState cpu, int status = Continue)
    {
        if ((cpu.Fpu.Status & X87.SW_ES) != 0 && (cpu.Cr0 & Cr.CR0_NE) == 0) AssertFerr(cpu);
        return status;
    }

    /// <summary>Updates FPU instruction and data pointers and the last opcode (SDM Vol. 1 §8.1.8, §8.1.9).</summary>
    private static void FpuRecord(CpuState cpu, in Instruction i)
    {
        var f = cpu.Fpu;
        f.LastInstructionPointer = (uint)i.IP;
        f.LastCodeSelector = cpu.Cs.Selector;
        f.LastOpcode = FopOf(i);
        if (HasMemory(i))
        {
            f.LastDataPointer = Operands.EffectiveAddress(cpu, i);
            f.LastDataSelector = cpu.Seg(Operands.SegIndex(i.MemorySegment)).Selector;
        }
    }

    /// <summary>The 11-bit FPU opcode of an instruction (SDM Vol. 1 §8.1.9): a constant of the instruction.</summary>
    internal static ushort FopOf(in Instruction i)
    {
        var oc = i.Code.ToOpCode();
        uint op = oc.OpCode;
        ushort fop;
        if (op > 0xFF)
        {
            uint second = op & 0xFF;
            for (int k = 0; k < i.OpCount; k++)
            {
                if (i.GetOpKind(k) == OpKind.Register && i.GetOpRegister(k).IsST() && i.GetOpRegister(k) != Register.ST0)
                    second += (uint)(i.GetOpRegister(k) - Register.ST0);
            }
            fop = (ushort)((((op >> 8) & 7) << 8) | (second & 0xFF));
        }
        else
        {
            fop = (ushort)(((op & 7) << 8) | (ModRmOf(i) & 0xC7) | ((uint)Math.Max(oc.GroupIndex, 0) << 3));
        }
        return (ushort)(fop & 0x7FF);
    }

    /// <summary>The mod and r/m fields of a memory operand, rebuilt from the decoded addressing form.</summary>
    private static uint ModRmOf(in Instruction i)
    {
        if (!HasMemory(i)) return 0;
        bool a16 = Operands.AddressSize16(i);
        uint mod = i.MemoryBase == Register.None ? 0u : i.MemoryDisplSize == 0 ? 0u : i.MemoryDisplSize == 1 ? 1u : 2u;
        uint rm;
        if (a16)
        {
            if (i.MemoryBase == Register.None) return 6;
            rm = (i.MemoryBase, i.MemoryIndex) switch
            {
                (Register.BX, Register.SI) => 0,
                (Register.BX, Register.DI) => 1,
                (Register.BP, Register.SI) => 2,
                (Register.BP, Register.DI) => 3,
                (Register.SI, Register.None) => 4,
                (Register.DI, Register.None) => 5,
                (Register.BP, Register.None) => 6,
                _ => 7,
            };
            if (rm == 6 && mod == 0) mod = 1;
        }
        else
        {
            if (i.MemoryBase == Register.None && i.MemoryIndex == Register.None) return 5;
            if (i.MemoryIndex != Register.None || i.MemoryBase == Register.ESP) rm = 4;
            else rm = (uint)(i.MemoryBase - Register.EAX) & 7;
            if (rm == 5 && mod == 0) mod = 1;
        }
        return (mod << 6) | rm;
    }

    private static bool HasMemory(in Instruction i)
    {
        for (int k = 0; k < i.OpCount; k++)
        {
            if (i.GetOpKind(k) == OpKind.Memory) return true;
        }
        return false;
    }

    private static int StIndex(Register r) => r - Register.ST0;

    private static int MemSeg(in Instruction i) => Operands.SegIndex(i.MemorySegment);

    /// <summary>Reads a floating-point or integer memory operand as a double-extended value; false on a fault.</summary>
    private static bool ReadFpOperand(CpuState cpu, in Instruction i, out Float80 value, ref FpEnv env)
    {
        int seg = MemSeg(i);
        uint ea = Operands.EffectiveAddress(cpu, i);
        value = default;
        switch (i.MemorySize)
        {
            case MemorySize.Float32:
            {
                uint v = (uint)Mmu.ReadSlow(cpu, seg, ea, 4);
                if (cpu.Faulted) return false;
                value = SoftFloat80.FromFloat32(v, ref env);
                return true;
            }
            case MemorySize.Float64:
            {
                ulong v = Mmu.ReadSlow(cpu, seg, ea, 8);
                if (cpu.Faulted) return false;
                value = SoftFloat80.FromFloat64(v, ref env);
                return true;
            }
            case MemorySize.Float80:
            case MemorySize.Bcd:
            {
                if (!Read80(cpu, seg, ea, out ulong lo, out ushort hi)) return false;
                value = i.MemorySize == MemorySize.Bcd ? X87.FromBcd(lo, hi) : new Float80(hi, lo);
                return true;
            }
            case MemorySize.Int16:
            {
                short v = (short)Mmu.ReadSlow(cpu, seg, ea, 2);
                if (cpu.Faulted) return false;
                value = SoftFloat80.FromInt64(v);
                return true;
            }
            case MemorySize.Int32:
            {
                int v = (int)Mmu.ReadSlow(cpu, seg, ea, 4);
                if (cpu.Faulted) return false;
                value = SoftFloat80.FromInt64(v);
                return true;
            }
            case MemorySize.Int64:
            {
                long v = (long)Mmu.ReadSlow(cpu, seg, ea, 8);
                if (cpu.Faulted) return false;
                value = SoftFloat80.FromInt64(v);
                return true;
            }
            default:
                Ud(cpu);
                return false;
        }
    }

    private static bool Read80(CpuState cpu, int seg, uint ea, out ulong lo, out ushort hi)
    {
        hi = 0;
        lo = Mmu.ReadSlow(cpu, seg, ea, 8);
        if (cpu.Faulted) return false;
        hi = (ushort)Mmu.ReadSlow(cpu, seg, ea + 8, 2);
        return !cpu.Faulted;
    }

    /// <summary>Writes 10 bytes after probing the whole destination: 0, Fault, or EndBlock when code was hit.</summary>
    private static int Write80(CpuState cpu, int seg, uint ea, ulong lo, ushort hi)
    {
        if (!Mmu.ProbeWrite(cpu, seg, ea, 10)) return Fault;
        int s1 = Mmu.WriteSlow(cpu, seg, ea, 8, lo);
        if (s1 == Fault) return Fault;
        int s2 = Mmu.WriteSlow(cpu, seg, ea + 8, 2, hi);
        if (s2 == Fault) return Fault;
        return s1 == EndBlock || s2 == EndBlock ? EndBlock : Continue;
    }

    /// <summary>Reads a block (FLDENV, FRSTOR, FXRSTOR images); false on a fault.</summary>
    private static bool ReadBlock(CpuState cpu, int seg, uint ea, Span<byte> buffer)
    {
        for (int k = 0; k < buffer.Length; k += 2)
        {
            ushort v = (ushort)Mmu.ReadSlow(cpu, seg, ea + (uint)k, 2);
            if (cpu.Faulted) return false;
            BinaryPrimitives.WriteUInt16LittleEndian(buffer[k..], v);
        }
        return true;
    }

    /// <summary>Writes a block after probing all of it: 0, Fault, or EndBlock when code was hit.</summary>
    private static int WriteBlock(CpuState cpu, int seg, uint ea, ReadOnlySpan<byte> data)
    {
        if (!Mmu.ProbeWrite(cpu, seg, ea, data.Length)) return Fault;
        int result = Continue;
        for (int k = 0; k < data.Length; k += 2)
        {
            int s = Mmu.WriteSlow(cpu, seg, ea + (uint)k, 2, BinaryPrimitives.ReadUInt16LittleEndian(data[k..]));
            if (s == Fault) return Fault;
            if (s == EndBlock) result = EndBlock;
        }
        return result;
    }

    // ---------- loads and stores ----------

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fld(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        if (i.Op0Kind == OpKind.Register)
        {
            FpuRecord(cpu, i);
            X87.LoadReg(f, StIndex(i.Op0Register));
            return FpuDone(cpu);
        }
        var env = X87.Env(f);
        env.Flags = 0;
        if (!ReadFpOperand(cpu, i, out var v, ref env)) return Fault;
        FpuRecord(cpu, i);
        X87.LoadConverted(f, v, env);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fild(CpuState cpu, ref Instruction i) => Fld(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fbld(CpuState cpu, ref Instruction i) => Fld(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fst(CpuState cpu, ref Instruction i) => FstCommon(cpu, ref i, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fstp(CpuState cpu, ref Instruction i) => FstCommon(cpu, ref i, true);

    /// <summary>FSTP1 / FSTP8 / FSTP9 aliases (D9 D8+i, DF D0+i, DF D8+i) behave as FSTP ST(i).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fstpnce(CpuState cpu, ref Instruction i) => FstCommon(cpu, ref i, true);

    private static int FstCommon(CpuState cpu, ref Instruction i, bool pop)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        if (i.Op0Kind == OpKind.Register)
        {
            FpuRecord(cpu, i);
            X87.StoreReg(f, StIndex(i.Op0Register), pop);
            return FpuDone(cpu);
        }
        int seg = MemSeg(i);
        uint ea = Operands.EffectiveAddress(cpu, i);
        int size = i.MemorySize == MemorySize.Float32 ? 4 : i.MemorySize == MemorySize.Float64 ? 8 : 10;
        if (!Mmu.ProbeWrite(cpu, seg, ea, size)) return Fault;
        FpuRecord(cpu, i);
        int status = Continue;
        bool stored;
        if (size == 10)
        {
            ulong lo;
            ushort hi;
            if (X87.IsEmpty(f, 0))
            {
                stored = X87.StackFault(f, false);
                lo = Float80.Indefinite.Significand;
                hi = Float80.Indefinite.SignExp;
            }
            else
            {
                stored = true;
                X87.SetC1(f, false);
                var v = X87.St(f, 0);
                lo = v.Significand;
                hi = v.SignExp;
            }
            if (stored) status = Write80(cpu, seg, ea, lo, hi);
        }
        else
        {
            stored = X87.StoreFloat(f, size * 8, out ulong bits);
            if (stored) status = Mmu.WriteSlow(cpu, seg, ea, size, bits);
        }
        if (status == Fault) return Fault;
        if (pop && (stored || X87.Unmasked(f, f.Status) == 0)) X87.Pop(f);
        return FpuDone(cpu, status);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fist(CpuState cpu, ref Instruction i) => FistCommon(cpu, ref i, false, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fistp(CpuState cpu, ref Instruction i) => FistCommon(cpu, ref i, true, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fisttp(CpuState cpu, ref Instruction i) => FistCommon(cpu, ref i, true, true);

    private static int FistCommon(CpuState cpu, ref Instruction i, bool pop, bool truncate)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        int seg = MemSeg(i);
        uint ea = Operands.EffectiveAddress(cpu, i);
        int size = i.MemorySize == MemorySize.Int16 ? 2 : i.MemorySize == MemorySize.Int32 ? 4 : 8;
        if (!Mmu.ProbeWrite(cpu, seg, ea, size)) return Fault;
        FpuRecord(cpu, i);
        bool ok = X87.StoreInt(f, size * 8, truncate, out long v);
        int status = Continue;
        if (ok)
        {
            status = Mmu.WriteSlow(cpu, seg, ea, size, (ulong)v);
            if (status == Fault) return Fault;
            if (pop) X87.Pop(f);
        }
        return FpuDone(cpu, status);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fbstp(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        int seg = MemSeg(i);
        uint ea = Operands.EffectiveAddress(cpu, i);
        if (!Mmu.ProbeWrite(cpu, seg, ea, 10)) return Fault;
        FpuRecord(cpu, i);
        int status = Continue;
        if (X87.StoreBcd(f, out ulong lo, out ushort hi))
        {
            status = Write80(cpu, seg, ea, lo, hi);
            if (status == Fault) return Fault;
            X87.Pop(f);
        }
        return FpuDone(cpu, status);
    }

    private static int LoadConst(CpuState cpu, ref Instruction i, X87.Constant c)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        FpuRecord(cpu, i);
        X87.LoadConstant(cpu.Fpu, c);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fld1(CpuState cpu, ref Instruction i) => LoadConst(cpu, ref i, X87.Constant.One);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldz(CpuState cpu, ref Instruction i) => LoadConst(cpu, ref i, X87.Constant.Zero);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldpi(CpuState cpu, ref Instruction i) => LoadConst(cpu, ref i, X87.Constant.Pi);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldl2e(CpuState cpu, ref Instruction i) => LoadConst(cpu, ref i, X87.Constant.L2E);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldl2t(CpuState cpu, ref Instruction i) => LoadConst(cpu, ref i, X87.Constant.L2T);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldlg2(CpuState cpu, ref Instruction i) => LoadConst(cpu, ref i, X87.Constant.LG2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldln2(CpuState cpu, ref Instruction i) => LoadConst(cpu, ref i, X87.Constant.LN2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fxch(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        FpuRecord(cpu, i);
        int k = i.OpCount == 2 ? StIndex(i.Op1Register) : i.OpCount == 1 ? StIndex(i.Op0Register) : 1;
        X87.Xch(cpu.Fpu, k);
        return FpuDone(cpu);
    }

    // ---------- arithmetic ----------

    private static int FArith(CpuState cpu, ref Instruction i, X87.Op op, bool pop)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        if (i.OpCount == 1 && i.Op0Kind == OpKind.Memory)
        {
            var env = X87.Env(f);
            env.Flags = 0;
            if (!ReadFpOperand(cpu, i, out var v, ref env)) return Fault;
            FpuRecord(cpu, i);
            X87.ArithValue(f, op, v, env);
            return FpuDone(cpu);
        }
        FpuRecord(cpu, i);
        int dst = 1, src = 0;
        if (i.OpCount == 2)
        {
            dst = StIndex(i.Op0Register);
            src = StIndex(i.Op1Register);
        }
        else if (i.OpCount == 1)
        {
            dst = StIndex(i.Op0Register);
        }
        X87.ArithRegs(f, op, dst, src, pop);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fadd(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Add, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Faddp(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Add, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fiadd(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Add, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsub(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Sub, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsubp(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Sub, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fisub(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Sub, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsubr(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.SubR, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsubrp(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.SubR, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fisubr(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.SubR, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fmul(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Mul, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fmulp(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Mul, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fimul(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Mul, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fdiv(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Div, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fdivp(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Div, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fidiv(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.Div, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fdivr(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.DivR, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fdivrp(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.DivR, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fidivr(CpuState cpu, ref Instruction i) => FArith(cpu, ref i, X87.Op.DivR, false);

    private static int FStackOp(CpuState cpu, ref Instruction i, Action<FpuState> op)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        FpuRecord(cpu, i);
        op(cpu.Fpu);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fchs(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f => X87.SignOp(f, false));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fabs(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f => X87.SignOp(f, true));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsqrt(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87.Sqrt);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Frndint(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87.Rndint);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fscale(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87.Scale);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fxtract(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87.Xtract);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fprem(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f => X87.Prem(f, false));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fprem1(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f => X87.Prem(f, true));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int F2xm1(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87Transcendental.F2xm1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fyl2x(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f => X87Transcendental.Fyl2x(f, false));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fyl2xp1(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f => X87Transcendental.Fyl2x(f, true));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fptan(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87Transcendental.Fptan);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fpatan(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87Transcendental.Fpatan);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsin(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87Transcendental.Fsin);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcos(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87Transcendental.Fcos);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsincos(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87Transcendental.Fsincos);

    // ---------- comparisons ----------

    private static int FCompare(CpuState cpu, ref Instruction i, bool quiet, int pops)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        var env = default(FpEnv);
        Float80 b;
        bool bEmpty = false;
        if (i.OpCount >= 1 && i.GetOpKind(i.OpCount - 1) == OpKind.Memory)
        {
            if (!ReadFpOperand(cpu, i, out b, ref env)) return Fault;
        }
        else
        {
            int k = i.OpCount == 2 ? StIndex(i.Op1Register) : i.OpCount == 1 ? StIndex(i.Op0Register) : 1;
            b = X87.St(f, k);
            bEmpty = X87.IsEmpty(f, k);
        }
        FpuRecord(cpu, i);
        X87.Compare(f, b, bEmpty, quiet, pops, env, out _);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcom(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, false, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcomp(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, false, 1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcompp(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, false, 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fucom(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, true, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fucomp(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, true, 1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fucompp(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, true, 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ficom(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, false, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ficomp(CpuState cpu, ref Instruction i) => FCompare(cpu, ref i, false, 1);

    /// <summary>FCOMI family: ZF, PF, CF from the comparison, OF/SF/AF cleared (SDM Vol. 2A FCOMI Table 3-23).</summary>
    private static int FCompareEflags(CpuState cpu, ref Instruction i, bool quiet, bool pop)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        FpuRecord(cpu, i);
        int k = StIndex(i.Op1Register);
        var rel = SoftFloat80.Relation.Unordered;
        if (X87.IsEmpty(f, 0) || X87.IsEmpty(f, k))
        {
            if (!X87.StackFault(f, false)) return FpuDone(cpu);
        }
        else
        {
            var env = X87.Env(f);
            env.Flags = 0;
            rel = SoftFloat80.Compare(X87.St(f, 0), X87.St(f, k), quiet, ref env);
            if (!X87.Commit(f, env)) return FpuDone(cpu);
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
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcomi(CpuState cpu, ref Instruction i) => FCompareEflags(cpu, ref i, false, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcomip(CpuState cpu, ref Instruction i) => FCompareEflags(cpu, ref i, false, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fucomi(CpuState cpu, ref Instruction i) => FCompareEflags(cpu, ref i, true, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fucomip(CpuState cpu, ref Instruction i) => FCompareEflags(cpu, ref i, true, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ftst(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        FpuRecord(cpu, i);
        X87.Compare(cpu.Fpu, Float80.Zero(false), false, false, 0, default, out _);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fxam(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, X87.Xam);

    private static int FCmov(CpuState cpu, ref Instruction i, bool cond)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        var f = cpu.Fpu;
        FpuRecord(cpu, i);
        int k = StIndex(i.Op1Register);
        if (X87.IsEmpty(f, 0) || X87.IsEmpty(f, k))
        {
            if (X87.StackFault(f, false)) X87.SetSt(f, 0, Float80.Indefinite);
            return FpuDone(cpu);
        }
        X87.SetC1(f, false);
        if (cond) X87.SetSt(f, 0, X87.St(f, k));
        return FpuDone(cpu);
    }

    private static uint Fl(CpuState cpu) => cpu.GetEflags();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmovb(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & Eflags.CF) != 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmove(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & Eflags.ZF) != 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmovbe(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & (Eflags.CF | Eflags.ZF)) != 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmovu(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & Eflags.PF) != 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmovnb(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & Eflags.CF) == 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmovne(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & Eflags.ZF) == 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmovnbe(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & (Eflags.CF | Eflags.ZF)) == 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fcmovnu(CpuState cpu, ref Instruction i) => FCmov(cpu, ref i, (Fl(cpu) & Eflags.PF) == 0);

    // ---------- control ----------

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fninit(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        X87.Init(cpu.Fpu);
        cpu.Fpu.FerrPending = false;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Finit(CpuState cpu, ref Instruction i) => FpuEnter(cpu, true) ? Fninit(cpu, ref i) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fnclex(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        cpu.Fpu.Status &= unchecked((ushort)~(0x3F | X87.SW_SF | X87.SW_ES | X87.SW_B));
        cpu.Fpu.FerrPending = false;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fclex(CpuState cpu, ref Instruction i) => FpuEnter(cpu, true) ? Fnclex(cpu, ref i) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fnstsw(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        ushort sw = cpu.Fpu.Status;
        if (i.Op0Kind == OpKind.Register)
        {
            cpu.Rax = (cpu.Rax & ~0xFFFFul) | sw;
            return Continue;
        }
        return Mmu.WriteSlow(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), 2, sw);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fstsw(CpuState cpu, ref Instruction i) => FpuEnter(cpu, true) ? Fnstsw(cpu, ref i) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fnstcw(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        return Mmu.WriteSlow(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), 2, cpu.Fpu.Control);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fstcw(CpuState cpu, ref Instruction i) => FpuEnter(cpu, true) ? Fnstcw(cpu, ref i) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldcw(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        ushort cw = (ushort)Mmu.ReadSlow(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), 2);
        if (cpu.Faulted) return Fault;
        SetControl(cpu.Fpu, cw);
        return FpuDone(cpu);
    }

    /// <summary>Loads the control word (bit 6 reads as 1, bits 13-15 as 0 on the 387 and later) and recomputes ES/B.</summary>
    private static void SetControl(FpuState f, ushort cw)
    {
        f.Control = (ushort)((cw & 0x1F3F) | 0x0040);
        X87.UpdateSummary(f);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ffree(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        FpuRecord(cpu, i);
        X87.SetTag(cpu.Fpu, X87.Phys(cpu.Fpu, StIndex(i.Op0Register)), X87.TagEmpty);
        return FpuDone(cpu);
    }

    /// <summary>FFREEP (DF C0+i, undocumented on Intel until the SDM listed it): FFREE ST(i) then pop.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ffreep(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, true)) return Fault;
        FpuRecord(cpu, i);
        X87.SetTag(cpu.Fpu, X87.Phys(cpu.Fpu, StIndex(i.Op0Register)), X87.TagEmpty);
        X87.Pop(cpu.Fpu);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fincstp(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f =>
    {
        X87.Incstp(f);
        X87.SetC1(f, false);
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fdecstp(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static f =>
    {
        X87.Decstp(f);
        X87.SetC1(f, false);
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fnop(CpuState cpu, ref Instruction i) => FStackOp(cpu, ref i, static _ => { });

    /// <summary>8087/287 FENI/FDISI/FSETPM: no-ops on the 387 and later (SDM Vol. 1 §8.3.13... treated as FNOP).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fneni(CpuState cpu, ref Instruction i) => FpuEnter(cpu, false) ? Continue : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fndisi(CpuState cpu, ref Instruction i) => FpuEnter(cpu, false) ? Continue : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fnsetpm(CpuState cpu, ref Instruction i) => FpuEnter(cpu, false) ? Continue : Fault;

    // ---------- environment and state images ----------

    /// <summary>The full tag word with the tags of non-empty registers recomputed from their contents.</summary>
    private static ushort FullTag(FpuState f)
    {
        int tag = 0;
        for (int p = 0; p < 8; p++)
        {
            int t = X87.GetTag(f, p) == X87.TagEmpty ? X87.TagEmpty : X87.TagOf(X87.Reg(f, p));
            tag |= t << (2 * p);
        }
        return (ushort)tag;
    }

    /// <summary>Sets the tags from a loaded tag word: empty stays empty, others are recomputed from contents.</summary>
    private static void LoadTag(FpuState f, ushort tag)
    {
        for (int p = 0; p < 8; p++)
        {
            int t = (tag >> (2 * p)) & 3;
            X87.SetTag(f, p, t == X87.TagEmpty ? X87.TagEmpty : X87.TagOf(X87.Reg(f, p)));
        }
    }

    private static bool RealFormat(CpuState cpu) => !cpu.ProtectedMode || cpu.V86Mode;

    /// <summary>Builds the FSTENV image (14 or 28 bytes, SDM Vol. 1 Figures 8-9 to 8-12).</summary>
    private static void BuildEnv(CpuState cpu, Span<byte> e, bool size32)
    {
        var f = cpu.Fpu;
        bool real = RealFormat(cpu);
        uint fip = (uint)f.LastInstructionPointer, fdp = (uint)f.LastDataPointer;
        if (real)
        {
            fip += (uint)f.LastCodeSelector << 4;
            fdp += (uint)f.LastDataSelector << 4;
        }
        ushort tag = FullTag(f);
        if (size32)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(e, 0xFFFF0000u | f.Control);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 0xFFFF0000u | f.Status);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], 0xFFFF0000u | tag);
            if (real)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(e[12..], 0xFFFF0000u | (fip & 0xFFFF));
                BinaryPrimitives.WriteUInt32LittleEndian(e[16..], ((fip >> 16) << 12) | (f.LastOpcode & 0x7FFu));
                BinaryPrimitives.WriteUInt32LittleEndian(e[20..], 0xFFFF0000u | (fdp & 0xFFFF));
                BinaryPrimitives.WriteUInt32LittleEndian(e[24..], (fdp >> 16) << 12);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(e[12..], fip);
                BinaryPrimitives.WriteUInt32LittleEndian(e[16..], ((uint)(f.LastOpcode & 0x7FF) << 16) | f.LastCodeSelector);
                BinaryPrimitives.WriteUInt32LittleEndian(e[20..], fdp);
                BinaryPrimitives.WriteUInt32LittleEndian(e[24..], 0xFFFF0000u | f.LastDataSelector);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(e, f.Control);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], f.Status);
            BinaryPrimitives.WriteUInt16LittleEndian(e[4..], tag);
            if (real)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(e[6..], (ushort)fip);
                BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)((((fip >> 16) & 0xF) << 12) | (f.LastOpcode & 0x7FFu)));
                BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)fdp);
                BinaryPrimitives.WriteUInt16LittleEndian(e[12..], (ushort)(((fdp >> 16) & 0xF) << 12));
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(e[6..], (ushort)fip);
                BinaryPrimitives.WriteUInt16LittleEndian(e[8..], f.LastCodeSelector);
                BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)fdp);
                BinaryPrimitives.WriteUInt16LittleEndian(e[12..], f.LastDataSelector);
            }
        }
    }

    /// <summary>Loads an FLDENV image; the tag word is applied by the caller after the registers are in place.</summary>
    private static ushort LoadEnv(CpuState cpu, ReadOnlySpan<byte> e, bool size32)
    {
        var f = cpu.Fpu;
        bool real = RealFormat(cpu);
        ushort tag;
        if (size32)
        {
            f.Control = (ushort)((BinaryPrimitives.ReadUInt16LittleEndian(e) & 0x1F3F) | 0x40);
            f.Status = BinaryPrimitives.ReadUInt16LittleEndian(e[4..]);
            tag = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]);
            if (real)
            {
                uint w16 = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
                uint w24 = BinaryPrimitives.ReadUInt32LittleEndian(e[24..]);
                f.LastInstructionPointer = BinaryPrimitives.ReadUInt16LittleEndian(e[12..]) | ((w16 >> 12) << 16);
                f.LastOpcode = (ushort)(w16 & 0x7FF);
                f.LastDataPointer = BinaryPrimitives.ReadUInt16LittleEndian(e[20..]) | ((w24 >> 12) << 16);
                f.LastCodeSelector = f.LastDataSelector = 0;
            }
            else
            {
                f.LastInstructionPointer = BinaryPrimitives.ReadUInt32LittleEndian(e[12..]);
                uint w16 = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
                f.LastCodeSelector = (ushort)w16;
                f.LastOpcode = (ushort)((w16 >> 16) & 0x7FF);
                f.LastDataPointer = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
                f.LastDataSelector = BinaryPrimitives.ReadUInt16LittleEndian(e[24..]);
            }
        }
        else
        {
            f.Control = (ushort)((BinaryPrimitives.ReadUInt16LittleEndian(e) & 0x1F3F) | 0x40);
            f.Status = BinaryPrimitives.ReadUInt16LittleEndian(e[2..]);
            tag = BinaryPrimitives.ReadUInt16LittleEndian(e[4..]);
            if (real)
            {
                ushort w8 = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]);
                f.LastInstructionPointer = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]) | ((uint)(w8 >> 12) << 16);
                f.LastOpcode = (ushort)(w8 & 0x7FF);
                f.LastDataPointer = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]) | ((uint)(BinaryPrimitives.ReadUInt16LittleEndian(e[12..]) >> 12) << 16);
                f.LastCodeSelector = f.LastDataSelector = 0;
            }
            else
            {
                f.LastInstructionPointer = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]);
                f.LastCodeSelector = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]);
                f.LastDataPointer = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
                f.LastDataSelector = BinaryPrimitives.ReadUInt16LittleEndian(e[12..]);
            }
        }
        return tag;
    }

    private static bool EnvSize32(in Instruction i) =>
        i.MemorySize is MemorySize.FpuEnv28 or MemorySize.FpuState108;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fnstenv(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        bool s32 = EnvSize32(i);
        Span<byte> e = stackalloc byte[s32 ? 28 : 14];
        BuildEnv(cpu, e, s32);
        int st = WriteBlock(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), e);
        if (st == Fault) return Fault;
        cpu.Fpu.Control |= 0x3F;
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fstenv(CpuState cpu, ref Instruction i) => FpuEnter(cpu, true) ? Fnstenv(cpu, ref i) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fldenv(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        bool s32 = EnvSize32(i);
        Span<byte> e = stackalloc byte[s32 ? 28 : 14];
        if (!ReadBlock(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), e)) return Fault;
        ushort tag = LoadEnv(cpu, e, s32);
        LoadTag(cpu.Fpu, tag);
        X87.UpdateSummary(cpu.Fpu);
        return FpuDone(cpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fnsave(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        var f = cpu.Fpu;
        bool s32 = EnvSize32(i);
        int envSize = s32 ? 28 : 14;
        Span<byte> e = stackalloc byte[envSize + 80];
        BuildEnv(cpu, e, s32);
        for (int k = 0; k < 8; k++)
        {
            var v = X87.St(f, k);
            BinaryPrimitives.WriteUInt64LittleEndian(e[(envSize + 10 * k)..], v.Significand);
            BinaryPrimitives.WriteUInt16LittleEndian(e[(envSize + 10 * k + 8)..], v.SignExp);
        }
        int st = WriteBlock(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), e);
        if (st == Fault) return Fault;
        X87.Init(f);
        f.FerrPending = false;
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fsave(CpuState cpu, ref Instruction i) => FpuEnter(cpu, true) ? Fnsave(cpu, ref i) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Frstor(CpuState cpu, ref Instruction i)
    {
        if (!FpuEnter(cpu, false)) return Fault;
        var f = cpu.Fpu;
        bool s32 = EnvSize32(i);
        int envSize = s32 ? 28 : 14;
        Span<byte> e = stackalloc byte[envSize + 80];
        if (!ReadBlock(cpu, MemSeg(i), Operands.EffectiveAddress(cpu, i), e)) return Fault;
        ushort tag = LoadEnv(cpu, e, s32);
        for (int k = 0; k < 8; k++)
        {
            int p = X87.Phys(f, k);
            f.Mantissa[p] = BinaryPrimitives.ReadUInt64LittleEndian(e[(envSize + 10 * k)..]);
            f.SignExponent[p] = BinaryPrimitives.ReadUInt16LittleEndian(e[(envSize + 10 * k + 8)..]);
        }
        LoadTag(f, tag);
        X87.UpdateSummary(f);
        return FpuDone(cpu);
    }

    /// <summary>MXCSR bits FXRSTOR accepts (DAZ supported): others raise #GP(0) (SDM Vol. 1 §10.5.1.2).</summary>
    public const uint MxcsrMask = 0x0000FFFF;

    private static bool FxEnter(CpuState cpu, in Instruction i, out int seg, out uint ea)
    {
        seg = MemSeg(i);
        ea = Operands.EffectiveAddress(cpu, i);
        if ((cpu.Cr0 & Cr.CR0_EM) != 0)
        {
            Ud(cpu);
            return false;
        }
        if ((cpu.Cr0 & Cr.CR0_TS) != 0)
        {
            cpu.RaiseException(Vectors.NM);
            return false;
        }
        if (((cpu.Seg(seg).Base + ea) & 15) != 0)
        {
            cpu.RaiseGp(0);
            return false;
        }
        return true;
    }

    /// <summary>FXSAVE: the 512-byte legacy image (SDM Vol. 2A FXSAVE Table 3-53, 32-bit format).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fxsave(CpuState cpu, ref Instruction i)
    {
        if (!FxEnter(cpu, i, out int seg, out uint ea)) return Fault;
        var f = cpu.Fpu;
        var img = new byte[512];
        BinaryPrimitives.WriteUInt16LittleEndian(img, f.Control);
        BinaryPrimitives.WriteUInt16LittleEndian(img.AsSpan(2), f.Status);
        byte ftw = 0;
        for (int p = 0; p < 8; p++)
        {
            if (X87.GetTag(f, p) != X87.TagEmpty) ftw |= (byte)(1 << p);
        }
        img[4] = ftw;
        BinaryPrimitives.WriteUInt16LittleEndian(img.AsSpan(6), (ushort)(f.LastOpcode & 0x7FF));
        BinaryPrimitives.WriteUInt32LittleEndian(img.AsSpan(8), (uint)f.LastInstructionPointer);
        BinaryPrimitives.WriteUInt16LittleEndian(img.AsSpan(12), f.LastCodeSelector);
        BinaryPrimitives.WriteUInt32LittleEndian(img.AsSpan(16), (uint)f.LastDataPointer);
        BinaryPrimitives.WriteUInt16LittleEndian(img.AsSpan(20), f.LastDataSelector);
        BinaryPrimitives.WriteUInt32LittleEndian(img.AsSpan(24), f.Mxcsr);
        BinaryPrimitives.WriteUInt32LittleEndian(img.AsSpan(28), MxcsrMask);
        for (int k = 0; k < 8; k++)
        {
            var v = X87.St(f, k);
            BinaryPrimitives.WriteUInt64LittleEndian(img.AsSpan(32 + 16 * k), v.Significand);
            BinaryPrimitives.WriteUInt16LittleEndian(img.AsSpan(40 + 16 * k), v.SignExp);
        }
        if ((cpu.Cr4 & Cr.CR4_OSFXSR) != 0)
        {
            for (int k = 0; k < 16; k++) BinaryPrimitives.WriteUInt64LittleEndian(img.AsSpan(160 + 8 * k), f.Xmm[k]);
        }
        return WriteBlock(cpu, seg, ea, img);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fxrstor(CpuState cpu, ref Instruction i)
    {
        if (!FxEnter(cpu, i, out int seg, out uint ea)) return Fault;
        var f = cpu.Fpu;
        var img = new byte[512];
        if (!ReadBlock(cpu, seg, ea, img)) return Fault;
        uint mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(24));
        if ((cpu.Cr4 & Cr.CR4_OSFXSR) != 0 && (mxcsr & ~MxcsrMask) != 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        f.Control = (ushort)((BinaryPrimitives.ReadUInt16LittleEndian(img) & 0x1F3F) | 0x40);
        f.Status = BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(2));
        f.LastOpcode = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(6)) & 0x7FF);
        f.LastInstructionPointer = BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(8));
        f.LastCodeSelector = BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(12));
        f.LastDataPointer = BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(16));
        f.LastDataSelector = BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(20));
        for (int k = 0; k < 8; k++)
        {
            int p = X87.Phys(f, k);
            f.Mantissa[p] = BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(32 + 16 * k));
            f.SignExponent[p] = BinaryPrimitives.ReadUInt16LittleEndian(img.AsSpan(40 + 16 * k));
        }
        byte ftw = img[4];
        for (int p = 0; p < 8; p++)
        {
            X87.SetTag(f, p, (ftw & (1 << p)) == 0 ? X87.TagEmpty : X87.TagOf(X87.Reg(f, p)));
        }
        if ((cpu.Cr4 & Cr.CR4_OSFXSR) != 0)
        {
            f.Mxcsr = mxcsr;
            for (int k = 0; k < 16; k++) f.Xmm[k] = BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(160 + 8 * k));
        }
        X87.UpdateSummary(f);
        return FpuDone(cpu);
    }
}
