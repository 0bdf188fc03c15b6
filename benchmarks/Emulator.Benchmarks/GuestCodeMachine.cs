using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Emulator.Core.Memory;
using Iced.Intel;

namespace Emulator.Benchmarks;

/// <summary>
/// A bare CPU with RAM and an empty port bus for the CPU benchmarks: loads guest code assembled with Iced, enters
/// real mode or flat 32-bit protected mode (optionally with 4 KiB paging) directly in the CPU state, and runs to HLT.
/// </summary>
public sealed class GuestCodeMachine : IDisposable
{
    /// <summary>Page directory (4 KiB aligned); the page tables follow it.</summary>
    public const uint PageDirectory = 0x1_0000;

    /// <summary>Identity-mapped with 4 KiB pages when paging is on.</summary>
    public const uint PagedBytes = 16 << 20;

    public GuestCodeMachine(ulong ramBytes = 64 << 20)
    {
        Memory = new PhysicalMemory(ramBytes);
        Cpu = new CpuState(Memory, new PortBus());
        Core = new CpuCore(Cpu, new VirtualClock());
    }

    public PhysicalMemory Memory { get; }

    public CpuState Cpu { get; }

    public CpuCore Core { get; }

    /// <summary>Assembles <paramref name="build"/> for <paramref name="bitness"/> at <paramref name="address"/>, writes it to RAM.</summary>
    public AssemblerResult Load(int bitness, ulong address, Action<Assembler> build)
    {
        var a = new Assembler(bitness);
        build(a);
        var stream = new MemoryStream();
        var result = a.Assemble(new StreamCodeWriter(stream), address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        if (!Memory.WritePhysical(address, stream.ToArray())) throw new InvalidOperationException($"code at {address:X} is not in RAM");
        return result;
    }

    /// <summary>Flat 32-bit protected mode: CS/DS/ES/SS/FS/GS with base 0, limit 4 GiB, CPL 0, paging off.</summary>
    public void EnterFlat32()
    {
        Cpu.Cr0 |= Cr.CR0_PE;
        var code = new Segment { Selector = 0x08, Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x9B | Segment.DefaultBig | Segment.Granularity };
        var data = new Segment { Selector = 0x10, Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x93 | Segment.DefaultBig | Segment.Granularity };
        Cpu.Cs = code;
        Cpu.Ds = Cpu.Es = Cpu.Ss = Cpu.Fs = Cpu.Gs = data;
        Cpu.UpdateCpl();
        Cpu.UpdateAllFastLimits();
    }

    /// <summary>
    /// Builds 32-bit (non-PAE) page tables identity-mapping the first <see cref="PagedBytes"/> with 4 KiB pages
    /// (SDM Vol. 3A §4.3: PDE/PTE bit 0 P, bit 1 R/W), loads CR3 and sets CR0.PG. Call after <see cref="EnterFlat32"/>.
    /// </summary>
    public void EnablePaging()
    {
        const uint presentWritable = 0x3;
        uint tables = PagedBytes >> 22;
        var entry = new byte[4];
        for (uint t = 0; t < tables; t++)
        {
            uint table = PageDirectory + 0x1000 + t * 0x1000;
            BitConverter.TryWriteBytes(entry, table | presentWritable);
            Memory.WritePhysical(PageDirectory + t * 4, entry);
            for (uint e = 0; e < 1024; e++)
            {
                uint frame = (t << 22) | (e << 12);
                BitConverter.TryWriteBytes(entry, frame | presentWritable);
                Memory.WritePhysical(table + e * 4, entry);
            }
        }
        Cpu.Cr3 = PageDirectory;
        Cpu.Cr0 |= Cr.CR0_PG;
        Cpu.FlushTlb();
    }

    /// <summary>Real mode at CS:IP = <paramref name="cs"/>:<paramref name="ip"/> (the CPU starts in real mode after reset).</summary>
    public void EnterReal(ushort cs, ushort ip)
    {
        Cpu.Cs.LoadReal(cs);
        Cpu.Cs.UpdateFastLimits(false);
        Cpu.Rip = ip;
    }

    /// <summary>Runs from the current RIP to HLT (interrupts off); throws unless the CPU halted for good.</summary>
    public void RunToHalt()
    {
        Cpu.Halted = false;
        var reason = Core.Run(long.MaxValue);
        if (reason != StopReason.HaltedForever) throw new InvalidOperationException($"guest stopped with {reason} at EIP {Cpu.Rip:X}");
    }

    /// <summary>Runs to HLT and returns the number of guest instructions retired (CpuState.Retired after − before).</summary>
    public long RunCounted()
    {
        long before = Cpu.Retired;
        RunToHalt();
        return Cpu.Retired - before;
    }

    public void Dispose()
    {
        Cpu.Tlb.Dispose();
        Memory.Dispose();
    }
}
