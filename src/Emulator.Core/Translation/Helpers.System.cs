using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

public static partial class Helpers
{
    private static bool RequireCpl0(CpuState cpu)
    {
        if (cpu.ProtectedMode && (cpu.Cpl != 0 || cpu.V86Mode))
        {
            cpu.RaiseGp(0);
            return false;
        }
        return true;
    }

    private static int MovToCr(CpuState cpu, Register cr, uint value)
    {
        if (!RequireCpl0(cpu)) return Fault;
        switch (cr)
        {
            case Register.CR0:
                {
                    value |= Cr.CR0_ET;
                    if ((value & Cr.CR0_PG) != 0 && (value & Cr.CR0_PE) == 0 || (value & Cr.CR0_NW) != 0 && (value & Cr.CR0_CD) == 0)
                    {
                        cpu.RaiseGp(0);
                        return Fault;
                    }
                    uint old = cpu.Cr0;
                    cpu.Cr0 = value & 0xE005_003Fu;
                    if (((old ^ cpu.Cr0) & (Cr.CR0_PE | Cr.CR0_PG | Cr.CR0_WP)) != 0)
                    {
                        cpu.FlushTlb();
                        cpu.UpdateCpl();
                        cpu.UpdateAllFastLimits();
                    }
                    return EndBlock;
                }
            case Register.CR2:
                cpu.Cr2 = value;
                return Continue;
            case Register.CR3:
                cpu.Cr3 = value;
                if ((cpu.Cr4 & Cr.CR4_PGE) != 0)
                {
                    cpu.Tlb.FlushNonGlobal();
                    cpu.NewTranslationEpoch();
                }
                else cpu.FlushTlb();
                return EndBlock;
            case Register.CR4:
                {
                    const uint supported = Cr.CR4_VME | Cr.CR4_PVI | Cr.CR4_TSD | Cr.CR4_DE | Cr.CR4_PSE | Cr.CR4_PAE | Cr.CR4_MCE | Cr.CR4_PGE | Cr.CR4_PCE | Cr.CR4_OSFXSR | Cr.CR4_OSXMMEXCPT;
                    if ((value & ~supported) != 0)
                    {
                        cpu.RaiseGp(0);
                        return Fault;
                    }
                    cpu.Cr4 = value;
                    cpu.FlushTlb();
                    return EndBlock;
                }
            default:
                return Ud(cpu);
        }
    }

    private static int MovFromCr(CpuState cpu, Register dest, Register cr)
    {
        if (!RequireCpl0(cpu)) return Fault;
        uint v = cr switch
        {
            Register.CR0 => cpu.Cr0,
            Register.CR2 => cpu.Cr2,
            Register.CR3 => cpu.Cr3,
            Register.CR4 => cpu.Cr4,
            _ => uint.MaxValue,
        };
        if (cr is not (Register.CR0 or Register.CR2 or Register.CR3 or Register.CR4)) return Ud(cpu);
        Operands.WriteReg(cpu, dest, v);
        return Continue;
    }

    private static int MovToDr(CpuState cpu, Register dr, uint value)
    {
        if (!RequireCpl0(cpu)) return Fault;
        switch (dr)
        {
            case Register.DR0: cpu.Dr0 = value; break;
            case Register.DR1: cpu.Dr1 = value; break;
            case Register.DR2: cpu.Dr2 = value; break;
            case Register.DR3: cpu.Dr3 = value; break;
            case Register.DR4 or Register.DR6 when (dr == Register.DR6 || (cpu.Cr4 & Cr.CR4_DE) == 0):
                cpu.Dr6 = (value & 0x0000_E00Fu) | 0xFFFF_0FF0u;
                break;
            case Register.DR5 or Register.DR7 when (dr == Register.DR7 || (cpu.Cr4 & Cr.CR4_DE) == 0):
                cpu.Dr7 = (value & 0xFFFF_2BFFu) | 0x400u;
                break;
            default: return Ud(cpu);
        }
        DebugBreakpoints.Update(cpu);
        return EndBlock;
    }

