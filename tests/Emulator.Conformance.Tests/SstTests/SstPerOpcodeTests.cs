using Emulator.Conformance.Tests.Sst;
using NUnit.Framework;

namespace Emulator.Conformance.Tests.SstTests;

/// <summary>
/// One case per opcode file, for diagnosis (`dotnet test --filter "FullyQualifiedName~SstPerOpcodeTests"`): runs the file
/// alone and prints its failures. Explicit so the full run is not paid twice beside <see cref="SstConformanceTests"/>.
/// </summary>
[TestFixture]
[Explicit("diagnosis: run on demand with --filter FullyQualifiedName~SstPerOpcodeTests")]
public sealed class SstPerOpcodeTests
{
    public static IEnumerable<TestCaseData> OpcodeFiles()
    {
        string dir;
        try
        {
            dir = SstTestData.LocateDirectory();
        }
        catch (DirectoryNotFoundException)
        {
            yield break; // SstMooReaderTests fails loudly on missing data; discovery must not throw.
        }

        foreach (string f in Directory.GetFiles(dir, "*.MOO.gz").OrderBy(f => f, StringComparer.Ordinal))
        {
            yield return new TestCaseData(SstTestData.OpcodeOf(f)).SetName($"Opcode_{SstTestData.OpcodeOf(f).Replace('.', '_')}");
        }
    }

    [TestCaseSource(nameof(OpcodeFiles))]
    public void Opcode(string opcode)
    {
        var data = SstTestData.Open();
        var known = SstKnownFailures.Parse(File.ReadLines(SstKnownFailures.Locate()));
        var result = SstRunner.RunFile(data, Path.Combine(data.Directory, opcode + ".MOO.gz"), SstCpuFactory.Create());
        Console.Error.WriteLine($"{opcode}: {result.Passed} passed, {result.Failed} failed, {result.Filtered} filtered");
        foreach (var f in result.Failures.Take(30))
        {
            Console.Error.WriteLine((known.ContainsKey(f.Hash) ? "known    " : "UNLISTED ") + f.ToKnownFailureLine());
        }

        Assert.That(result.Failures.Where(f => !known.ContainsKey(f.Hash)).Select(f => f.Hash), Is.Empty);
    }
}
