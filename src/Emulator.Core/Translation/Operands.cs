using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// Operand access for the instruction helpers that translated code calls: registers, immediates and memory
/// operands of a decoded instruction, through the same segmentation/TLB paths as inline code.
/// </summary>
public static class Operands
{
    /// <summary>Sreg index (ES CS SS DS FS GS = 0..5) of an Iced segment register; 3 (DS) for anything else.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SegIndex(Register seg) => (uint)(seg - Register.ES) < 6 ? seg - Register.ES : 3;

    /// <summary>Sreg index of the instruction's memory operand segment (its prefix, else DS or SS by the base register).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MemorySegIndex(in Instruction i) => SegIndex(i.MemorySegment);

    /// <summary>
    /// Per Iced register, how the helpers read and write it: GPR index, byte shift (8 for AH..BH), operand size in
    /// bytes, the value mask and the bits of the 64-bit register a write keeps — the interpreter reads registers on
    /// every operand, so this is a table, not a computation. Registers that are not GPRs read RAX unmasked (as before).
    /// </summary>
    private readonly struct RegSlot
    {
        public readonly ulong Keep;
        public readonly uint Mask;
        public readonly byte Index, Shift, Size;

        public RegSlot(int index, int shift, int size)
        {
            Index = (byte)index;
            Shift = (byte)shift;
            Size = (byte)size;
            (Mask, Keep) = size switch
            {
                1 => (0xFFu, ~(0xFFul << shift)),
                2 => (0xFFFFu, ~0xFFFFul),
                _ => (0xFFFF_FFFFu, 0ul),
            };
        }
    }

    private static readonly RegSlot[] RegisterSlots = BuildRegisterSlots();

