using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;

namespace Emulator.Core.Translation;

/// <summary>
/// Instruction semantics that compiled blocks call with their operands already loaded inline (register or soft-TLB
/// memory access, resolved at compile time): multiply, shifts and rotates, carry-in, BT's carry. Each mirrors its
/// <see cref="Helpers"/> method exactly (the helpers are the reference; the tier-differential tests compare them),
/// without the generic operand decoding. Pure parts return values; the parts that touch flags run only after the
/// instruction's last possible fault.
/// </summary>
internal static class InlineOps
{
    public const int Shl = 0, Shr = 1, Sar = 2, Rol = 3, Ror = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SizeMask(int size) => size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };

    /// <summary>CF (0 or 1) of the recorded flags, by the same formulas as <see cref="LazyFlags.Compute"/>.</summary>
    public static uint CarryIn(CpuState cpu)
    {
        var op = cpu.LazyOp;
        if (op == LazyFlagOp.None) return cpu.Eflags & Eflags.CF;
        int v = (int)op - 1;
        int kind = v / 3;
        uint mask = SizeMask(1 << (v % 3));
        uint a = cpu.LazyA & mask, b = cpu.LazyB & mask;
        switch (kind)
        {
            case LazyFlags.KindAdd: return (ulong)a + b > mask ? 1u : 0u;
            case LazyFlags.KindAdc: return (ulong)a + b + 1 > mask ? 1u : 0u;
            case LazyFlags.KindSub: return a < b ? 1u : 0u;
            case LazyFlags.KindSbb: return (ulong)a < (ulong)b + 1 ? 1u : 0u;
            case LazyFlags.KindLogic: return 0;
            case LazyFlags.KindResult: return cpu.LazyB & Eflags.CF;
            default: return cpu.Eflags & Eflags.CF; // INC/DEC keep CF in EFLAGS
        }
    }

    /// <summary>BT/BTS/BTR/BTC: CF ← the bit, the other flags unchanged.</summary>
    public static void SetCarry(CpuState cpu, uint cf)
    {
        uint f = cpu.GetEflags();
        cpu.Eflags = (f & ~Eflags.CF) | (cf & 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetResult(CpuState cpu, int size, uint r, uint given)
    {
        cpu.LazyOp = LazyFlags.Op(LazyFlags.KindResult, size);
        cpu.LazyA = 0;
        cpu.LazyB = given;
        cpu.LazyR = r;
    }

    /// <summary>MUL r/m (SDM Vol. 2B MUL): AX / DX:AX / EDX:EAX ← accumulator × <paramref name="b"/>; CF = OF = upper half ≠ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // constant size and flags from the compiled block fold away
    public static void Mul(CpuState cpu, int size, uint b, bool flags)
    {
        uint low;
        bool high;
        switch (size)
        {
            case 1:
                {
                    uint r = (uint)(byte)cpu.Rax * (byte)b;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | r;
                    high = (r >> 8) != 0;
                    low = r & 0xFF;
                    break;
                }
            case 2:
                {
                    uint r = (uint)(ushort)cpu.Rax * (ushort)b;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | (r & 0xFFFF);
                    cpu.Rdx = (cpu.Rdx & ~0xFFFFul) | (r >> 16);
                    high = (r >> 16) != 0;
                    low = r & 0xFFFF;
                    break;
                }
            default:
                {
                    ulong r = (ulong)(uint)cpu.Rax * b;
                    cpu.Rax = (uint)r;
                    cpu.Rdx = (uint)(r >> 32);
                    high = (r >> 32) != 0;
                    low = (uint)r;
                    break;
                }
        }
        if (flags) SetResult(cpu, size, low, high ? Eflags.CF | Eflags.OF : 0);
    }

    /// <summary>IMUL r/m, one operand (SDM Vol. 2A IMUL): CF = OF = the product does not fit the lower half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // constant size and flags from the compiled block fold away
    public static void Imul1(CpuState cpu, int size, uint b, bool flags)
    {
        uint low;
        bool overflow;
        switch (size)
        {
            case 1:
                {
                    int r = (sbyte)(byte)cpu.Rax * (sbyte)(byte)b;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ushort)r;
                    overflow = r != (sbyte)r;
                    low = (uint)r & 0xFF;
                    break;
                }
            case 2:
                {
                    int r = (short)(ushort)cpu.Rax * (short)(ushort)b;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ushort)r;
                    cpu.Rdx = (cpu.Rdx & ~0xFFFFul) | (ushort)(r >> 16);
                    overflow = r != (short)r;
                    low = (uint)r & 0xFFFF;
                    break;
                }
            default:
                {
                    long r = (long)(int)(uint)cpu.Rax * (int)b;
                    cpu.Rax = (uint)r;
                    cpu.Rdx = (uint)(r >> 32);
                    overflow = r != (int)r;
                    low = (uint)r;
                    break;
                }
        }
        if (flags) SetResult(cpu, size, low, overflow ? Eflags.CF | Eflags.OF : 0);
    }

    /// <summary>IMUL r, r/m (, imm): the truncated product; CF = OF = it does not fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // constant size and flags from the compiled block fold away
    public static uint Imul(CpuState cpu, int size, uint a, uint b, bool flags)
    {
        long r = size == 2 ? (long)(short)a * (short)b : (long)(int)a * (int)b;
        bool overflow = size == 2 ? r != (short)r : r != (int)r;
        uint res = (uint)r & SizeMask(size);
        if (flags) SetResult(cpu, size, res, overflow ? Eflags.CF | Eflags.OF : 0);
        return res;
    }

    /// <summary>
    /// ROL/ROR of <paramref name="a"/> by <paramref name="count"/> (already masked to 5 bits and not 0): the result,
    /// and in <paramref name="flags"/> the CF and OF bits (SDM Vol. 2B RCL/RCR/ROL/ROR, as the helpers define the
    /// counts above 1). SHL/SHR/SAR have their own inlinable value and flag functions below.
    /// </summary>
    public static uint Rotate(int kind, int size, uint a, uint count, out uint flags)
    {
        int bits = size * 8;
        uint mask = SizeMask(size);
        uint sign = 1u << (bits - 1);
        a &= mask;
        int n = (int)(count % (uint)bits);
        if (kind == Rol)
        {
            uint r = n == 0 ? a : ((a << n) | (a >> (bits - n))) & mask;
            uint c = r & 1;
            flags = c | ((((r & sign) != 0 ? 1u : 0u) ^ c) != 0 ? Eflags.OF : 0);
            return r;
        }
        else
        {
            uint r = n == 0 ? a : ((a >> n) | (a << (bits - n))) & mask;
            uint c = (r & sign) != 0 ? 1u : 0u;
            uint b2 = (r & (sign >> 1)) != 0 ? 1u : 0u;
            flags = c | ((c ^ b2) != 0 ? Eflags.OF : 0);
            return r;
        }
    }

    /// <summary>SHL result (count 1..31, <paramref name="a"/> masked to the size); small enough for the JIT to inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ShlValue(int size, uint a, uint count) => (uint)((ulong)a << (int)count) & SizeMask(size);

    /// <summary>SHL's CF and OF, as <see cref="Helpers"/> defines them (OF from the result's sign and CF for any count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ShlFlags(int size, uint a, uint count)
    {
        int bits = size * 8;
        ulong wide = (ulong)a << (int)count;
        uint c = (uint)(wide >> bits) & 1;
        uint msb = ((uint)wide >> (bits - 1)) & 1;
        return c | ((msb ^ c) << 11);
    }

    /// <summary>SHR result (count 1..31, <paramref name="a"/> masked to the size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ShrValue(uint a, uint count) => a >> (int)count;

    /// <summary>SHR's CF and OF (OF = the operand's sign, as <see cref="Helpers"/> defines it for any count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ShrFlags(int size, uint a, uint count) =>
        (uint)((a >> ((int)count - 1)) & 1) | (((a >> (size * 8 - 1)) & 1) << 11);

    /// <summary>SAR result (count 1..31, <paramref name="a"/> masked to the size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SarValue(int size, uint a, uint count)
    {
        int unused = 32 - size * 8;
        return (uint)(((int)(a << unused) >> unused) >> (int)count) & SizeMask(size);
    }

    /// <summary>SAR's CF (OF = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SarFlags(int size, uint a, uint count)
    {
        int unused = 32 - size * 8;
        return (uint)(((int)(a << unused) >> unused) >> ((int)count - 1)) & 1;
    }

    /// <summary>After the rotated value is stored: ROL/ROR change only CF and OF.</summary>
    public static void CommitRotate(CpuState cpu, uint flags)
    {
        uint f = cpu.GetEflags();
        cpu.Eflags = (f & ~(Eflags.CF | Eflags.OF)) | flags;
    }

    /// <summary>
    /// RDTSC's value (<see cref="CpuState.ReadTsc"/>), or false when CR4.TSD makes it #GP(0) here (CPL &gt; 0 in
    /// protected mode): the compiled block then runs the helper, which raises it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadTsc(CpuState cpu, out ulong tsc)
    {
        tsc = cpu.ReadTsc();
        return (cpu.Cr4 & Cr.CR4_TSD) == 0 || cpu.Cpl == 0 || !cpu.ProtectedMode;
    }

    /// <summary>LFENCE/MFENCE exist (CPUID.1:EDX.SSE2); otherwise the helper raises #UD.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasSse2(CpuState cpu) => (cpu.Model.Features1Edx & Helpers.CpuidSse2) != 0;
}
