using Emulator.Core.Cpu;
using Emulator.Core.Cpu.Fpu;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// The fast paths of FST m32/m64fp, FIST m16/m32/m64int and FSQRT against the general soft-float path (which the host
/// reference vectors check): same bits, same PE/C1, and a decline (nothing changed) wherever the general rules are
/// needed. Then the compiled tier's inline forms of FST/FSTP/FIST/FISTP/FILD memory, FLDCW/FNSTCW/FNSTSW, FSQRT,
/// FCHS, FABS and the FCOM family (register and m32/m64 forms, read back with FNSTSW AX) against the interpreted tier on random blocks, with #NM, a pending exception and segment-limit
/// faults on the memory operand (a faulting store must leave the FPU untouched).
/// </summary>
public class X87StoreSqrtFastPathTests
{
    private static ulong Next(ref ulong s)
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }

    /// <summary>Normal values around the float/double ranges' edges, halfway significands, small integers and their halves.</summary>
    private static Float80 RandomValue(ref ulong s)
    {
        ulong r = Next(ref s);
        ushort sign = (r & 0x100) != 0 ? (ushort)0x8000 : (ushort)0;
        ulong m = Next(ref s) | 0x8000_0000_0000_0000;
        int kind = (int)(r % 10);
        if (kind == 0) m = 0x8000_0000_0000_0000 | (Next(ref s) & ~((1ul << (int)(Next(ref s) % 64)) - 1));
        if (kind == 1)
        {
            int keep = (int)(Next(ref s) % 3) switch { 0 => 24, 1 => 53, _ => 16 + (int)(Next(ref s) % 48) };
            m = (m & ~((1ul << (64 - keep)) - 1)) | (1ul << (63 - keep)) | ((Next(ref s) & 1) != 0 ? 0 : 1ul << (62 - keep) >> (int)(Next(ref s) % 8));
        }
        if (kind == 2) m = ulong.MaxValue << (int)(Next(ref s) % 16);
        int e = kind switch
        {
            3 => Float80.Bias - 1022 - 30 + (int)(Next(ref s) % 60),   // double denormal boundary
            4 => Float80.Bias + 1023 - 30 + (int)(Next(ref s) % 60),   // double overflow boundary
            5 => Float80.Bias - 126 - 30 + (int)(Next(ref s) % 60),    // float boundaries
            6 => Float80.Bias + 127 - 30 + (int)(Next(ref s) % 60),
            7 => Float80.Bias - 3 + (int)(Next(ref s) % 70),           // integers up to 2^66
            8 => 1 + (int)(Next(ref s) % 0x7FFD),
            _ => Float80.Bias - 40 + (int)(Next(ref s) % 80),
        };
        if ((Next(ref s) % 50) == 0) return new Float80(sign, 0); // zero
        if ((Next(ref s) % 50) == 0) return new Float80(sign, m >> 1); // denormal
        return new Float80((ushort)(sign | e), m);
    }

    private static ushort RandomControl(ref ulong s, int k)
    {
        int rc = (int)(Next(ref s) & 3), pc = (int)(Next(ref s) % 3) switch { 0 => 0, 1 => 2, _ => 3 };
        ushort cw = (ushort)((0x037F & ~0x0F00) | (pc << 8) | (rc << 10));
        if ((k % 13) == 0) cw &= unchecked((ushort)~X87.SW_PE);
        if ((k % 29) == 0) cw &= unchecked((ushort)~(X87.SW_OE | X87.SW_UE));
        return cw;
    }

    private static FpuState StateWith(ushort cw, Float80 v)
    {
        var f = new FpuState();
        X87.Init(f);
        f.Control = cw;
        X87.Load(f, v);
        f.Status |= X87.SW_C1; // C1 must be rewritten by the operation
        return f;
    }

    [Fact]
    public void FastFloatStoresMatchTheGeneralPath()
    {
        ulong seed = 0x2545_F491_4F6C_DD1D;
        int taken = 0, declined = 0;
        for (int k = 0; k < 60_000; k++)
        {
            var a = RandomValue(ref seed);
            ushort cw = RandomControl(ref seed, k);
            bool m64 = (k & 1) != 0;
            bool ok = SoftFloat80.TryFastToBinary(a.SignExp, a.Significand, m64, cw, out ulong bits, out int flags);
            var general = StateWith(cw, a);
            ushort before = general.Status;
            bool stored = X87.StoreFloat(general, m64 ? 64 : 32, out ulong gbits);
            if (!ok)
            {
                declined++;
                continue;
            }
            taken++;
            Assert.True(stored, $"{a} cw {cw:X4}: fast path stored where the general path does not");
            Assert.True(gbits == bits, $"{a} m64 {m64} cw {cw:X4}: fast {bits:X} general {gbits:X}");
            Assert.True(((before & ~X87.SW_C1) | flags) == general.Status, $"{a} m64 {m64} cw {cw:X4}: fast flags {flags:X} general sw {general.Status:X4}");
        }
        Assert.True(taken > 30_000, $"fast path taken only {taken} times");
        Assert.True(declined > 3_000, $"fast path declined only {declined} times");
    }

    [Fact]
    public void FastIntegerStoresMatchTheGeneralPath()
    {
        ulong seed = 0x9E37_79B9_7F4A_7C15;
        int taken = 0, declined = 0;
        int[] widths = [16, 32, 64];
        for (int k = 0; k < 60_000; k++)
        {
            var a = RandomValue(ref seed);
            if ((k % 3) == 0)
            {
                // Integers and halves in the ranges of the three widths.
                long v = (long)Next(ref seed) >> (int)(Next(ref seed) % 64);
                var x = SoftFloat80.FromInt64(v);
                int shift = (int)(Next(ref seed) % 3);
                a = x.IsZero || x.Exponent <= shift ? x : new Float80((ushort)(x.SignExp - shift), x.Significand);
            }
            ushort cw = RandomControl(ref seed, k);
            int width = widths[k % 3];
            bool ok = SoftFloat80.TryFastToInt(a.SignExp, a.Significand, width, (cw >> 10) & 3, cw, out long value, out int flags);
            var general = StateWith(cw, a);
            ushort before = general.Status;
            bool stored = X87.StoreInt(general, width, false, out long gv);
            if (!ok)
            {
                declined++;
                continue;
            }
            taken++;
            Assert.True(stored, $"{a} cw {cw:X4}: fast path stored where the general path does not");
            Assert.True(gv == value, $"{a} width {width} cw {cw:X4}: fast {value} general {gv}");
            Assert.True(((before & ~X87.SW_C1) | flags) == general.Status, $"{a} width {width} cw {cw:X4}: fast flags {flags:X} general sw {general.Status:X4}");
        }
        Assert.True(taken > 20_000, $"fast path taken only {taken} times");
        Assert.True(declined > 3_000, $"fast path declined only {declined} times");
    }

    [Fact]
    public void FastSquareRootMatchesTheGeneralPath()
    {
        ulong seed = 0xD1B5_4A32_D192_ED03;
        int taken = 0, declined = 0;
        for (int k = 0; k < 40_000; k++)
        {
            var a = RandomValue(ref seed);
            if ((k % 4) == 0)
            {
                // Exact squares (of 32-bit and 26-bit integers), and their neighbours.
                ulong root = Next(ref seed) >> (int)(32 + Next(ref seed) % 8);
                var sq = SoftFloat80.FromUInt64(false, root * root);
                ulong nudge = (ulong)(long)(Next(ref seed) % 3) - 1;
                a = sq.IsZero ? sq : new Float80(sq.SignExp, sq.Significand + (nudge == 1 || sq.Significand != 0x8000_0000_0000_0000 ? nudge : 0));
                if (!a.IntegerBit) a = sq;
            }
            ushort cw = RandomControl(ref seed, k);
            var fast = StateWith(cw, a);
            var general = StateWith(cw, a);
            bool ok = X87.TryFastSqrt(fast);
            X87.Sqrt(general);
            if (!ok)
            {
                declined++;
                var untouched = StateWith(cw, a);
                Assert.Equal(untouched.Status, fast.Status);
                Assert.Equal(untouched.Mantissa, fast.Mantissa);
                Assert.Equal(untouched.SignExponent, fast.SignExponent);
                continue;
            }
            taken++;
            Assert.True(general.Status == fast.Status && general.Tag == fast.Tag && X87.St(general, 0) == X87.St(fast, 0),
                $"sqrt {a} cw {cw:X4}: fast {X87.St(fast, 0)} sw {fast.Status:X4}, general {X87.St(general, 0)} sw {general.Status:X4}");
        }
        Assert.True(taken > 15_000, $"fast path taken only {taken} times");
        Assert.True(declined > 1_000, $"fast path declined only {declined} times");
    }

    [Fact]
    public void FastAdditionOfZeroMatchesTheGeneralPath()
    {
        ulong seed = 0xBF58_476D_1CE4_E5B9;
        int taken = 0;
        for (int k = 0; k < 20_000; k++)
        {
            var x = RandomValue(ref seed);
            var zero = new Float80((Next(ref seed) & 1) != 0 ? (ushort)0x8000 : (ushort)0, 0);
            bool zeroFirst = (k & 1) != 0;
            var a = zeroFirst ? zero : x;
            var b = zeroFirst ? x : zero;
            ushort cw = RandomControl(ref seed, k);
            var op = (X87.Op)(k % 6);
            var fast = NewPair(cw, a, b);
            var general = NewPair(cw, a, b);
            bool ok = X87.TryFastArithRegs(fast, op, 0, 1, false);
            X87.ArithRegsGeneral(general, op, 0, 1, false);
            if (!ok)
            {
                var untouched = NewPair(cw, a, b);
                Assert.Equal(untouched.Status, fast.Status);
                Assert.Equal(untouched.Mantissa, fast.Mantissa);
                Assert.Equal(untouched.SignExponent, fast.SignExponent);
                continue;
            }
            taken++;
            Assert.True(general.Status == fast.Status && general.Tag == fast.Tag && X87.St(general, 0) == X87.St(fast, 0),
                $"{op} {a} {b} cw {cw:X4}: fast {X87.St(fast, 0)} sw {fast.Status:X4}, general {X87.St(general, 0)} sw {general.Status:X4}");
        }
        Assert.True(taken > 5_000, $"fast path taken only {taken} times");
    }

    private static FpuState NewPair(ushort cw, Float80 a, Float80 b)
    {
        var f = new FpuState();
        X87.Init(f);
        f.Control = cw;
        X87.Load(f, b);
        X87.Load(f, a);
        f.Status |= X87.SW_C1;
        return f;
    }

    // ---- compiled tier against the interpreted tier ----

    private const uint CodeBase = 0x10_0000;
    private const uint DataBase = 0x20_0000;
    private const int Slot = 256;

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

    private static readonly ulong[] SpecialDoubles =
    [
        0, 0x8000_0000_0000_0000, 0x3FF0_0000_0000_0000, 0xBFF0_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
        0x7FF8_0000_0000_0000, 0x7FF4_0000_0000_0000, 0x0000_0000_0000_0001, 0x000F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000,
        0x7FEF_FFFF_FFFF_FFFF, 0x41E0_0000_0000_0000, 0xC1E0_0000_0000_0000, 0x40E0_0000_0000_0000, 0x3FE0_0000_0000_0000,
        0x4004_0000_0000_0000, 0xC00C_0000_0000_0000, 0x47EF_FFFF_F000_0000, 0x3810_0000_0000_0000,
    ];

    private static ulong RandomDouble(Random rng) => rng.Next(4) switch
    {
        0 => SpecialDoubles[rng.Next(SpecialDoubles.Length)],
        1 => BitConverter.DoubleToUInt64Bits((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-40, 40))),
        2 => BitConverter.DoubleToUInt64Bits(Math.Round((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(0, 34)) * 2) / 2),
        _ => (ulong)rng.NextInt64() ^ ((ulong)rng.Next(2) << 63),
    };

    private static void EmitX87(Assembler a, Random rng)
    {
        var m64 = __qword_ptr[ebx + 8 * rng.Next(0, 8)];
        var m32 = __dword_ptr[ebx + 4 * rng.Next(0, 16)];
        var m16 = __word_ptr[ebx + 2 * rng.Next(0, 32)];
        AssemblerRegisterST S() => rng.Next(4) switch { 0 => st0, 1 => st1, 2 => st2, _ => st7 };
        switch (rng.Next(19))
        {
            case 16:
                switch (rng.Next(6))
                {
                    case 0: a.fcom(st0, S()); break;
                    case 1: a.fcomp(st0, S()); break;
                    case 2: a.fucom(st0, S()); break;
                    case 3: a.fucomp(st0, S()); break;
                    case 4: a.fcompp(); break;
                    default: a.fucompp(); break;
                }
                a.fnstsw(ax);
                a.sahf();
                a.setbe(dl);
                break;
            case 17:
                if (rng.Next(2) == 0) a.fcom(rng.Next(2) == 0 ? m64 : m32); else a.fcomp(rng.Next(2) == 0 ? m64 : m32);
                a.fnstsw(ax);
                a.test(ah, 0x45);
                a.setne(dh);
                break;
            case 18: a.fxch(st0, S()); break;
            case 0: if (rng.Next(2) == 0) a.fstp(m64); else a.fst(m64); break;
            case 1: if (rng.Next(2) == 0) a.fstp(m32); else a.fst(m32); break;
            case 2: if (rng.Next(2) == 0) a.fistp(m32); else a.fist(m16); break;
            case 3: if (rng.Next(2) == 0) a.fistp(m64); else a.fistp(m16); break;
            case 4: a.fild(rng.Next(3) switch { 0 => m16, 1 => m32, _ => m64 }); break;
            case 5: a.fsqrt(); break;
            case 6: if (rng.Next(2) == 0) a.fchs(); else a.fabs(); break;
            case 7:
                // gcc's (int) cast: save the control word, set RC = chop, store, restore.
                a.fnstcw(__word_ptr[ebx + 64]);
                a.movzx(eax, __word_ptr[ebx + 64]);
                a.or(ah, 0x0C);
                a.mov(__word_ptr[ebx + 66], ax);
                a.fldcw(__word_ptr[ebx + 66]);
                a.fistp(m32);
                a.fldcw(__word_ptr[ebx + 64]);
                break;
            case 8: a.fldcw(m16); break;
            case 9: a.fnstsw(ax); a.sahf(); a.setb(dl); break;
            case 10: a.fnstsw(m16); break;
            case 11: if (rng.Next(2) == 0) a.fld(m64); else a.fld(m32); break;
            case 12: a.fld(st0); break;
            case 13: a.fmul(st0, st1); break;
            case 14: a.fldz(); break;
            default: a.fucomip(st0, st1); a.setb(al); break;
        }
    }

    [Fact]
    public void CompiledStoreAndUnaryFormsMatchTheHelpers()
    {
        var rng = new Random(31337);
        using var interp = new Side(false);
        using var comp = new Side(true);
        int failures = 0;
        var report = new System.Text.StringBuilder();
        const int blocks = 1200;
        ushort[] controls = [0x037F, 0x037F, 0x027F, 0x0C7F, 0x077F, 0x0B7F, 0x0360, 0x0372, 0x035F];
        for (int n = 0; n < blocks; n++)
        {
            uint code = CodeBase + (uint)(n * Slot);
            var asm = new Assembler(32);
            int count = rng.Next(1, 8);
            for (int k = 0; k < count; k++) EmitX87(asm, rng);
            asm.hlt();
            var stream = new MemoryStream();
            asm.Assemble(new StreamCodeWriter(stream), code);
            byte[] bytes = stream.ToArray();
            var data = new byte[72];
            for (int k = 0; k < 8; k++) BitConverter.GetBytes(RandomDouble(rng)).CopyTo(data, 8 * k);
            if (rng.Next(4) == 0) BitConverter.GetBytes((ushort)controls[rng.Next(controls.Length)]).CopyTo(data, 2 * rng.Next(0, 32));
            ushort control = controls[rng.Next(controls.Length)];
            int depth = rng.Next(0, 9);
            var stack = new ulong[8];
            for (int k = 0; k < 8; k++) stack[k] = RandomDouble(rng);
            int env = rng.Next(25); // 0: CR0.TS, 1: pending unmasked exception (ES), 2-3: DS limit cuts the data area
            var results = new List<string>();
            foreach (var side in new[] { interp, comp })
            {
                var cpu = side.T.Cpu;
                side.T.Memory.WritePhysical(code, bytes);
                side.T.Memory.WritePhysical(DataBase, data);
                cpu.Cr0 = (env == 0 ? cpu.Cr0 | Cr.CR0_TS : cpu.Cr0 & ~Cr.CR0_TS) | Cr.CR0_NE;
                uint limit = env is 2 or 3 ? DataBase + 20 : 0xFFFF_FFFF;
                cpu.Ds = new Segment { Selector = 0x10, Base = 0, Limit = limit, Flags = 0x93 | Segment.DefaultBig | (limit == 0xFFFF_FFFF ? Segment.Granularity : 0) };
                cpu.UpdateAllFastLimits();
                var f = cpu.Fpu;
                f.Control = 0x037F;
                f.Status = 0;
                f.Tag = 0xFFFF;
                for (int k = 0; k < depth; k++)
                {
                    var e = new FpEnv();
                    X87.Push(f, SoftFloat80.FromFloat64(stack[k], ref e));
                }
                f.Control = control;
                if (env == 1) f.Status |= 0x81;
                cpu.Rax = 0; cpu.Rdx = 0; cpu.Rbx = DataBase;
                cpu.SetEflags(0x2);
                cpu.Rip = code;
                cpu.Halted = false;
                cpu.Faulted = false;
                cpu.PendingVector = -1;
                side.T.Core.Run(10 * count + 1);
                var outData = new byte[72];
                for (int k = 0; k < 72; k++) outData[k] = (byte)side.T.Memory.Read(DataBase + (ulong)k, 1);
                var regs = string.Join(',', Enumerable.Range(0, 8).Select(k => $"{f.SignExponent[k]:x4}{f.Mantissa[k]:x16}"));
                results.Add($"rip={cpu.Rip:x} eax={cpu.Rax:x} edx={cpu.Rdx:x} fl={cpu.GetEflags():x} cw={f.Control:x} sw={f.Status:x} tw={f.Tag:x} fop={f.LastOpcode:x} "
                    + $"fip={f.LastInstructionPointer:x} fdp={f.LastDataPointer:x} vec={cpu.PendingVector} st={regs} data={Convert.ToHexString(outData)}");
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
