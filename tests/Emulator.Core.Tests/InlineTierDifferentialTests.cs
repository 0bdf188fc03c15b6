using Emulator.Core.Cpu;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// The compiled tier's inline instructions against the interpreted tier (the <c>Helpers</c>, which are the reference
/// semantics and are themselves checked against the host CPU and the SDM): random blocks of ALU, ADC/SBB, NEG/NOT,
/// MUL/IMUL, shifts and rotates by 1/imm/CL, XCHG, BT, CMOVcc, SETcc, with register and memory operands and flag
/// producers feeding consumers in the same block, run from the same random state through both tiers. Registers,
/// EFLAGS (all six arithmetic bits) and the data memory must agree.
/// </summary>
public class InlineTierDifferentialTests
{
    private const uint CodeBase = 0x10_0000;
    private const uint DataBase = 0x20_0000;
    private const int Slot = 256;

    private static readonly AssemblerRegister32[] R32 = [eax, ecx, edx, esi, edi, ebp];
    private static readonly AssemblerRegister16[] R16 = [ax, cx, dx, si, di, bp];
    private static readonly AssemblerRegister8[] R8 = [al, cl, dl, ah, ch, dh];

    private sealed class Gen(Random rng)
    {
        private T Pick<T>(T[] items) => items[rng.Next(items.Length)];

        private AssemblerMemoryOperand Mem32() => __dword_ptr[ebx + rng.Next(0, 60)];
        private AssemblerMemoryOperand Mem16() => __word_ptr[ebx + rng.Next(0, 60)];
        private AssemblerMemoryOperand Mem8() => __byte_ptr[ebx + rng.Next(0, 60)];

        private int Imm() => rng.Next(4) switch { 0 => 0, 1 => 1, 2 => -1, _ => rng.Next() };

        private byte Count() => (byte)(rng.Next(3) == 0 ? rng.Next(0, 256) : rng.Next(0, 34));

