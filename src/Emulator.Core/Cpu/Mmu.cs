using System.Runtime.CompilerServices;
using Emulator.Core.Memory;

namespace Emulator.Core.Cpu;

/// <summary>
/// The slow paths of guest memory access: segmentation checks (SDM Vol. 3A §5.3), the page walk for 32-bit and
/// PAE paging (§4.3, §4.4) with accessed/dirty write-back and #PF error codes (§4.7), TLB fills, accesses that cross
/// a page, and MMIO. Translated code calls these when its inline TLB probe misses. Faults are recorded on the
/// <see cref="CpuState"/> (never thrown).
/// </summary>
public static unsafe class Mmu
{
    public enum Access { Read, Write, Execute }

    // #PF error code bits (SDM Vol. 3A §4.7).
    private const uint PfPresent = 1, PfWrite = 2, PfUser = 4, PfReserved = 8, PfFetch = 16;

    /// <summary>Walks the page tables. Returns false and raises #PF on a fault (unless <paramref name="probe"/>).</summary>
    public static bool Translate(CpuState cpu, uint linear, Access access, bool user, out ulong physical, out bool writable, out bool global, bool probe = false)
    {
        writable = true;
        global = false;
        if (!cpu.PagingEnabled)
        {
            physical = linear & cpu.A20Mask;
            return true;
        }
        bool wp = (cpu.Cr0 & Cr.CR0_WP) != 0;
        bool write = access == Access.Write;
        uint errUser = user ? PfUser : 0;
        uint errWrite = write ? PfWrite : 0;
        var mem = cpu.Memory;
        if ((cpu.Cr4 & Cr.CR4_PAE) != 0)
        {
            bool nxe = (cpu.Efer & Cr.EFER_NXE) != 0;
            uint errFetch = access == Access.Execute && nxe ? PfFetch : 0;
            ulong reservedHigh = 0xFFF0_0000_0000_0000ul & ~(nxe ? 1ul << 63 : 0); // MAXPHYADDR 36 on core2duo: bits 36–62 too
            reservedHigh |= 0x000F_FFF0_0000_0000ul;
            ulong pdpteAddr = ((cpu.Cr3 & 0xFFFF_FFE0u) + ((linear >> 30) & 3) * 8u) & cpu.A20Mask;
            ulong pdpte = mem.Read(pdpteAddr, 8);
            if ((pdpte & 1) == 0) return PageFault(cpu, linear, errUser | errWrite | errFetch, probe, out physical);
            if ((pdpte & (0x1E6ul | reservedHigh | (1ul << 63))) != 0) return PageFault(cpu, linear, PfPresent | PfReserved | errUser | errWrite | errFetch, probe, out physical);
            ulong pdeAddr = ((pdpte & 0x000F_FFFF_FFFF_F000ul) + ((linear >> 21) & 0x1FF) * 8u) & cpu.A20Mask;
            ulong pde = mem.Read(pdeAddr, 8);
            if ((pde & 1) == 0) return PageFault(cpu, linear, errUser | errWrite | errFetch, probe, out physical);
            bool rw = (pde & 2) != 0, us = (pde & 4) != 0, nx = nxe && (pde >> 63) != 0;
            if ((pde & 0x80) != 0)
            {
                if ((pde & (reservedHigh | 0x1FE000ul)) != 0) return PageFault(cpu, linear, PfPresent | PfReserved | errUser | errWrite | errFetch, probe, out physical);
                if (!Allowed(access, user, wp, rw, us, nx)) return PageFault(cpu, linear, PfPresent | errUser | errWrite | errFetch, probe, out physical);
                if (!probe) SetAccessedDirty(mem, pdeAddr, pde, write, 8);
                writable = rw || (!user && !wp);
                global = (pde & 0x100) != 0 && (cpu.Cr4 & Cr.CR4_PGE) != 0;
                physical = ((pde & 0x000F_FFFF_FFE0_0000ul) | (linear & 0x1F_FFFFu)) & cpu.A20Mask;
                return true;
            }
            if ((pde & reservedHigh) != 0) return PageFault(cpu, linear, PfPresent | PfReserved | errUser | errWrite | errFetch, probe, out physical);
            ulong pteAddr = ((pde & 0x000F_FFFF_FFFF_F000ul) + ((linear >> 12) & 0x1FF) * 8u) & cpu.A20Mask;
            ulong pte = mem.Read(pteAddr, 8);
            if ((pte & 1) == 0) return PageFault(cpu, linear, errUser | errWrite | errFetch, probe, out physical);
            if ((pte & reservedHigh) != 0) return PageFault(cpu, linear, PfPresent | PfReserved | errUser | errWrite | errFetch, probe, out physical);
            rw &= (pte & 2) != 0;
            us &= (pte & 4) != 0;
            nx |= nxe && (pte >> 63) != 0;
            if (!Allowed(access, user, wp, rw, us, nx)) return PageFault(cpu, linear, PfPresent | errUser | errWrite | errFetch, probe, out physical);
            if (!probe)
            {
                SetAccessedDirty(mem, pdeAddr, pde, false, 8);
                SetAccessedDirty(mem, pteAddr, pte, write, 8);
            }
            writable = rw || (!user && !wp);
            global = (pte & 0x100) != 0 && (cpu.Cr4 & Cr.CR4_PGE) != 0;
            physical = ((pte & 0x000F_FFFF_FFFF_F000ul) | (linear & 0xFFFu)) & cpu.A20Mask;
            return true;
        }
        else
        {
            ulong pdeAddr = ((cpu.Cr3 & 0xFFFF_F000u) + (linear >> 22) * 4u) & cpu.A20Mask;
            uint pde = (uint)mem.Read(pdeAddr, 4);
            if ((pde & 1) == 0) return PageFault(cpu, linear, errUser | errWrite, probe, out physical);
            bool rw = (pde & 2) != 0, us = (pde & 4) != 0;
            if ((pde & 0x80) != 0 && (cpu.Cr4 & Cr.CR4_PSE) != 0)
            {
                // 4 MiB page; PSE-36 supplies physical bits 32–35 from PDE bits 13–16.
                if ((pde & 0x0020_0000u) != 0) return PageFault(cpu, linear, PfPresent | PfReserved | errUser | errWrite, probe, out physical);
                if (!Allowed(access, user, wp, rw, us, false)) return PageFault(cpu, linear, PfPresent | errUser | errWrite, probe, out physical);
                if (!probe) SetAccessedDirty(mem, pdeAddr, pde, write, 4);
                writable = rw || (!user && !wp);
                global = (pde & 0x100) != 0 && (cpu.Cr4 & Cr.CR4_PGE) != 0;
                ulong high = (ulong)((pde >> 13) & 0xF) << 32;
                physical = (high | (pde & 0xFFC0_0000u) | (linear & 0x3F_FFFFu)) & cpu.A20Mask;
                return true;
            }
            ulong pteAddr = ((pde & 0xFFFF_F000u) + ((linear >> 12) & 0x3FF) * 4u) & cpu.A20Mask;
            uint pte = (uint)mem.Read(pteAddr, 4);
            if ((pte & 1) == 0) return PageFault(cpu, linear, errUser | errWrite, probe, out physical);
            rw &= (pte & 2) != 0;
            us &= (pte & 4) != 0;
            if (!Allowed(access, user, wp, rw, us, false)) return PageFault(cpu, linear, PfPresent | errUser | errWrite, probe, out physical);
            if (!probe)
            {
                SetAccessedDirty(mem, pdeAddr, pde, false, 4);
                SetAccessedDirty(mem, pteAddr, pte, write, 4);
            }
            writable = rw || (!user && !wp);
            global = (pte & 0x100) != 0 && (cpu.Cr4 & Cr.CR4_PGE) != 0;
            physical = ((pte & 0xFFFF_F000u) | (linear & 0xFFFu)) & cpu.A20Mask;
            return true;
        }
    }

