namespace Emulator.Core.Cpu;

/// <summary>
/// Interrupt and exception delivery (SDM Vol. 3A §6.12 protected mode, §20.1.4 real mode, §20.3 virtual-8086),
/// IRET (Vol. 2 IRET operation), far CALL/JMP/RET (Vol. 2 operations). On a fault during delivery these raise
/// the new exception on the <see cref="CpuState"/> and return false; the run loop applies the double-fault rules.
/// </summary>
public static class Interrupts
{
    /// <summary>Delivers a vector. <paramref name="returnEip"/> is pushed; <paramref name="software"/> marks INT n/INT3/INTO (DPL check, no EXT bit).</summary>
    public static bool Deliver(CpuState cpu, int vector, uint returnEip, bool software, bool hasError = false, uint errorCode = 0)
    {
        cpu.Halted = false;
        bool ok = !cpu.ProtectedMode ? DeliverReal(cpu, vector, returnEip) : DeliverProtected(cpu, vector, returnEip, software, hasError, errorCode);
        if (ok) cpu.InterruptDelivered?.Invoke(vector);
        return ok;
    }

    private static bool DeliverReal(CpuState cpu, int vector, uint returnEip)
    {
        uint entry = (uint)vector * 4;
        if (entry + 3 > cpu.IdtrLimit)
        {
            cpu.RaiseGp(0);
            return false;
        }
        ulong ivt = Mmu.ReadLinear(cpu, cpu.IdtrBase + entry, 4, false);
        if (cpu.Faulted) return false;
        uint flags = cpu.GetEflags();
        if (!Stack.Push(cpu, 2, flags) || !Stack.Push(cpu, 2, cpu.Cs.Selector) || !Stack.Push(cpu, 2, returnEip)) return false;
        cpu.Eflags &= ~(Eflags.IF | Eflags.TF | Eflags.AC | Eflags.RF);
        Segmentation.LoadCsReal(cpu, (ushort)(ivt >> 16));
        cpu.Rip = (ushort)ivt;
        return true;
    }

