using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

public static partial class Helpers
{
    public static int Ud(CpuState cpu)
    {
        cpu.RaiseException(Vectors.UD);
        return Fault;
    }

    /// <summary>Raised for instructions the core does not implement (reported as #UD, as a CPU without the feature would).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Invalid(CpuState cpu, ref Instruction i) => Ud(cpu);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Mov(CpuState cpu, ref Instruction i)
    {
        var k0 = i.Op0Kind;
        var k1 = i.Op1Kind;
        if (k0 == OpKind.Register)
        {
            var r0 = i.Op0Register;
            if (r0.IsSegmentRegister())
            {
                if (!Operands.TryRead(cpu, i, 1, out uint sel)) return Fault;
                int sreg = Operands.SegIndex(r0);
                if (sreg == Segmentation.CS) return Ud(cpu);
                if (!Segmentation.LoadDataSegment(cpu, sreg, (ushort)sel)) return Fault;
                if (sreg == Segmentation.SS) cpu.InterruptShadow = true;
                return EndBlock;
            }
            if (r0.IsCR()) return MovToCr(cpu, r0, Operands.ReadReg(cpu, i.Op1Register));
            if (r0.IsDR()) return MovToDr(cpu, r0, Operands.ReadReg(cpu, i.Op1Register));
        }
        if (k1 == OpKind.Register)
        {
            var r1 = i.Op1Register;
            if (r1.IsSegmentRegister())
            {
                uint sel = cpu.Seg(Operands.SegIndex(r1)).Selector;
                if (k0 == OpKind.Register)
                {
                    Operands.WriteReg(cpu, i.Op0Register, sel);
                    return Continue;
                }
                return Operands.Write(cpu, i, 0, sel);
            }
            if (r1.IsCR()) return MovFromCr(cpu, i.Op0Register, r1);
            if (r1.IsDR()) return MovFromDr(cpu, i.Op0Register, r1);
        }
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        return Operands.Write(cpu, i, 0, v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movzx(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        return Operands.Write(cpu, i, 0, v & SizeMask(Operands.OperandSize(i, 1)));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movsx(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        uint r = Operands.OperandSize(i, 1) == 1 ? (uint)(sbyte)v : (uint)(short)v;
        return Operands.Write(cpu, i, 0, r & SizeMask(Operands.OperandSize(i, 0)));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lea(CpuState cpu, ref Instruction i)
    {
        uint ea = Operands.EffectiveAddress(cpu, i);
        Operands.WriteReg(cpu, i.Op0Register, ea & SizeMask(i.Op0Register.GetSize()));
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Xchg(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a) || !Operands.TryRead(cpu, i, 1, out uint b)) return Fault;
        if (i.GetOpKind(0) == OpKind.Memory)
        {
            int st = Operands.Write(cpu, i, 0, b);
            if (st == Fault) return Fault;
            Operands.Write(cpu, i, 1, a);
            return st;
        }
        if (i.GetOpKind(1) == OpKind.Memory)
        {
            int st = Operands.Write(cpu, i, 1, a);
            if (st == Fault) return Fault;
            Operands.Write(cpu, i, 0, b);
            return st;
        }
        Operands.Write(cpu, i, 0, b);
        Operands.Write(cpu, i, 1, a);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Nop(CpuState cpu, ref Instruction i) => Continue;
    /// <summary>ENDBR32/ENDBR64 and the other reserved-NOP encodings (0F 18–0F 1F) are NOPs on a Core 2.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Endbr32(CpuState cpu, ref Instruction i) => Continue;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Endbr64(CpuState cpu, ref Instruction i) => Continue;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Reservednop(CpuState cpu, ref Instruction i) => Continue;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pause(CpuState cpu, ref Instruction i) => Continue;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Xlatb(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint v)) return Fault;
        cpu.Rax = (cpu.Rax & ~0xFFul) | (byte)v;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cbw(CpuState cpu, ref Instruction i)
    {
        cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ulong)(ushort)(short)(sbyte)(byte)cpu.Rax;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cwde(CpuState cpu, ref Instruction i)
    {
        cpu.Rax = (uint)(short)cpu.Rax;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cwd(CpuState cpu, ref Instruction i)
    {
        cpu.Rdx = (cpu.Rdx & ~0xFFFFul) | ((short)cpu.Rax < 0 ? 0xFFFFul : 0);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cdq(CpuState cpu, ref Instruction i)
    {
        cpu.Rdx = (int)cpu.Rax < 0 ? 0xFFFF_FFFFul : 0;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lahf(CpuState cpu, ref Instruction i)
    {
        uint f = cpu.GetEflags();
        cpu.Rax = (cpu.Rax & ~0xFF00ul) | ((ulong)(f & 0xD5 | 2) << 8);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sahf(CpuState cpu, ref Instruction i)
    {
        uint f = cpu.GetEflags();
        cpu.Eflags = (f & ~0xD5u) | ((uint)(cpu.Rax >> 8) & 0xD5);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Salc(CpuState cpu, ref Instruction i)
    {
        cpu.Rax = (cpu.Rax & ~0xFFul) | (LazyFlags.CarryOf(cpu) != 0 ? 0xFFul : 0);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Clc(CpuState cpu, ref Instruction i) { SetFlags(cpu, 0, Eflags.CF); return Continue; }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Stc(CpuState cpu, ref Instruction i) { SetFlags(cpu, Eflags.CF, Eflags.CF); return Continue; }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmc(CpuState cpu, ref Instruction i) { SetFlags(cpu, ~cpu.GetEflags(), Eflags.CF); return Continue; }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cld(CpuState cpu, ref Instruction i) { cpu.Eflags &= ~Eflags.DF; return Continue; }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Std(CpuState cpu, ref Instruction i) { cpu.Eflags |= Eflags.DF; return Continue; }

    private static bool IoplAllows(CpuState cpu)
    {
        if (!cpu.ProtectedMode) return true;
        int iopl = (int)((cpu.Eflags >> 12) & 3);
        return cpu.V86Mode ? iopl == 3 : cpu.Cpl <= iopl;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cli(CpuState cpu, ref Instruction i)
    {
        if (!IoplAllows(cpu))
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        cpu.Eflags &= ~Eflags.IF;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sti(CpuState cpu, ref Instruction i)
    {
        if (!IoplAllows(cpu))
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if ((cpu.Eflags & Eflags.IF) == 0)
        {
            cpu.Eflags |= Eflags.IF;
            cpu.InterruptShadow = true;
            cpu.InterruptCheck = true;
        }
        return EndBlock;
    }

    // ---- Conditional moves and sets ----

    private static int CcIndex(in Instruction i) => (int)i.ConditionCode - 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmovcc(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        if (LazyFlags.Condition(cpu, CcIndex(i))) Operands.WriteReg(cpu, i.Op0Register, v);
        else if (i.Op0Register.GetSize() == 4) Operands.WriteReg(cpu, i.Op0Register, Operands.ReadReg(cpu, i.Op0Register));
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Setcc(CpuState cpu, ref Instruction i) => Operands.Write(cpu, i, 0, LazyFlags.Condition(cpu, CcIndex(i)) ? 1u : 0u);

    // ---- Stack ----

    /// <summary>
    /// Bytes PUSH stores, per instruction code (Iced's StackPointerIncrement, a switch over every code; for PUSH it
    /// depends on the code alone).
    /// </summary>
    private static readonly byte[] PushSizeByCode = BuildPushSizes();

    private static byte[] BuildPushSizes()
    {
        var t = new byte[Enum.GetValues<Code>().Length + 1];
        var probe = default(Instruction);
        foreach (var c in Enum.GetValues<Code>())
        {
            probe.Code = c;
            if (probe.Mnemonic == Mnemonic.Push) t[(int)c] = (byte)-probe.StackPointerIncrement;
        }
        return t;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Push(CpuState cpu, ref Instruction i)
    {
        int size = PushSizeByCode[(int)i.Code];
        uint v;
        if (i.Op0Kind == OpKind.Register && i.Op0Register.IsSegmentRegister())
        {
            v = cpu.Seg(Operands.SegIndex(i.Op0Register)).Selector;
            uint sp = ((uint)cpu.Rsp - (uint)size) & Stack.StackMask(cpu);
            // A 32-bit push of a segment register writes only the low word (Core 2 behaviour).
            if (Mmu.WriteSlow(cpu, 2, sp, 2, v) == Fault) return Fault;
            Stack.SetSp(cpu, sp);
            return Continue;
        }
        if (!Operands.TryRead(cpu, i, 0, out v)) return Fault;
        return Stack.Push(cpu, size, v) ? Continue : Fault;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pop(CpuState cpu, ref Instruction i)
    {
        int size = i.StackPointerIncrement;
        if (!Stack.Peek(cpu, 0, size, out uint v)) return Fault;
        uint oldSp = (uint)cpu.Rsp;
        uint newSp = (oldSp + (uint)size) & Stack.StackMask(cpu);
        if (i.GetOpKind(0) == OpKind.Register && i.Op0Register.IsSegmentRegister())
        {
            int sreg = Operands.SegIndex(i.Op0Register);
            if (!Segmentation.LoadDataSegment(cpu, sreg, (ushort)v)) return Fault;
            Stack.SetSp(cpu, newSp);
            if (sreg == Segmentation.SS) cpu.InterruptShadow = true;
            // A load of DS, ES or SS may change the mode's flat-segments bit: the dispatcher re-reads the mode.
            return sreg is Segmentation.FS or Segmentation.GS ? Continue : EndBlock;
        }
        if (i.GetOpKind(0) == OpKind.Register)
        {
            Stack.SetSp(cpu, newSp);
            Operands.WriteReg(cpu, i.Op0Register, v);
            return Continue;
        }
        // POP m: the address is computed with the incremented ESP (SDM POP).
        Stack.SetSp(cpu, newSp);
        int st = Operands.Write(cpu, i, 0, v);
        if (st == Fault) cpu.Rsp = oldSp | (cpu.Rsp & ~(ulong)Stack.StackMask(cpu));
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pusha(CpuState cpu, ref Instruction i) => PushAll(cpu, 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pushad(CpuState cpu, ref Instruction i) => PushAll(cpu, 4);

    private static int PushAll(CpuState cpu, int size)
    {
        uint mask = Stack.StackMask(cpu);
        uint sp = (uint)cpu.Rsp;
        uint[] values = { (uint)cpu.Rax, (uint)cpu.Rcx, (uint)cpu.Rdx, (uint)cpu.Rbx, sp, (uint)cpu.Rbp, (uint)cpu.Rsi, (uint)cpu.Rdi };
        for (int k = 0; k < 8; k++)
        {
            uint a = (sp - (uint)(size * (k + 1))) & mask;
            if (Mmu.WriteSlow(cpu, 2, a, size, values[k]) == Fault) return Fault;
        }
        Stack.SetSp(cpu, (sp - (uint)(8 * size)) & mask);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Popa(CpuState cpu, ref Instruction i) => PopAll(cpu, 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Popad(CpuState cpu, ref Instruction i) => PopAll(cpu, 4);

    private static int PopAll(CpuState cpu, int size)
    {
        var v = new uint[8];
        for (int k = 0; k < 8; k++)
        {
            if (!Stack.Peek(cpu, k * size, size, out v[k])) return Fault;
        }
        Register[] regs = size == 2
            ? new[] { Register.DI, Register.SI, Register.BP, Register.None, Register.BX, Register.DX, Register.CX, Register.AX }
            : new[] { Register.EDI, Register.ESI, Register.EBP, Register.None, Register.EBX, Register.EDX, Register.ECX, Register.EAX };
        for (int k = 0; k < 8; k++)
        {
            if (regs[k] != Register.None) Operands.WriteReg(cpu, regs[k], v[k]);
        }
        Stack.SetSp(cpu, ((uint)cpu.Rsp + (uint)(8 * size)) & Stack.StackMask(cpu));
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pushf(CpuState cpu, ref Instruction i) => PushFlags(cpu, 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pushfd(CpuState cpu, ref Instruction i) => PushFlags(cpu, 4);

    private static int PushFlags(CpuState cpu, int size)
    {
        if (cpu.V86Mode && (cpu.Eflags & Eflags.IOPL) != Eflags.IOPL)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        uint f = cpu.GetEflags() & ~(Eflags.VM | Eflags.RF);
        return Stack.Push(cpu, size, f) ? Continue : Fault;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Popf(CpuState cpu, ref Instruction i) => PopFlags(cpu, 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Popfd(CpuState cpu, ref Instruction i) => PopFlags(cpu, 4);

    private static int PopFlags(CpuState cpu, int size)
    {
        if (cpu.V86Mode && (cpu.Eflags & Eflags.IOPL) != Eflags.IOPL)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        if (!Stack.Pop(cpu, size, out uint v)) return Fault;
        uint mask = Interrupts.FlagsWritableAt(cpu, size);
        if (cpu.V86Mode) mask &= ~Eflags.IOPL;
        mask &= ~(Eflags.VM | Eflags.VIF | Eflags.VIP | Eflags.RF);
        cpu.SetEflags((cpu.GetEflags() & ~mask) | (v & mask));
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Leave(CpuState cpu, ref Instruction i)
    {
        int size = i.Code == Code.Leavew ? 2 : 4;
        uint mask = Stack.StackMask(cpu);
        uint bp = (uint)cpu.Rbp & mask;
        uint v = (uint)Mmu.ReadSlow(cpu, 2, bp, size);
        if (cpu.Faulted) return Fault;
        Stack.SetSp(cpu, (bp + (uint)size) & mask);
        Operands.WriteReg(cpu, size == 2 ? Register.BP : Register.EBP, v);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Enter(CpuState cpu, ref Instruction i)
    {
        int size = i.Code == Code.Enterw_imm16_imm8 ? 2 : 4;
        uint alloc = i.Immediate16;
        int level = i.Immediate8_2nd & 31;
        uint mask = Stack.StackMask(cpu);
        uint sp = (uint)cpu.Rsp;
        uint bp = (uint)cpu.Rbp;
        sp = (sp - (uint)size) & mask;
        if (Mmu.WriteSlow(cpu, 2, sp, size, bp) == Fault) return Fault;
        uint frame = sp;
        for (int k = 1; k < level; k++)
        {
            bp = (bp - (uint)size) & mask;
            uint v = (uint)Mmu.ReadSlow(cpu, 2, bp, size);
            if (cpu.Faulted) return Fault;
            sp = (sp - (uint)size) & mask;
            if (Mmu.WriteSlow(cpu, 2, sp, size, v) == Fault) return Fault;
        }
        if (level > 0)
        {
            sp = (sp - (uint)size) & mask;
            if (Mmu.WriteSlow(cpu, 2, sp, size, frame) == Fault) return Fault;
        }
        uint finalSp = (sp - alloc) & mask;
        // The final stack pointer must be writable (SDM ENTER: #SS if it is outside the segment).
        if (!Mmu.CheckSegment(cpu, 2, finalSp, 1, true) && alloc != 0) return Fault;
        cpu.Faulted = false;
        cpu.PendingVector = -1;
        Operands.WriteReg(cpu, size == 2 ? Register.BP : Register.EBP, frame);
        Stack.SetSp(cpu, finalSp);
        return Continue;
    }

    // ---- Far pointer loads ----

    private static int LoadFarPointer(CpuState cpu, ref Instruction i, int sreg)
    {
        if (i.GetOpKind(1) != OpKind.Memory) return Ud(cpu);
        int size = i.Op0Register.GetSize();
        int seg = Operands.SegIndex(i.MemorySegment);
        uint ea = Operands.EffectiveAddress(cpu, i);
        uint off = (uint)Mmu.ReadSlow(cpu, seg, ea, size);
        if (cpu.Faulted) return Fault;
        uint selAddr = ea + (uint)size;
        if (Operands.AddressSize16(i)) selAddr &= 0xFFFF;
        uint sel = (uint)Mmu.ReadSlow(cpu, seg, selAddr, 2);
        if (cpu.Faulted) return Fault;
        if (!Segmentation.LoadDataSegment(cpu, sreg, (ushort)sel)) return Fault;
        Operands.WriteReg(cpu, i.Op0Register, off);
        if (sreg == Segmentation.SS) cpu.InterruptShadow = true;
        // A load of DS, ES or SS may change the mode's flat-segments bit: the dispatcher re-reads the mode.
        return sreg is Segmentation.FS or Segmentation.GS ? Continue : EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lds(CpuState cpu, ref Instruction i) => LoadFarPointer(cpu, ref i, Segmentation.DS);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Les(CpuState cpu, ref Instruction i) => LoadFarPointer(cpu, ref i, Segmentation.ES);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lfs(CpuState cpu, ref Instruction i) => LoadFarPointer(cpu, ref i, Segmentation.FS);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lgs(CpuState cpu, ref Instruction i) => LoadFarPointer(cpu, ref i, Segmentation.GS);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lss(CpuState cpu, ref Instruction i) => LoadFarPointer(cpu, ref i, Segmentation.SS);
}
