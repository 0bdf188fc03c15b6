using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// Operand access for the instruction helpers that translated code calls: registers, immediates and memory
/// operands of a decoded instruction, through the same segmentation/TLB paths as inline code.
/// </summary>
public static class Operands
{
    /// <summary>Sreg index (ES CS SS DS FS GS = 0..5) of an Iced segment register.</summary>
    public static int SegIndex(Register seg) => seg switch
    {
        Register.ES => 0,
        Register.CS => 1,
        Register.SS => 2,
        Register.DS => 3,
        Register.FS => 4,
        Register.GS => 5,
        _ => 3,
    };

    /// <summary>
    /// Per Iced register: GPR index (bits 0–3), byte shift (bits 8–15: 8 for AH..BH) and operand size in bytes
    /// (bits 16–23) — the interpreter reads registers on every operand, so this is a table, not a computation.
    /// </summary>
    private static readonly uint[] RegisterSlots = BuildRegisterSlots();

    private static uint[] BuildRegisterSlots()
    {
        var t = new uint[Enum.GetValues<Register>().Length + 1];
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
            t[(int)r] = (uint)index | (uint)shift << 8 | (uint)r.GetSize() << 16;
        }
        return t;
    }

    /// <summary>GPR index and byte shift (8 for AH..BH) of a general register.</summary>
    public static (int Index, int Shift) GprSlot(Register r)
    {
        uint slot = RegisterSlots[(int)r];
        return ((int)(slot & 15), (int)(slot >> 8) & 0xFF);
    }

    public static uint ReadReg(CpuState cpu, Register r)
    {
        uint slot = RegisterSlots[(int)r];
        ulong v = cpu.Gpr((int)(slot & 15)) >> (int)((slot >> 8) & 0xFF);
        return (slot >> 16) switch
        {
            1 => (uint)(byte)v,
            2 => (ushort)v,
            _ => (uint)v,
        };
    }

    public static void WriteReg(CpuState cpu, Register r, uint value)
    {
        uint slot = RegisterSlots[(int)r];
        int shift = (int)((slot >> 8) & 0xFF);
        ref ulong g = ref cpu.Gpr((int)(slot & 15));
        switch (slot >> 16)
        {
            case 1: g = (g & ~(0xFFul << shift)) | ((ulong)(byte)value << shift); break;
            case 2: g = (g & ~0xFFFFul) | (ushort)value; break;
            default: g = value; break;
        }
    }

    /// <summary>True when the instruction's memory operand uses 16-bit addressing.</summary>
    public static bool AddressSize16(in Instruction i)
    {
        if (i.MemoryBase != Register.None) return i.MemoryBase.IsGPR16();
        if (i.MemoryIndex != Register.None) return i.MemoryIndex.IsGPR16();
        return i.MemoryDisplSize == 2;
    }

    public static uint EffectiveAddress(CpuState cpu, in Instruction i)
    {
        uint ea = (uint)i.MemoryDisplacement64;
        if (i.MemoryBase != Register.None) ea += ReadReg(cpu, i.MemoryBase);
        if (i.MemoryIndex != Register.None) ea += ReadReg(cpu, i.MemoryIndex) * (uint)i.MemoryIndexScale;
        if (AddressSize16(i)) ea &= 0xFFFF;
        return ea;
    }

    public static int OperandSize(in Instruction i, int op)
    {
        switch (i.GetOpKind(op))
        {
            case OpKind.Register: return i.GetOpRegister(op).GetSize();
            case OpKind.Immediate8: return 1;
            case OpKind.Immediate16:
            case OpKind.Immediate8to16: return 2;
            case OpKind.Memory: return i.MemorySize.GetSize();
            default: return 4;
        }
    }

    /// <summary>Reads operand <paramref name="op"/>; false on a fault (already raised).</summary>
    public static bool TryRead(CpuState cpu, in Instruction i, int op, out uint value)
    {
        switch (i.GetOpKind(op))
        {
            case OpKind.Register:
                value = ReadReg(cpu, i.GetOpRegister(op));
                return true;
            case OpKind.Memory:
                value = (uint)Mmu.ReadSlow(cpu, SegIndex(i.MemorySegment), EffectiveAddress(cpu, i), i.MemorySize.GetSize());
                return !cpu.Faulted;
            default:
                value = (uint)i.GetImmediate(op);
                return true;
        }
    }

    /// <summary>Writes operand <paramref name="op"/>: 0 done, 1 fault, 2 done but translated code was hit.</summary>
    public static int Write(CpuState cpu, in Instruction i, int op, uint value)
    {
        switch (i.GetOpKind(op))
        {
            case OpKind.Register:
                WriteReg(cpu, i.GetOpRegister(op), value);
                return 0;
            case OpKind.Memory:
                return Mmu.WriteSlow(cpu, SegIndex(i.MemorySegment), EffectiveAddress(cpu, i), i.MemorySize.GetSize(), value);
            default:
                throw new InvalidOperationException($"operand {op} of {i.Code} is not writable");
        }
    }

    /// <summary>Checks a memory destination is writable before a multi-step update; registers always pass.</summary>
    public static bool ProbeWrite(CpuState cpu, in Instruction i, int op)
    {
        if (i.GetOpKind(op) != OpKind.Memory) return true;
        return Mmu.ProbeWrite(cpu, SegIndex(i.MemorySegment), EffectiveAddress(cpu, i), i.MemorySize.GetSize());
    }
}
