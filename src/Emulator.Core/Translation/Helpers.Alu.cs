using System.Runtime.CompilerServices;
using System.Numerics;
using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// Instruction semantics that translated code calls instead of inlining (SDM Vol. 2 instruction pages). Each helper
/// takes the CPU and the decoded instruction; before the call the emitted code has set RIP to the next instruction.
/// Result: <see cref="Continue"/>, <see cref="Fault"/> (exception raised; registers untouched), or
/// <see cref="EndBlock"/> (done; RIP may have been changed; the block must exit).
/// </summary>
public static partial class Helpers
{
    public const int Continue = 0;
    public const int Fault = 1;
    public const int EndBlock = 2;

    private static uint SizeMask(int size) => size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };

    private static uint SignBit(int size) => 1u << (size * 8 - 1);

    private static void SetLazy(CpuState cpu, int kind, int size, uint a, uint b, uint r)
    {
        cpu.LazyOp = LazyFlags.Op(kind, size);
        cpu.LazyA = a;
        cpu.LazyB = b;
        cpu.LazyR = r;
    }

    /// <summary>Sets the arithmetic flags eagerly; <paramref name="mask"/> selects which of them change.</summary>
    private static void SetFlags(CpuState cpu, uint flags, uint mask)
    {
        uint f = cpu.GetEflags();
        cpu.Eflags = (f & ~mask) | (flags & mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // one specialised copy per helper (constant kind and store)
    private static int Binary(CpuState cpu, ref Instruction i, int kind, bool store)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a) || !Operands.TryRead(cpu, i, 1, out uint b)) return Fault;
        int size = Operands.OperandSize(i, 0);
        uint mask = SizeMask(size);
        a &= mask;
        b &= mask;
        uint r;
        switch (kind)
        {
            case LazyFlags.KindAdd: r = a + b; break;
            case LazyFlags.KindAdc:
                {
                    uint c = LazyFlags.CarryOf(cpu);
                    r = a + b + c;
                    if (c == 0) kind = LazyFlags.KindAdd;
                    break;
                }
            case LazyFlags.KindSub: r = a - b; break;
            case LazyFlags.KindSbb:
                {
                    uint c = LazyFlags.CarryOf(cpu);
                    r = a - b - c;
                    if (c == 0) kind = LazyFlags.KindSub;
                    break;
                }
            default: throw new InvalidOperationException();
        }
        r &= mask;
        int st = store ? Operands.Write(cpu, i, 0, r) : Continue;
        if (st == Fault) return Fault;
        SetLazy(cpu, kind, size, a, b, r);
        return st;
    }

    private const int LogicAnd = 0, LogicOr = 1, LogicXor = 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // one specialised copy per helper (constant op and store)
    private static int Logic(CpuState cpu, ref Instruction i, int op, bool store)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a) || !Operands.TryRead(cpu, i, 1, out uint b)) return Fault;
        int size = Operands.OperandSize(i, 0);
        uint r = (op == LogicAnd ? a & b : op == LogicOr ? a | b : a ^ b) & SizeMask(size);
        int st = store ? Operands.Write(cpu, i, 0, r) : Continue;
        if (st == Fault) return Fault;
        SetLazy(cpu, LazyFlags.KindLogic, size, a, b, r);
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Add(CpuState cpu, ref Instruction i) => Binary(cpu, ref i, LazyFlags.KindAdd, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Adc(CpuState cpu, ref Instruction i) => Binary(cpu, ref i, LazyFlags.KindAdc, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sub(CpuState cpu, ref Instruction i) => Binary(cpu, ref i, LazyFlags.KindSub, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sbb(CpuState cpu, ref Instruction i) => Binary(cpu, ref i, LazyFlags.KindSbb, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmp(CpuState cpu, ref Instruction i) => Binary(cpu, ref i, LazyFlags.KindSub, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int And(CpuState cpu, ref Instruction i) => Logic(cpu, ref i, LogicAnd, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Or(CpuState cpu, ref Instruction i) => Logic(cpu, ref i, LogicOr, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Xor(CpuState cpu, ref Instruction i) => Logic(cpu, ref i, LogicXor, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Test(CpuState cpu, ref Instruction i) => Logic(cpu, ref i, LogicAnd, false);

    private static int IncDec(CpuState cpu, ref Instruction i, bool inc)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a)) return Fault;
        int size = Operands.OperandSize(i, 0);
        uint r = (inc ? a + 1 : a - 1) & SizeMask(size);
        int st = Operands.Write(cpu, i, 0, r);
        if (st == Fault) return Fault;
        uint cf = LazyFlags.CarryOf(cpu);
        cpu.Eflags = (cpu.Eflags & ~Eflags.CF) | cf;
        SetLazy(cpu, inc ? LazyFlags.KindInc : LazyFlags.KindDec, size, a, 1, r);
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Inc(CpuState cpu, ref Instruction i) => IncDec(cpu, ref i, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Dec(CpuState cpu, ref Instruction i) => IncDec(cpu, ref i, false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Neg(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint b)) return Fault;
        int size = Operands.OperandSize(i, 0);
        b &= SizeMask(size);
        uint r = (0 - b) & SizeMask(size);
        int st = Operands.Write(cpu, i, 0, r);
        if (st == Fault) return Fault;
        SetLazy(cpu, LazyFlags.KindSub, size, 0, b, r);
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Not(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a)) return Fault;
        return Operands.Write(cpu, i, 0, ~a & SizeMask(Operands.OperandSize(i, 0)));
    }

    // ---- Shifts and rotates (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR) ----

    private enum ShiftKind { Rol, Ror, Rcl, Rcr, Shl, Shr, Sar }

    private static int Shift(CpuState cpu, ref Instruction i, ShiftKind kind)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a)) return Fault;
        uint count;
        if (i.OpCount < 2) count = 1;
        else if (!Operands.TryRead(cpu, i, 1, out count)) return Fault;
        int size = Operands.OperandSize(i, 0);
        int bits = size * 8;
        uint mask = SizeMask(size);
        uint sign = SignBit(size);
        a &= mask;
        count &= 0x1F;
        if (count == 0) return Continue;
        uint f = cpu.GetEflags();
        uint cf = f & Eflags.CF;
        uint r;
        uint newFlags = f;
        switch (kind)
        {
            case ShiftKind.Rol:
                {
                    int n = (int)(count % (uint)bits);
                    r = n == 0 ? a : ((a << n) | (a >> (bits - n))) & mask;
                    uint c = r & 1;
                    newFlags = (f & ~(Eflags.CF | Eflags.OF)) | c | ((((r & sign) != 0 ? 1u : 0u) ^ c) != 0 ? Eflags.OF : 0);
                    break;
                }
            case ShiftKind.Ror:
                {
                    int n = (int)(count % (uint)bits);
                    r = n == 0 ? a : ((a >> n) | (a << (bits - n))) & mask;
                    uint c = (r & sign) != 0 ? 1u : 0u;
                    uint b2 = (r & (sign >> 1)) != 0 ? 1u : 0u;
                    newFlags = (f & ~(Eflags.CF | Eflags.OF)) | c | ((c ^ b2) != 0 ? Eflags.OF : 0);
                    break;
                }
            case ShiftKind.Rcl:
                {
                    int n = (int)(count % (uint)(bits + 1));
                    ulong wide = ((ulong)cf << bits) | a;
                    for (int k = 0; k < n; k++) wide = ((wide << 1) | (wide >> bits)) & ((1ul << (bits + 1)) - 1);
                    r = (uint)wide & mask;
                    uint c = (uint)(wide >> bits) & 1;
                    newFlags = (f & ~(Eflags.CF | Eflags.OF)) | c | ((((r & sign) != 0 ? 1u : 0u) ^ c) != 0 ? Eflags.OF : 0);
                    break;
                }
            case ShiftKind.Rcr:
                {
                    int n = (int)(count % (uint)(bits + 1));
                    ulong wide = ((ulong)cf << bits) | a;
                    for (int k = 0; k < n; k++) wide = ((wide >> 1) | ((wide & 1) << bits)) & ((1ul << (bits + 1)) - 1);
                    r = (uint)wide & mask;
                    uint c = (uint)(wide >> bits) & 1;
                    uint msb = (r & sign) != 0 ? 1u : 0u, msb2 = (r & (sign >> 1)) != 0 ? 1u : 0u;
                    newFlags = (f & ~(Eflags.CF | Eflags.OF)) | c | ((msb ^ msb2) != 0 ? Eflags.OF : 0);
                    break;
                }
            case ShiftKind.Shl:
                {
                    ulong wide = (ulong)a << (int)count;
                    r = (uint)wide & mask;
                    uint c = (uint)(wide >> bits) & 1;
                    uint of = (((r & sign) != 0 ? 1u : 0u) ^ c) != 0 ? Eflags.OF : 0;
                    newFlags = (f & ~Eflags.Arithmetic) | c | of | LazyFlags.ZspFlags(r, bits);
                    break;
                }
            case ShiftKind.Shr:
                {
                    r = count >= 32 ? 0 : (a >> (int)count) & mask;
                    uint c = count > 32 ? 0 : (uint)(((ulong)a >> (int)(count - 1)) & 1);
                    uint of = (a & sign) != 0 ? Eflags.OF : 0;
                    newFlags = (f & ~Eflags.Arithmetic) | c | of | LazyFlags.ZspFlags(r, bits);
                    break;
                }
            default:
                {
                    int sa = (int)(a << (32 - bits)) >> (32 - bits);
                    int n = (int)Math.Min(count, 31u);
                    r = (uint)(sa >> n) & mask;
                    uint c = (uint)(sa >> (n - 1)) & 1;
                    if (count > 31) c = (uint)(sa >> 31) & 1;
                    newFlags = (f & ~Eflags.Arithmetic) | c | LazyFlags.ZspFlags(r, bits);
                    break;
                }
        }
        int st = Operands.Write(cpu, i, 0, r);
        if (st == Fault) return Fault;
        cpu.Eflags = newFlags;
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Rol(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Rol);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Ror(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Ror);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Rcl(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Rcl);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Rcr(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Rcr);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Shl(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Shl);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sal(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Shl);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Shr(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Shr);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Sar(CpuState cpu, ref Instruction i) => Shift(cpu, ref i, ShiftKind.Sar);

    private static int DoubleShift(CpuState cpu, ref Instruction i, bool left)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a) || !Operands.TryRead(cpu, i, 1, out uint b) || !Operands.TryRead(cpu, i, 2, out uint count)) return Fault;
        int size = Operands.OperandSize(i, 0);
        int bits = size * 8;
        count &= 0x1F;
        if (count == 0) return Continue;
        uint mask = SizeMask(size);
        a &= mask;
        b &= mask;
        uint r, c;
        if (size == 2)
        {
            // 16-bit forms with counts 17–31 are undefined in the SDM; Intel shifts the 48-bit value dest:src:dest.
            ulong v = ((ulong)a << 32) | ((ulong)b << 16) | a;
            if (left)
            {
                r = (uint)((v << (int)count) >> 32) & 0xFFFF;
                c = (uint)(v >> (48 - (int)count)) & 1;
            }
            else
            {
                r = (uint)(v >> (int)count) & 0xFFFF;
                c = (uint)(v >> ((int)count - 1)) & 1;
            }
        }
        else if (left)
        {
            ulong wide = ((ulong)a << 32) | b;
            r = (uint)((wide << (int)count) >> 32);
            c = (uint)(wide >> (64 - (int)count)) & 1;
        }
        else
        {
            ulong wide = ((ulong)b << 32) | a;
            r = (uint)(wide >> (int)count);
            c = (uint)(wide >> ((int)count - 1)) & 1;
        }
        r &= mask;
        uint sign = SignBit(size);
        uint of = ((r ^ a) & sign) != 0 ? Eflags.OF : 0;
        int st = Operands.Write(cpu, i, 0, r);
        if (st == Fault) return Fault;
        uint f = cpu.GetEflags();
        cpu.Eflags = (f & ~Eflags.Arithmetic) | c | of | LazyFlags.ZspFlags(r, bits);
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Shld(CpuState cpu, ref Instruction i) => DoubleShift(cpu, ref i, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Shrd(CpuState cpu, ref Instruction i) => DoubleShift(cpu, ref i, false);

    // ---- Multiply and divide ----

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Mul(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint b)) return Fault;
        int size = Operands.OperandSize(i, 0);
        uint f = cpu.GetEflags() & ~Eflags.Arithmetic;
        bool high;
        switch (size)
        {
            case 1:
                {
                    uint r = (uint)(byte)cpu.Rax * (byte)b;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | r;
                    high = (r >> 8) != 0;
                    f |= LazyFlags.ZspFlags(r & 0xFF, 8);
                    break;
                }
            case 2:
                {
                    uint r = (uint)(ushort)cpu.Rax * (ushort)b;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | (r & 0xFFFF);
                    cpu.Rdx = (cpu.Rdx & ~0xFFFFul) | (r >> 16);
                    high = (r >> 16) != 0;
                    f |= LazyFlags.ZspFlags(r & 0xFFFF, 16);
                    break;
                }
            default:
                {
                    ulong r = (ulong)(uint)cpu.Rax * b;
                    cpu.Rax = (uint)r;
                    cpu.Rdx = (uint)(r >> 32);
                    high = (r >> 32) != 0;
                    f |= LazyFlags.ZspFlags((uint)r, 32);
                    break;
                }
        }
        if (high) f |= Eflags.CF | Eflags.OF;
        cpu.Eflags = f;
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Imul(CpuState cpu, ref Instruction i)
    {
        uint f = cpu.GetEflags() & ~Eflags.Arithmetic;
        if (i.OpCount == 1)
        {
            if (!Operands.TryRead(cpu, i, 0, out uint b)) return Fault;
            int size = Operands.OperandSize(i, 0);
            bool overflow;
            switch (size)
            {
                case 1:
                    {
                        int r = (sbyte)(byte)cpu.Rax * (sbyte)(byte)b;
                        cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ushort)r;
                        overflow = r != (sbyte)r;
                        f |= LazyFlags.ZspFlags((uint)r & 0xFF, 8);
                        break;
                    }
                case 2:
                    {
                        int r = (short)(ushort)cpu.Rax * (short)(ushort)b;
                        cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ushort)r;
                        cpu.Rdx = (cpu.Rdx & ~0xFFFFul) | (ushort)(r >> 16);
                        overflow = r != (short)r;
                        f |= LazyFlags.ZspFlags((uint)r & 0xFFFF, 16);
                        break;
                    }
                default:
                    {
                        long r = (long)(int)(uint)cpu.Rax * (int)b;
                        cpu.Rax = (uint)r;
                        cpu.Rdx = (uint)(r >> 32);
                        overflow = r != (int)r;
                        f |= LazyFlags.ZspFlags((uint)r, 32);
                        break;
                    }
            }
            if (overflow) f |= Eflags.CF | Eflags.OF;
            cpu.Eflags = f;
            return Continue;
        }
        {
            int src1 = i.OpCount == 3 ? 1 : 0;
            int src2 = i.OpCount == 3 ? 2 : 1;
            if (!Operands.TryRead(cpu, i, src1, out uint a) || !Operands.TryRead(cpu, i, src2, out uint b)) return Fault;
            int size = Operands.OperandSize(i, 0);
            long r = size == 2 ? (long)(short)a * (short)b : (long)(int)a * (int)b;
            bool overflow = size == 2 ? r != (short)r : r != (int)r;
            uint res = (uint)r & SizeMask(size);
            Operands.Write(cpu, i, 0, res);
            f |= LazyFlags.ZspFlags(res, size * 8);
            if (overflow) f |= Eflags.CF | Eflags.OF;
            cpu.Eflags = f;
            return Continue;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Div(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint d)) return Fault;
        int size = Operands.OperandSize(i, 0);
        d &= SizeMask(size);
        if (d == 0)
        {
            cpu.RaiseException(Vectors.DE);
            return Fault;
        }
        switch (size)
        {
            case 1:
                {
                    uint n = (ushort)cpu.Rax;
                    uint q = n / d;
                    if (q > 0xFF) break;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | ((n % d) << 8) | q;
                    return Continue;
                }
            case 2:
                {
                    uint n = ((uint)(ushort)cpu.Rdx << 16) | (ushort)cpu.Rax;
                    uint q = n / d;
                    if (q > 0xFFFF) break;
                    cpu.Rax = (cpu.Rax & ~0xFFFFul) | q;
                    cpu.Rdx = (cpu.Rdx & ~0xFFFFul) | (n % d);
                    return Continue;
                }
            default:
                {
                    ulong n = ((ulong)(uint)cpu.Rdx << 32) | (uint)cpu.Rax;
                    ulong q = n / d;
                    if (q > 0xFFFF_FFFF) break;
                    cpu.Rax = (uint)q;
                    cpu.Rdx = (uint)(n % d);
                    return Continue;
                }
        }
        cpu.RaiseException(Vectors.DE);
        return Fault;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Idiv(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint draw)) return Fault;
        int size = Operands.OperandSize(i, 0);
        long d = size switch { 1 => (sbyte)draw, 2 => (short)draw, _ => (int)draw };
        if (d == 0)
        {
            cpu.RaiseException(Vectors.DE);
            return Fault;
        }
        long n = size switch
        {
            1 => (short)(ushort)cpu.Rax,
            2 => (int)(((uint)(ushort)cpu.Rdx << 16) | (ushort)cpu.Rax),
            _ => (long)(((ulong)(uint)cpu.Rdx << 32) | (uint)cpu.Rax),
        };
        if (size == 4 && n == long.MinValue && d == -1)
        {
            cpu.RaiseException(Vectors.DE);
            return Fault;
        }
        long q = n / d, rem = n % d;
        long lo = size switch { 1 => sbyte.MinValue, 2 => short.MinValue, _ => int.MinValue };
        long hi = size switch { 1 => sbyte.MaxValue, 2 => short.MaxValue, _ => int.MaxValue };
        if (q < lo || q > hi)
        {
            cpu.RaiseException(Vectors.DE);
            return Fault;
        }
        switch (size)
        {
            case 1: cpu.Rax = (cpu.Rax & ~0xFFFFul) | ((ulong)(byte)rem << 8) | (byte)q; break;
            case 2:
                cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ushort)q;
                cpu.Rdx = (cpu.Rdx & ~0xFFFFul) | (ushort)rem;
                break;
            default:
                cpu.Rax = (uint)q;
                cpu.Rdx = (uint)rem;
                break;
        }
        return Continue;
    }

    // ---- Bit operations ----

    private static int BitTest(CpuState cpu, ref Instruction i, int op)
    {
        if (!Operands.TryRead(cpu, i, 1, out uint bit)) return Fault;
        int size = Operands.OperandSize(i, 0);
        int bits = size * 8;
        uint value;
        int st = Continue;
        uint bitIndex;
        if (i.GetOpKind(0) == OpKind.Memory && i.GetOpKind(1) == OpKind.Register)
        {
            // Register bit offsets address memory beyond the operand (SDM BT: bit base + signed offset).
            int offset = size == 2 ? (short)bit : (int)bit;
            int byteOffset = (offset >> (size == 2 ? 4 : 5)) * size;
            bitIndex = (uint)(offset & (bits - 1));
            uint ea = Operands.EffectiveAddress(cpu, i) + (uint)byteOffset;
            if (Operands.AddressSize16(i)) ea &= 0xFFFF;
            int seg = Operands.SegIndex(i.MemorySegment);
            value = (uint)Mmu.ReadSlow(cpu, seg, ea, size);
            if (cpu.Faulted) return Fault;
            uint cf = (value >> (int)bitIndex) & 1;
            uint nv = op switch { 1 => value | (1u << (int)bitIndex), 2 => value & ~(1u << (int)bitIndex), 3 => value ^ (1u << (int)bitIndex), _ => value };
            if (op != 0)
            {
                st = Mmu.WriteSlow(cpu, seg, ea, size, nv);
                if (st == Fault) return Fault;
            }
            SetFlags(cpu, cf, Eflags.CF);
            return st;
        }
        if (!Operands.TryRead(cpu, i, 0, out value)) return Fault;
        bitIndex = bit & (uint)(bits - 1);
        {
            uint cf = (value >> (int)bitIndex) & 1;
            uint nv = op switch { 1 => value | (1u << (int)bitIndex), 2 => value & ~(1u << (int)bitIndex), 3 => value ^ (1u << (int)bitIndex), _ => value };
            if (op != 0)
            {
                st = Operands.Write(cpu, i, 0, nv & SizeMask(size));
                if (st == Fault) return Fault;
            }
            SetFlags(cpu, cf, Eflags.CF);
            return st;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Bt(CpuState cpu, ref Instruction i) => BitTest(cpu, ref i, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Bts(CpuState cpu, ref Instruction i) => BitTest(cpu, ref i, 1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Btr(CpuState cpu, ref Instruction i) => BitTest(cpu, ref i, 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Btc(CpuState cpu, ref Instruction i) => BitTest(cpu, ref i, 3);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Bsf(CpuState cpu, ref Instruction i) => BitScan(cpu, ref i, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Bsr(CpuState cpu, ref Instruction i) => BitScan(cpu, ref i, false);

    /// <summary>F3 0F BC / F3 0F BD: a Core 2 has no TZCNT/LZCNT, so the REP prefix is ignored and they run as BSF/BSR.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Tzcnt(CpuState cpu, ref Instruction i) => BitScan(cpu, ref i, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lzcnt(CpuState cpu, ref Instruction i) => BitScan(cpu, ref i, false);

    private static int BitScan(CpuState cpu, ref Instruction i, bool forward)
    {
        if (!Operands.TryRead(cpu, i, 1, out uint v)) return Fault;
        int size = Operands.OperandSize(i, 0);
        v &= SizeMask(size);
        uint f = cpu.GetEflags() & ~Eflags.Arithmetic;
        if (v == 0)
        {
            cpu.Eflags = f | Eflags.ZF | Eflags.PF; // destination unchanged (as Intel processors do)
            return Continue;
        }
        uint r = forward ? (uint)BitOperations.TrailingZeroCount(v) : (uint)(31 - BitOperations.LeadingZeroCount(v));
        Operands.Write(cpu, i, 0, r);
        cpu.Eflags = f | LazyFlags.Parity(r);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Bswap(CpuState cpu, ref Instruction i)
    {
        uint v = Operands.ReadReg(cpu, i.Op0Register);
        if (i.Op0Register.GetSize() == 2) Operands.WriteReg(cpu, i.Op0Register, 0); // undefined in the SDM; Intel clears the word
        else Operands.WriteReg(cpu, i.Op0Register, BinaryPrimitivesReverse(v));
        return Continue;
    }

    private static uint BinaryPrimitivesReverse(uint v) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Xadd(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint a) || !Operands.TryRead(cpu, i, 1, out uint b)) return Fault;
        int size = Operands.OperandSize(i, 0);
        uint r = (a + b) & SizeMask(size);
        if (!Operands.ProbeWrite(cpu, i, 0)) return Fault;
        Operands.WriteReg(cpu, i.Op1Register, a);
        int st = Operands.Write(cpu, i, 0, r);
        SetLazy(cpu, LazyFlags.KindAdd, size, a, b, r);
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmpxchg(CpuState cpu, ref Instruction i)
    {
        if (!Operands.TryRead(cpu, i, 0, out uint dest) || !Operands.TryRead(cpu, i, 1, out uint src)) return Fault;
        int size = Operands.OperandSize(i, 0);
        uint mask = SizeMask(size);
        uint acc = (uint)cpu.Rax & mask;
        dest &= mask;
        int st;
        if (acc == dest)
        {
            st = Operands.Write(cpu, i, 0, src & mask);
            if (st == Fault) return Fault;
        }
        else
        {
            // The destination is written back with its own value (a locked RMW always writes).
            st = Operands.Write(cpu, i, 0, dest);
            if (st == Fault) return Fault;
            Operands.WriteReg(cpu, size switch { 1 => Register.AL, 2 => Register.AX, _ => Register.EAX }, dest);
        }
        SetLazy(cpu, LazyFlags.KindSub, size, acc, dest, (acc - dest) & mask);
        return st;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmpxchg8b(CpuState cpu, ref Instruction i)
    {
        if (i.GetOpKind(0) != OpKind.Memory) return Ud(cpu);
        int seg = Operands.SegIndex(i.MemorySegment);
        uint ea = Operands.EffectiveAddress(cpu, i);
        ulong v = Mmu.ReadSlow(cpu, seg, ea, 8);
        if (cpu.Faulted) return Fault;
        ulong cmp = ((ulong)(uint)cpu.Rdx << 32) | (uint)cpu.Rax;
        uint f = cpu.GetEflags();
        int st;
        if (v == cmp)
        {
            st = Mmu.WriteSlow(cpu, seg, ea, 8, ((ulong)(uint)cpu.Rcx << 32) | (uint)cpu.Rbx);
            if (st == Fault) return Fault;
            cpu.Eflags = f | Eflags.ZF;
        }
        else
        {
            st = Mmu.WriteSlow(cpu, seg, ea, 8, v);
            if (st == Fault) return Fault;
            cpu.Rax = (uint)v;
            cpu.Rdx = (uint)(v >> 32);
            cpu.Eflags = f & ~Eflags.ZF;
        }
        return st;
    }

    // ---- Decimal arithmetic (SDM Vol. 2A AAA, AAD, AAM, AAS, DAA, DAS) ----

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Daa(CpuState cpu, ref Instruction i)
    {
        uint f = cpu.GetEflags();
        uint al = (byte)cpu.Rax, oldAl = al;
        bool oldCf = (f & Eflags.CF) != 0;
        uint nf = f & ~Eflags.Arithmetic;
        if ((al & 0xF) > 9 || (f & Eflags.AF) != 0)
        {
            if (al + 6 > 0xFF) nf |= Eflags.CF; // CF ← old CF or carry from AL + 6
            al = (al + 6) & 0xFF;
            nf |= Eflags.AF;
        }
        if (oldAl > 0x99 || oldCf)
        {
            al = (al + 0x60) & 0xFF;
            nf |= Eflags.CF;
        }
        cpu.Rax = (cpu.Rax & ~0xFFul) | al;
        cpu.Eflags = nf | LazyFlags.ZspFlags(al, 8) | ((~oldAl & al & 0x80) != 0 ? Eflags.OF : 0);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Das(CpuState cpu, ref Instruction i)
    {
        uint f = cpu.GetEflags();
        uint al = (byte)cpu.Rax, oldAl = al;
        bool oldCf = (f & Eflags.CF) != 0;
        uint nf = f & ~Eflags.Arithmetic;
        if ((al & 0xF) > 9 || (f & Eflags.AF) != 0)
        {
            if (al < 6) nf |= Eflags.CF; // CF ← old CF or borrow from AL − 6
            al = (al - 6) & 0xFF;
            nf |= Eflags.AF;
        }
        if (oldAl > 0x99 || oldCf)
        {
            al = (al - 0x60) & 0xFF;
            nf |= Eflags.CF;
        }
        cpu.Rax = (cpu.Rax & ~0xFFul) | al;
        cpu.Eflags = nf | LazyFlags.ZspFlags(al, 8) | ((oldAl & ~al & 0x80) != 0 ? Eflags.OF : 0);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Aaa(CpuState cpu, ref Instruction i) => AsciiAdjust(cpu, true);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Aas(CpuState cpu, ref Instruction i) => AsciiAdjust(cpu, false);

    private static int AsciiAdjust(CpuState cpu, bool add)
    {
        uint f = cpu.GetEflags();
        uint ax = (ushort)cpu.Rax;
        uint nf = f & ~Eflags.Arithmetic;
        if ((ax & 0xF) > 9 || (f & Eflags.AF) != 0)
        {
            // AAA: AX ← AX + 106H. AAS: AX ← AX − 6 (the borrow reaches AH), then AH ← AH − 1.
            ax = add ? ax + 0x106 : ((ax - 6) & 0xFFFF) - 0x100;
            nf |= Eflags.AF | Eflags.CF;
        }
        ax &= 0xFF0F;
        cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ax & 0xFFFF);
        cpu.Eflags = nf | LazyFlags.ZspFlags(ax & 0xFF, 8);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Aam(CpuState cpu, ref Instruction i)
    {
        uint imm = (byte)i.Immediate8;
        if (imm == 0)
        {
            cpu.RaiseException(Vectors.DE);
            return Fault;
        }
        uint al = (byte)cpu.Rax;
        uint ah = al / imm;
        al %= imm;
        cpu.Rax = (cpu.Rax & ~0xFFFFul) | (ah << 8) | al;
        cpu.Eflags = (cpu.GetEflags() & ~Eflags.Arithmetic) | LazyFlags.ZspFlags(al, 8);
        return Continue;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Aad(CpuState cpu, ref Instruction i)
    {
        uint imm = (byte)i.Immediate8;
        uint al = (byte)cpu.Rax, ah = (byte)(cpu.Rax >> 8);
        uint r = (al + ah * imm) & 0xFF;
        cpu.Rax = (cpu.Rax & ~0xFFFFul) | r;
        cpu.Eflags = (cpu.GetEflags() & ~Eflags.Arithmetic) | LazyFlags.ZspFlags(r, 8);
        return Continue;
    }
}
