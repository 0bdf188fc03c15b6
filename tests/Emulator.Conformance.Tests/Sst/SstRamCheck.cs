namespace Emulator.Conformance.Tests.Sst;

/// <summary>One byte to verify after the run: (physical address, expected value, bits that count).</summary>
public readonly record struct SstRamCheck(uint Address, byte Expected, byte Mask = 0xFF);
