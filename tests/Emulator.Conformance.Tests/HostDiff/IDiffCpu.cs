namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>The emulator side of the host-differential harness: runs one 32-bit instruction on the emulated CPU.</summary>
public interface IDiffCpu
{
    // Puts the CPU in 32-bit flat protected mode, CPL0, paging off, with the given code at a fixed address, sets the 8 GPRs and EFLAGS,
    // executes exactly ONE instruction (the code bytes given), and returns the resulting registers and EFLAGS (or the exception vector if one was raised).
    DiffResult Execute(ReadOnlySpan<byte> code32, in DiffRegisters input);
}
