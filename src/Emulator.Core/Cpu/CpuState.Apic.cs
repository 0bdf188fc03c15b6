using Emulator.Core.Bus;

namespace Emulator.Core.Cpu;

public sealed partial class CpuState
{
    /// <summary>
    /// The processor's local APIC, or null when it has none: it then holds IA32_APIC_BASE and the initial APIC ID,
    /// and CPUID.1:EDX.APIC reflects whether it is globally enabled. Without one, <see cref="ApicBase"/> is a plain MSR.
    /// </summary>
    public ICpuLocalApic? LocalApic { get; set; }
}
