namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// The single point where the conformance harness obtains a CPU. The team lead replaces the body of <see cref="Create"/>
/// with the Emulator.Core-backed adapter; then removes the [Explicit("awaiting core adapter")] on SstTests/SstConformanceTests.cs.
/// </summary>
public static class SstCpuFactory
{
    public static ISstCpu Create() => new CoreSstCpu();
}
