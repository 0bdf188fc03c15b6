using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Emulator.Core.Memory;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// The emulator side of the host-differential test: a flat 32-bit protected-mode CPU. Each distinct instruction gets
/// its own 16-byte code slot (instruction + HLT), so its translation is compiled once and reused for every case.
/// </summary>
public sealed class CoreDiffCpu : IDiffCpu, IDisposable
{
    private const ulong CodeBase = 0x10_0000;
    private const int SlotSize = 16;
    private readonly PhysicalMemory _memory = new(32 << 20);
    private readonly CpuState _cpu;
    private readonly CpuCore _core;
    private readonly Dictionary<string, uint> _slots = new();

    public CoreDiffCpu()
    {
        _cpu = new CpuState(_memory, new PortBus());
        _core = new CpuCore(_cpu, new VirtualClock());
        _cpu.Cr0 |= Cr.CR0_PE;
        var code = new Segment { Selector = 0x08, Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x9B | Segment.DefaultBig | Segment.Granularity };
        var data = new Segment { Selector = 0x10, Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x93 | Segment.DefaultBig | Segment.Granularity };
        _cpu.Cs = code;
        _cpu.Ds = _cpu.Es = _cpu.Ss = _cpu.Fs = _cpu.Gs = data;
        _cpu.UpdateCpl();
        _cpu.UpdateAllFastLimits();
    }

    public DiffResult Execute(ReadOnlySpan<byte> code32, in DiffRegisters input)
    {
        string key = Convert.ToHexString(code32);
        if (!_slots.TryGetValue(key, out uint slot))
        {
            slot = (uint)(CodeBase + (ulong)_slots.Count * SlotSize);
            if (slot + SlotSize > _memory.RamSize) throw new InvalidOperationException("code slots exhausted");
            Span<byte> bytes = stackalloc byte[code32.Length + 1];
            code32.CopyTo(bytes);
            bytes[^1] = 0xF4;
            _memory.WritePhysical(slot, bytes);
            _slots.Add(key, slot);
        }
        _cpu.Rax = input.Eax; _cpu.Rcx = input.Ecx; _cpu.Rdx = input.Edx; _cpu.Rbx = input.Ebx;
        _cpu.Rsp = input.Esp; _cpu.Rbp = input.Ebp; _cpu.Rsi = input.Esi; _cpu.Rdi = input.Edi;
        _cpu.SetEflags(input.Eflags);
        _cpu.Rip = slot;
        _cpu.Halted = false;
        int r = _core.ExecuteBlock();
        int vector = -1;
        if (r == Core.Translation.BlockExit.Exception || r < 0)
        {
            vector = _cpu.PendingVector;
            _cpu.Faulted = false;
            _cpu.PendingVector = -1;
        }
        var regs = new DiffRegisters
        {
            Eax = (uint)_cpu.Rax, Ecx = (uint)_cpu.Rcx, Edx = (uint)_cpu.Rdx, Ebx = (uint)_cpu.Rbx,
            Esp = (uint)_cpu.Rsp, Ebp = (uint)_cpu.Rbp, Esi = (uint)_cpu.Rsi, Edi = (uint)_cpu.Rdi,
            Eflags = _cpu.GetEflags(),
        };
        return new DiffResult(regs, vector);
    }

    public void Dispose()
    {
        _cpu.Tlb.Dispose();
        _memory.Dispose();
    }
}
