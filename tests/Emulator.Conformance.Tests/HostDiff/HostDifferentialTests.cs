using NUnit.Framework;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>The bar: the emulator core against the host CPU on random 32-bit integer instructions.</summary>
[TestFixture]
public sealed class HostDifferentialTests
{
    /// <summary>Fixed, so a failure number names the same case on every run.</summary>
    public const ulong Seed = 0x1CED_5EED_2025;

    public const long DefaultCases = 1_000_000;

    /// <summary>HOSTDIFF_CASES overrides the number of cases (positive integer).</summary>
    public static long CaseCount()
    {
        string? text = Environment.GetEnvironmentVariable("HOSTDIFF_CASES");
        if (string.IsNullOrWhiteSpace(text)) return DefaultCases;
        if (!long.TryParse(text, out long n) || n <= 0) throw new ArgumentException($"HOSTDIFF_CASES must be a positive integer, not '{text}'");
        return n;
    }

    [Test]
    public void Emulator_matches_the_host_cpu()
    {
        Assume.That(HostCpu.IsSupported, "needs an x86-64 Linux host");
        using var host = new HostCpu();
        IDiffCpu cpu = HostDiffCpuFactory.Create();
        DiffReport report = new DiffHarness(host, cpu).Run(Seed, CaseCount());
        Console.Error.WriteLine(report.Format()); // stderr: shown by `dotnet test` at default verbosity
        Assert.That(report.Failed, Is.Zero, report.Summary);
    }
}