    private static bool DeliverProtected(CpuState cpu, int vector, uint returnEip, bool software, bool hasError, uint errorCode)
    {
        uint ext = software ? 0u : 1u;
        uint gateErr = (uint)vector * 8 + 2 + ext;
        if ((uint)vector * 8 + 7 > cpu.IdtrLimit)
        {
            cpu.RaiseGp(gateErr);
            return false;
        }
        if (!Mmu.ReadSystem(cpu, cpu.IdtrBase + (uint)vector * 8, 4, out ulong lo)) return false;
        if (!Mmu.ReadSystem(cpu, cpu.IdtrBase + (uint)vector * 8 + 4, 4, out ulong hi)) return false;
        var gate = new Descriptor((uint)lo, (uint)hi);
        int type = gate.Type;
        if (!gate.IsSystem || type is not (5 or 6 or 7 or 0xE or 0xF))
        {
            cpu.RaiseGp(gateErr);
            return false;
        }
        if (software && gate.Dpl < cpu.Cpl)
        {
            cpu.RaiseGp(gateErr);
            return false;
        }
        if (!gate.Present)
        {
            cpu.RaiseException(Vectors.NP, gateErr, true);
            return false;
        }
        if (type == 5)
        {
            return TaskSwitch.Switch(cpu, gate.GateSelector, TaskSwitch.Reason.InterruptOrCall, returnEip, hasError, errorCode);
        }
        bool gate32 = (type & 8) != 0;
        bool trap = (type & 1) != 0;
        ushort sel = gate.GateSelector;
        if ((sel & ~3) == 0)
        {
            cpu.RaiseGp(ext);
            return false;
        }
        if (!Segmentation.ReadDescriptor(cpu, sel, out var cs, Vectors.GP)) return false;
        uint selErr = (sel & 0xFFFCu) | ext;
        if (!cs.IsCode || cs.Dpl > cpu.Cpl)
        {
            cpu.RaiseGp(selErr);
            return false;
        }
        if (!cs.Present)
        {
            cpu.RaiseException(Vectors.NP, selErr, true);
            return false;
        }
        uint offset = gate32 ? gate.GateOffset : gate.GateOffset & 0xFFFF;
        int size = gate32 ? 4 : 2;
        uint oldFlags = cpu.GetEflags();
        bool fromV86 = cpu.V86Mode;
        if (!cs.Conforming && cs.Dpl < cpu.Cpl)
        {
            if (fromV86 && cs.Dpl != 0)
            {
                cpu.RaiseGp(selErr);
                return false;
            }
            int newCpl = cs.Dpl;
            if (!ReadTssStack(cpu, newCpl, out ushort newSs, out uint newEsp)) return false;
            if (!CheckStackSegment(cpu, newSs, newCpl, Vectors.TS, out var ssDesc)) return false;
            var oldSs = cpu.Ss;
            uint oldEsp = (uint)cpu.Rsp;
            var saved = SaveSegments(cpu);
            // Switch to the inner stack, then push; undo on a fault.
            cpu.Ss = ssDesc.ToSegment(newSs);
            cpu.Ss.UpdateFastLimits(true);
            int savedCpl = cpu.Cpl;
            cpu.Cpl = newCpl;
            cpu.SelectTlb();
            cpu.Rsp = cpu.Ss.Big ? newEsp : (cpu.Rsp & ~0xFFFFul) | (newEsp & 0xFFFF);
            bool ok = true;
            if (fromV86)
            {
                ok = Stack.Push(cpu, size, cpu.Gs.Selector) && Stack.Push(cpu, size, cpu.Fs.Selector)
                    && Stack.Push(cpu, size, cpu.Ds.Selector) && Stack.Push(cpu, size, cpu.Es.Selector);
            }
            ok = ok && Stack.Push(cpu, size, oldSs.Selector) && Stack.Push(cpu, size, oldEsp)
                && Stack.Push(cpu, size, oldFlags) && Stack.Push(cpu, size, saved.Cs.Selector)
                && Stack.Push(cpu, size, returnEip) && (!hasError || Stack.Push(cpu, size, errorCode));
            if (!ok)
            {
                cpu.Ss = oldSs;
                cpu.Rsp = oldEsp;
                cpu.Cpl = savedCpl;
                cpu.SelectTlb();
                return false;
            }
            if (fromV86)
            {
                for (int i = 0; i < 6; i++)
                {
                    if (i is Segmentation.CS or Segmentation.SS) continue;
                    cpu.Seg(i) = new Segment { Selector = 0, Flags = 0 };
                }
            }
        }
        else
        {
            if (fromV86)
            {
                cpu.RaiseGp(selErr);
                return false;
            }
            if (!Stack.Push(cpu, size, oldFlags)) return false;
            uint sp1 = (uint)cpu.Rsp;
            if (!Stack.Push(cpu, size, cpu.Cs.Selector) || !Stack.Push(cpu, size, returnEip) || (hasError && !Stack.Push(cpu, size, errorCode)))
            {
                Stack.SetSp(cpu, sp1 + (uint)size);
                return false;
            }
        }
        int targetCpl = cs.Conforming ? cpu.Cpl : cs.Dpl;
        cpu.Eflags &= ~(Eflags.TF | Eflags.NT | Eflags.VM | Eflags.RF);
        if (!trap) cpu.Eflags &= ~Eflags.IF;
        Segmentation.LoadCs(cpu, sel, cs, targetCpl);
        cpu.UpdateAllFastLimits();
        cpu.Rip = offset;
        return true;
    }

    private readonly record struct SavedSegments(Segment Cs);

    private static SavedSegments SaveSegments(CpuState cpu) => new(cpu.Cs);

