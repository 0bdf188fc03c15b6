using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Emulator.Core.Memory;

namespace Emulator.Conformance.Tests.Sst;

/// <summary>The SingleStepTests adapter over Emulator.Core: 16 MiB of RAM, real mode, A20 on, nothing on the port bus.</summary>
public sealed class CoreSstCpu : ISstCpu, IDisposable
{
    private readonly PhysicalMemory _memory = new(16 << 20);
    private readonly CpuState _cpu;
    private readonly CpuCore _core;
    private readonly List<int> _delivered = new();

    public CoreSstCpu(int tierUpThreshold)
    {
        _cpu = new CpuState(_memory, new PortBus());
        _core = new CpuCore(_cpu, new VirtualClock());
        _core.Cache.TierUpThreshold = tierUpThreshold;
        _cpu.InterruptDelivered = v => _delivered.Add(v);
    }

    public void Reset()
    {
        _memory.ClearRam();
        _cpu.Reset();
        _core.ResyncClock();
    }

    public void WriteByte(uint physicalAddress, byte value) => _memory.Write(physicalAddress, 1, value);

    public byte ReadByte(uint physicalAddress) => (byte)_memory.Read(physicalAddress, 1);

    public void SetRegisters(in SstRegisters r)
    {
        _cpu.Rax = r.Ax; _cpu.Rbx = r.Bx; _cpu.Rcx = r.Cx; _cpu.Rdx = r.Dx;
        _cpu.Rsp = r.Sp; _cpu.Rbp = r.Bp; _cpu.Rsi = r.Si; _cpu.Rdi = r.Di;
        _cpu.Rip = r.Ip;
        _cpu.Cs.LoadReal(r.Cs);
        _cpu.Ss.LoadReal(r.Ss);
        _cpu.Ds.LoadReal(r.Ds);
        _cpu.Es.LoadReal(r.Es);
        _cpu.UpdateAllFastLimits();
        _cpu.SetEflags(r.Flags);
    }

    public SstRegisters GetRegisters() => new()
    {
        Ax = (ushort)_cpu.Rax, Bx = (ushort)_cpu.Rbx, Cx = (ushort)_cpu.Rcx, Dx = (ushort)_cpu.Rdx,
        Cs = _cpu.Cs.Selector, Ss = _cpu.Ss.Selector, Ds = _cpu.Ds.Selector, Es = _cpu.Es.Selector,
        Sp = (ushort)_cpu.Rsp, Bp = (ushort)_cpu.Rbp, Si = (ushort)_cpu.Rsi, Di = (ushort)_cpu.Rdi,
        Ip = (ushort)_cpu.Rip, Flags = (ushort)_cpu.GetEflags(),
    };

    public SstRunResult Run(int maxInstructions)
    {
        _delivered.Clear();
        _core.Run(maxInstructions);
        return new SstRunResult(_cpu.Halted, new List<int>(_delivered));
    }

    public void Dispose()
    {
        _cpu.Tlb.Dispose();
        _memory.Dispose();
    }
}
