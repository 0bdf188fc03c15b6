namespace Emulator.Core.Cpu;

/// <summary>
/// Segment-register loads with every protection check (SDM Vol. 3A §5.5–5.8; instruction pages of MOV, POP, LDS,
/// far JMP/CALL/RET in Vol. 2). Failures raise #GP/#SS/#NP/#TS with the selector as error code and return false.
/// </summary>
public static class Segmentation
{
    public const int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    /// <summary>Reads the descriptor for <paramref name="selector"/>; raises <paramref name="vector"/>(selector) when outside the table.</summary>
    public static bool ReadDescriptor(CpuState cpu, ushort selector, out Descriptor d, int vector = Vectors.GP)
    {
        d = default;
        uint tableBase, tableLimit;
        if ((selector & 4) != 0)
        {
            if ((cpu.Ldtr.Flags & Segment.Present) == 0 || (cpu.Ldtr.Selector & ~3) == 0)
            {
                cpu.RaiseException(vector, selector & 0xFFFCu, true);
                return false;
            }
            tableBase = cpu.Ldtr.Base;
            tableLimit = cpu.Ldtr.Limit;
        }
        else
        {
            tableBase = cpu.GdtrBase;
            tableLimit = cpu.GdtrLimit;
        }
        uint offset = (uint)(selector & ~7);
        if (offset + 7 > tableLimit)
        {
            cpu.RaiseException(vector, selector & 0xFFFCu, true);
            return false;
        }
        if (!Mmu.ReadSystem(cpu, tableBase + offset, 4, out ulong lo)) return false;
        if (!Mmu.ReadSystem(cpu, tableBase + offset + 4, 4, out ulong hi)) return false;
        d = new Descriptor((uint)lo, (uint)hi);
        return true;
    }

    /// <summary>Sets the accessed bit of a code/data descriptor in memory if it is clear.</summary>
    public static bool SetAccessed(CpuState cpu, ushort selector, in Descriptor d)
    {
        if ((d.High & (1u << 8)) != 0) return true;
        uint tableBase = (selector & 4) != 0 ? cpu.Ldtr.Base : cpu.GdtrBase;
        return Mmu.WriteSystem(cpu, tableBase + (uint)(selector & ~7) + 4, 4, d.High | (1u << 8));
    }

    /// <summary>MOV/POP/LDS-style load of ES, SS, DS, FS or GS.</summary>
    public static bool LoadDataSegment(CpuState cpu, int sreg, ushort selector)
    {
        ref Segment s = ref cpu.Seg(sreg);
        if (!cpu.ProtectedMode)
        {
            s.LoadReal(selector);
            s.UpdateFastLimits(false);
            return true;
        }
        if (cpu.V86Mode)
        {
            s = new Segment { Selector = selector, Base = (uint)selector << 4, Limit = 0xFFFF, Flags = 0xF3 };
            s.UpdateFastLimits(false);
            return true;
        }
        int rpl = selector & 3;
        if ((selector & ~3) == 0)
        {
            if (sreg == SS)
            {
                cpu.RaiseGp(0);
                return false;
            }
            s = new Segment { Selector = selector, Flags = 0 };
            s.UpdateFastLimits(true);
            return true;
        }
        if (!ReadDescriptor(cpu, selector, out var d)) return false;
        uint err = selector & 0xFFFCu;
        if (sreg == SS)
        {
            if (rpl != cpu.Cpl || !d.Writable || d.Dpl != cpu.Cpl)
            {
                cpu.RaiseGp(err);
                return false;
            }
            if (!d.Present)
            {
                cpu.RaiseException(Vectors.SS, err, true);
                return false;
            }
        }
        else
        {
            if (!(d.IsData || (d.IsCode && d.Readable)))
            {
                cpu.RaiseGp(err);
                return false;
            }
            if ((d.IsData || !d.Conforming) && (rpl > d.Dpl || cpu.Cpl > d.Dpl))
            {
                cpu.RaiseGp(err);
                return false;
            }
            if (!d.Present)
            {
                cpu.RaiseException(Vectors.NP, err, true);
                return false;
            }
        }
        if (!SetAccessed(cpu, selector, d)) return false;
        s = d.ToSegment(selector);
        s.Flags |= Segment.Accessed;
        s.UpdateFastLimits(true);
        return true;
    }

    /// <summary>Loads CS for a transfer to a code segment at the given CPL (checks done by the caller).</summary>
    public static void LoadCs(CpuState cpu, ushort selector, in Descriptor d, int cpl)
    {
        cpu.Cs = d.ToSegment((ushort)((selector & ~3) | cpl));
        cpu.Cs.Flags |= Segment.Accessed;
        cpu.Cs.UpdateFastLimits(true);
        cpu.UpdateCpl();
    }

    public static void LoadCsReal(CpuState cpu, ushort selector)
    {
        cpu.Cs.LoadReal(selector);
        if (cpu.V86Mode)
        {
            cpu.Cs.Limit = 0xFFFF;
            cpu.Cs.Flags = 0xF3 | Segment.Executable;
        }
        cpu.Cs.UpdateFastLimits(false);
    }

    /// <summary>After a privilege drop (RET/IRET to an outer level): null out data segments the new CPL may not use (SDM RET operation).</summary>
    public static void ValidateDataSegmentsAfterReturn(CpuState cpu)
    {
        for (int i = 0; i < 6; i++)
        {
            if (i == CS || i == SS) continue;
            ref Segment s = ref cpu.Seg(i);
            bool code = (s.Flags & Segment.Executable) != 0;
            bool conforming = code && (s.Flags & Segment.Conforming) != 0;
            if ((s.Flags & Segment.DescriptorType) != 0 && (!code || !conforming) && s.Dpl < cpu.Cpl)
            {
                s = new Segment { Selector = 0, Flags = 0 };
                s.UpdateFastLimits(true);
            }
        }
    }

    /// <summary>Checks an EIP against the CS limit; raises #GP(0).</summary>
    public static bool CheckCsLimit(CpuState cpu, uint eip, in Segment cs)
    {
        if (eip > cs.Limit)
        {
            cpu.RaiseGp(0);
            return false;
        }
        return true;
    }
}
