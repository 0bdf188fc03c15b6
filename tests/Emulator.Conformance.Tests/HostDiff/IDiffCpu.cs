namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// The emulator side of the host-differential harness: runs one 32-bit instruction on the emulated CPU.
/// Contract details the harness relies on: <c>input.Eflags</c> holds random status flags, DF=0, IF=0 and bit 1 set; <c>input.Esp</c> is
/// <see cref="CaseGenerator.StackPointer"/> (valid RAM, in case delivering #DE pushes); when an exception is raised, return its vector and
/// the registers/EFLAGS as they were at the faulting instruction (i.e. unchanged — before delivery), not the handler's state.
/// One instance is used for the whole run, from one thread.
/// </summary>
public interface IDiffCpu
{
    // Puts the CPU in 32-bit flat protected mode, CPL0, paging off, with the given code at a fixed address, sets the 8 GPRs and EFLAGS,
    // executes exactly ONE instruction (the code bytes given), and returns the resulting registers and EFLAGS (or the exception vector if one was raised).
    DiffResult Execute(ReadOnlySpan<byte> code32, in DiffRegisters input);
}
