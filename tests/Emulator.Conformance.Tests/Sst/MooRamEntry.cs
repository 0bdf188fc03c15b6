namespace Emulator.Conformance.Tests.Sst;

/// <summary>One (32-bit physical address, byte) pair of a MOO "RAM " chunk.</summary>
public readonly record struct MooRamEntry(uint Address, byte Value);