    /// <summary>SSn:ESPn for privilege level <paramref name="cpl"/> from the current TSS (SDM Vol. 3A §7.2.1).</summary>
    public static bool ReadTssStack(CpuState cpu, int cpl, out ushort ss, out uint esp)
    {
        ss = 0;
        esp = 0;
        bool tss32 = (cpu.Tr.Flags & 8) != 0;
        uint offset = tss32 ? (uint)(cpl * 8 + 4) : (uint)(cpl * 4 + 2);
        uint width = tss32 ? 8u : 4u;
        if (offset + width - 1 > cpu.Tr.Limit)
        {
            cpu.RaiseException(Vectors.TS, cpu.Tr.Selector & 0xFFFCu, true);
            return false;
        }
        if (tss32)
        {
            if (!Mmu.ReadSystem(cpu, cpu.Tr.Base + offset, 4, out ulong e) || !Mmu.ReadSystem(cpu, cpu.Tr.Base + offset + 4, 2, out ulong s)) return false;
            esp = (uint)e;
            ss = (ushort)s;
        }
        else
        {
            if (!Mmu.ReadSystem(cpu, cpu.Tr.Base + offset, 2, out ulong e) || !Mmu.ReadSystem(cpu, cpu.Tr.Base + offset + 2, 2, out ulong s)) return false;
            esp = (ushort)e;
            ss = (ushort)s;
        }
        return true;
    }

    /// <summary>Checks a new stack segment for a privilege change; raises <paramref name="vector"/>(selector).</summary>
    public static bool CheckStackSegment(CpuState cpu, ushort ss, int cpl, int vector, out Descriptor d)
    {
        d = default;
        uint err = ss & 0xFFFCu;
        if ((ss & ~3) == 0 || (ss & 3) != cpl)
        {
            cpu.RaiseException(vector, err, true);
            return false;
        }
        if (!Segmentation.ReadDescriptor(cpu, ss, out d, vector)) return false;
        if (!d.Writable || d.Dpl != cpl)
        {
            cpu.RaiseException(vector, err, true);
            return false;
        }
        if (!d.Present)
        {
            cpu.RaiseException(Vectors.SS, err, true);
            return false;
        }
        return true;
    }

    /// <summary>IRET/IRETD (operand size 2 or 4).</summary>
    public static bool Iret(CpuState cpu, int size)
    {
        if (!cpu.ProtectedMode)
        {
            if (!Stack.Peek(cpu, 0, size, out uint ip) || !Stack.Peek(cpu, size, size, out uint cs) || !Stack.Peek(cpu, 2 * size, size, out uint fl)) return false;
            if (ip > cpu.Cs.Limit && size == 4)
            {
                cpu.RaiseGp(0);
                return false;
            }
            Stack.SetSp(cpu, ((uint)cpu.Rsp + (uint)(3 * size)) & Stack.StackMask(cpu));
            Segmentation.LoadCsReal(cpu, (ushort)cs);
            cpu.Rip = ip;
            uint keep = size == 2 ? 0xFFFF_0000u : (Eflags.VM | Eflags.VIF | Eflags.VIP);
            cpu.SetEflags((cpu.GetEflags() & keep) | (fl & ~keep));
            return true;
        }
        if (cpu.V86Mode)
        {
            if ((cpu.Eflags & Eflags.IOPL) != Eflags.IOPL)
            {
                cpu.RaiseGp(0);
                return false;
            }
            if (!Stack.Peek(cpu, 0, size, out uint ip) || !Stack.Peek(cpu, size, size, out uint cs) || !Stack.Peek(cpu, 2 * size, size, out uint fl)) return false;
            Stack.SetSp(cpu, ((uint)cpu.Rsp + (uint)(3 * size)) & Stack.StackMask(cpu));
            Segmentation.LoadCsReal(cpu, (ushort)cs);
            cpu.Rip = size == 2 ? ip & 0xFFFF : ip;
            uint keep = Eflags.IOPL | Eflags.VM | Eflags.VIF | Eflags.VIP | (size == 2 ? 0xFFFF_0000u : 0);
            cpu.SetEflags((cpu.GetEflags() & keep) | (fl & ~keep));
            return true;
        }
        if ((cpu.Eflags & Eflags.NT) != 0)
        {
            return TaskSwitch.ReturnFromNested(cpu);
        }
        {
            if (!Stack.Peek(cpu, 0, size, out uint eip) || !Stack.Peek(cpu, size, size, out uint csSel) || !Stack.Peek(cpu, 2 * size, size, out uint flags)) return false;
            if (size == 4 && (flags & Eflags.VM) != 0 && cpu.Cpl == 0) return IretToV86(cpu, eip, csSel, flags);
            ushort sel = (ushort)csSel;
            uint err = sel & 0xFFFCu;
            if ((sel & ~3) == 0)
            {
                cpu.RaiseGp(0);
                return false;
            }
            if (!Segmentation.ReadDescriptor(cpu, sel, out var cs)) return false;
            int rpl = sel & 3;
            if (!cs.IsCode || rpl < cpu.Cpl || (cs.Conforming && cs.Dpl > rpl) || (!cs.Conforming && cs.Dpl != rpl))
            {
                cpu.RaiseGp(err);
                return false;
            }
            if (!cs.Present)
            {
                cpu.RaiseException(Vectors.NP, err, true);
                return false;
            }
            if (size == 2) eip &= 0xFFFF;
            uint newFlagsMask = FlagsWritableAt(cpu, size);
            if (rpl == cpu.Cpl)
            {
                if (eip > cs.Limit)
                {
                    cpu.RaiseGp(0);
                    return false;
                }
                Stack.SetSp(cpu, ((uint)cpu.Rsp + (uint)(3 * size)) & Stack.StackMask(cpu));
                Segmentation.LoadCs(cpu, sel, cs, rpl);
                cpu.Rip = eip;
                cpu.SetEflags((cpu.GetEflags() & ~newFlagsMask) | (flags & newFlagsMask));
                return true;
            }
            // Return to an outer privilege level.
            if (!Stack.Peek(cpu, 3 * size, size, out uint newEsp) || !Stack.Peek(cpu, 4 * size, size, out uint newSsSel)) return false;
            if (!CheckStackSegment(cpu, (ushort)newSsSel, rpl, Vectors.GP, out var ssd)) return false;
            if (eip > cs.Limit)
            {
                cpu.RaiseGp(0);
                return false;
            }
            Segmentation.LoadCs(cpu, sel, cs, rpl);
            cpu.Ss = ssd.ToSegment((ushort)newSsSel);
            cpu.Ss.UpdateFastLimits(true);
            cpu.Rsp = cpu.Ss.Big ? newEsp : (cpu.Rsp & ~0xFFFFul) | (newEsp & 0xFFFF);
            cpu.Rip = eip;
            cpu.SetEflags((cpu.GetEflags() & ~newFlagsMask) | (flags & newFlagsMask));
            cpu.UpdateCpl();
            Segmentation.ValidateDataSegmentsAfterReturn(cpu);
            return true;
        }
    }

