using System.Runtime.CompilerServices;
using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

public static partial class Helpers
{
    /// <summary>Iterations one helper call runs before it lets the run loop look at interrupts and timers.</summary>
    private const int StringChunk = 4096;

    private enum StringKind { Movs, Cmps, Stos, Lods, Scas, Ins, Outs }

    /// <summary>
    /// True for 16-bit addressing (SI/DI). The string forms have at most two operands and the memory ones tell the
    /// address size; operand 0 is read directly (the common case), the rest through the operand-kind table.
    /// </summary>
    private static bool StringAddress16(in Instruction i)
    {
        int a16 = Address16Of(i.Op0Kind);
        for (int k = 1; a16 < 0 && k < i.OpCount; k++) a16 = Address16Of(Operands.Kind(i, k));
        return a16 > 0;
    }

    /// <summary>1 for a SI/DI memory operand, 0 for ESI/EDI, −1 for any other operand kind.</summary>
    private static int Address16Of(OpKind k) => k switch
    {
        OpKind.MemorySegSI or OpKind.MemorySegDI or OpKind.MemoryESDI => 1,
        OpKind.MemorySegESI or OpKind.MemorySegEDI or OpKind.MemoryESEDI => 0,
        _ => -1,
    };

    private static int StringSizeOf(Mnemonic m) => m switch
    {
        Mnemonic.Movsb or Mnemonic.Cmpsb or Mnemonic.Stosb or Mnemonic.Lodsb or Mnemonic.Scasb or Mnemonic.Insb or Mnemonic.Outsb => 1,
        Mnemonic.Movsw or Mnemonic.Cmpsw or Mnemonic.Stosw or Mnemonic.Lodsw or Mnemonic.Scasw or Mnemonic.Insw or Mnemonic.Outsw => 2,
        _ => 4,
    };

    /// <summary>Element size of a string instruction, per instruction code (by mnemonic, looked up once).</summary>
    private static readonly byte[] StringSizeByCode = BuildStringSizes();

    private static byte[] BuildStringSizes()
    {
        var t = new byte[Enum.GetValues<Code>().Length + 1];
        var probe = default(Instruction);
        foreach (var c in Enum.GetValues<Code>())
        {
            probe.Code = c;
            t[(int)c] = (byte)StringSizeOf(probe.Mnemonic);
        }
        return t;
    }

    private static int StringSize(in Instruction i) => StringSizeByCode[(int)i.Code];

