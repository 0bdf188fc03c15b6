namespace Emulator.Machine;

/// <summary>The end of a run: why, and the process exit code QEMU would give.</summary>
public readonly record struct MachineExit(MachineStopReason Reason, int ExitCode);
