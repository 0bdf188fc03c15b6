using System.Diagnostics;
using System.Text;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>Counts, timings and the first failures of one host-differential run.</summary>
public sealed class DiffReport(int maxReportedFailures)
{
    private readonly Dictionary<InstructionFamily, (long Cases, long Failed)> _families = [];
    private readonly List<string> _failures = [];

    public long Passed { get; private set; }
    public long Failed { get; private set; }
    public long HostCases { get; internal set; }
    public long FaultCases { get; internal set; }
    public TimeSpan GenerateTime { get; internal set; }
    public TimeSpan HostTime { get; internal set; }
    public TimeSpan EmulatorTime { get; internal set; }

    public IReadOnlyList<string> FailureDetails => _failures;

    public IReadOnlyDictionary<InstructionFamily, (long Cases, long Failed)> Families => _families;

    /// <summary>The total line, exactly <c>host-differential: N passed, M failed</c>.</summary>
    public string Summary => $"host-differential: {Passed} passed, {Failed} failed";

    internal void Add(InstructionFamily family, string? failure)
    {
        _families.TryGetValue(family, out var f);
        if (failure == null)
        {
            Passed++;
            _families[family] = (f.Cases + 1, f.Failed);
            return;
        }
        Failed++;
        _families[family] = (f.Cases + 1, f.Failed + 1);
        if (_failures.Count < maxReportedFailures) _failures.Add(failure);
    }

    public string Format()
    {
        var s = new StringBuilder();
        s.AppendLine("family               cases     failed");
        foreach (var family in Enum.GetValues<InstructionFamily>())
        {
            _families.TryGetValue(family, out var f);
            s.AppendLine($"{family,-18} {f.Cases,9} {f.Failed,10}");
        }
        long total = Passed + Failed;
        s.AppendLine($"cases: {total} ({HostCases} run on the host, {FaultCases} #DE cases checked against the SDM only)");
        s.AppendLine($"time: generate {Ms(GenerateTime)}, host {Ms(HostTime)} ({Rate(HostCases, HostTime)}), emulator {Ms(EmulatorTime)} ({Rate(total, EmulatorTime)})");
        if (_failures.Count > 0)
        {
            s.AppendLine($"first {_failures.Count} failure(s):");
            foreach (string f in _failures) s.Append(f);
        }
        s.AppendLine(Summary);
        return s.ToString();
    }

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:F0} ms";

    public static string Rate(long count, TimeSpan t) =>
        t.Ticks == 0 ? "n/a" : $"{count / t.TotalSeconds:N0}/s, {t.TotalNanoseconds / Math.Max(count, 1):F0} ns each";

    internal static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);
}
