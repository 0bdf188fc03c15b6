using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

public static partial class Helpers
{
    private static bool BranchTo(CpuState cpu, uint target, int operandSize)
    {
        if (operandSize == 2) target &= 0xFFFF;
        if (target > cpu.Cs.Limit)
        {
            cpu.RaiseGp(0);
            return false;
        }
        cpu.Rip = target;
        return true;
    }

    private static int BranchSize(in Instruction i) => i.Op0Kind switch
    {
        OpKind.NearBranch16 => 2,
        OpKind.NearBranch32 => 4,
        OpKind.FarBranch16 => 2,
        OpKind.FarBranch32 => 4,
        OpKind.Register => i.Op0Register.GetSize(),
        _ => Operands.MemorySize(i) switch { 2 => 2, 4 when i.IsJmpFarIndirect || i.IsCallFarIndirect => 2, 6 => 4, _ => 4 },
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Jcc(CpuState cpu, ref Instruction i)
    {
        if (!LazyFlags.Condition(cpu, CcIndex(i))) return Continue;
        return BranchTo(cpu, (uint)i.NearBranchTarget, BranchSize(i)) ? EndBlock : Fault;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Jmp(CpuState cpu, ref Instruction i)
    {
        var k = i.Op0Kind;
        if (k is OpKind.NearBranch16 or OpKind.NearBranch32)
            return BranchTo(cpu, (uint)i.NearBranchTarget, BranchSize(i)) ? EndBlock : Fault;
        if (k is OpKind.FarBranch16 or OpKind.FarBranch32)
            return FarJump(cpu, i.FarBranchSelector, k == OpKind.FarBranch16 ? i.FarBranch16 : i.FarBranch32, k == OpKind.FarBranch16 ? 2 : 4, false, (uint)cpu.Rip);
        if (i.IsJmpFarIndirect)
        {
            int size = i.MemorySize.GetSize() == 4 ? 2 : 4;
            if (!ReadFarPointer(cpu, ref i, size, out uint off, out ushort sel)) return Fault;
            return FarJump(cpu, sel, off, size, false, (uint)cpu.Rip);
        }
        if (!Operands.TryRead(cpu, i, 0, out uint target)) return Fault;
        return BranchTo(cpu, target, Operands.OperandSize(i, 0)) ? EndBlock : Fault;
    }

    private static bool ReadFarPointer(CpuState cpu, ref Instruction i, int size, out uint offset, out ushort selector)
    {
        int seg = Operands.SegIndex(i.MemorySegment);
        uint ea = Operands.EffectiveAddress(cpu, i);
        offset = (uint)Mmu.ReadSlow(cpu, seg, ea, size);
        selector = 0;
        if (cpu.Faulted) return false;
        uint selAddr = ea + (uint)size;
        if (Operands.AddressSize16(i)) selAddr &= 0xFFFF;
        selector = (ushort)Mmu.ReadSlow(cpu, seg, selAddr, 2);
        return !cpu.Faulted;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Call(CpuState cpu, ref Instruction i)
    {
        var k = i.Op0Kind;
        uint ret = (uint)cpu.Rip;
        if (k is OpKind.FarBranch16 or OpKind.FarBranch32)
            return FarJump(cpu, i.FarBranchSelector, k == OpKind.FarBranch16 ? i.FarBranch16 : i.FarBranch32, k == OpKind.FarBranch16 ? 2 : 4, true, ret);
        if (i.IsCallFarIndirect)
        {
            int fsize = i.MemorySize.GetSize() == 4 ? 2 : 4;
            if (!ReadFarPointer(cpu, ref i, fsize, out uint off, out ushort sel)) return Fault;
            return FarJump(cpu, sel, off, fsize, true, ret);
        }
        uint target;
        int size;
        if (k is OpKind.NearBranch16 or OpKind.NearBranch32)
        {
            target = (uint)i.NearBranchTarget;
            size = k == OpKind.NearBranch16 ? 2 : 4;
        }
        else
        {
            if (!Operands.TryRead(cpu, i, 0, out target)) return Fault;
            size = Operands.OperandSize(i, 0);
        }
        if (size == 2) target &= 0xFFFF;
        if (target > cpu.Cs.Limit)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if (!Stack.Push(cpu, size, ret)) return Fault;
        cpu.Rip = target;
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ret(CpuState cpu, ref Instruction i)
    {
        int size = i.Code is Code.Retnw or Code.Retnw_imm16 ? 2 : 4;
        if (!Stack.Peek(cpu, 0, size, out uint target)) return Fault;
        if (target > cpu.Cs.Limit)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        uint imm = i.OpCount > 0 ? i.Immediate16 : 0u;
        Stack.SetSp(cpu, ((uint)cpu.Rsp + (uint)size + imm) & Stack.StackMask(cpu));
        cpu.Rip = target;
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Retf(CpuState cpu, ref Instruction i)
    {
        int size = i.Code is Code.Retfw or Code.Retfw_imm16 ? 2 : 4;
        uint imm = i.OpCount > 0 ? i.Immediate16 : 0u;
        if (!Stack.Peek(cpu, 0, size, out uint eip) || !Stack.Peek(cpu, size, size, out uint csSel)) return Fault;
        if (!cpu.ProtectedMode || cpu.V86Mode)
        {
            if (eip > cpu.Cs.Limit && cpu.V86Mode)
            {
                cpu.RaiseGp(0);
                return Fault;
            }
            Stack.SetSp(cpu, ((uint)cpu.Rsp + (uint)(2 * size) + imm) & Stack.StackMask(cpu));
            Segmentation.LoadCsReal(cpu, (ushort)csSel);
            cpu.Rip = size == 2 ? eip & 0xFFFF : eip;
            return EndBlock;
        }
        ushort sel = (ushort)csSel;
        uint err = sel & 0xFFFCu;
        if ((sel & ~3) == 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if (!Segmentation.ReadDescriptor(cpu, sel, out var d)) return Fault;
        int rpl = sel & 3;
        if (!d.IsCode || rpl < cpu.Cpl || (d.Conforming ? d.Dpl > rpl : d.Dpl != rpl))
        {
            cpu.RaiseGp(err);
            return Fault;
        }
        if (!d.Present)
        {
            cpu.RaiseException(Vectors.NP, err, true);
            return Fault;
        }
        if (size == 2) eip &= 0xFFFF;
        if (eip > d.Limit)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if (rpl == cpu.Cpl)
        {
            Stack.SetSp(cpu, ((uint)cpu.Rsp + (uint)(2 * size) + imm) & Stack.StackMask(cpu));
            Segmentation.LoadCs(cpu, sel, d, rpl);
            cpu.Rip = eip;
            return EndBlock;
        }
        // Return to an outer level: SS:ESP sit above the parameters.
        uint off = (uint)(2 * size) + imm;
        if (!Stack.Peek(cpu, (int)off, size, out uint newEsp) || !Stack.Peek(cpu, (int)off + size, size, out uint newSs)) return Fault;
        if (!Interrupts.CheckStackSegment(cpu, (ushort)newSs, rpl, Vectors.GP, out var ssd)) return Fault;
        Segmentation.LoadCs(cpu, sel, d, rpl);
        cpu.Ss = ssd.ToSegment((ushort)newSs);
        cpu.Ss.UpdateFastLimits(true);
        Stack.SetSp(cpu, newEsp + imm);
        if (cpu.Ss.Big) cpu.Rsp = newEsp + imm;
        cpu.Rip = eip;
        Segmentation.ValidateDataSegmentsAfterReturn(cpu);
        return EndBlock;
    }

    /// <summary>Far JMP/CALL to selector:offset in any mode, through code segments, call gates, task gates and TSSes.</summary>
    public static int FarJump(CpuState cpu, ushort sel, uint offset, int size, bool call, uint returnEip)
    {
        if (!cpu.ProtectedMode || cpu.V86Mode)
        {
            if (size == 2) offset &= 0xFFFF;
            if (call && !PushFarReturn(cpu, size, returnEip)) return Fault;
            if (offset > cpu.Cs.Limit && cpu.V86Mode)
            {
                cpu.RaiseGp(0);
                return Fault;
            }
            Segmentation.LoadCsReal(cpu, sel);
            cpu.Rip = offset;
            return EndBlock;
        }
        uint err = sel & 0xFFFCu;
        if ((sel & ~3) == 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if (!Segmentation.ReadDescriptor(cpu, sel, out var d)) return Fault;
        int rpl = sel & 3;
        if (d.IsCode)
        {
            if (d.Conforming ? d.Dpl > cpu.Cpl : (rpl > cpu.Cpl || d.Dpl != cpu.Cpl))
            {
                cpu.RaiseGp(err);
                return Fault;
            }
            if (!d.Present)
            {
                cpu.RaiseException(Vectors.NP, err, true);
                return Fault;
            }
            if (size == 2) offset &= 0xFFFF;
            if (offset > d.Limit)
            {
                cpu.RaiseGp(0);
                return Fault;
            }
            if (call && !PushFarReturn(cpu, size, returnEip)) return Fault;
            Segmentation.LoadCs(cpu, sel, d, cpu.Cpl);
            cpu.Rip = offset;
            return EndBlock;
        }
        if (!d.IsSystem)
        {
            cpu.RaiseGp(err);
            return Fault;
        }
        switch (d.Type)
        {
            case 1:
            case 9:
                if (d.Dpl < cpu.Cpl || d.Dpl < rpl)
                {
                    cpu.RaiseGp(err);
                    return Fault;
                }
                return TaskSwitch.Switch(cpu, sel, call ? TaskSwitch.Reason.InterruptOrCall : TaskSwitch.Reason.Jump, returnEip, false, 0) ? EndBlock : Fault;
            case 5:
                if (d.Dpl < cpu.Cpl || d.Dpl < rpl)
                {
                    cpu.RaiseGp(err);
                    return Fault;
                }
                if (!d.Present)
                {
                    cpu.RaiseException(Vectors.NP, err, true);
                    return Fault;
                }
                return TaskSwitch.Switch(cpu, d.GateSelector, call ? TaskSwitch.Reason.InterruptOrCall : TaskSwitch.Reason.Jump, returnEip, false, 0) ? EndBlock : Fault;
            case 4:
            case 0xC:
                return CallGate(cpu, sel, d, call, returnEip);
            default:
                cpu.RaiseGp(err);
                return Fault;
        }
    }

    /// <summary>Pushes CS and the return EIP for a far CALL; on a fault ESP is left as it was.</summary>
    private static bool PushFarReturn(CpuState cpu, int size, uint returnEip)
    {
        uint sp0 = (uint)cpu.Rsp;
        if (Stack.Push(cpu, size, cpu.Cs.Selector) && Stack.Push(cpu, size, returnEip)) return true;
        Stack.SetSp(cpu, sp0);
        return false;
    }

    private static int CallGate(CpuState cpu, ushort gateSel, in Descriptor gate, bool call, uint returnEip)
    {
        uint gerr = gateSel & 0xFFFCu;
        if (gate.Dpl < cpu.Cpl || gate.Dpl < (gateSel & 3))
        {
            cpu.RaiseGp(gerr);
            return Fault;
        }
        if (!gate.Present)
        {
            cpu.RaiseException(Vectors.NP, gerr, true);
            return Fault;
        }
        ushort sel = gate.GateSelector;
        uint err = sel & 0xFFFCu;
        if ((sel & ~3) == 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if (!Segmentation.ReadDescriptor(cpu, sel, out var d)) return Fault;
        if (!d.IsCode || d.Dpl > cpu.Cpl || (!call && !d.Conforming && d.Dpl != cpu.Cpl))
        {
            cpu.RaiseGp(err);
            return Fault;
        }
        if (!d.Present)
        {
            cpu.RaiseException(Vectors.NP, err, true);
            return Fault;
        }
        bool gate32 = gate.Type == 0xC;
        int size = gate32 ? 4 : 2;
        uint offset = gate32 ? gate.GateOffset : gate.GateOffset & 0xFFFF;
        if (offset > d.Limit)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if (call && !d.Conforming && d.Dpl < cpu.Cpl)
        {
            int newCpl = d.Dpl;
            if (!Interrupts.ReadTssStack(cpu, newCpl, out ushort newSs, out uint newEsp)) return Fault;
            if (!Interrupts.CheckStackSegment(cpu, newSs, newCpl, Vectors.TS, out var ssd)) return Fault;
            int count = gate.GateParamCount;
            var parms = new uint[count];
            for (int k = 0; k < count; k++)
            {
                if (!Stack.Peek(cpu, k * size, size, out parms[k])) return Fault;
            }
            var oldSs = cpu.Ss;
            uint oldEsp = (uint)cpu.Rsp;
            var oldCs = cpu.Cs;
            int oldCpl = cpu.Cpl;
            cpu.Ss = ssd.ToSegment(newSs);
            cpu.Ss.UpdateFastLimits(true);
            cpu.Cpl = newCpl;
            cpu.SelectTlb();
            cpu.Rsp = cpu.Ss.Big ? newEsp : (cpu.Rsp & ~0xFFFFul) | (newEsp & 0xFFFF);
            bool ok = Stack.Push(cpu, size, oldSs.Selector) && Stack.Push(cpu, size, oldEsp);
            for (int k = count - 1; ok && k >= 0; k--) ok = Stack.Push(cpu, size, parms[k]);
            ok = ok && Stack.Push(cpu, size, oldCs.Selector) && Stack.Push(cpu, size, returnEip);
            if (!ok)
            {
                cpu.Ss = oldSs;
                cpu.Rsp = oldEsp;
                cpu.Cpl = oldCpl;
                cpu.SelectTlb();
                return Fault;
            }
            Segmentation.LoadCs(cpu, sel, d, newCpl);
            cpu.Rip = offset;
            return EndBlock;
        }
        if (call && !PushFarReturn(cpu, size, returnEip)) return Fault;
        Segmentation.LoadCs(cpu, sel, d, cpu.Cpl);
        cpu.Rip = offset;
        return EndBlock;
    }

    private static uint CounterMask(in Instruction i) => i.Code switch
    {
        Code.Loop_rel8_16_CX or Code.Loop_rel8_32_CX or Code.Loope_rel8_16_CX or Code.Loope_rel8_32_CX
            or Code.Loopne_rel8_16_CX or Code.Loopne_rel8_32_CX or Code.Jcxz_rel8_16 or Code.Jcxz_rel8_32 => 0xFFFFu,
        _ => 0xFFFF_FFFFu,
    };

    private static int LoopCommon(CpuState cpu, ref Instruction i, int kind)
    {
        uint mask = CounterMask(i);
        uint cx = ((uint)cpu.Rcx - 1) & mask;
        bool take = cx != 0;
        if (kind == 1) take &= (cpu.GetEflags() & Eflags.ZF) != 0;
        if (kind == 2) take &= (cpu.GetEflags() & Eflags.ZF) == 0;
        if (take)
        {
            uint t = (uint)i.NearBranchTarget;
            if (i.GetOpKind(0) == OpKind.NearBranch16) t &= 0xFFFF;
            if (t > cpu.Cs.Limit)
            {
                cpu.RaiseGp(0);
                return Fault;
            }
            cpu.Rcx = mask == 0xFFFF ? (cpu.Rcx & ~0xFFFFul) | cx : cx;
            cpu.Rip = t;
            return EndBlock;
        }
        cpu.Rcx = mask == 0xFFFF ? (cpu.Rcx & ~0xFFFFul) | cx : cx;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Loop(CpuState cpu, ref Instruction i) => LoopCommon(cpu, ref i, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Loope(CpuState cpu, ref Instruction i) => LoopCommon(cpu, ref i, 1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Loopne(CpuState cpu, ref Instruction i) => LoopCommon(cpu, ref i, 2);

    private static int JumpIfCounterZero(CpuState cpu, ref Instruction i)
    {
        uint mask = CounterMask(i);
        if (((uint)cpu.Rcx & mask) != 0) return Continue;
        uint t = (uint)i.NearBranchTarget;
        if (i.GetOpKind(0) == OpKind.NearBranch16) t &= 0xFFFF;
        return BranchTo(cpu, t, 4) ? EndBlock : Fault;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Jcxz(CpuState cpu, ref Instruction i) => JumpIfCounterZero(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Jecxz(CpuState cpu, ref Instruction i) => JumpIfCounterZero(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Int(CpuState cpu, ref Instruction i) => SoftwareInterrupt(cpu, i.Immediate8);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Int3(CpuState cpu, ref Instruction i) => SoftwareInterrupt(cpu, Vectors.BP, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Into(CpuState cpu, ref Instruction i)
    {
        if ((cpu.GetEflags() & Eflags.OF) == 0) return Continue;
        return SoftwareInterrupt(cpu, Vectors.OF, true);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Int1(CpuState cpu, ref Instruction i)
    {
        // ICEBP: a debug trap delivered like a hardware exception (no IOPL/DPL check).
        uint next = (uint)cpu.Rip;
        return Interrupts.Deliver(cpu, Vectors.DB, next, false) ? EndBlock : Fault;
    }

    private static int SoftwareInterrupt(CpuState cpu, int vector, bool exceptionLike = false)
    {
        if (cpu.V86Mode && !exceptionLike && (cpu.Eflags & Eflags.IOPL) != Eflags.IOPL)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        uint next = (uint)cpu.Rip;
        return Interrupts.Deliver(cpu, vector, next, true) ? EndBlock : Fault;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Iret(CpuState cpu, ref Instruction i) => Interrupts.Iret(cpu, 2) ? EndBlock : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Iretd(CpuState cpu, ref Instruction i) => Interrupts.Iret(cpu, 4) ? EndBlock : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Bound(CpuState cpu, ref Instruction i)
    {
        if (i.GetOpKind(1) != OpKind.Memory) return Ud(cpu);
        int size = i.Op0Register.GetSize();
        int seg = Operands.SegIndex(i.MemorySegment);
        uint ea = Operands.EffectiveAddress(cpu, i);
        uint lo = (uint)Mmu.ReadSlow(cpu, seg, ea, size);
        if (cpu.Faulted) return Fault;
        uint hiAddr = ea + (uint)size;
        if (Operands.AddressSize16(i)) hiAddr &= 0xFFFF;
        uint hi = (uint)Mmu.ReadSlow(cpu, seg, hiAddr, size);
        if (cpu.Faulted) return Fault;
        uint v = Operands.ReadReg(cpu, i.Op0Register);
        int sv = size == 2 ? (short)v : (int)v, slo = size == 2 ? (short)lo : (int)lo, shi = size == 2 ? (short)hi : (int)hi;
        if (sv < slo || sv > shi)
        {
            cpu.RaiseException(Vectors.BR);
            return Fault;
        }
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Hlt(CpuState cpu, ref Instruction i)
    {
        if (cpu.Cpl != 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        cpu.Halted = true;
        return EndBlock;
    }
}
