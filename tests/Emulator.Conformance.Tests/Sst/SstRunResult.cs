namespace Emulator.Conformance.Tests.Sst;

/// <summary>Outcome of <see cref="ISstCpu.Run"/>.</summary>
public sealed class SstRunResult
{
    public SstRunResult(bool halted, List<int> exceptions)
    {
        Halted = halted;
        Exceptions = exceptions;
    }

    /// <summary>True when a HLT executed (IP points past it); false when the instruction budget ran out.</summary>
    public bool Halted { get; }

    /// <summary>Vectors delivered through the real-mode IVT (faults, INT n, INT3, INTO, BOUND), in order.</summary>
    public List<int> Exceptions { get; }
}
