namespace Emulator.Core.Cpu;

public sealed partial class CpuState
{
    /// <summary>
    /// Use the host's SSE/SSSE3 (System.Runtime.Intrinsics) for MMX/SSE instructions where its result is exactly
    /// Intel's; false forces the portable path (same results, used to test it). Ignored on hosts without SSE2.
    /// </summary>
    public bool HostSimd = true;
}
