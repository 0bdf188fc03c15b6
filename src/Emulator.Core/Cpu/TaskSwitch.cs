namespace Emulator.Core.Cpu;

/// <summary>
/// Hardware task switching (SDM Vol. 3A §7.3) with 32-bit and 16-bit (286-format, §7.6) TSSes: through a task gate
/// in the IDT (Linux's double-fault handler), far JMP/CALL to a TSS or task gate, and IRET with NT set.
/// </summary>
public static class TaskSwitch
{
    public enum Reason { Jump, InterruptOrCall, Iret }

    private const uint Busy = 1u << 9; // type bit 1 of a TSS descriptor (SDM Vol. 3A §7.2.2)

    public static bool ReturnFromNested(CpuState cpu)
    {
        if (!Mmu.ReadSystem(cpu, cpu.Tr.Base, 2, out ulong link)) return false;
        return Switch(cpu, (ushort)link, Reason.Iret, (uint)cpu.Rip, false, 0);
    }

    public static bool Switch(CpuState cpu, ushort selector, Reason reason, uint returnEip, bool hasError, uint errorCode)
    {
        uint err = selector & 0xFFFCu;
        if ((selector & 4) != 0)
        {
            cpu.RaiseException(Vectors.TS, err, true);
            return false;
        }
        if (!Segmentation.ReadDescriptor(cpu, selector, out var d, Vectors.TS)) return false;
        int type = d.Type;
        bool wantBusy = reason == Reason.Iret;
        if (!d.IsSystem || (type & ~2) is not (1 or 9) || ((type & 2) != 0) != wantBusy)
        {
            cpu.RaiseException(reason == Reason.Iret ? Vectors.TS : Vectors.GP, err, true);
            return false;
        }
        if (!d.Present)
        {
            cpu.RaiseException(Vectors.NP, err, true);
            return false;
        }
        bool new32 = (type & 8) != 0;
        if (d.Limit < (new32 ? 0x67u : 0x2Bu))
        {
            cpu.RaiseException(Vectors.TS, err, true);
            return false;
        }
        uint newBase = d.Base;
        // Read the whole new TSS first (faults leave the old task untouched), into the 32-bit layout's dword slots:
        // [7] CR3, [8] EIP, [9] EFLAGS, [10..17] EAX..EDI, [18..23] ES CS SS DS FS GS, [24] LDT.
        var t = new uint[26];
        if (new32)
        {
            for (int i = 0; i < 26; i++)
            {
                if (!Mmu.ReadSystem(cpu, newBase + (uint)(i * 4), 4, out ulong v)) return false;
                t[i] = (uint)v;
            }
        }
        else
        {
            // 16-bit TSS words: 14 IP, 16 FLAGS, 18..32 AX..DI, 34 ES, 36 CS, 38 SS, 40 DS, 42 LDT (no CR3, FS, GS).
            var w = new uint[22];
            for (int i = 0; i < 22; i++)
            {
                if (!Mmu.ReadSystem(cpu, newBase + (uint)(i * 2), 2, out ulong v)) return false;
                w[i] = (uint)v;
            }
            t[7] = cpu.Cr3;
            t[8] = w[7];
            t[9] = (cpu.GetEflags() & 0xFFFF_0000u & ~Eflags.VM) | w[8];
            for (int i = 0; i < 8; i++) t[10 + i] = (uint)(cpu.Gpr(i) & 0xFFFF_0000u) | w[9 + i];
            t[18] = w[17];
            t[19] = w[18];
            t[20] = w[19];
            t[21] = w[20];
            t[22] = 0;
            t[23] = 0;
            t[24] = w[21];
        }
        // Save the outgoing task in its own TSS format.
        uint oldBase = cpu.Tr.Base;
        bool old32 = (cpu.Tr.Flags & 8) != 0;
        uint flags = cpu.GetEflags();
        if (reason == Reason.Iret) flags &= ~Eflags.NT;
        uint[] gpr = { (uint)cpu.Rax, (uint)cpu.Rcx, (uint)cpu.Rdx, (uint)cpu.Rbx, (uint)cpu.Rsp, (uint)cpu.Rbp, (uint)cpu.Rsi, (uint)cpu.Rdi };
        bool ok;
        if (old32)
        {
            ok = Mmu.WriteSystem(cpu, oldBase + 0x20, 4, returnEip) && Mmu.WriteSystem(cpu, oldBase + 0x24, 4, flags);
            for (int i = 0; ok && i < 8; i++) ok = Mmu.WriteSystem(cpu, oldBase + 0x28 + (uint)(i * 4), 4, gpr[i]);
            for (int i = 0; ok && i < 6; i++) ok = Mmu.WriteSystem(cpu, oldBase + 0x48 + (uint)(i * 4), 2, cpu.Seg(i).Selector);
        }
        else
        {
            ok = Mmu.WriteSystem(cpu, oldBase + 14, 2, returnEip) && Mmu.WriteSystem(cpu, oldBase + 16, 2, flags);
            for (int i = 0; ok && i < 8; i++) ok = Mmu.WriteSystem(cpu, oldBase + 18 + (uint)(i * 2), 2, gpr[i]);
            for (int i = 0; ok && i < 4; i++) ok = Mmu.WriteSystem(cpu, oldBase + 34 + (uint)(i * 2), 2, cpu.Seg(i).Selector);
        }
        if (!ok) return false;
        if (reason != Reason.InterruptOrCall && !SetBusy(cpu, cpu.Tr.Selector, false)) return false;
        if (reason == Reason.InterruptOrCall && !Mmu.WriteSystem(cpu, newBase, 2, cpu.Tr.Selector)) return false;
        if (reason != Reason.Iret && !SetBusy(cpu, selector, true)) return false;

        cpu.Tr = d.ToSegment(selector);
        cpu.Tr.Flags |= Busy >> 8;
        if (new32 && cpu.PagingEnabled && t[7] != cpu.Cr3)
        {
            cpu.Cr3 = t[7];
            cpu.FlushTlb();
        }
        else if (new32 && !cpu.PagingEnabled)
        {
            cpu.Cr3 = t[7];
        }
        uint newFlags = t[9];
        if (reason == Reason.InterruptOrCall) newFlags |= Eflags.NT;
        cpu.Cr0 |= Cr.CR0_TS;
        cpu.Rip = t[8];
        cpu.Rax = t[10]; cpu.Rcx = t[11]; cpu.Rdx = t[12]; cpu.Rbx = t[13];
        cpu.Rsp = t[14]; cpu.Rbp = t[15]; cpu.Rsi = t[16]; cpu.Rdi = t[17];
        cpu.SetEflags(newFlags);
        // Selectors first (so a fault below reports in the new task's context), then the descriptors.
        ushort ldt = (ushort)t[24];
        for (int i = 0; i < 6; i++) cpu.Seg(i) = new Segment { Selector = (ushort)t[18 + i], Flags = 0 };
        cpu.Ldtr = new Segment { Selector = ldt, Flags = 0 };
        if ((cpu.Eflags & Eflags.VM) != 0)
        {
            for (int i = 0; i < 6; i++)
            {
                ushort s = (ushort)t[18 + i];
                cpu.Seg(i) = new Segment { Selector = s, Base = (uint)s << 4, Limit = 0xFFFF, Flags = 0xF3 | (i == 1 ? Segment.Executable : 0) };
            }
            cpu.UpdateCpl();
            cpu.UpdateAllFastLimits();
        }
        else
        {
            if ((ldt & ~3) != 0)
            {
                if ((ldt & 4) != 0 || !Segmentation.ReadDescriptor(cpu, ldt, out var ld, Vectors.TS) || !ld.IsSystem || ld.Type != 2)
                {
                    if (!cpu.Faulted) cpu.RaiseException(Vectors.TS, ldt & 0xFFFCu, true);
                    return false;
                }
                cpu.Ldtr = ld.ToSegment(ldt);
            }
            ushort csSel = (ushort)t[19];
            int cpl = csSel & 3;
            if (!Segmentation.ReadDescriptor(cpu, csSel, out var cs, Vectors.TS) || !cs.IsCode)
            {
                if (!cpu.Faulted) cpu.RaiseException(Vectors.TS, csSel & 0xFFFCu, true);
                return false;
            }
            if (!cs.Present)
            {
                cpu.RaiseException(Vectors.NP, csSel & 0xFFFCu, true);
                return false;
            }
            Segmentation.LoadCs(cpu, csSel, cs, cpl);
            if (!Interrupts.CheckStackSegment(cpu, (ushort)t[20], cpl, Vectors.TS, out var ssd)) return false;
            cpu.Ss = ssd.ToSegment((ushort)t[20]);
            cpu.Ss.UpdateFastLimits(true);
            foreach (int s in new[] { Segmentation.ES, Segmentation.DS, Segmentation.FS, Segmentation.GS })
            {
                if (!Segmentation.LoadDataSegment(cpu, s, (ushort)t[18 + s]))
                {
                    if (cpu.PendingVector == Vectors.GP) cpu.PendingVector = Vectors.TS;
                    return false;
                }
            }
        }
        if (hasError)
        {
            int size = (d.Type & 8) != 0 ? 4 : 2;
            if (!Stack.Push(cpu, size, errorCode)) return false;
        }
        return true;
    }

    private static bool SetBusy(CpuState cpu, ushort selector, bool busy)
    {
        uint addr = cpu.GdtrBase + (uint)(selector & ~7) + 4;
        if (!Mmu.ReadSystem(cpu, addr, 4, out ulong hi)) return false;
        uint v = busy ? (uint)hi | Busy : (uint)hi & ~Busy;
        return Mmu.WriteSystem(cpu, addr, 4, v);
    }
}
