namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// MOO "EXCP" chunk: the vector the CPU took and the physical address of the FLAGS word it pushed.
/// The recorder rounds <see cref="FlagAddress"/> down to even when SP is odd, so the harness computes the slot as SS:SP+4
/// from the final state instead (testdata README).
/// </summary>
public readonly record struct MooException(byte Number, uint FlagAddress);