    private static bool Allowed(Access access, bool user, bool wp, bool rw, bool us, bool nx)
    {
        if (user && !us) return false;
        if (access == Access.Write && !rw && (user || wp)) return false;
        if (access == Access.Execute && nx) return false;
        return true;
    }

    private static void SetAccessedDirty(PhysicalMemory mem, ulong address, ulong entry, bool dirty, int size)
    {
        ulong want = entry | 0x20 | (dirty ? 0x40ul : 0);
        if (want != entry) mem.Write(address, size == 8 ? 4 : 4, (uint)want);
    }

    private static bool PageFault(CpuState cpu, uint linear, uint error, bool probe, out ulong physical)
    {
        physical = 0;
        if (probe) return false;
        cpu.Cr2 = linear;
        cpu.RaiseException(Vectors.PF, error, true);
        return false;
    }

    /// <summary>Translates and fills the current privilege level's TLB for one page. Returns false on a fault.</summary>
    public static bool Fill(CpuState cpu, uint linear, bool write, bool user)
    {
        if (!Translate(cpu, linear, write ? Access.Write : Access.Read, user, out ulong phys, out bool writable, out bool global)) return false;
        if (cpu.DataBreakpointsArmed) return true; // no TLB entries: every access must reach the breakpoint check
        ulong frame = phys >> PhysicalMemory.PageShift;
        int set = user ? 1 : 0;
        int index = (int)((linear >> 12) & (Tlb.Entries - 1));
        nint host = cpu.Memory.ReadPointer(frame);
        cpu.Tlb.Filled(set, index);
        if (host != 0)
        {
            ref var r = ref cpu.Tlb.Read(set)[index];
            r.Tag = linear & ~0xFFFu;
            r.Addend = host - (long)(linear & ~0xFFFu);
            r.Frame = frame;
            r.Global = global ? 1ul : 0;
        }
        if (write && writable)
        {
            nint w = cpu.Memory.WritePointer(frame);
            if (w != 0)
            {
                ref var e = ref cpu.Tlb.Write(set)[index];
                e.Tag = linear & ~0xFFFu;
                e.Addend = w - (long)(linear & ~0xFFFu);
                e.Frame = frame;
                e.Global = global ? 1ul : 0;
                // A write pointer can differ from the read pointer after a copy-on-write: refresh the read entry.
                ref var r = ref cpu.Tlb.Read(set)[index];
                r.Tag = e.Tag;
                r.Addend = e.Addend;
                r.Frame = frame;
                r.Global = e.Global;
            }
        }
        return true;
    }

