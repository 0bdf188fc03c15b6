namespace Emulator.Machine;

/// <summary>Why <see cref="PcMachine.RunUntilStop"/> returned.</summary>
public enum MachineStopReason
{
    /// <summary>The guest powered off (ACPI S5); exit code 0.</summary>
    PowerOff,

    /// <summary>The guest wrote to isa-debug-exit; the exit code is (value &lt;&lt; 1) | 1.</summary>
    DebugExit,

    /// <summary>The guest reset the machine and -no-reboot was given; exit code 0.</summary>
    Reset,

    /// <summary>The monitor's <c>quit</c> or the embedder's <see cref="PcMachine.Quit"/>; exit code 0.</summary>
    Quit,

    /// <summary>HLT with interrupts disabled: the CPU can never continue.</summary>
    HaltedForever,

    /// <summary>HLT with no timer armed and no input that could wake the guest.</summary>
    Idle,

    /// <summary>The instruction budget given to <see cref="PcMachine.RunUntilStop"/> was used up.</summary>
    InstructionLimit,
}
