namespace Emulator.Conformance.Tests.Sst;

/// <summary>One TEST chunk: a single instruction (its bytes include the trailing HLT), its initial and final states.</summary>
public sealed record MooTest(
    int Index,
    string Name,
    byte[] Bytes,
    MooCpuState Initial,
    MooCpuState Final,
    MooException? Exception,
    string Hash);