    // ---- Segment checks ----

    /// <summary>Checks an access of <paramref name="size"/> bytes at <paramref name="offset"/> against segment <paramref name="seg"/>.</summary>
    public static bool CheckSegment(CpuState cpu, int seg, uint offset, int size, bool write)
    {
        ref Segment s = ref cpu.Seg(seg);
        bool pm = cpu.ProtectedMode && !cpu.V86Mode;
        int vector = seg == 2 ? Vectors.SS : Vectors.GP;
        if (pm)
        {
            if ((s.Flags & Segment.Present) == 0 || (s.Flags & Segment.DescriptorType) == 0)
            {
                cpu.RaiseException(vector, 0, true);
                return false;
            }
            bool code = (s.Flags & Segment.Executable) != 0;
            if (write && (code || (s.Flags & Segment.Writable) == 0))
            {
                cpu.RaiseException(vector, 0, true);
                return false;
            }
            if (!write && code && (s.Flags & Segment.Readable) == 0)
            {
                cpu.RaiseException(vector, 0, true);
                return false;
            }
            if (!code && (s.Flags & Segment.ExpandDown) != 0)
            {
                ulong upper = s.Big ? 0xFFFF_FFFFul : 0xFFFFul;
                if (offset <= s.Limit || (ulong)offset + (ulong)(size - 1) > upper)
                {
                    cpu.RaiseException(vector, 0, true);
                    return false;
                }
                return true;
            }
        }
        if ((ulong)offset + (ulong)(size - 1) > s.Limit)
        {
            cpu.RaiseException(vector, 0, true);
            return false;
        }
        return true;
    }

    // ---- Slow paths called from translated code ----
    // Not inlined: every memory access of every compiled block calls one, and inlining them made RyuJIT import and
    // optimise their bodies once per access (compile time per block is the boot's bottleneck).

