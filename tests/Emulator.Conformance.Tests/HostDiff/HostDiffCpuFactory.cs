namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>The single place where the emulator core is plugged into the host-differential harness.</summary>
public static class HostDiffCpuFactory
{
    /// <summary>Creates the emulator adapter (a fresh CPU + memory able to run one 32-bit instruction per call).</summary>
    public static IDiffCpu Create() => new CoreDiffCpu();
}