        public void Emit(Assembler a)
        {
            int size = rng.Next(3);
            bool mem = rng.Next(3) == 0;
            switch (rng.Next(16))
            {
                case 0: // flag producers for the consumers below
                    switch (rng.Next(4))
                    {
                        case 0: if (mem) a.cmp(Mem32(), Pick(R32)); else a.sub(Pick(R32), Pick(R32)); break;
                        case 1: a.add(Pick(R32), Imm()); break;
                        case 2: a.test(Pick(R8), Pick(R8)); break;
                        default: a.cmp(Pick(R16), Pick(R16)); break;
                    }
                    break;
                case 1:
                case 2:
                    {
                        bool adc = rng.Next(2) == 0;
                        switch (size, mem, rng.Next(3))
                        {
                            case (0, false, 0): if (adc) a.adc(Pick(R32), Pick(R32)); else a.sbb(Pick(R32), Pick(R32)); break;
                            case (0, false, _): if (adc) a.adc(Pick(R32), Imm()); else a.sbb(Pick(R32), Imm()); break;
                            case (0, true, 0): if (adc) a.adc(Mem32(), Pick(R32)); else a.sbb(Mem32(), Pick(R32)); break;
                            case (0, true, _): if (adc) a.adc(Pick(R32), Mem32()); else a.sbb(Pick(R32), Mem32()); break;
                            case (1, false, _): if (adc) a.adc(Pick(R16), Pick(R16)); else a.sbb(Pick(R16), Pick(R16)); break;
                            case (1, true, _): if (adc) a.adc(Mem16(), Pick(R16)); else a.sbb(Mem16(), (short)Imm()); break;
                            case (_, false, _): if (adc) a.adc(Pick(R8), Pick(R8)); else a.sbb(Pick(R8), (byte)Imm()); break;
                            default: if (adc) a.adc(Mem8(), Pick(R8)); else a.sbb(Pick(R8), Mem8()); break;
                        }
                        break;
                    }
                case 3:
                    {
                        bool neg = rng.Next(2) == 0;
                        switch (size, mem)
                        {
                            case (0, false): if (neg) a.neg(Pick(R32)); else a.not(Pick(R32)); break;
                            case (0, true): if (neg) a.neg(Mem32()); else a.not(Mem32()); break;
                            case (1, false): if (neg) a.neg(Pick(R16)); else a.not(Pick(R16)); break;
                            case (1, true): if (neg) a.neg(Mem16()); else a.not(Mem16()); break;
                            case (_, false): if (neg) a.neg(Pick(R8)); else a.not(Pick(R8)); break;
                            default: if (neg) a.neg(Mem8()); else a.not(Mem8()); break;
                        }
                        break;
                    }
                case 4:
                    {
                        bool signed = rng.Next(2) == 0;
                        switch (size, mem)
                        {
                            case (0, false): if (signed) a.imul(Pick(R32)); else a.mul(Pick(R32)); break;
                            case (0, true): if (signed) a.imul(Mem32()); else a.mul(Mem32()); break;
                            case (1, false): if (signed) a.imul(Pick(R16)); else a.mul(Pick(R16)); break;
                            case (1, true): if (signed) a.imul(Mem16()); else a.mul(Mem16()); break;
                            case (_, false): if (signed) a.imul(Pick(R8)); else a.mul(Pick(R8)); break;
                            default: if (signed) a.imul(Mem8()); else a.mul(Mem8()); break;
                        }
                        break;
                    }
                case 5:
                    switch (rng.Next(6))
                    {
                        case 0: a.imul(Pick(R32), Pick(R32)); break;
                        case 1: a.imul(Pick(R32), Mem32()); break;
                        case 2: a.imul(Pick(R32), Pick(R32), Imm()); break;
                        case 3: a.imul(Pick(R16), Pick(R16)); break;
                        case 4: a.imul(Pick(R16), Mem16(), (short)Imm()); break;
                        default: a.imul(Pick(R32), Mem32(), (sbyte)Imm()); break;
                    }
                    break;
                case 6:
                case 7:
                case 8:
                    EmitShift(a, rng.Next(5), size, mem);
                    break;
                case 9:
                    switch (size)
                    {
                        case 0: a.xchg(Pick(R32), Pick(R32)); break;
                        case 1: a.xchg(Pick(R16), Pick(R16)); break;
                        default: a.xchg(Pick(R8), Pick(R8)); break;
                    }
                    break;
                case 10:
                    if (size == 0) { if (mem) a.bt(Pick(R32), (byte)rng.Next(256)); else a.bt(Pick(R32), Pick(R32)); }
                    else { if (mem) a.bt(Pick(R16), (byte)rng.Next(256)); else a.bt(Pick(R16), Pick(R16)); }
                    break;
                case 11:
                case 12:
                    {
                        var cc = (ConditionCode)rng.Next(1, 17);
                        if (mem && size == 0) Cmov(a, cc, Pick(R32), Mem32());
                        else if (size == 0) Cmov(a, cc, Pick(R32), Pick(R32));
                        else Cmov16(a, cc, Pick(R16), Pick(R16));
                        break;
                    }
                case 13:
                    {
                        var cc = (ConditionCode)rng.Next(1, 17);
                        Setcc(a, cc, mem);
                        break;
                    }
                case 14:
                    if (mem) a.inc(Mem32());
                    else a.dec(Pick(R16));
                    break;
                default:
                    if (mem) a.and(Pick(R8), Mem8());
                    else a.xor(Pick(R32), Pick(R32));
                    break;
            }
        }

