namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// How one vector is run and judged: the state to load, what the final state must be on a 386+ in real mode,
/// or the reason it is filtered out (then nothing is run).
/// </summary>
public sealed class SstVectorPlan
{
    public required string Opcode { get; init; }

    public required MooTest Test { get; init; }

    /// <summary>Non-null: the vector is not run; the value is one of <see cref="SstReasons"/>' filter reasons.</summary>
    public string? FilterReason { get; init; }

    /// <summary>Expectation adjustments applied (reasons from <see cref="SstReasons"/>); the vector is still run and judged.</summary>
    public IReadOnlyList<string> Adjustments { get; init; } = [];

    /// <summary>Registers to load (FLAGS bits 12–15 cleared: IOPL/NT cannot be set in real mode on a 286).</summary>
    public SstRegisters Initial { get; init; }

    public SstRegisters Expected { get; init; }

    /// <summary>Bit n set: register n (<see cref="MooRegister"/>) is compared. FLAGS is compared under <see cref="FlagsMask"/>.</summary>
    public ushort RegisterCompareMask { get; init; } = 0x3FFF;

    /// <summary>Flags compared: metadata's defined-flags mask, narrowed by adjustments.</summary>
    public ushort FlagsMask { get; init; } = 0xFFFF;

    public IReadOnlyList<MooRamEntry> InitialRam { get; init; } = [];

    public IReadOnlyList<SstRamCheck> RamChecks { get; init; } = [];

    /// <summary>Vectors the CPU must deliver: the EXCP number, or none.</summary>
    public IReadOnlyList<int> ExpectedExceptions { get; init; } = [];
}
