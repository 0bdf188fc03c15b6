namespace Emulator.Conformance.Tests.Sst;

/// <summary>A vector whose final state differed from the expectation.</summary>
public sealed record SstFailure(string Opcode, int Index, string Hash, string Name, string Detail)
{
    /// <summary>The line format of known-failures-sst80286.txt: hash, then the reason.</summary>
    public string ToKnownFailureLine() => $"{Hash} {Opcode} #{Index} {Name}: {Detail}";
}
