namespace Emulator.Core.Execution;

/// <summary>Why <see cref="CpuCore.Run"/> returned.</summary>
public enum StopReason
{
    /// <summary>The instruction budget was used up.</summary>
    InstructionLimit,

    /// <summary>HLT with interrupts disabled and no timer or NMI that could wake it: the CPU can never continue.</summary>
    HaltedForever,

    /// <summary>HLT with no timer armed (an embedder may inject an interrupt and run again).</summary>
    Idle,

    /// <summary>Triple fault or another shutdown condition.</summary>
    Shutdown,

    /// <summary><see cref="Cpu.CpuState.StopRequested"/> was set (by a device, a hook or the embedder).</summary>
    StopRequested,
}
