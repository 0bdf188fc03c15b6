using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Emulator.Core.Memory;
using Iced.Intel;

namespace Emulator.Core.Tests;

/// <summary>A bare CPU with RAM and an empty port bus, for running guest code assembled in a test.</summary>
public sealed class TestCpu : IDisposable
{
    public TestCpu(ulong ramBytes = 16 << 20)
    {
        Memory = new PhysicalMemory(ramBytes);
        Ports = new PortBus();
        Clock = new VirtualClock();
        Cpu = new CpuState(Memory, Ports);
        Core = new CpuCore(Cpu, Clock);
    }

    public PhysicalMemory Memory { get; }

    public PortBus Ports { get; }

    public VirtualClock Clock { get; }

    public CpuState Cpu { get; }

    public CpuCore Core { get; }

    /// <summary>Assembles <paramref name="build"/> for <paramref name="bitness"/> at <paramref name="address"/> and writes it to RAM.</summary>
    public byte[] Load(int bitness, ulong address, Action<Assembler> build)
    {
        var a = new Assembler(bitness);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        var bytes = stream.ToArray();
        Memory.WritePhysical(address, bytes);
        return bytes;
    }

    /// <summary>Real mode at CS:IP = <paramref name="cs"/>:<paramref name="ip"/>.</summary>
    public void StartReal(ushort cs, ushort ip)
    {
        Cpu.Cs.LoadReal(cs);
        Cpu.Cs.UpdateFastLimits(false);
        Cpu.Rip = ip;
    }

    /// <summary>32-bit flat protected mode (base 0, limit 4 GiB, CPL 0, paging off) set directly in the descriptor caches.</summary>
    public void EnterFlat32()
    {
        Cpu.Cr0 |= Cr.CR0_PE;
        Cpu.Cs = new Segment { Selector = 8, Limit = 0xFFFF_FFFF, Flags = 0x9B | Segment.DefaultBig | Segment.Granularity };
        Cpu.Ds = Cpu.Es = Cpu.Ss = new Segment { Selector = 16, Limit = 0xFFFF_FFFF, Flags = 0x93 | Segment.DefaultBig | Segment.Granularity };
        Cpu.UpdateCpl();
        Cpu.UpdateAllFastLimits();
    }

    /// <summary>Runs until HLT (with interrupts off) or the budget; returns why it stopped.</summary>
    public StopReason RunToHalt(long budget = 1_000_000) => Core.Run(budget);

    public void Dispose()
    {
        Cpu.Tlb.Dispose();
        Memory.Dispose();
    }
}
