using Emulator.Core.Cpu;
using Emulator.Core.Translation;
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
    public void CompiledInlineInstructionsMatchTheHelpers() => CompareTiers(20250611, branches: false);

    /// <summary>
    /// Blocks go on past a Jcc not taken; a taken one leaves through a side exit (in both tiers). Forward branches over the next instruction, taken or not by the random flags, must leave the
    /// same state in both tiers — registers, flags (pending records stored or carried on the right paths) and memory.
    /// </summary>
    [Fact]
    public void BlocksThatGoOnPastAConditionalBranchMatchTheHelpers() => CompareTiers(20261207, branches: true);

    /// <summary>
    /// Both tiers leave a block through the same exit, so the dispatcher links and chains interpreted blocks as it does
    /// compiled ones: a direct JMP or CALL and a Jcc at the end are static exits, a Jcc taken inside the block is its
    /// own side exit, RET and indirect near JMP/CALL are indirect exits, and POPFD (may change TF/IF) is dynamic.
    /// </summary>
    [Fact]
    public void BothTiersLeaveABlockThroughTheSameExit()
    {
        var cases = new (string Name, Action<Assembler> Build, int Exit)[]
        {
            ("jmp", a => { var l = a.CreateLabel(); a.mov(eax, 1); a.jmp(l); a.nop(); a.Label(ref l); a.hlt(); }, BlockExit.Static0),
            ("call", a => { var l = a.CreateLabel(); a.call(l); a.nop(); a.Label(ref l); a.hlt(); }, BlockExit.Static0),
            // A block goes on past a Jcc: it is the last instruction only at the block's length limit.
            ("jcc taken at the end", a => JccAtTheEnd(a, taken: true), BlockExit.Static1),
            ("jcc not taken at the end", a => JccAtTheEnd(a, taken: false), BlockExit.Static0),
            ("second jcc taken inside", a =>
            {
                var far = a.CreateLabel();
                a.cmp(eax, eax); a.jne(far); a.je(far); a.inc(eax); a.jmp(far);
                for (int k = 0; k < 8; k++) a.nop();
                a.Label(ref far); a.hlt();
            }, BlockExit.FirstSide + 1),
            ("ret", a => { a.push(CodeBase + 0x80); a.ret(); }, BlockExit.Indirect),
            ("jmp eax", a => { a.mov(eax, CodeBase + 0x80); a.jmp(eax); }, BlockExit.Indirect),
            ("call [ebx]", a => { a.mov(__dword_ptr[ebx], CodeBase + 0x80); a.call(__dword_ptr[ebx]); }, BlockExit.Indirect),
            ("popfd", a => { a.pushfd(); a.popfd(); a.nop(); }, BlockExit.Dynamic),
        };
        foreach (var (name, build, exit) in cases)
        {
            var results = new List<(int Exit, ulong Rip, long Retired)>();
            foreach (bool compiled in new[] { false, true })
            {
                using var side = new Side(compiled);
                var cpu = side.T.Cpu;
                side.T.Load(32, CodeBase, build);
                cpu.Rbx = DataBase;
                cpu.Rsp = 0x8_0000;
                cpu.Rip = CodeBase;
                long before = cpu.Retired;
                int r = side.T.Core.ExecuteBlock();
                Assert.True(side.T.Core.Cache.BlocksCompiled == (compiled ? 1 : 0), name);
                results.Add((r, cpu.Rip, cpu.Retired - before));
            }
            Assert.True(results[0] == results[1], $"{name}: interpreted {results[0]}, compiled {results[1]}");
            Assert.True(results[0].Exit == exit, $"{name}: exit {results[0].Exit}, expected {exit}");
        }
    }

    private static void JccAtTheEnd(Assembler a, bool taken)
    {
        var l = a.CreateLabel();
        for (int k = 0; k < BlockCompiler.MaxInstructions - 2; k++) a.nop();
        a.cmp(eax, eax);
        if (taken) a.je(l);
        else a.jne(l);
        a.nop();
        a.Label(ref l);
        a.hlt();
    }

    private static readonly Action<Assembler, Label>[] Jccs =
    [
        (a, l) => a.jb(l), (a, l) => a.jae(l), (a, l) => a.je(l), (a, l) => a.jne(l), (a, l) => a.jbe(l), (a, l) => a.ja(l),
        (a, l) => a.js(l), (a, l) => a.jns(l), (a, l) => a.jp(l), (a, l) => a.jnp(l), (a, l) => a.jl(l), (a, l) => a.jge(l),
        (a, l) => a.jle(l), (a, l) => a.jg(l), (a, l) => a.jo(l), (a, l) => a.jno(l),
    ];

    private static void CompareTiers(int seed, bool branches)
    {
        var rng = new Random(seed);
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
            for (int k = 0; k < count; k++)
            {
                if (branches && rng.Next(3) == 0)
                {
                    var over = asm.CreateLabel();
                    Jccs[rng.Next(Jccs.Length)](asm, over);
                    gen.Emit(asm);
                    asm.Label(ref over);
                }
                gen.Emit(asm);
            }
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
                long retiredBefore = cpu.Retired;
                side.T.RunToHalt(1000);
                var outData = new byte[64];
                for (int k = 0; k < 64; k++) outData[k] = (byte)side.T.Memory.Read(DataBase + (ulong)k, 1);
                long retired = cpu.Retired - retiredBefore;
                results.Add(([(uint)cpu.Rax, (uint)cpu.Rcx, (uint)cpu.Rdx, (uint)cpu.Rbx, (uint)cpu.Rsp, (uint)cpu.Rbp, (uint)cpu.Rsi, (uint)cpu.Rdi, (uint)cpu.Rip, (uint)retired],
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

    /// <summary>
    /// Scalar double arithmetic on zeros of both signs, exact cancellations and products or quotients that underflow
    /// to zero (UE, PE) or overflow, each operation alone in a block: the compiled tier's inline forms take the host's
    /// result only where it is exact and flag-free, so the result and MXCSR must equal the helpers' for every pair.
    /// </summary>
    [Fact]
    public void ScalarDoubleArithmeticWithZerosAndUnderflowsMatchesTheHelpers()
    {
        double[] values = [0.0, -0.0, 1.5, -2.25, Math.Pow(2, -600), -Math.Pow(2, -600), Math.Pow(2, 600), 1e-310, 3.0, -3.0];
        Action<Assembler>[] ops = [a => a.addsd(xmm0, xmm1), a => a.subsd(xmm0, xmm1), a => a.mulsd(xmm0, xmm1), a => a.divsd(xmm0, xmm1), a => a.sqrtsd(xmm0, xmm1)];
        using var interp = new Side(false);
        using var comp = new Side(true);
        var report = new System.Text.StringBuilder();
        int n = 0;
        foreach (var op in ops)
        {
            foreach (double x in values)
            {
                foreach (double y in values)
                {
                    foreach (uint mxcsr in new uint[] { 0x1FA0, 0x1F80 })
                    {
                        uint code = CodeBase + (uint)(n++ % 4096 * Slot);
                        var results = new List<(ulong R, uint Mxcsr)>();
                        foreach (var side in new[] { interp, comp })
                        {
                            var cpu = side.T.Cpu;
                            side.T.Load(32, code, a => { op(a); a.hlt(); });
                            cpu.Cr4 |= Cr.CR4_OSFXSR;
                            cpu.Fpu.Xmm[0] = BitConverter.DoubleToUInt64Bits(x);
                            cpu.Fpu.Xmm[2] = BitConverter.DoubleToUInt64Bits(y);
                            cpu.Fpu.Mxcsr = mxcsr;
                            cpu.Rip = code;
                            cpu.Halted = false;
                            side.T.Core.Run(2);
                            results.Add((cpu.Fpu.Xmm[0], cpu.Fpu.Mxcsr));
                        }
                        if (results[0] != results[1]) report.AppendLine($"{n}: {x} {y} mxcsr {mxcsr:x}: helpers {results[0]}, compiled {results[1]}");
                    }
                }
            }
        }
        Assert.True(report.Length == 0, report.ToString());
    }

    private static readonly ulong[] SpecialDoubles =
    [
        0, 0x8000_0000_0000_0000, 0x3FF0_0000_0000_0000, 0xBFF0_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
        0x7FF8_0000_0000_0000, 0x7FF4_0000_0000_0000, 0x0000_0000_0000_0001, 0x000F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000,
        0x7FEF_FFFF_FFFF_FFFF, 0x41E0_0000_0000_0000, 0xC1E0_0000_0000_0000, 0x41DF_FFFF_FFC0_0000, 0x3FE0_0000_0000_0000,
    ];

    private static ulong RandomDouble(Random rng) => rng.Next(3) switch
    {
        0 => SpecialDoubles[rng.Next(SpecialDoubles.Length)],
        1 => BitConverter.DoubleToUInt64Bits((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-40, 40))),
        _ => (ulong)rng.NextInt64() ^ ((ulong)rng.Next(2) << 63),
    };

    private static void EmitSse(Assembler a, Random rng)
    {
        AssemblerRegisterXMM X() => rng.Next(8) switch { 0 => xmm0, 1 => xmm1, 2 => xmm2, 3 => xmm3, 4 => xmm4, 5 => xmm5, 6 => xmm6, _ => xmm7 };
        var m = __qword_ptr[ebx + 8 * rng.Next(0, 7)];
        bool mem = rng.Next(3) == 0;
        switch (rng.Next(16))
        {
            case 0: if (mem) a.movsd(X(), m); else a.movsd(X(), X()); break;
            case 1: if (mem) a.movsd(m, X()); else a.movq(X(), X()); break;
            case 2: if (mem) a.movq(X(), m); else a.movapd(X(), X()); break;
            case 3: if (mem) a.movq(m, X()); else a.movaps(X(), X()); break;
            case 4: if (mem) a.addsd(X(), m); else a.addsd(X(), X()); break;
            case 5: if (mem) a.subsd(X(), m); else a.subsd(X(), X()); break;
            case 6: if (mem) a.mulsd(X(), m); else a.mulsd(X(), X()); break;
            case 7: if (mem) a.divsd(X(), m); else a.divsd(X(), X()); break;
            case 8: if (mem) a.sqrtsd(X(), m); else a.sqrtsd(X(), X()); break;
            case 9: if (mem) a.ucomisd(X(), m); else a.ucomisd(X(), X()); a.setb(al); a.sete(ah); break;
            case 10: if (mem) a.comisd(X(), m); else a.comisd(X(), X()); a.setp(dl); break;
            case 11: if (mem) a.cvtsi2sd(X(), __dword_ptr[ebx + 4 * rng.Next(0, 14)]); else a.cvtsi2sd(X(), R32[rng.Next(R32.Length)]); break;
            case 12: if (mem) a.cvttsd2si(R32[rng.Next(R32.Length)], m); else a.cvttsd2si(R32[rng.Next(R32.Length)], X()); break;
            case 13: if (rng.Next(2) == 0) a.xorpd(X(), X()); else a.pxor(X(), X()); break;
            case 14: if (rng.Next(2) == 0) a.andpd(X(), X()); else a.andnpd(X(), X()); break;
            default: if (rng.Next(2) == 0) a.orpd(X(), X()); else a.xorps(X(), X()); break;
        }
    }

    [Fact]
    public void CompiledSse2FormsMatchTheHelpers()
    {
        var rng = new Random(777);
        using var interp = new Side(false);
        using var comp = new Side(true);
        int failures = 0;
        var report = new System.Text.StringBuilder();
        const int blocks = 1500;
        uint[] mxcsrs = [0x1F80, 0x1FA0, 0x1FA0, 0x1FA0, 0x1F80 | 0x6000, 0x1FA0 | 0x8040, 0x1F80 & ~0x1000u, 0x0020, 0x1F80 & ~0x80u];
        for (int n = 0; n < blocks; n++)
        {
            uint code = CodeBase + (uint)(n * Slot);
            var asm = new Assembler(32);
            int count = rng.Next(1, 9);
            for (int k = 0; k < count; k++) EmitSse(asm, rng);
            asm.hlt();
            var stream = new MemoryStream();
            asm.Assemble(new StreamCodeWriter(stream), code);
            byte[] bytes = stream.ToArray();
            var xmm = new ulong[16];
            for (int k = 0; k < 16; k++) xmm[k] = RandomDouble(rng);
            var data = new byte[64];
            for (int k = 0; k < 8; k++) BitConverter.GetBytes(RandomDouble(rng)).CopyTo(data, 8 * k);
            uint mxcsr = mxcsrs[rng.Next(mxcsrs.Length)];
            int env = rng.Next(20); // 0: CR0.TS, 1: CR4.OSFXSR clear, else enabled
            var regs = new uint[8];
            for (int k = 0; k < 8; k++) regs[k] = (uint)rng.NextInt64(0, 1L << 32);
            var results = new List<string>();
            foreach (var side in new[] { interp, comp })
            {
                var cpu = side.T.Cpu;
                side.T.Memory.WritePhysical(code, bytes);
                side.T.Memory.WritePhysical(DataBase, data);
                cpu.Cr4 = env == 1 ? cpu.Cr4 & ~Cr.CR4_OSFXSR : cpu.Cr4 | Cr.CR4_OSFXSR;
                cpu.Cr0 = env == 0 ? cpu.Cr0 | Cr.CR0_TS : cpu.Cr0 & ~Cr.CR0_TS;
                Array.Copy(xmm, cpu.Fpu.Xmm, 16);
                cpu.Fpu.Mxcsr = mxcsr;
                cpu.Rax = regs[0]; cpu.Rcx = regs[1]; cpu.Rdx = regs[2]; cpu.Rbx = DataBase;
                cpu.Rsp = 0x8_0000; cpu.Rbp = regs[5]; cpu.Rsi = regs[6]; cpu.Rdi = regs[7];
                cpu.SetEflags(0x2);
                cpu.Rip = code;
                cpu.Halted = false;
                cpu.Faulted = false;
                cpu.PendingVector = -1;
                side.T.Core.Run(count + 1);
                var outData = new byte[64];
                for (int k = 0; k < 64; k++) outData[k] = (byte)side.T.Memory.Read(DataBase + (ulong)k, 1);
                results.Add($"rip={cpu.Rip:x} eax={cpu.Rax:x} ecx={cpu.Rcx:x} edx={cpu.Rdx:x} ebp={cpu.Rbp:x} esi={cpu.Rsi:x} edi={cpu.Rdi:x} fl={cpu.GetEflags():x} mx={cpu.Fpu.Mxcsr:x} "
                    + $"vec={cpu.PendingVector} halted={cpu.Halted} xmm={string.Join(',', cpu.Fpu.Xmm.Take(16).Select(v => v.ToString("x")))} data={Convert.ToHexString(outData)}");
            }
            if (results[0] != results[1] && failures++ < 10)
            {
                var dec = Iced.Intel.Decoder.Create(32, bytes);
                dec.IP = code;
                var text = new System.Text.StringBuilder();
                foreach (var ins in dec) { text.Append(ins.ToString()).Append("; "); if (ins.Mnemonic == Mnemonic.Hlt) break; }
                report.AppendLine($"{text} mxcsr={mxcsr:x} env={env}\n  int {results[0]}\n  cmp {results[1]}");
            }
        }
        Assert.True(failures == 0, $"{failures} of {blocks} blocks differ:\n{report}");
    }

    private static void EmitX87(Assembler a, Random rng)
    {
        AssemblerRegisterST S() => rng.Next(8) switch { 0 => st0, 1 => st1, 2 => st2, 3 => st3, 4 => st4, 5 => st5, 6 => st6, _ => st7 };
        var m64 = __qword_ptr[ebx + 8 * rng.Next(0, 7)];
        var m32 = __dword_ptr[ebx + 4 * rng.Next(0, 14)];
        switch (rng.Next(14))
        {
            case 0: if (rng.Next(2) == 0) a.fld(m64); else a.fld(m32); break;
            case 1: a.fld(S()); break;
            case 2: if (rng.Next(2) == 0) a.fst(S()); else a.fstp(S()); break;
            case 3: a.fxch(st0, S()); break;
            case 4: if (rng.Next(2) == 0) a.fldz(); else a.fld1(); break;
            case 5: if (rng.Next(2) == 0) a.fcomip(st0, S()); else a.fucomip(st0, S()); a.setb(al); a.setp(ah); break;
            case 6: if (rng.Next(2) == 0) a.fcomi(st0, S()); else a.fucomi(st0, S()); a.setbe(dl); break;
            case 7: if (rng.Next(2) == 0) a.fadd(st0, S()); else a.fadd(S(), st0); break;
            case 8: if (rng.Next(2) == 0) a.fsub(st0, S()); else a.fsubrp(S(), st0); break;
            case 9: if (rng.Next(2) == 0) a.fmul(st0, S()); else a.fmulp(S(), st0); break;
            case 10: if (rng.Next(2) == 0) a.fdiv(S(), st0); else a.fdivrp(S(), st0); break;
            case 11: if (rng.Next(2) == 0) a.fadd(m64); else a.fmul(m32); break;
            case 12: if (rng.Next(2) == 0) a.fsubr(m64); else a.fdiv(m64); break;
            default: a.fsubp(S(), st0); break;
        }
    }

    [Fact]
    public void CompiledX87FormsMatchTheHelpers()
    {
        var rng = new Random(4242);
        using var interp = new Side(false);
        using var comp = new Side(true);
        int failures = 0;
        var report = new System.Text.StringBuilder();
        const int blocks = 1000;
        ushort[] controls = [0x037F, 0x037F, 0x027F, 0x0C7F, 0x0360, 0x0372];
        for (int n = 0; n < blocks; n++)
        {
            uint code = CodeBase + (uint)(n * Slot);
            var asm = new Assembler(32);
            int count = rng.Next(1, 10);
            for (int k = 0; k < count; k++) EmitX87(asm, rng);
            asm.hlt();
            var stream = new MemoryStream();
            asm.Assemble(new StreamCodeWriter(stream), code);
            byte[] bytes = stream.ToArray();
            var data = new byte[64];
            for (int k = 0; k < 8; k++) BitConverter.GetBytes(RandomDouble(rng)).CopyTo(data, 8 * k);
            ushort control = controls[rng.Next(controls.Length)];
            int depth = rng.Next(0, 9);
            var stack = new ulong[8];
            for (int k = 0; k < 8; k++) stack[k] = RandomDouble(rng);
            int env = rng.Next(25); // 0: CR0.TS, 1: pending unmasked exception (ES)
            var results = new List<string>();
            foreach (var side in new[] { interp, comp })
            {
                var cpu = side.T.Cpu;
                side.T.Memory.WritePhysical(code, bytes);
                side.T.Memory.WritePhysical(DataBase, data);
                cpu.Cr0 = (env == 0 ? cpu.Cr0 | Cr.CR0_TS : cpu.Cr0 & ~Cr.CR0_TS) | Cr.CR0_NE;
                var f = cpu.Fpu;
                f.Control = 0x037F;
                f.Status = 0;
                f.Tag = 0xFFFF;
                for (int k = 0; k < depth; k++)
                {
                    var e = new Cpu.Fpu.FpEnv();
                    Cpu.Fpu.X87.Push(f, Cpu.Fpu.SoftFloat80.FromFloat64(stack[k], ref e));
                }
                f.Control = control;
                if (env == 1) f.Status |= 0x81;
                cpu.Rax = 0; cpu.Rdx = 0; cpu.Rbx = DataBase;
                cpu.SetEflags(0x2);
                cpu.Rip = code;
                cpu.Halted = false;
                cpu.Faulted = false;
                cpu.PendingVector = -1;
                side.T.Core.Run(3 * count + 1);
                var regs = string.Join(',', Enumerable.Range(0, 8).Select(k => $"{f.SignExponent[k]:x4}{f.Mantissa[k]:x16}"));
                results.Add($"rip={cpu.Rip:x} eax={cpu.Rax:x} edx={cpu.Rdx:x} fl={cpu.GetEflags():x} sw={f.Status:x} tw={f.Tag:x} fop={f.LastOpcode:x} fip={f.LastInstructionPointer:x} fdp={f.LastDataPointer:x} vec={cpu.PendingVector} st={regs}");
            }
            if (results[0] != results[1] && failures++ < 10)
            {
                var dec = Iced.Intel.Decoder.Create(32, bytes);
                dec.IP = code;
                var text = new System.Text.StringBuilder();
                foreach (var ins in dec) { text.Append(ins.ToString()).Append("; "); if (ins.Mnemonic == Mnemonic.Hlt) break; }
                report.AppendLine($"{text} cw={control:x} depth={depth} env={env}\n  int {results[0]}\n  cmp {results[1]}");
            }
        }
        Assert.True(failures == 0, $"{failures} of {blocks} blocks differ:\n{report}");
    }
}
