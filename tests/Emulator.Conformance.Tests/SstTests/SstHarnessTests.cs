using Emulator.Conformance.Tests.Sst;
using NUnit.Framework;

namespace Emulator.Conformance.Tests.SstTests;

/// <summary>Comparer, classifier and runner logic on synthetic states and on a replay of the recorded results.</summary>
[TestFixture]
public sealed class SstHarnessTests
{
    private static readonly SstRunResult Halted = new(true, []);

    [Test]
    public void ComparerPassesEqualStateAndNamesEveryDifference()
    {
        var plan = SyntheticPlan(0x58, regs => regs.Sp = 0x100, flagsMask: 0xFFEF);
        var final = plan.Expected;
        byte Good(uint a) => plan.RamChecks.Single(c => c.Address == a).Expected;
        Assert.That(SstComparer.Compare(plan, final, Good, Halted), Is.Null);

        var undefinedOnly = final;
        undefinedOnly.Flags ^= 0x0010; // AF, undefined here
        Assert.That(SstComparer.Compare(plan, undefinedOnly, Good, Halted), Is.Null);

        var bad = final;
        bad.Flags ^= 0x0001;
        bad.Bx ^= 1;
        string? d = SstComparer.Compare(plan, bad, a => (byte)(Good(a) + (a == 0x1000 ? 1 : 0)), new SstRunResult(false, [13]));
        Assert.Multiple(() =>
        {
            Assert.That(d, Does.Contain("flags:").And.Contain("bx: expected").And.Contain("did not reach HLT"));
            Assert.That(d, Does.Contain("[001000]: expected 58 got 59"));
            Assert.That(d, Does.Contain("exceptions: expected [] got [13]"));
        });
    }

    [Test]
    public void ComparerHonoursRamMasks()
    {
        var plan = SyntheticPlan(0x90, _ => { }) is var p ? new SstVectorPlan
        {
            Opcode = p.Opcode,
            Test = p.Test,
            Initial = p.Initial,
            Expected = p.Expected,
            RamChecks = [new SstRamCheck(0x2000, 0x12, 0xF0)],
        } : null!;
        Assert.Multiple(() =>
        {
            Assert.That(SstComparer.Compare(plan, plan.Expected, _ => 0x1F, Halted), Is.Null);
            Assert.That(SstComparer.Compare(plan, plan.Expected, _ => 0x22, Halted), Does.Contain("[002000]"));
        });
    }

    [Test]
    public void InitialFlagsLoseBits12To15()
    {
        var plan = SyntheticPlan(0x90, r => r.Flags = 0xF0D7);
        Assert.That(plan.Initial.Flags, Is.EqualTo(0x00D7));
    }

    [TestCase(new byte[] { 0xF0, 0x01, 0x07 }, null, TestName = "lock add [bx],ax is lockable")]
    [TestCase(new byte[] { 0x26, 0xF0, 0x87, 0x07 }, null, TestName = "es lock xchg [bx],ax is lockable")]
    [TestCase(new byte[] { 0xF0, 0x01, 0xD8 }, SstReasons.LockUd, TestName = "lock add ax,bx has no memory destination")]
    [TestCase(new byte[] { 0xF0, 0x89, 0x07 }, SstReasons.LockUd, TestName = "lock mov is not lockable")]
    [TestCase(new byte[] { 0xF0, 0x39, 0x07 }, SstReasons.LockUd, TestName = "lock cmp is not lockable")]
    public void LockFilter(byte[] instruction, string? reason)
    {
        var plan = SyntheticPlan(instruction, _ => { });
        Assert.That(plan.FilterReason, Is.EqualTo(reason));
    }

    [Test]
    public void StackSegmentFaultsAreFilteredOthersNot()
    {
        var popFffF = SyntheticPlan(0x58, r => r.Sp = 0xFFFF, exception: new MooException(13, 0));
        var bpFfff = SyntheticPlan([0x8B, 0x46, 0x00], r => r.Bp = 0xFFFF, exception: new MooException(13, 0));
        var bxFfff = SyntheticPlan([0x8B, 0x07], r => r.Bx = 0xFFFF, exception: new MooException(13, 0));
        var ssOverride = SyntheticPlan([0x36, 0x8B, 0x07], r => r.Bx = 0xFFFF, exception: new MooException(13, 0));
        Assert.Multiple(() =>
        {
            Assert.That(popFffF.FilterReason, Is.EqualTo(SstReasons.StackLimit));
            Assert.That(bpFfff.FilterReason, Is.EqualTo(SstReasons.StackLimit));
            Assert.That(bxFfff.FilterReason, Is.Null);
            Assert.That(ssOverride.FilterReason, Is.EqualTo(SstReasons.StackLimit));
        });
    }