    private static int MovFromDr(CpuState cpu, Register dest, Register dr)
    {
        if (!RequireCpl0(cpu)) return Fault;
        uint v;
        switch (dr)
        {
            case Register.DR0: v = cpu.Dr0; break;
            case Register.DR1: v = cpu.Dr1; break;
            case Register.DR2: v = cpu.Dr2; break;
            case Register.DR3: v = cpu.Dr3; break;
            case Register.DR4 or Register.DR6 when (dr == Register.DR6 || (cpu.Cr4 & Cr.CR4_DE) == 0): v = cpu.Dr6; break;
            case Register.DR5 or Register.DR7 when (dr == Register.DR7 || (cpu.Cr4 & Cr.CR4_DE) == 0): v = cpu.Dr7; break;
            default: return Ud(cpu);
        }
        Operands.WriteReg(cpu, dest, v);
        return Continue;
    }

    private static bool MemoryOperand(CpuState cpu, in Instruction i, out int seg, out uint ea)
    {
        seg = Operands.SegIndex(i.MemorySegment);
        ea = Operands.EffectiveAddress(cpu, i);
        if (i.GetOpKind(0) != OpKind.Memory)
        {
            cpu.RaiseException(Vectors.UD);
            return false;
        }
        return true;
    }

    private static int LoadTableRegister(CpuState cpu, ref Instruction i, bool idt, bool operand16)
    {
        if (!RequireCpl0(cpu) || !MemoryOperand(cpu, i, out int seg, out uint ea)) return Fault;
        uint limit = (uint)Mmu.ReadSlow(cpu, seg, ea, 2);
        if (cpu.Faulted) return Fault;
        uint bas = (uint)Mmu.ReadSlow(cpu, seg, Operands.AddressSize16(i) ? (ea + 2) & 0xFFFF : ea + 2, 4);
        if (cpu.Faulted) return Fault;
        if (operand16) bas &= 0x00FF_FFFF;
        if (idt)
        {
            cpu.IdtrLimit = limit;
            cpu.IdtrBase = bas;
        }
        else
        {
            cpu.GdtrLimit = limit;
            cpu.GdtrBase = bas;
        }
        return Continue;
    }

    /// <summary>LGDT/LIDT with a 32-bit operand size; the translator picks the 16-bit forms (24-bit base) by prefix.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lgdt(CpuState cpu, ref Instruction i) => LoadTableRegister(cpu, ref i, false, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lidt(CpuState cpu, ref Instruction i) => LoadTableRegister(cpu, ref i, true, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lgdt16(CpuState cpu, ref Instruction i) => LoadTableRegister(cpu, ref i, false, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lidt16(CpuState cpu, ref Instruction i) => LoadTableRegister(cpu, ref i, true, true);