    private static int StringOp(CpuState cpu, ref Instruction i, StringKind kind)
    {
        int size = StringSize(i);
        bool a16 = StringAddress16(i);
        uint amask = a16 ? 0xFFFFu : 0xFFFF_FFFFu;
        int srcSeg = Operands.MemorySegIndex(i);
        bool rep = i.HasRepPrefix || i.HasRepnePrefix;
        bool compare = kind is StringKind.Cmps or StringKind.Scas;
        int delta = (cpu.Eflags & Eflags.DF) != 0 ? -size : size;
        if (kind is StringKind.Ins or StringKind.Outs && !CheckIo(cpu, (ushort)cpu.Rdx, size)) return Fault;
        int done = 0;
        while (true)
        {
            uint count = (uint)cpu.Rcx & amask;
            if (rep && count == 0) return done == 0 ? Continue : EndBlock;
            if (rep && done >= StringChunk)
            {
                cpu.Rip = (uint)i.IP;
                return EndBlock;
            }
            uint si = (uint)cpu.Rsi & amask, di = (uint)cpu.Rdi & amask;
            if (rep && delta > 0 && kind is StringKind.Movs or StringKind.Stos)
            {
                int bulk = BulkStringChunk(cpu, kind, srcSeg, si, di, count, size, amask);
                if (bulk > 0)
                {
                    uint bytes = (uint)(bulk * size);
                    if (kind == StringKind.Movs) AdvanceIndex(cpu, ref cpu.Rsi, (int)bytes, amask);
                    AdvanceIndex(cpu, ref cpu.Rdi, (int)bytes, amask);
                    uint rest = (count - (uint)bulk) & amask;
                    cpu.Rcx = a16 ? (cpu.Rcx & ~0xFFFFul) | rest : rest;
                    done += bulk;
                    continue;
                }
            }
            if (rep && delta > 0 && kind == StringKind.Scas && size == 1)
            {
                int bulk = BulkScanBytes(cpu, ref i, di, count, amask, out bool stop);
                if (bulk > 0)
                {
                    AdvanceIndex(cpu, ref cpu.Rdi, bulk, amask);
                    uint rest = (count - (uint)bulk) & amask;
                    cpu.Rcx = a16 ? (cpu.Rcx & ~0xFFFFul) | rest : rest;
                    done += bulk;
                    if (stop) return EndBlock;
                    continue;
                }
            }
            int st = 0;
            switch (kind)
            {
                case StringKind.Movs:
                    {
                        ulong v = Mmu.Read(cpu, srcSeg, si, size);
                        if (cpu.Faulted) return Fault;
                        st = Mmu.Write(cpu, 0, di, size, v);
                        if (st == Fault) return Fault;
                        AdvanceIndex(cpu, ref cpu.Rsi, delta, amask);
                        AdvanceIndex(cpu, ref cpu.Rdi, delta, amask);
                        break;
                    }
                case StringKind.Stos:
                    st = Mmu.Write(cpu, 0, di, size, cpu.Rax);
                    if (st == Fault) return Fault;
                    AdvanceIndex(cpu, ref cpu.Rdi, delta, amask);
                    break;
                case StringKind.Lods:
                    {
                        ulong v = Mmu.Read(cpu, srcSeg, si, size);
                        if (cpu.Faulted) return Fault;
                        Operands.WriteReg(cpu, size switch { 1 => Register.AL, 2 => Register.AX, _ => Register.EAX }, (uint)v);
                        AdvanceIndex(cpu, ref cpu.Rsi, delta, amask);
                        break;
                    }
                case StringKind.Cmps:
                    {
                        uint a = (uint)Mmu.Read(cpu, srcSeg, si, size);
                        if (cpu.Faulted) return Fault;
                        uint b = (uint)Mmu.Read(cpu, 0, di, size);
                        if (cpu.Faulted) return Fault;
                        SetLazy(cpu, LazyFlags.KindSub, size, a, b, (a - b) & SizeMask(size));
                        AdvanceIndex(cpu, ref cpu.Rsi, delta, amask);
                        AdvanceIndex(cpu, ref cpu.Rdi, delta, amask);
                        break;
                    }
                case StringKind.Scas:
                    {
                        uint b = (uint)Mmu.Read(cpu, 0, di, size);
                        if (cpu.Faulted) return Fault;
                        uint a = (uint)cpu.Rax & SizeMask(size);
                        SetLazy(cpu, LazyFlags.KindSub, size, a, b, (a - b) & SizeMask(size));
                        AdvanceIndex(cpu, ref cpu.Rdi, delta, amask);
                        break;
                    }
                case StringKind.Ins:
                    {
                        if (!Mmu.ProbeWrite(cpu, 0, di, size)) return Fault;
                        uint v = cpu.Ports.Read((ushort)cpu.Rdx, size);
                        st = Mmu.Write(cpu, 0, di, size, v);
                        if (st == Fault) return Fault;
                        AdvanceIndex(cpu, ref cpu.Rdi, delta, amask);
                        cpu.InterruptCheck = true;
                        break;
                    }
                case StringKind.Outs:
                    {
                        uint v = (uint)Mmu.Read(cpu, srcSeg, si, size);
                        if (cpu.Faulted) return Fault;
                        cpu.Ports.Write((ushort)cpu.Rdx, size, v);
                        AdvanceIndex(cpu, ref cpu.Rsi, delta, amask);
                        cpu.InterruptCheck = true;
                        break;
                    }
            }
            done++;
            if (!rep) return kind is StringKind.Ins or StringKind.Outs ? EndBlock : st;
            if (cpu.DebugTrapPending)
            {
                // A data breakpoint hit in this iteration: stop after it (the trap is delivered between iterations).
                uint remaining = ((uint)cpu.Rcx - 1) & amask;
                cpu.Rcx = a16 ? (cpu.Rcx & ~0xFFFFul) | remaining : remaining;
                if (remaining != 0) cpu.Rip = (uint)i.IP;
                return EndBlock;
            }
            uint left = (count - 1) & amask;
            cpu.Rcx = a16 ? (cpu.Rcx & ~0xFFFFul) | left : left;
            if (compare)
            {
                bool zf = cpu.LazyR == 0; // CMPS/SCAS just recorded a subtraction: ZF is its (masked) result being 0
                if (i.HasRepePrefix && !zf) return EndBlock;
                if (i.HasRepnePrefix && zf) return EndBlock;
            }
            if (st == EndBlock && left != 0)
            {
                // The store reached translated code: finish this iteration and restart the instruction.
                cpu.Rip = (uint)i.IP;
                return EndBlock;
            }
        }
    }