    private static RegSlot[] BuildRegisterSlots()
    {
        // Indexed by the register's byte value (Iced stores registers in a byte), so no lookup needs a bounds check.
        var t = new RegSlot[256];
        for (int k = 0; k < t.Length; k++) t[k] = new RegSlot(0, 0, 0);
        foreach (var r in Enum.GetValues<Register>())
        {
            if (!r.IsGPR()) continue;
            int index, shift = 0;
            if (r.IsGPR8())
            {
                int n = r - Register.AL;
                (index, shift) = n >= 4 && n < 8 ? (n - 4, 8) : (n, 0);
            }
            else if (r.IsGPR16()) index = r - Register.AX;
            else if (r.IsGPR32()) index = r - Register.EAX;
            else index = r - Register.RAX;
            t[(int)r] = new RegSlot(index, shift, r.GetSize());
        }
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref readonly RegSlot Slot(Register r) => ref RegisterSlots[(byte)r];

    /// <summary>GPR index and byte shift (8 for AH..BH) of a general register.</summary>
    public static (int Index, int Shift) GprSlot(Register r)
    {
        ref readonly RegSlot slot = ref Slot(r);
        return (slot.Index, slot.Shift);
    }

    /// <summary>Size in bytes of a general register (0 for other registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GprSize(Register r) => Slot(r).Size;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadReg(CpuState cpu, Register r)
    {
        ref readonly RegSlot slot = ref Slot(r);
        return (uint)(cpu.Gpr(slot.Index) >> slot.Shift) & slot.Mask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteReg(CpuState cpu, Register r, uint value)
    {
        ref readonly RegSlot slot = ref Slot(r);
        ref ulong g = ref cpu.Gpr(slot.Index);
        g = (g & slot.Keep) | ((ulong)(value & slot.Mask) << slot.Shift);
    }

    /// <summary>Operand <paramref name="op"/>'s kind: Iced's per-operand properties (inlined) rather than GetOpKind's switch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OpKind Kind(in Instruction i, int op) => op switch
    {
        0 => i.Op0Kind,
        1 => i.Op1Kind,
        2 => i.Op2Kind,
        _ => i.GetOpKind(op),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Register Reg(in Instruction i, int op) => op switch
    {
        0 => i.Op0Register,
        1 => i.Op1Register,
        2 => i.Op2Register,
        _ => i.GetOpRegister(op),
    };

    /// <summary>Memory operand size in bytes, per instruction code (Iced's MemorySize and its info table, done once).</summary>
    private static readonly byte[] MemorySizeByCode = BuildMemorySizes();

    private static byte[] BuildMemorySizes()
    {
        var t = new byte[Enum.GetValues<Code>().Length + 1];
        var probe = default(Instruction);
        foreach (var c in Enum.GetValues<Code>())
        {
            probe.Code = c;
            t[(int)c] = (byte)probe.MemorySize.GetSize();
        }
        return t;
    }

    /// <summary>Size in bytes of the instruction's memory operand (as <c>i.MemorySize.GetSize()</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MemorySize(in Instruction i)
    {
        if (i.IsBroadcast) return i.MemorySize.GetSize();
        return MemorySizeByCode[(int)i.Code];
    }

    /// <summary>True when the instruction's memory operand uses 16-bit addressing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AddressSize16(in Instruction i)
    {
        var b = i.MemoryBase;
        if (b != Register.None) return Slot(b).Size == 2;
        var x = i.MemoryIndex;
        if (x != Register.None) return Slot(x).Size == 2;
        return i.MemoryDisplSize == 2;
    }

    public static uint EffectiveAddress(CpuState cpu, in Instruction i)
    {
        uint ea = (uint)i.MemoryDisplacement64;
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        int size;
        if (b != Register.None)
        {
            ref readonly RegSlot bs = ref Slot(b);
            ea += (uint)(cpu.Gpr(bs.Index) >> bs.Shift) & bs.Mask;
            size = bs.Size;
            if (x != Register.None)
            {
                ref readonly RegSlot xs = ref Slot(x);
                ea += ((uint)(cpu.Gpr(xs.Index) >> xs.Shift) & xs.Mask) * (uint)i.MemoryIndexScale;
            }
        }
        else if (x != Register.None)
        {
            ref readonly RegSlot xs = ref Slot(x);
            ea += ((uint)(cpu.Gpr(xs.Index) >> xs.Shift) & xs.Mask) * (uint)i.MemoryIndexScale;
            size = xs.Size;
        }
        else
        {
            size = i.MemoryDisplSize;
        }
        if (size == 2) ea &= 0xFFFF;
        return ea;
    }

    public static int OperandSize(in Instruction i, int op)
    {
        switch (Kind(i, op))
        {
            case OpKind.Register: return Reg(i, op).GetSize();
            case OpKind.Immediate8: return 1;
            case OpKind.Immediate16:
            case OpKind.Immediate8to16: return 2;
            case OpKind.Memory: return MemorySize(i);
            default: return 4;
        }
    }

    /// <summary>Immediate operand <paramref name="op"/> truncated to 32 bits (as <c>(uint)i.GetImmediate(op)</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Immediate(in Instruction i, int op, OpKind kind) => kind switch
    {
        OpKind.Immediate8 => i.Immediate8,
        OpKind.Immediate16 => i.Immediate16,
        OpKind.Immediate32 => i.Immediate32,
        OpKind.Immediate8to16 => (uint)i.Immediate8to16,
        OpKind.Immediate8to32 => (uint)i.Immediate8to32,
        _ => (uint)i.GetImmediate(op),
    };

    /// <summary>Reads operand <paramref name="op"/>; false on a fault (already raised).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(CpuState cpu, in Instruction i, int op, out uint value)
    {
        var kind = Kind(i, op);
        switch (kind)
        {
            case OpKind.Register:
                value = ReadReg(cpu, Reg(i, op));
                return true;
            case OpKind.Memory:
                return TryReadMemory(cpu, i, out value);
            default:
                value = Immediate(i, op, kind);
                return true;
        }
    }

    /// <summary>Reads the instruction's memory operand; false on a fault (already raised).</summary>
    public static bool TryReadMemory(CpuState cpu, in Instruction i, out uint value)
    {
        value = (uint)Mmu.Read(cpu, MemorySegIndex(i), EffectiveAddress(cpu, i), MemorySize(i));
        return !cpu.Faulted;
    }

    /// <summary>Writes operand <paramref name="op"/>: 0 done, 1 fault, 2 done but translated code was hit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(CpuState cpu, in Instruction i, int op, uint value)
    {
        switch (Kind(i, op))
        {
            case OpKind.Register:
                WriteReg(cpu, Reg(i, op), value);
                return 0;
            case OpKind.Memory:
                return WriteMemory(cpu, i, value);
            default:
                return NotWritable(i, op);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NotWritable(in Instruction i, int op) => throw new InvalidOperationException($"operand {op} of {i.Code} is not writable");

    /// <summary>Writes the instruction's memory operand: 0 done, 1 fault, 2 done but translated code was hit.</summary>
    public static int WriteMemory(CpuState cpu, in Instruction i, uint value)
        => Mmu.Write(cpu, MemorySegIndex(i), EffectiveAddress(cpu, i), MemorySize(i), value);

    /// <summary>Checks a memory destination is writable before a multi-step update; registers always pass.</summary>
    public static bool ProbeWrite(CpuState cpu, in Instruction i, int op)
    {
        if (Kind(i, op) != OpKind.Memory) return true;
        return Mmu.ProbeWrite(cpu, MemorySegIndex(i), EffectiveAddress(cpu, i), MemorySize(i));
    }
}