        private void EmitShift(Assembler a, int kind, int size, bool mem)
        {
            int form = rng.Next(3); // 1, imm8, CL
            byte count = Count();
            void Do32(AssemblerRegister32 r)
            {
                switch (kind, form)
                {
                    case (0, 0): a.shl(r, 1); break; case (0, 1): a.shl(r, count); break; case (0, _): a.shl(r, cl); break;
                    case (1, 0): a.shr(r, 1); break; case (1, 1): a.shr(r, count); break; case (1, _): a.shr(r, cl); break;
                    case (2, 0): a.sar(r, 1); break; case (2, 1): a.sar(r, count); break; case (2, _): a.sar(r, cl); break;
                    case (3, 0): a.rol(r, 1); break; case (3, 1): a.rol(r, count); break; case (3, _): a.rol(r, cl); break;
                    case (_, 0): a.ror(r, 1); break; case (_, 1): a.ror(r, count); break; default: a.ror(r, cl); break;
                }
            }
            void Do16(AssemblerRegister16 r)
            {
                switch (kind, form)
                {
                    case (0, 0): a.shl(r, 1); break; case (0, 1): a.shl(r, count); break; case (0, _): a.shl(r, cl); break;
                    case (1, 0): a.shr(r, 1); break; case (1, 1): a.shr(r, count); break; case (1, _): a.shr(r, cl); break;
                    case (2, 0): a.sar(r, 1); break; case (2, 1): a.sar(r, count); break; case (2, _): a.sar(r, cl); break;
                    case (3, 0): a.rol(r, 1); break; case (3, 1): a.rol(r, count); break; case (3, _): a.rol(r, cl); break;
                    case (_, 0): a.ror(r, 1); break; case (_, 1): a.ror(r, count); break; default: a.ror(r, cl); break;
                }
            }
            void Do8(AssemblerRegister8 r)
            {
                switch (kind, form)
                {
                    case (0, 0): a.shl(r, 1); break; case (0, 1): a.shl(r, count); break; case (0, _): a.shl(r, cl); break;
                    case (1, 0): a.shr(r, 1); break; case (1, 1): a.shr(r, count); break; case (1, _): a.shr(r, cl); break;
                    case (2, 0): a.sar(r, 1); break; case (2, 1): a.sar(r, count); break; case (2, _): a.sar(r, cl); break;
                    case (3, 0): a.rol(r, 1); break; case (3, 1): a.rol(r, count); break; case (3, _): a.rol(r, cl); break;
                    case (_, 0): a.ror(r, 1); break; case (_, 1): a.ror(r, count); break; default: a.ror(r, cl); break;
                }
            }
            void DoMem(AssemblerMemoryOperand m)
            {
                switch (kind, form)
                {
                    case (0, 0): a.shl(m, 1); break; case (0, 1): a.shl(m, count); break; case (0, _): a.shl(m, cl); break;
                    case (1, 0): a.shr(m, 1); break; case (1, 1): a.shr(m, count); break; case (1, _): a.shr(m, cl); break;
                    case (2, 0): a.sar(m, 1); break; case (2, 1): a.sar(m, count); break; case (2, _): a.sar(m, cl); break;
                    case (3, 0): a.rol(m, 1); break; case (3, 1): a.rol(m, count); break; case (3, _): a.rol(m, cl); break;
                    case (_, 0): a.ror(m, 1); break; case (_, 1): a.ror(m, count); break; default: a.ror(m, cl); break;
                }
            }
            if (mem) DoMem(size switch { 0 => Mem32(), 1 => Mem16(), _ => Mem8() });
            else if (size == 0) Do32(Pick(R32));
            else if (size == 1) Do16(Pick(R16));
            else Do8(Pick(R8));
        }

        private static void Cmov(Assembler a, ConditionCode cc, AssemblerRegister32 d, AssemblerRegister32 s) => a.AddInstruction(Instruction.Create(CmovCode(cc, 32), d, s));
        private static void Cmov16(Assembler a, ConditionCode cc, AssemblerRegister16 d, AssemblerRegister16 s) => a.AddInstruction(Instruction.Create(CmovCode(cc, 16), d, s));
        private static void Cmov(Assembler a, ConditionCode cc, AssemblerRegister32 d, AssemblerMemoryOperand m) =>
            a.AddInstruction(Instruction.Create(CmovCode(cc, 32), d, m.ToMemoryOperand(32)));

        private void Setcc(Assembler a, ConditionCode cc, bool mem)
        {
            var code = Enum.Parse<Code>($"Set{cc}_rm8", true);
            if (mem) a.AddInstruction(Instruction.Create(code, Mem8().ToMemoryOperand(32)));
            else a.AddInstruction(Instruction.Create(code, (Register)Pick(R8)));
        }

