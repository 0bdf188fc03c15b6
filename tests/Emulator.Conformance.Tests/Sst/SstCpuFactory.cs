namespace Emulator.Conformance.Tests.Sst;

/// <summary>The single point where the conformance harness obtains a CPU (either execution tier of the translator).</summary>
public static class SstCpuFactory
{
    /// <summary>A CPU whose blocks are compiled to IL before they run (the compiled tier).</summary>
    public static ISstCpu Create() => new CoreSstCpu(tierUpThreshold: 0);

    /// <summary>A CPU whose blocks are never compiled (the interpreted tier: every instruction through its helper).</summary>
    public static ISstCpu CreateInterpreted() => new CoreSstCpu(tierUpThreshold: int.MaxValue);
}