    [Test]
    public void PopfExpectsIoplFromThePoppedWord()
    {
        // SS:SP = 0100:0010 → physical 0x1010; popped FLAGS 0x72D5 (IOPL 3, NT, plus status bits).
        var plan = SyntheticPlan(
            0x9D,
            r => { r.Ss = 0x100; r.Sp = 0x10; },
            ram: [new MooRamEntry(0x1010, 0xD5), new MooRamEntry(0x1011, 0x72)],
            final: f => f.Flags = 0x02D5);
        Assert.Multiple(() =>
        {
            Assert.That(plan.Expected.Flags, Is.EqualTo(0x72D5));
            Assert.That(plan.Adjustments, Is.EqualTo(new[] { SstReasons.PopfIopl }));
        });
    }

    [TestCase("D3.4", 20, 0xF7EE, TestName = "shl by 20: OF, AF, CF undefined")]
    [TestCase("D3.7", 20, 0xF7EF, TestName = "sar by 20: OF, AF undefined")]
    [TestCase("D3.0", 3, 0xF7FF, TestName = "rol by 3: OF undefined")]
    [TestCase("D3.0", 1, 0xFFFF, TestName = "rol by 1: all defined")]
    [TestCase("D3.4", 32, 0xFFFF, TestName = "shl by 32 masks to 0: all defined")]
    public void ShiftFlagsFollowTheSdm(string opcode, int cl, int mask)
    {
        var plan = SstClassifier.Plan(opcode, Test([0xD3, (byte)(0xC0 | ((opcode[3] - '0') << 3))], r => r.Cx = (ushort)cl), 0xFFFF);
        Assert.That(plan.FlagsMask, Is.EqualTo((ushort)mask));
    }

    [Test]
    public void ExceptionFrameFlagsAreComparedUnderTheMask()
    {
        // DIV fault: frame at SS:SP (final) = 0200:0FFA; FLAGS pushed at SS:SP+4 = 0x2FFE.
        var plan = SstClassifier.Plan(
            "F6.6",
            Test([0xF6, 0xF3], r => { r.Ss = 0x200; r.Sp = 0x1000; }, exception: new MooException(0, 0x2FFE),
                final: f => { f.Sp = 0xFFA; }, finalRam: [new MooRamEntry(0x2FFE, 0x46), new MooRamEntry(0x2FFF, 0x00)]),
            0xF72A);
        Assert.Multiple(() =>
        {
            Assert.That(plan.RamChecks.Single(c => c.Address == 0x2FFE).Mask, Is.EqualTo(0x2A));
            Assert.That(plan.RamChecks.Single(c => c.Address == 0x2FFF).Mask, Is.EqualTo(0xF7));
            Assert.That(plan.ExpectedExceptions, Is.EqualTo(new[] { 0 }));
        });
    }