    /// <summary>
    /// REP MOVS/STOS forward through RAM: copies as many whole elements as fit before either page ends (and before
    /// the segment limits), straight between host pages. Returns 0 when the next element needs the exact path
    /// (page or segment boundary, MMIO, translated code, overlap closer than the chunk, a TLB miss that faults).
    /// </summary>
    private static unsafe int BulkStringChunk(CpuState cpu, StringKind kind, int srcSeg, uint si, uint di, uint count, int size, uint amask)
    {
        ref Segment es = ref cpu.Es;
        uint dstLin = es.Base + di;
        int room = (int)(0x1000 - (dstLin & 0xFFF));
        // 16-bit addressing: DI and SI wrap at 64 KiB (a limit above 0xFFFF, as in unreal mode, does not stop them).
        if (amask == 0xFFFF) room = (int)Math.Min((uint)room, 0x1_0000 - di);
        byte* src = null;
        uint srcLin = 0;
        if (kind == StringKind.Movs)
        {
            ref Segment ss = ref cpu.Seg(srcSeg);
            srcLin = ss.Base + si;
            room = Math.Min(room, (int)(0x1000 - (srcLin & 0xFFF)));
            if (amask == 0xFFFF) room = (int)Math.Min((uint)room, 0x1_0000 - si);
            if ((long)si + room - 1 > ss.ReadLimit) return 0;
            src = HostPointer(cpu, srcLin, false);
            if (src == null) return 0;
        }
        if ((long)di + room - 1 > es.WriteLimit) return 0;
        int elements = (int)Math.Min(count, (uint)(room / size));
        if (elements <= 1) return 0;
        byte* dst = HostPointer(cpu, dstLin, true);
        if (dst == null) return 0;
        int bytes = elements * size;
        if (kind == StringKind.Movs)
        {
            // Element-by-element forward copy semantics: if the destination starts inside the source range, fall back.
            if (dst > src && dst < src + bytes) return 0;
            Buffer.MemoryCopy(src, dst, bytes, bytes);
        }
        else
        {
            uint v = (uint)cpu.Rax;
            switch (size)
            {
                case 1: new Span<byte>(dst, bytes).Fill((byte)v); break;
                case 2: new Span<ushort>(dst, elements).Fill((ushort)v); break;
                default: new Span<uint>(dst, elements).Fill(v); break;
            }
        }
        return elements;
    }

    /// <summary>
    /// REPE/REPNE SCASB forward through RAM: scans as many bytes as lie before the page end (and the segment limit and
    /// the 16-bit wrap) for the first that ends the repetition, straight in the host page. Returns the elements done
    /// (their flags recorded as the last one's CMP) and whether the last one ended the repetition; 0 when the next
    /// element needs the exact path.
    /// </summary>
    private static unsafe int BulkScanBytes(CpuState cpu, ref Instruction i, uint di, uint count, uint amask, out bool stop)
    {
        stop = false;
        bool repe = i.HasRepePrefix, repne = i.HasRepnePrefix;
        if (repe == repne || cpu.DebugTrapPending) return 0;
        ref Segment es = ref cpu.Es;
        uint lin = es.Base + di;
        uint room = 0x1000 - (lin & 0xFFF);
        if (amask == 0xFFFF) room = Math.Min(room, 0x1_0000 - di);
        int n = (int)Math.Min(count, room);
        if (n <= 1 || (long)di + n - 1 > es.ReadLimit) return 0;
        byte* p = HostPointer(cpu, lin, false);
        if (p == null) return 0;
        byte al = (byte)cpu.Rax;
        var bytes = new ReadOnlySpan<byte>(p, n);
        int hit = repne ? bytes.IndexOf(al) : bytes.IndexOfAnyExcept(al);
        int done = hit < 0 ? n : hit + 1;
        stop = hit >= 0;
        byte last = p[done - 1];
        SetLazy(cpu, LazyFlags.KindSub, 1, al, last, (uint)(al - last) & 0xFF);
        return done;
    }