    // A segment's fast limit (Segment.ReadLimit / WriteLimit) admits only accesses that CheckSegment would pass, so
    // the paths below skip the full check when it does.

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong ReadSlow(CpuState cpu, int seg, uint offset, int size)
    {
        ref Segment s = ref cpu.Seg(seg);
        if ((long)offset + (size - 1) > s.ReadLimit && !CheckSegment(cpu, seg, offset, size, false)) return 0;
        return ReadLinear(cpu, s.Base + offset, size, cpu.Cpl == 3);
    }

    /// <summary>Returns 0 when done, 1 on a fault, 2 when done but the store hit translated code (the block must stop).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int WriteSlow(CpuState cpu, int seg, uint offset, int size, ulong value)
    {
        ref Segment s = ref cpu.Seg(seg);
        if ((long)offset + (size - 1) > s.WriteLimit && !CheckSegment(cpu, seg, offset, size, true)) return 1;
        return WriteLinear(cpu, s.Base + offset, size, value, cpu.Cpl == 3);
    }

    /// <summary>
    /// A read through segment <paramref name="seg"/> for the helpers: the compiled tier's inline fast path (segment
    /// fast limit, then a probe of the current privilege level's read TLB) in C#, else <see cref="ReadSlow"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Read(CpuState cpu, int seg, uint offset, int size)
    {
        ref Segment s = ref cpu.Seg(seg);
        if ((long)offset + (size - 1) <= s.ReadLimit)
        {
            uint linear = s.Base + offset;
            TlbEntry* e = cpu.TlbRead + ((linear >> 12) & (Tlb.Entries - 1));
            // The tag of the last byte's page: an access that crosses a page never matches.
            if (e->Tag == ((linear + (uint)(size - 1)) & ~0xFFFu))
            {
                byte* host = (byte*)(e->Addend + linear);
                switch (size)
                {
                    case 1: return *host;
                    case 2: return *(ushort*)host;
                    case 4: return *(uint*)host;
                    case 8: return *(ulong*)host;
                }
            }
        }
        return ReadSlow(cpu, seg, offset, size);
    }

    /// <summary>
    /// A write through segment <paramref name="seg"/> for the helpers (see <see cref="Read"/>): 0 done, 1 fault, 2 done
    /// but the store hit translated code. Write TLB entries never map translated code, so a hit returns 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(CpuState cpu, int seg, uint offset, int size, ulong value)
    {
        ref Segment s = ref cpu.Seg(seg);
        if ((long)offset + (size - 1) <= s.WriteLimit)
        {
            uint linear = s.Base + offset;
            TlbEntry* e = cpu.TlbWrite + ((linear >> 12) & (Tlb.Entries - 1));
            if (e->Tag == ((linear + (uint)(size - 1)) & ~0xFFFu))
            {
                byte* host = (byte*)(e->Addend + linear);
                switch (size)
                {
                    case 1: *host = (byte)value; return 0;
                    case 2: *(ushort*)host = (ushort)value; return 0;
                    case 4: *(uint*)host = (uint)value; return 0;
                    case 8: *(ulong*)host = value; return 0;
                }
            }
        }
        return WriteSlow(cpu, seg, offset, size, value);
    }

    /// <summary>Checks that a store could be done (segment and paging) without doing it: read-modify-write and multi-part stores probe first.</summary>
    public static bool ProbeWrite(CpuState cpu, int seg, uint offset, int size)
    {
        if (!CheckSegment(cpu, seg, offset, size, true)) return false;
        uint linear = cpu.Seg(seg).Base + offset;
        bool user = cpu.Cpl == 3;
        if (!Translate(cpu, linear, Access.Write, user, out _, out _, out _)) return false;
        uint last = linear + (uint)(size - 1);
        if ((last ^ linear) >> 12 != 0 && !Translate(cpu, last, Access.Write, user, out _, out _, out _)) return false;
        return true;
    }

