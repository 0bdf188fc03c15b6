namespace Emulator.Core.Cpu;

/// <summary>Stack pushes and pops through SS with the stack-address size of SS.B (SDM Vol. 1 §6.2).</summary>
public static class Stack
{
    public static uint StackMask(CpuState cpu) => cpu.Ss.Big ? 0xFFFF_FFFFu : 0xFFFFu;

    public static void SetSp(CpuState cpu, uint value)
    {
        if (cpu.Ss.Big) cpu.Rsp = value;
        else cpu.Rsp = (cpu.Rsp & ~0xFFFFul) | (value & 0xFFFF);
    }

    /// <summary>Pushes <paramref name="size"/> bytes; returns false on a fault (ESP unchanged).</summary>
    public static bool Push(CpuState cpu, int size, uint value)
    {
        uint mask = StackMask(cpu);
        uint sp = ((uint)cpu.Rsp - (uint)size) & mask;
        if (Mmu.Write(cpu, 2, sp, size, value) == 1) return false;
        SetSp(cpu, sp);
        return true;
    }

    public static bool Pop(CpuState cpu, int size, out uint value)
    {
        uint mask = StackMask(cpu);
        uint sp = (uint)cpu.Rsp & mask;
        value = (uint)Mmu.Read(cpu, 2, sp, size);
        if (cpu.Faulted) return false;
        SetSp(cpu, sp + (uint)size);
        return true;
    }

    /// <summary>Reads the stack slot at ESP + <paramref name="offset"/> without popping.</summary>
    public static bool Peek(CpuState cpu, int offset, int size, out uint value)
    {
        uint sp = ((uint)cpu.Rsp + (uint)offset) & StackMask(cpu);
        value = (uint)Mmu.Read(cpu, 2, sp, size);
        return !cpu.Faulted;
    }
}
