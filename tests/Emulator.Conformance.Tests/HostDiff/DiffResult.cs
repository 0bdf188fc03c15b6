namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>What one instruction left behind: the registers, or the vector of the exception it raised (-1 = none).</summary>
public readonly record struct DiffResult(DiffRegisters Regs, int ExceptionVector = -1);