    private static int StoreTableRegister(CpuState cpu, ref Instruction i, bool idt)
    {
        if (!MemoryOperand(cpu, i, out int seg, out uint ea)) return Fault;
        uint limit = idt ? cpu.IdtrLimit : cpu.GdtrLimit;
        uint bas = idt ? cpu.IdtrBase : cpu.GdtrBase;
        if (!Mmu.ProbeWrite(cpu, seg, ea, 6)) return Fault;
        int st = Mmu.WriteSlow(cpu, seg, ea, 2, limit);
        if (st == Fault) return Fault;
        return st | Mmu.WriteSlow(cpu, seg, Operands.AddressSize16(i) ? (ea + 2) & 0xFFFF : ea + 2, 4, bas);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sgdt(CpuState cpu, ref Instruction i) => StoreTableRegister(cpu, ref i, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sidt(CpuState cpu, ref Instruction i) => StoreTableRegister(cpu, ref i, true);

    private static bool RequireProtected(CpuState cpu)
    {
        if (!cpu.ProtectedMode || cpu.V86Mode)
        {
            cpu.RaiseException(Vectors.UD);
            return false;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lldt(CpuState cpu, ref Instruction i)
    {
        if (!RequireProtected(cpu) || !RequireCpl0(cpu)) return Fault;
        if (!Operands.TryRead(cpu, i, 0, out uint v)) return Fault;
        ushort sel = (ushort)v;
        if ((sel & ~3) == 0)
        {
            cpu.Ldtr = new Segment { Selector = sel, Flags = 0 };
            return Continue;
        }
        if ((sel & 4) != 0)
        {
            cpu.RaiseGp(sel & 0xFFFCu);
            return Fault;
        }
        if (!Segmentation.ReadDescriptor(cpu, sel, out var d)) return Fault;
        if (!d.IsSystem || d.Type != 2)
        {
            cpu.RaiseGp(sel & 0xFFFCu);
            return Fault;
        }
        if (!d.Present)
        {
            cpu.RaiseException(Vectors.NP, sel & 0xFFFCu, true);
            return Fault;
        }
        cpu.Ldtr = d.ToSegment(sel);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ltr(CpuState cpu, ref Instruction i)
    {
        if (!RequireProtected(cpu) || !RequireCpl0(cpu)) return Fault;
        if (!Operands.TryRead(cpu, i, 0, out uint v)) return Fault;
        ushort sel = (ushort)v;
        if ((sel & ~3) == 0 || (sel & 4) != 0)
        {
            cpu.RaiseGp(sel & 0xFFFCu);
            return Fault;
        }
        if (!Segmentation.ReadDescriptor(cpu, sel, out var d)) return Fault;
        if (!d.IsSystem || (d.Type != 1 && d.Type != 9))
        {
            cpu.RaiseGp(sel & 0xFFFCu);
            return Fault;
        }
        if (!d.Present)
        {
            cpu.RaiseException(Vectors.NP, sel & 0xFFFCu, true);
            return Fault;
        }
        uint addr = cpu.GdtrBase + (uint)(sel & ~7) + 4;
        if (!Mmu.WriteSystem(cpu, addr, 4, d.High | (1u << 9))) return Fault;
        cpu.Tr = d.ToSegment(sel);
        cpu.Tr.Flags |= 2;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sldt(CpuState cpu, ref Instruction i) => RequireProtected(cpu) ? Operands.Write(cpu, i, 0, cpu.Ldtr.Selector) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Str(CpuState cpu, ref Instruction i) => RequireProtected(cpu) ? Operands.Write(cpu, i, 0, cpu.Tr.Selector) : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Smsw(CpuState cpu, ref Instruction i)
    {
        uint v = i.GetOpKind(0) == OpKind.Register && i.Op0Register.GetSize() == 4 ? cpu.Cr0 : cpu.Cr0 & 0xFFFF;
        return Operands.Write(cpu, i, 0, v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lmsw(CpuState cpu, ref Instruction i)
    {
        if (!RequireCpl0(cpu)) return Fault;
        if (!Operands.TryRead(cpu, i, 0, out uint v)) return Fault;
        // LMSW can set PE but never clear it; it changes only PE, MP, EM and TS.
        uint nv = (cpu.Cr0 & ~0xEu) | (v & 0xF) | (cpu.Cr0 & Cr.CR0_PE);
        return MovToCr(cpu, Register.CR0, nv);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Clts(CpuState cpu, ref Instruction i)
    {
        if (!RequireCpl0(cpu)) return Fault;
        cpu.Cr0 &= ~Cr.CR0_TS;
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Invlpg(CpuState cpu, ref Instruction i)
    {
        if (!RequireCpl0(cpu)) return Fault;
        uint linear = cpu.Seg(Operands.SegIndex(i.MemorySegment)).Base + Operands.EffectiveAddress(cpu, i);
        cpu.Tlb.FlushPage(linear);
        // Only a page whose code may be reached through the lookup table or a link needs a new epoch.
        if (cpu.IsCodePage(linear)) cpu.NewTranslationEpoch();
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Invd(CpuState cpu, ref Instruction i) => RequireCpl0(cpu) ? Continue : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Wbinvd(CpuState cpu, ref Instruction i) => RequireCpl0(cpu) ? Continue : Fault;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Clflush(CpuState cpu, ref Instruction i)
    {
        // A flush of a cache line: only the access check is architecturally visible.
        Operands.TryRead(cpu, i, 0, out _);
        return cpu.Faulted ? Fault : Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ud2(CpuState cpu, ref Instruction i) => Ud(cpu);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ud0(CpuState cpu, ref Instruction i) => Ud(cpu);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ud1(CpuState cpu, ref Instruction i) => Ud(cpu);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cpuid(CpuState cpu, ref Instruction i)
    {
        var (a, b, c, d) = CpuidLeaves.Query(cpu, (uint)cpu.Rax, (uint)cpu.Rcx);
        cpu.Rax = a;
        cpu.Rbx = b;
        cpu.Rcx = c;
        cpu.Rdx = d;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Rdtsc(CpuState cpu, ref Instruction i)
    {
        if ((cpu.Cr4 & Cr.CR4_TSD) != 0 && cpu.Cpl != 0 && cpu.ProtectedMode)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        ulong tsc = cpu.ReadTsc();
        cpu.Rax = (uint)tsc;
        cpu.Rdx = (uint)(tsc >> 32);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Rdmsr(CpuState cpu, ref Instruction i)
    {
        if (!RequireCpl0(cpu)) return Fault;
        if (!Msrs.Read(cpu, (uint)cpu.Rcx, out ulong v))
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        cpu.Rax = (uint)v;
        cpu.Rdx = (uint)(v >> 32);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Wrmsr(CpuState cpu, ref Instruction i)
    {
        if (!RequireCpl0(cpu)) return Fault;
        ulong v = ((ulong)(uint)cpu.Rdx << 32) | (uint)cpu.Rax;
        if (!Msrs.Write(cpu, (uint)cpu.Rcx, v))
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sysenter(CpuState cpu, ref Instruction i)
    {
        if (!cpu.ProtectedMode || (cpu.SysenterCs & 0xFFFC) == 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        ushort cs = (ushort)(cpu.SysenterCs & 0xFFFC);
        cpu.Eflags &= ~(Eflags.VM | Eflags.IF | Eflags.RF);
        cpu.Cs = new Segment { Selector = cs, Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x9B | Segment.DefaultBig | Segment.Granularity };
        cpu.Ss = new Segment { Selector = (ushort)(cs + 8), Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x93 | Segment.DefaultBig | Segment.Granularity };
        cpu.Rsp = (uint)cpu.SysenterEsp;
        cpu.Rip = (uint)cpu.SysenterEip;
        cpu.UpdateCpl();
        cpu.UpdateAllFastLimits();
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sysexit(CpuState cpu, ref Instruction i)
    {
        if (!cpu.ProtectedMode || cpu.V86Mode || cpu.Cpl != 0 || (cpu.SysenterCs & 0xFFFC) == 0)
        {
            cpu.RaiseGp(0);
            return Fault;
        }
        ushort cs = (ushort)((cpu.SysenterCs & 0xFFFC) + 16);
        cpu.Cs = new Segment { Selector = (ushort)(cs | 3), Base = 0, Limit = 0xFFFF_FFFF, Flags = 0xFB | Segment.DefaultBig | Segment.Granularity };
        cpu.Ss = new Segment { Selector = (ushort)((cs + 8) | 3), Base = 0, Limit = 0xFFFF_FFFF, Flags = 0xF3 | Segment.DefaultBig | Segment.Granularity };
        cpu.Rsp = (uint)cpu.Rcx;
        cpu.Rip = (uint)cpu.Rdx;
        cpu.UpdateCpl();
        cpu.UpdateAllFastLimits();
        return EndBlock;
    }

    // ---- Descriptor queries (SDM Vol. 2 LAR, LSL, VERR, VERW, ARPL) ----

    private static bool Visible(CpuState cpu, ushort sel, out Descriptor d)
    {
        d = default;
        if ((sel & ~3) == 0) return false;
        uint limit = (sel & 4) != 0 ? cpu.Ldtr.Limit : cpu.GdtrLimit;
        if ((sel & 4) != 0 && (cpu.Ldtr.Flags & Segment.Present) == 0) return false;
        if ((uint)(sel & ~7) + 7 > limit) return false;
        if (!Segmentation.ReadDescriptor(cpu, sel, out d)) return false;
        bool conformingCode = d.IsCode && d.Conforming;
        if (!conformingCode && (d.Dpl < cpu.Cpl || d.Dpl < (sel & 3))) return false;
        return true;
    }

    private static void SetZf(CpuState cpu, bool z) => SetFlags(cpu, z ? Eflags.ZF : 0, Eflags.ZF);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lar(CpuState cpu, ref Instruction i)
    {
        if (!RequireProtected(cpu)) return Fault;
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        bool ok = Visible(cpu, (ushort)v, out var d) && (!d.IsSystem || d.Type is 1 or 2 or 3 or 4 or 5 or 9 or 0xB or 0xC);
        if (cpu.Faulted) return Fault;
        if (ok) Operands.WriteReg(cpu, i.Op0Register, d.High & 0x00F0_FF00u & SizeMask(i.Op0Register.GetSize()));
        SetZf(cpu, ok);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lsl(CpuState cpu, ref Instruction i)
    {
        if (!RequireProtected(cpu)) return Fault;
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        bool ok = Visible(cpu, (ushort)v, out var d) && (!d.IsSystem || d.Type is 1 or 2 or 3 or 9 or 0xB);
        if (cpu.Faulted) return Fault;
        if (ok) Operands.WriteReg(cpu, i.Op0Register, d.Limit & SizeMask(i.Op0Register.GetSize()));
        SetZf(cpu, ok);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Verr(CpuState cpu, ref Instruction i) => Verify(cpu, ref i, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Verw(CpuState cpu, ref Instruction i) => Verify(cpu, ref i, true);

    private static int Verify(CpuState cpu, ref Instruction i, bool write)
    {
        if (!RequireProtected(cpu)) return Fault;
        if (!Operands.TryRead(cpu, i, 0, out uint v)) return Fault;
        bool ok = Visible(cpu, (ushort)v, out var d) && !d.IsSystem && (write ? d.Writable : d.Readable);
        if (cpu.Faulted) return Fault;
        SetZf(cpu, ok);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Arpl(CpuState cpu, ref Instruction i)
    {
        if (!RequireProtected(cpu)) return Fault;
        if (!Operands.TryRead(cpu, i, 0, out uint dest) || !Operands.TryRead(cpu, i, 1, out uint src)) return Fault;
        if ((dest & 3) < (src & 3))
        {
            int st = Operands.Write(cpu, i, 0, (dest & ~3u) | (src & 3));
            if (st == Fault) return Fault;
            SetZf(cpu, true);
            return st;
        }
        SetZf(cpu, false);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Wait(CpuState cpu, ref Instruction i)
    {
        if ((cpu.Cr0 & (Cr.CR0_MP | Cr.CR0_TS)) == (Cr.CR0_MP | Cr.CR0_TS))
        {
            cpu.RaiseException(Vectors.NM);
            return Fault;
        }
        return FpuWaitCheck(cpu) ? Continue : Fault;
    }

    /// <summary>x87/MMX/SSE instructions until the FPU lands: #NM when CR0.EM/TS say so, else #UD (no FPU is advertised).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int FloatingPoint(CpuState cpu, ref Instruction i)
    {
        if ((cpu.Cr0 & (Cr.CR0_EM | Cr.CR0_TS)) != 0)
        {
            cpu.RaiseException(Vectors.NM);
            return Fault;
        }
        return Ud(cpu);
    }
}