    public static ulong ReadLinear(CpuState cpu, uint linear, int size, bool user)
    {
        if (cpu.DataBreakpointsArmed) DebugBreakpoints.CheckData(cpu, linear, size, false);
        uint last = linear + (uint)(size - 1);
        if (((last ^ linear) & ~0xFFFu) != 0)
        {
            // Crosses a page: translate both pages before reading anything.
            if (!Translate(cpu, linear, Access.Read, user, out ulong p0, out _, out _)) return 0;
            if (!Translate(cpu, last & ~0xFFFu, Access.Read, user, out ulong p1, out _, out _)) return 0;
            ulong v = 0;
            for (int i = 0; i < size; i++)
            {
                uint l = linear + (uint)i;
                ulong pa = ((l ^ linear) & ~0xFFFu) == 0 ? p0 + (ulong)i : p1 + (l & 0xFFFu);
                v |= cpu.Memory.Read(pa, 1) << (8 * i);
            }
            return v;
        }
        int index = (int)((linear >> 12) & (Tlb.Entries - 1));
        var table = cpu.Tlb.Read(user ? 1 : 0);
        if (table[index].Tag != (linear & ~0xFFFu))
        {
            if (!Translate(cpu, linear, Access.Read, user, out ulong phys, out _, out _)) return 0;
            if (cpu.Memory.ReadPointer(phys >> 12) == 0)
            {
                cpu.InterruptCheck = true;
                return cpu.Memory.Read(phys, size);
            }
            Fill(cpu, linear, false, user);
            if (table[index].Tag != (linear & ~0xFFFu)) return cpu.Memory.Read(phys, size);
        }
        byte* host = (byte*)(table[index].Addend + linear);
        return size switch
        {
            1 => *host,
            2 => *(ushort*)host,
            4 => *(uint*)host,
            _ => *(ulong*)host,
        };
    }

    public static int WriteLinear(CpuState cpu, uint linear, int size, ulong value, bool user)
    {
        if (cpu.DataBreakpointsArmed) DebugBreakpoints.CheckData(cpu, linear, size, true);
        uint last = linear + (uint)(size - 1);
        if (((last ^ linear) & ~0xFFFu) != 0)
        {
            if (!Translate(cpu, linear, Access.Write, user, out ulong p0, out _, out _)) return 1;
            if (!Translate(cpu, last & ~0xFFFu, Access.Write, user, out ulong p1, out _, out _)) return 1;
            int result = 0;
            for (int i = 0; i < size; i++)
            {
                uint l = linear + (uint)i;
                ulong pa = ((l ^ linear) & ~0xFFFu) == 0 ? p0 + (ulong)i : p1 + (l & 0xFFFu);
                result |= StorePhysical(cpu, pa, 1, value >> (8 * i));
            }
            return result;
        }
        int index = (int)((linear >> 12) & (Tlb.Entries - 1));
        var table = cpu.Tlb.Write(user ? 1 : 0);
        if (table[index].Tag != (linear & ~0xFFFu))
        {
            if (!Translate(cpu, linear, Access.Write, user, out ulong phys, out bool writable, out _)) return 1;
            if (!writable || cpu.Memory.WritePointer(phys >> 12) == 0) return StorePhysical(cpu, phys, size, value);
            Fill(cpu, linear, true, user);
            if (table[index].Tag != (linear & ~0xFFFu)) return StorePhysical(cpu, phys, size, value);
        }
        byte* host = (byte*)(table[index].Addend + linear);
        switch (size)
        {
            case 1: *host = (byte)value; break;
            case 2: *(ushort*)host = (ushort)value; break;
            case 4: *(uint*)host = (uint)value; break;
            default: *(ulong*)host = value; break;
        }
        return 0;
    }

    private static int StorePhysical(CpuState cpu, ulong phys, int size, ulong value)
    {
        if (!cpu.Memory.IsRam(phys)) cpu.InterruptCheck = true;
        return cpu.Memory.Write(phys, size, value) ? 2 : 0;
    }

    /// <summary>Supervisor-mode linear read of system structures (descriptor tables, TSS, IDT): CPL is ignored.</summary>
    public static bool ReadSystem(CpuState cpu, uint linear, int size, out ulong value)
    {
        value = ReadLinear(cpu, linear, size, false);
        return !cpu.Faulted;
    }

    public static bool WriteSystem(CpuState cpu, uint linear, int size, ulong value) => WriteLinear(cpu, linear, size, value, false) != 1;

    /// <summary>Instruction fetch translation: linear → physical, with #PF on failure.</summary>
    public static bool TranslateFetch(CpuState cpu, uint linear, out ulong physical)
    {
        return Translate(cpu, linear, Access.Execute, cpu.Cpl == 3, out physical, out _, out _);
    }
}