    /// <summary>Host address of a linear byte through the current privilege's TLB (filled on a miss), or null.</summary>
    private static unsafe byte* HostPointer(CpuState cpu, uint linear, bool write)
    {
        int index = (int)((linear >> 12) & (Memory.Tlb.Entries - 1));
        var table = write ? cpu.TlbWrite : cpu.TlbRead;
        if (table[index].Tag != (linear & ~0xFFFu))
        {
            // Probe without raising: the exact path will raise the fault if there is one.
            if (!Mmu.Translate(cpu, linear, write ? Mmu.Access.Write : Mmu.Access.Read, cpu.Cpl == 3, out _, out _, out _, probe: true)) return null;
            if (!Mmu.Fill(cpu, linear, write, cpu.Cpl == 3)) return null;
            if (table[index].Tag != (linear & ~0xFFFu)) return null;
        }
        return (byte*)(table[index].Addend + linear);
    }

    private static void AdvanceIndex(CpuState cpu, ref ulong reg, int delta, uint amask)
    {
        uint v = ((uint)reg + (uint)delta) & amask;
        reg = amask == 0xFFFF ? (reg & ~0xFFFFul) | v : v;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movsb(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Movs);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movsw(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Movs);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Movsd(CpuState cpu, ref Instruction i) => i.Code is Code.Movsd_m32_m32 ? StringOp(cpu, ref i, StringKind.Movs) : MovsdXmm(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmpsb(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Cmps);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmpsw(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Cmps);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Cmpsd(CpuState cpu, ref Instruction i) => i.Code is Code.Cmpsd_m32_m32 ? StringOp(cpu, ref i, StringKind.Cmps) : CmpsdXmm(cpu, ref i);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Stosb(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Stos);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Stosw(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Stos);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Stosd(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Stos);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lodsb(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Lods);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lodsw(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Lods);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Lodsd(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Lods);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Scasb(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Scas);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Scasw(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Scas);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Scasd(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Scas);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Insb(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Ins);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Insw(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Ins);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Insd(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Ins);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Outsb(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Outs);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Outsw(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Outs);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Outsd(CpuState cpu, ref Instruction i) => StringOp(cpu, ref i, StringKind.Outs);

    // ---- Port I/O (SDM Vol. 1 §19.5 I/O permission bit map) ----

    private static bool CheckIo(CpuState cpu, ushort port, int size)
    {
        if (!cpu.ProtectedMode) return true;
        int iopl = (int)((cpu.Eflags >> 12) & 3);
        if (!cpu.V86Mode && cpu.Cpl <= iopl) return true;
        if ((cpu.Tr.Flags & 0xD) != 0x9 || cpu.Tr.Limit < 0x67)
        {
            cpu.RaiseGp(0);
            return false;
        }
        uint mapBase = (uint)Mmu.ReadLinear(cpu, cpu.Tr.Base + 0x66, 2, false);
        if (cpu.Faulted) return false;
        uint byteOffset = mapBase + (uint)(port >> 3);
        if (byteOffset + 1 > cpu.Tr.Limit)
        {
            cpu.RaiseGp(0);
            return false;
        }
        uint bits = (uint)Mmu.ReadLinear(cpu, cpu.Tr.Base + byteOffset, 2, false);
        if (cpu.Faulted) return false;
        uint mask = ((1u << size) - 1) << (port & 7);
        if ((bits & mask) != 0)
        {
            cpu.RaiseGp(0);
            return false;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int In(CpuState cpu, ref Instruction i)
    {
        ushort port = i.GetOpKind(1) == OpKind.Register ? (ushort)cpu.Rdx : (ushort)i.Immediate8;
        int size = i.Op0Register.GetSize();
        if (!CheckIo(cpu, port, size)) return Fault;
        uint v = cpu.Ports.Read(port, size);
        Operands.WriteReg(cpu, i.Op0Register, v);
        cpu.InterruptCheck = true;
        return EndBlock;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Out(CpuState cpu, ref Instruction i)
    {
        ushort port = i.GetOpKind(0) == OpKind.Register ? (ushort)cpu.Rdx : (ushort)i.Immediate8;
        int size = i.Op1Register.GetSize();
        if (!CheckIo(cpu, port, size)) return Fault;
        cpu.Ports.Write(port, size, Operands.ReadReg(cpu, i.Op1Register));
        cpu.InterruptCheck = true;
        return EndBlock;
    }
}
