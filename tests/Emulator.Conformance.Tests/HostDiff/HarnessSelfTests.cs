using System.Diagnostics;
using Iced.Intel;
using NUnit.Framework;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>The harness on its own: generator, encodings, flag tables, host stub consistency and throughput, and the comparison logic.</summary>
[TestFixture]
public sealed class HarnessSelfTests
{
    private const ulong Seed = HostDifferentialTests.Seed;
    private HostCpu _host = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        Assume.That(HostCpu.IsSupported, "needs an x86-64 Linux host");
        _host = new HostCpu();
    }

    [OneTimeTearDown]
    public void TearDown() => _host?.Dispose();

    private static List<DiffCase> Generate(int n, ulong seed = Seed)
    {
        var g = new CaseGenerator(seed);
        var cases = new List<DiffCase>(n);
        for (int i = 0; i < n; i++) cases.Add(g.Next());
        return cases;
    }

    private static DiffRegisters[] RunOnHost(HostCpu host, List<DiffCase> cases)
    {
        var runnable = cases.Where(c => c.ExpectedVector < 0).ToList();
        byte[][] code = [.. runnable.Select(c => c.Code64)];
        DiffRegisters[] io = [.. runnable.Select(c => c.Input)];
        host.Run(code, io);
        return io;
    }

    [Test]
    public void Generator_is_deterministic_for_a_seed()
    {
        var a = Generate(2000);
        var b = Generate(2000);
        var other = Generate(2000, Seed + 1);
        Assert.That(a.Select(c => (Convert.ToHexString(c.Code32), c.Input)), Is.EqualTo(b.Select(c => (Convert.ToHexString(c.Code32), c.Input))));
        Assert.That(a.Select(c => Convert.ToHexString(c.Code32)), Is.Not.EqualTo(other.Select(c => Convert.ToHexString(c.Code32))));
    }

    [Test]
    public void Every_form_of_every_family_is_generated()
    {
        var g = new CaseGenerator(Seed);
        var seen = new HashSet<Code>();
        for (int i = 0; i < 100_000; i++) seen.Add(g.Next().Guest.Code);
        var missing = g.Forms.Values.SelectMany(c => c).Where(c => !seen.Contains(c)).ToList();
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void Both_encodings_decode_to_the_same_instruction_without_rex()
    {
        foreach (DiffCase c in Generate(30_000))
        {
            Instruction d32 = Decode(32, c.Code32);
            Instruction d64 = Decode(64, c.Code64);
            string what = $"{c.Guest} 32:{Convert.ToHexString(c.Code32)} 64:{Convert.ToHexString(c.Code64)}";
            Assert.That(d32.Code, Is.EqualTo(c.Guest.Code), what);
            Assert.That(d64.Code, Is.EqualTo(CaseGenerator.HostTwin(c.Guest.Code)), what);
            Assert.That(d32.Length, Is.EqualTo(c.Code32.Length), what);
            Assert.That(d64.Length, Is.EqualTo(c.Code64.Length), what);
            Assert.That(d64.OpCount, Is.EqualTo(d32.OpCount), what);
            for (int i = 0; i < d32.OpCount; i++)
            {
                Assert.That(d64.GetOpKind(i), Is.EqualTo(d32.GetOpKind(i)), what);
                switch (d32.GetOpKind(i))
                {
                    case OpKind.Register:
                        Assert.That(d64.GetOpRegister(i), Is.EqualTo(d32.GetOpRegister(i)), what);
                        Assert.That(GuestRegisters.IsStackPointer(d32.GetOpRegister(i)), Is.False, what);
                        break;
                    case OpKind.Memory:
                        Assert.That((d64.MemoryBase, d64.MemoryIndex, d64.MemoryIndexScale, (uint)d64.MemoryDisplacement64),
                            Is.EqualTo((d32.MemoryBase, d32.MemoryIndex, d32.MemoryIndexScale, d32.MemoryDisplacement32)), what);
                        break;
                    default:
                        Assert.That(d64.GetImmediate(i), Is.EqualTo(d32.GetImmediate(i)), what);
                        break;
                }
            }
            if (c.ExpectedVector < 0) Assert.That(HostInstructionGuard.Check(c.Code64, c.Input), Is.Null, what);
            else Assert.That(HostInstructionGuard.Check(c.Code64, c.Input), Is.EqualTo("divide would raise #DE"), what);
        }
    }

    private static Instruction Decode(int bitness, byte[] code)
    {
        Decoder.Create(bitness, new ByteArrayCodeReader(code), 0x1000).Decode(out Instruction i);
        return i;
    }

    [Test]
    public void Defined_flags_agree_with_iced()
    {
        // Iced's RflagsUndefined is per opcode; the SDM adds rules that depend on the count (0: nothing changes; 1: OF defined;
        // SHL/SHR by >= the operand size: CF undefined; SHLD/SHRD by > the operand size: everything undefined) and on #DE (a fault
        // changes nothing, so everything is defined).
        foreach (DiffCase c in Generate(50_000))
        {
            uint expectedUndefined = DefinedFlags.ToEflags(c.Guest.RflagsUndefined);
            Mnemonic m = c.Guest.Mnemonic;
            if (DefinedFlags.IsCountDependent(m))
            {
                uint count = DefinedFlags.Count(c.Guest, c.Input) & 0x1F;
                int bits = DefinedFlags.OperandBits(c.Guest);
                if (count == 0) expectedUndefined = 0;
                else
                {
                    if (count == 1) expectedUndefined &= ~EFlags.OF;
                    if (m is Mnemonic.Shl or Mnemonic.Shr && count >= bits) expectedUndefined |= EFlags.CF;
                    if (m is Mnemonic.Shld or Mnemonic.Shrd && count > bits) expectedUndefined = EFlags.Status;
                    // Iced reduces an immediate RCL/RCR count modulo size+1 (so 9 or 18 on a byte is "no change", 10 a 1-bit rotate);
                    // the SDM defines OF only when the masked count itself is 1.
                    if (m is Mnemonic.Rcl or Mnemonic.Rcr && count != 1) expectedUndefined |= EFlags.OF;
                }
            }
            if (c.ExpectedVector == 0) expectedUndefined = 0;
            uint actualUndefined = EFlags.Comparable & ~c.FlagMask;
            Assert.That(DiffHarness.FlagNames(actualUndefined), Is.EqualTo(DiffHarness.FlagNames(expectedUndefined)), $"{c.Guest} with {c.Input}");
        }
    }

    [Test]
    public void Host_results_are_reproducible_and_throughput_is_reported()
    {
        const int n = 200_000;
        long t = Stopwatch.GetTimestamp();
        var cases = Generate(n);
        TimeSpan generate = Stopwatch.GetElapsedTime(t);

        using var host = new HostCpu();
        t = Stopwatch.GetTimestamp();
        DiffRegisters[] first = RunOnHost(host, cases);
        TimeSpan native = Stopwatch.GetElapsedTime(t);
        TimeSpan stubsOnly = host.NativeTime;
        DiffRegisters[] second = RunOnHost(host, cases);

        int distinct = cases.Select(c => Convert.ToHexString(c.Code32)).Distinct().Count();
        TestContext.Out.WriteLine($"generate: {n} cases in {generate.TotalMilliseconds:F0} ms ({DiffReport.Rate(n, generate)}); {distinct} distinct 32-bit encodings");
        TestContext.Out.WriteLine($"host:     {first.Length} cases in {native.TotalMilliseconds:F0} ms ({DiffReport.Rate(first.Length, native)}) incl. guard decode, copy, W^X flips");
        TestContext.Out.WriteLine($"stubs:    {first.Length} cases in {stubsOnly.TotalMilliseconds:F0} ms ({DiffReport.Rate(first.Length, stubsOnly)}) native calls alone");
        Assert.That(first.Length, Is.GreaterThan(n * 9 / 10));
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Host_replay_adapter_passes_every_case_and_prints_the_total_line()
    {
        const int n = 20_000;
        DiffReport report = new DiffHarness(_host, new HostReplayCpu(_host)).Run(Seed, n);
        string text = report.Format();
        TestContext.Out.WriteLine(text);
        Assert.That(report.Families.Keys, Is.EquivalentTo(Enum.GetValues<InstructionFamily>()));
        Assert.That(report.FaultCases, Is.GreaterThan(0));
        Assert.That(text, Does.EndWith($"host-differential: {n} passed, 0 failed{Environment.NewLine}"));
    }

    [Test]
    public void A_wrong_defined_flag_is_reported_with_disassembly()
    {
        // CF after ADD is defined by the SDM: flipping it must fail exactly the ADD cases (and XADD, which adds too).
        var mutant = new MutantCpu(new HostReplayCpu(_host), (i, input, r) =>
        {
            if (i.Mnemonic == Mnemonic.Add) r.Regs = r.Regs with { Eflags = r.Regs.Eflags ^ EFlags.CF };
        });
        DiffReport report = new DiffHarness(_host, mutant).Run(Seed, 20_000);
        TestContext.Out.WriteLine(report.Format());
        Assert.That(report.Failed, Is.GreaterThan(0));
        Assert.That(report.Failed, Is.EqualTo(report.Families[InstructionFamily.Alu].Failed));
        Assert.That(report.FailureDetails, Has.Count.EqualTo(20));
        Assert.That(report.FailureDetails, Has.All.Contains(": add ").And.All.Contains("differs: flags CF"));
        Assert.That(report.Summary, Does.Match(@"^host-differential: \d+ passed, \d+ failed$"));
    }

    [Test]
    public void Changes_to_undefined_results_are_not_reported()
    {
        // Scramble what the SDM leaves undefined; the harness must not care.
        var mutant = new MutantCpu(new HostReplayCpu(_host), (i, input, r) =>
        {
            var regs = r.Regs;
            switch (i.Mnemonic)
            {
                case Mnemonic.Mul or Mnemonic.Imul: regs.Eflags ^= EFlags.SF | EFlags.ZF | EFlags.AF | EFlags.PF; break;
                case Mnemonic.Div or Mnemonic.Idiv when r.ExceptionVector < 0: regs.Eflags ^= EFlags.Status; break;
                case Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Test: regs.Eflags ^= EFlags.AF; break;
                case Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc: regs.Eflags ^= EFlags.OF | EFlags.SF | EFlags.AF | EFlags.PF; break;
                case Mnemonic.Bsf or Mnemonic.Bsr:
                    regs.Eflags ^= EFlags.OF | EFlags.SF | EFlags.AF | EFlags.PF | EFlags.CF;
                    if (GuestRegisters.Get(input, i.Op1Register) == 0) GuestRegisters.Set(ref regs, i.Op0Register, 0xDEADBEEF);
                    break;
                case Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr:
                    if ((DefinedFlags.Count(i, input) & 0x1F) > 1) regs.Eflags ^= EFlags.OF;
                    break;
            }
            r.Regs = regs;
        });
        DiffReport report = new DiffHarness(_host, mutant).Run(Seed, 20_000);
        Assert.That(report.Failed, Is.Zero, report.Format());
    }

    [Test]
    public void A_missing_divide_error_is_reported()
    {
        var mutant = new MutantCpu(new HostReplayCpu(_host), (i, input, r) => { if (r.ExceptionVector == 0) r.ExceptionVector = -1; });
        DiffReport report = new DiffHarness(_host, mutant).Run(Seed, 20_000);
        Assert.That(report.Failed, Is.EqualTo(report.FaultCases));
        Assert.That(report.Failed, Is.EqualTo(report.Families[InstructionFamily.Divide].Failed));
        Assert.That(report.FailureDetails, Has.All.Contains("exception vector none, expected #DE(0)"));
    }

    [Test]
    public void Adapter_exceptions_count_as_failures()
    {
        var throwing = new MutantCpu(new HostReplayCpu(_host), (i, input, r) => { if (i.Mnemonic == Mnemonic.Bswap) throw new NotSupportedException("no BSWAP yet"); });
        DiffReport report = new DiffHarness(_host, throwing).Run(Seed, 5_000);
        Assert.That(report.Failed, Is.EqualTo(report.Families[InstructionFamily.ByteSwap].Cases).And.GreaterThan(0));
        Assert.That(report.FailureDetails[0], Does.Contain("NotSupportedException: no BSWAP yet"));
    }

    /// <summary>Wraps an adapter and alters its results after chosen instructions.</summary>
    private sealed class MutantCpu(IDiffCpu inner, MutantCpu.Change change) : IDiffCpu
    {
        public delegate void Change(Instruction instr, DiffRegisters input, Result result);

        public sealed class Result
        {
            public DiffRegisters Regs;
            public int ExceptionVector;
        }

        public DiffResult Execute(ReadOnlySpan<byte> code32, in DiffRegisters input)
        {
            DiffResult r = inner.Execute(code32, input);
            Decoder.Create(32, new ByteArrayCodeReader(code32.ToArray()), 0x1000).Decode(out Instruction instr);
            var result = new Result { Regs = r.Regs, ExceptionVector = r.ExceptionVector };
            change(instr, input, result);
            return new DiffResult(result.Regs, result.ExceptionVector);
        }
    }
}
