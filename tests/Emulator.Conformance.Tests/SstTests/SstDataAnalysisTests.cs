using System.Collections.Concurrent;
using Emulator.Conformance.Tests.Sst;
using Iced.Intel;
using NUnit.Framework;

namespace Emulator.Conformance.Tests.SstTests;

/// <summary>Checks the classifier against the 286 data alone (no CPU needed).</summary>
[TestFixture]
public sealed class SstDataAnalysisTests
{
    /// <summary>
    /// The classifier's segment-limit model (Iced's memory-operand list + initial registers, 386+ rules) must predict exactly the
    /// 286's #GP vectors on everything it does not filter, so the filters that depend on it (SS faults) are trustworthy.
    /// Excluded, for written reasons: REP string forms (Iced cannot know the iteration count: handled by the pointer rule),
    /// INT n (a #GP there is the software vector 13), and #UD vectors (decode-time faults come before any access).
    /// </summary>
    [Test]
    public void LimitFaultModelAgreesWithThe286()
    {
        var data = SstTestData.Open();
        var mismatches = new ConcurrentDictionary<string, int>();
        var lengthMismatches = new ConcurrentBag<string>();
        var filters = new ConcurrentDictionary<string, int>();
        var adjust = new ConcurrentDictionary<string, int>();
        int total = 0;
        Parallel.ForEach(data.Files(), file =>
        {
            string op = SstTestData.OpcodeOf(file);
            foreach (var t in MooFile.Load(file).Tests)
            {
                Interlocked.Increment(ref total);
                var plan = SstClassifier.Plan(op, t, data.DefinedFlagsMask(op));
                if (plan.FilterReason is { } f)
                {
                    filters.AddOrUpdate(f, 1, (_, n) => n + 1);
                    continue;
                }

                foreach (var a in plan.Adjustments)
                {
                    adjust.AddOrUpdate(a, 1, (_, n) => n + 1);
                }

                var instr = SstClassifier.Decode(t.Bytes, plan.Initial.Ip, DecoderOptions.NoInvalidCheck);
                if (instr.Code != Code.INVALID && instr.Length != SstClassifier.InstructionLength(t))
                {
                    lengthMismatches.Add($"{op} #{t.Index}");
                }

                if (t.Exception?.Number != 6 && SstClassifier.Length286(t, plan.Initial.Ip) > 10)
                {
                    lengthMismatches.Add($"{op} #{t.Index}: longer than 10 bytes without #GP");
                }

                bool rep = instr.HasRepPrefix || instr.HasRepnePrefix;
                if (op == "CD" || t.Exception?.Number == 6 || (rep && SstClassifier.StringPointers(op) is not null))
                {
                    continue;
                }

                bool predicted = SstClassifier.LimitFaults(instr, plan.Initial).Any;
                if (predicted != (t.Exception?.Number == 13))
                {
                    mismatches.AddOrUpdate($"{op} #{t.Index} {t.Name} predicted={predicted}", 1, (_, n) => n + 1);
                }
            }
        });

        foreach (var (k, v) in filters.OrderBy(kv => kv.Key))
        {
            TestContext.Progress.WriteLine($"filter {k}: {v}");
        }

        foreach (var (k, v) in adjust.OrderBy(kv => kv.Key))
        {
            TestContext.Progress.WriteLine($"adjust {k}: {v}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(total, Is.EqualTo(615_000));
            Assert.That(mismatches.Keys, Is.Empty, "limit-fault model disagrees with the 286");
            Assert.That(lengthMismatches, Is.Empty, "BYTS is not instruction + HLT, or a >10-byte instruction did not #GP");
            Assert.That(filters.Values.Sum(), Is.LessThan(total * 0.03), "filters must stay narrow");
            Assert.That(filters.Keys, Is.EquivalentTo(new[]
            {
                SstReasons.LockUd, SstReasons.FsGs, SstReasons.StackLimit, SstReasons.Length10, SstReasons.RepStringFault,
            }), "every filter must match something (dead filters are removed)");
        });
    }
}
