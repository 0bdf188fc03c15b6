using System.Globalization;
using System.Text;

namespace Emulator.Conformance.Tests.Sst;

/// <summary>The outcome of a run over some opcode files.</summary>
public sealed class SstReport
{
    public SstReport(IReadOnlyList<SstOpcodeResult> perOpcode)
    {
        PerOpcode = perOpcode;
        foreach (var r in perOpcode)
        {
            Passed += r.Passed;
            Failed += r.Failed;
            Filtered += r.Filtered;
            Revoked += r.Revoked;
            Add(FilterCounts, r.FilterCounts);
            Add(AdjustmentCounts, r.AdjustmentCounts);
        }
    }

    public IReadOnlyList<SstOpcodeResult> PerOpcode { get; }

    public int Passed { get; }

    public int Failed { get; }

    public int Filtered { get; }

    public int Revoked { get; }

    public SortedDictionary<string, int> FilterCounts { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, int> AdjustmentCounts { get; } = new(StringComparer.Ordinal);

    public IEnumerable<SstFailure> Failures => PerOpcode.SelectMany(r => r.Failures);

    /// <summary>Share of the run (not filtered, not revoked) vectors that passed.</summary>
    public double PassRate => Passed + Failed == 0 ? 0 : (double)Passed / (Passed + Failed);

    /// <summary>Exactly "SingleStepTests 80286: N passed, M failed".</summary>
    public string TotalLine => $"SingleStepTests 80286: {Passed} passed, {Failed} failed";

    public string FilteredLine =>
        $"filtered: {Filtered} ({string.Join(", ", FilterCounts.Select(kv => $"{kv.Key}: {kv.Value}"))})" +
        (Revoked > 0 ? $"; revoked: {Revoked}" : string.Empty);

    public string AdjustedLine =>
        $"adjusted (run, expectation changed to the 386+ result): {AdjustmentCounts.Values.Sum()} " +
        $"({string.Join(", ", AdjustmentCounts.Select(kv => $"{kv.Key}: {kv.Value}"))})";

    public string FormatTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"opcode",-7} {"passed",7} {"failed",7} {"filtered",8}");
        foreach (var r in PerOpcode)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{r.Opcode,-7} {r.Passed,7} {r.Failed,7} {r.Filtered,8}");
        }

        sb.AppendLine(TotalLine);
        sb.AppendLine(FilteredLine);
        sb.AppendLine(AdjustedLine);
        return sb.ToString();
    }

    private static void Add(SortedDictionary<string, int> into, Dictionary<string, int> from)
    {
        foreach (var (k, v) in from)
        {
            into[k] = into.GetValueOrDefault(k) + v;
        }
    }
}
