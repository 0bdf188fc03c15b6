namespace Emulator.Conformance.Tests.Sst;

/// <summary>Counts for one opcode file, plus its failures and why vectors were filtered or adjusted.</summary>
public sealed class SstOpcodeResult
{
    public SstOpcodeResult(string opcode) => Opcode = opcode;

    public string Opcode { get; }

    public int Passed { get; set; }

    public int Failed { get; set; }

    public int Filtered { get; set; }

    public int Revoked { get; set; }

    public List<SstFailure> Failures { get; } = [];

    /// <summary>Vectors that passed, by hash (to find stale entries in the known-failures list).</summary>
    public List<string> PassedHashes { get; } = [];

    public Dictionary<string, int> FilterCounts { get; } = [];

    public Dictionary<string, int> AdjustmentCounts { get; } = [];
}
