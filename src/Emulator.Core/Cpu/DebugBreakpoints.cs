namespace Emulator.Core.Cpu;

/// <summary>
/// Instruction breakpoints from DR0–DR3 and DR7 (SDM Vol. 3A §17.2, §17.3.1.1). While one is armed the translator
/// makes one-instruction blocks and the run loop checks each instruction address before running it.
/// Data breakpoints (R/W = 01 writes, 11 reads and writes; LEN 1/2/4/8 bytes) are traps: while one is armed the TLB
/// holds no entries, every access takes the slow path that checks it, blocks are one instruction long, and the run
/// loop delivers #DB after the instruction (after the iteration, for REP string instructions). I/O breakpoints
/// (R/W = 10 with CR4.DE) are not implemented.
/// </summary>
public static class DebugBreakpoints
{
    /// <summary>True when some breakpoint is enabled (L or G bit) with R/W = 00 (instruction execution).</summary>
    public static bool AnyExecution(CpuState cpu)
    {
        uint dr7 = cpu.Dr7;
        if ((dr7 & 0xFF) == 0) return false;
        for (int n = 0; n < 4; n++)
        {
            if (((dr7 >> (2 * n)) & 3) != 0 && ((dr7 >> (16 + 4 * n)) & 3) == 0) return true;
        }
        return false;
    }

    /// <summary>True when some enabled breakpoint watches data (R/W = 01 or 11).</summary>
    public static bool AnyData(CpuState cpu)
    {
        uint dr7 = cpu.Dr7;
        if ((dr7 & 0xFF) == 0) return false;
        for (int n = 0; n < 4; n++)
        {
            if (((dr7 >> (2 * n)) & 3) != 0 && ((dr7 >> (16 + 4 * n)) & 1) != 0) return true;
        }
        return false;
    }

    /// <summary>Recomputes <see cref="CpuState.DataBreakpointsArmed"/> after a DR write or a restore; flushes the TLB.</summary>
    public static void Update(CpuState cpu)
    {
        cpu.DataBreakpointsArmed = AnyData(cpu);
        cpu.FlushTlb();
    }

    /// <summary>Checks a data access of <paramref name="size"/> bytes at <paramref name="linear"/>; a hit sets DR6 and a pending #DB trap.</summary>
    public static void CheckData(CpuState cpu, uint linear, int size, bool write)
    {
        uint dr7 = cpu.Dr7;
        uint hits = 0;
        for (int n = 0; n < 4; n++)
        {
            if (((dr7 >> (2 * n)) & 3) == 0) continue;
            uint rw = (dr7 >> (16 + 4 * n)) & 3;
            if (rw == 0 || rw == 2 || (rw == 1 && !write)) continue;
            uint len = ((dr7 >> (18 + 4 * n)) & 3) switch { 0 => 1u, 1 => 2u, 3 => 4u, _ => 8u };
            uint address = (n switch { 0 => cpu.Dr0, 1 => cpu.Dr1, 2 => cpu.Dr2, _ => cpu.Dr3 }) & ~(len - 1);
            if (linear < address + len && linear + (uint)size > address) hits |= 1u << n;
        }
        if (hits == 0) return;
        cpu.Dr6 = (cpu.Dr6 & ~0xFu) | hits;
        cpu.DebugTrapPending = true;
        cpu.InterruptCheck = true;
    }

    /// <summary>
    /// Checks the instruction at CS:EIP against the armed execution breakpoints; on a match (and RF clear) sets the
    /// DR6 B-bits and raises #DB as a fault. Returns true when #DB was raised.
    /// </summary>
    public static bool CheckExecution(CpuState cpu)
    {
        if ((cpu.Eflags & Eflags.RF) != 0)
        {
            cpu.Eflags &= ~Eflags.RF;
            return false;
        }
        uint linear = cpu.Cs.Base + (uint)cpu.Rip;
        uint dr7 = cpu.Dr7;
        uint hits = 0;
        for (int n = 0; n < 4; n++)
        {
            if (((dr7 >> (2 * n)) & 3) == 0 || ((dr7 >> (16 + 4 * n)) & 3) != 0) continue;
            uint address = n switch { 0 => cpu.Dr0, 1 => cpu.Dr1, 2 => cpu.Dr2, _ => cpu.Dr3 };
            if (address == linear) hits |= 1u << n;
        }
        if (hits == 0) return false;
        cpu.Dr6 = (cpu.Dr6 & ~0xFu) | hits;
        cpu.RaiseException(Vectors.DB);
        return true;
    }
}
