namespace Emulator.Conformance.Tests.Sst;

/// <summary>The "MOO " chunk (version, test count, CPU id such as "C286") and the optional "META" chunk fields.</summary>
public sealed record MooFileHeader(
    int MajorVersion,
    int MinorVersion,
    int TestCount,
    string CpuId,
    uint? MetaOpcode,
    string? MetaMnemonic,
    int? MetaTestCount,
    int? MetaCpuMode);
