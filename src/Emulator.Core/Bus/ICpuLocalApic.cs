namespace Emulator.Core.Bus;

/// <summary>
/// What the CPU core sees of its local APIC besides the INTR path (<see cref="IInterruptController"/>):
/// the IA32_APIC_BASE MSR (SDM Vol. 3A §11.4.4) and the initial APIC ID that CPUID.1:EBX[31:24] reports.
/// </summary>
public interface ICpuLocalApic
{
    /// <summary>IA32_APIC_BASE: base address (bits 35:12), global enable (bit 11), BSP (bit 8).</summary>
    ulong ApicBase { get; }

    /// <summary>WRMSR to IA32_APIC_BASE; false when the value sets reserved bits (the CPU raises #GP(0)).</summary>
    bool WriteApicBase(ulong value);

    /// <summary>The APIC ID the processor was given at power-up.</summary>
    byte InitialApicId { get; }
}