    /// <summary>
    /// A fake CPU that replays each vector's recorded 286 result must pass every vector except those whose expectation was
    /// adjusted to a different 386+ result — proving the runner loads, runs and compares what the data say.
    /// </summary>
    [TestCase("00")]
    [TestCase("9D")]
    [TestCase("A5")]
    [TestCase("8F")]
    [TestCase("F6.6")]
    [TestCase("D3.4")]
    [TestCase("CD")]
    public void ReplayOfThe286PassesExceptAdjustedVectors(string opcode)
    {
        var data = SstTestData.Open();
        string file = Path.Combine(data.Directory, opcode + ".MOO.gz");
        var tests = MooFile.Load(file).Tests;
        var replay = new ReplayCpu(tests);
        var result = SstRunner.RunFile(data, file, replay);

        var changing = new HashSet<string> { SstReasons.PopfIopl, SstReasons.StringFaultPrecise, SstReasons.PopMemFault };
        var mask = data.DefinedFlagsMask(opcode);
        var adjusted = tests.Select(t => SstClassifier.Plan(opcode, t, mask))
            .Where(p => p.FilterReason is null && p.Adjustments.Any(changing.Contains))
            .Select(p => p.Test.Hash).ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(result.Failures.Select(f => f.Hash), Is.EquivalentTo(adjusted), string.Join("\n", result.Failures.Take(5)));
            Assert.That(result.Passed + result.Failed + result.Filtered, Is.EqualTo(tests.Count));
        });
    }

    [Test]
    public void CorruptedReplayFails()
    {
        var data = SstTestData.Open();
        string file = Path.Combine(data.Directory, "00.MOO.gz");
        var replay = new ReplayCpu(MooFile.Load(file).Tests) { CorruptAx = true };
        var result = SstRunner.RunFile(data, file, replay);
        Assert.That(result.Passed, Is.Zero);
    }

    private static SstVectorPlan SyntheticPlan(byte opcodeByte, Action<MooRegisterSetter> init, ushort flagsMask = 0xFFFF, MooException? exception = null) =>
        SyntheticPlan([opcodeByte], init, flagsMask, exception);

    private static SstVectorPlan SyntheticPlan(
        byte[] instruction,
        Action<MooRegisterSetter> init,
        ushort flagsMask = 0xFFFF,
        MooException? exception = null,
        MooRamEntry[]? ram = null,
        Action<MooRegisterSetter>? final = null)
    {
        string opcode = instruction.First(b => b is not (0x26 or 0x2E or 0x36 or 0x3E or 0xF0 or 0xF2 or 0xF3)).ToString("X2");
        return SstClassifier.Plan(opcode, Test(instruction, init, exception, ram, final), flagsMask);
    }

    private static SstVectorPlan SyntheticPlan(byte opcodeByte, Action<MooRegisterSetter> init, MooRamEntry[] ram, Action<MooRegisterSetter> final) =>
        SyntheticPlan([opcodeByte], init, 0xFFFF, null, ram, final);

    private static MooTest Test(
        byte[] instruction,
        Action<MooRegisterSetter> init,
        MooException? exception = null,
        MooRamEntry[]? ram = null,
        Action<MooRegisterSetter>? final = null,
        MooRamEntry[]? finalRam = null)
    {
        var i = new MooRegisterSetter();
        i.Cs = 0x100;
        i.Ip = 0;
        i.Ss = 0x800;
        i.Sp = 0x100;
        i.Flags = 0x0002;
        init(i);
        var f = new MooRegisterSetter(partial: true);
        final?.Invoke(f);
        var code = instruction.Select((b, k) => new MooRamEntry(0x1000u + (uint)k, b)).Append(new MooRamEntry(0x1000u + (uint)instruction.Length, 0xF4));
        return new MooTest(
            0,
            "synthetic",
            [.. instruction, 0xF4],
            new MooCpuState(0x3FFF, i.Values, [.. code, .. ram ?? []]),
            new MooCpuState(f.Mask, f.Values, finalRam ?? []),
            exception,
            new string('0', 40));
    }

    /// <summary>Builds a REGS value set and its presence mask for synthetic tests.</summary>
    private sealed class MooRegisterSetter(bool partial = false)
    {
        public ushort[] Values { get; } = new ushort[14];

        public ushort Mask { get; private set; } = partial ? (ushort)0 : (ushort)0x3FFF;

        public ushort Bx { set => Set(MooRegister.Bx, value); }

        public ushort Cx { set => Set(MooRegister.Cx, value); }

        public ushort Cs { set => Set(MooRegister.Cs, value); }

        public ushort Ss { set => Set(MooRegister.Ss, value); }

        public ushort Sp { set => Set(MooRegister.Sp, value); }

        public ushort Bp { set => Set(MooRegister.Bp, value); }

        public ushort Ip { set => Set(MooRegister.Ip, value); }

        public ushort Flags { set => Set(MooRegister.Flags, value); }

        private void Set(MooRegister r, ushort v)
        {
            Values[(int)r] = v;
            Mask |= (ushort)(1 << (int)r);
        }
    }

    /// <summary>Not a CPU: looks the vector up by its initial registers and writes back the recorded final state.</summary>
    private sealed class ReplayCpu(IReadOnlyList<MooTest> tests) : ISstCpu
    {
        private readonly Dictionary<string, MooTest> byInitial = tests
            .GroupBy(t => Key(t.Initial))
            .ToDictionary(g => g.Key, g => g.First());

        private readonly Dictionary<uint, byte> ram = [];
        private SstRegisters regs;

        public bool CorruptAx { get; init; }

        public void Reset()
        {
            ram.Clear();
            regs = default;
        }

        public void WriteByte(uint physicalAddress, byte value) => ram[physicalAddress] = value;

        public byte ReadByte(uint physicalAddress) => ram.GetValueOrDefault(physicalAddress);

        public void SetRegisters(in SstRegisters r) => regs = r;

        public SstRegisters GetRegisters() => regs;

        public SstRunResult Run(int maxInstructions)
        {
            var copy = regs;
            copy.Flags = 0; // key on everything but FLAGS, whose top bits the harness masked
            var t = byInitial[Key(copy)];
            for (var r = MooRegister.Ax; r <= MooRegister.Flags; r++)
            {
                if (t.Final.TryGet(r, out ushort v))
                {
                    regs.Set(r, v);
                }
            }

            foreach (var e in t.Final.Ram)
            {
                ram[e.Address] = e.Value;
            }

            if (CorruptAx)
            {
                regs.Ax ^= 0x8000;
            }

            return new SstRunResult(true, t.Exception is { } x ? [x.Number] : []);
        }

        private static string Key(MooCpuState s)
        {
            var r = new SstRegisters();
            for (var m = MooRegister.Ax; m < MooRegister.Flags; m++)
            {
                r.Set(m, s.Get(m));
            }

            return Key(r);
        }

        private static string Key(SstRegisters r) => r.ToString();
    }
}