    /// <summary>The EFLAGS bits IRET/POPF may change at the current CPL and IOPL (SDM Vol. 2 IRET/POPF).</summary>
    public static uint FlagsWritableAt(CpuState cpu, int size)
    {
        uint mask = Eflags.Arithmetic | Eflags.TF | Eflags.DF | Eflags.NT | Eflags.RF | Eflags.AC | Eflags.ID;
        int iopl = (int)((cpu.Eflags >> 12) & 3);
        if (cpu.Cpl <= iopl) mask |= Eflags.IF;
        if (cpu.Cpl == 0) mask |= Eflags.IOPL | Eflags.VIF | Eflags.VIP;
        if (size == 2) mask &= 0xFFFF;
        return mask;
    }

    private static bool IretToV86(CpuState cpu, uint eip, uint cs, uint flags)
    {
        if (!Stack.Peek(cpu, 12, 4, out uint esp) || !Stack.Peek(cpu, 16, 4, out uint ss) || !Stack.Peek(cpu, 20, 4, out uint es)
            || !Stack.Peek(cpu, 24, 4, out uint ds) || !Stack.Peek(cpu, 28, 4, out uint fs) || !Stack.Peek(cpu, 32, 4, out uint gs)) return false;
        cpu.SetEflags(flags);
        var v86 = new Segment { Limit = 0xFFFF, Flags = 0xF3 };
        ushort[] sels = { (ushort)es, (ushort)cs, (ushort)ss, (ushort)ds, (ushort)fs, (ushort)gs };
        for (int i = 0; i < 6; i++)
        {
            v86.Selector = sels[i];
            v86.Base = (uint)sels[i] << 4;
            cpu.Seg(i) = v86;
        }
        cpu.Cs.Flags |= Segment.Executable;
        cpu.Rsp = esp;
        cpu.Rip = eip & 0xFFFF;
        cpu.UpdateCpl();
        cpu.UpdateAllFastLimits();
        return true;
    }
}