        private static Code CmovCode(ConditionCode cc, int bits) => Enum.Parse<Code>($"Cmov{cc}_r{bits}_rm{bits}", true);
    }

    private sealed class Side : IDisposable
    {
        public readonly TestCpu T = new();

        public Side(bool compiled)
        {
            T.EnterFlat32();
            T.Core.Cache.TierUpThreshold = compiled ? 0 : int.MaxValue;
        }

        public void Dispose() => T.Dispose();
    }

    [Fact]
    public void CompiledInlineInstructionsMatchTheHelpers()
    {
        var rng = new Random(20250611);
        using var interp = new Side(false);
        using var comp = new Side(true);
        int failures = 0;
        var report = new System.Text.StringBuilder();
        const int blocks = 1500;
        for (int n = 0; n < blocks; n++)
        {
            var gen = new Gen(new Random(rng.Next()));
            int count = rng.Next(1, 9);
            uint code = CodeBase + (uint)(n * Slot);
            var asm = new Assembler(32);
            for (int k = 0; k < count; k++) gen.Emit(asm);
            asm.hlt();
            var stream = new MemoryStream();
            asm.Assemble(new StreamCodeWriter(stream), code);
            byte[] bytes = stream.ToArray();
            Assert.True(bytes.Length <= Slot);

            var regs = new uint[8];
            for (int k = 0; k < 8; k++) regs[k] = rng.Next(4) == 0 ? (uint)rng.Next(0, 70) : (uint)rng.NextInt64(0, 1L << 32);
            uint flags = 0x2 | ((uint)rng.Next() & (Eflags.CF | Eflags.PF | Eflags.AF | Eflags.ZF | Eflags.SF | Eflags.OF));
            var data = new byte[64];
            rng.NextBytes(data);

            var results = new List<(uint[] Regs, uint Flags, byte[] Data)>();
            foreach (var side in new[] { interp, comp })
            {
                var cpu = side.T.Cpu;
                side.T.Memory.WritePhysical(code, bytes);
                side.T.Memory.WritePhysical(DataBase, data);
                cpu.Rax = regs[0]; cpu.Rcx = regs[1]; cpu.Rdx = regs[2]; cpu.Rbx = DataBase;
                cpu.Rsp = 0x8_0000; cpu.Rbp = regs[5]; cpu.Rsi = regs[6]; cpu.Rdi = regs[7];
                cpu.SetEflags(flags);
                cpu.Rip = code;
                cpu.Halted = false;
                side.T.RunToHalt(1000);
                var outData = new byte[64];
                for (int k = 0; k < 64; k++) outData[k] = (byte)side.T.Memory.Read(DataBase + (ulong)k, 1);
                results.Add(([(uint)cpu.Rax, (uint)cpu.Rcx, (uint)cpu.Rdx, (uint)cpu.Rbx, (uint)cpu.Rsp, (uint)cpu.Rbp, (uint)cpu.Rsi, (uint)cpu.Rdi, (uint)cpu.Rip],
                    cpu.GetEflags(), outData));
            }
            var (ri, fi, di) = results[0];
            var (rc, fc, dc) = results[1];
            if (!ri.SequenceEqual(rc) || fi != fc || !di.SequenceEqual(dc))
            {
                if (failures++ < 10)
                {
                    var dec = Iced.Intel.Decoder.Create(32, bytes);
                    dec.IP = code;
                    var text = new System.Text.StringBuilder();
                    foreach (var ins in dec) { text.Append(ins.ToString()).Append("; "); if (ins.Mnemonic == Mnemonic.Hlt) break; }
                    report.AppendLine($"{text}\n  in  regs={string.Join(',', regs.Select(r => r.ToString("x8")))} fl={flags:x}\n  int regs={string.Join(',', ri.Select(r => r.ToString("x8")))} fl={fi:x}\n  cmp regs={string.Join(',', rc.Select(r => r.ToString("x8")))} fl={fc:x} data {(di.SequenceEqual(dc) ? "same" : "differs")}");
                }
            }
        }
        Assert.True(failures == 0, $"{failures} of {blocks} blocks differ:\n{report}");
    }
}
