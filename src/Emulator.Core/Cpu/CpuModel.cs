namespace Emulator.Core.Cpu;

/// <summary>
/// A CPU model as data: CPUID leaves and the values the core needs. Only features that the core implements are
/// advertised; <see cref="Core2Duo"/> follows QEMU's core2duo model with the unimplemented bits removed.
/// </summary>
public sealed class CpuModel
{
    public required string Name { get; init; }

    public required string Vendor { get; init; }

    public required string Brand { get; init; }

    /// <summary>CPUID.1:EAX (stepping, model, family) — also the EDX value after RESET.</summary>
    public required uint Signature { get; init; }

    public required uint Features1Edx { get; init; }

    public required uint Features1Ecx { get; init; }

    public required uint ExtFeaturesEdx { get; init; }

    public required uint ExtFeaturesEcx { get; init; }

    public required uint MaxBasicLeaf { get; init; }

    public required uint MaxExtendedLeaf { get; init; }

    public uint ResetEdx => Signature;

    // CPUID.1:EDX bits (SDM Vol. 2A Table 3-11).
    /// <summary>CPUID.1:EDX bit 9: an on-chip local APIC.</summary>
    public const uint ApicFeature = 1u << 9;

    /// <summary>IA32_APIC_BASE bit 11: the local APIC is globally enabled.</summary>
    public const ulong ApicGlobalEnable = 1ul << 11;

    private const uint APIC = ApicFeature;
    private const uint FPU = 1u << 0, FXSR = 1u << 24, DE = 1u << 2, PSE = 1u << 3, TSC = 1u << 4, MSR = 1u << 5, PAE = 1u << 6,
        CX8 = 1u << 8, SEP = 1u << 11, MTRR = 1u << 12, PGE = 1u << 13, CMOV = 1u << 15, PAT = 1u << 16,
        PSE36 = 1u << 17, CLFSH = 1u << 19, MMX = 1u << 23, SSE = 1u << 25, SSE2 = 1u << 26;

    // CPUID.1:ECX bits (SDM Vol. 2A Table 3-10).
    private const uint SSE3 = 1u << 0, SSSE3 = 1u << 9;

    /// <summary>
    /// QEMU's core2duo (family 6 model 15 stepping 11). Advertised: the integer and system features, the x87 FPU with
    /// FXSAVE/FXRSTOR, CLFLUSH, MMX, SSE, SSE2, SSE3 and SSSE3, which the core implements (not MONITOR/MWAIT); APIC
    /// is reported only while a local APIC is attached and globally enabled (<see cref="CpuidLeaves"/>).
    /// </summary>
    public static readonly CpuModel Core2Duo = new()
    {
        Name = "core2duo",
        Vendor = "GenuineIntel",
        Brand = "Intel(R) Core(TM)2 Duo CPU     T7700  @ 2.40GHz",
        Signature = 0x0000_06FB,
        Features1Edx = FPU | DE | PSE | TSC | MSR | PAE | CX8 | APIC | SEP | MTRR | PGE | CMOV | PAT | PSE36 | CLFSH | MMX | FXSR | SSE | SSE2,
        Features1Ecx = SSE3 | SSSE3,
        ExtFeaturesEdx = 1u << 20, // NX
        ExtFeaturesEcx = 0,
        MaxBasicLeaf = 10,
        MaxExtendedLeaf = 0x8000_0008,
    };

    /// <summary>QEMU's qemu32: family 6 model 6 stepping 3.</summary>
    public static readonly CpuModel Qemu32 = new()
    {
        Name = "qemu32",
        Vendor = "GenuineIntel",
        Brand = "QEMU Virtual CPU version 2.5+",
        Signature = 0x0000_0663,
        Features1Edx = FPU | DE | PSE | TSC | MSR | PAE | CX8 | APIC | SEP | MTRR | PGE | CMOV | PAT | PSE36,
        Features1Ecx = 0,
        ExtFeaturesEdx = 0,
        ExtFeaturesEcx = 0,
        MaxBasicLeaf = 4,
        MaxExtendedLeaf = 0x8000_0004,
    };

    /// <summary>A P5 Pentium: family 5 model 2 stepping 3.</summary>
    public static readonly CpuModel Pentium = new()
    {
        Name = "pentium",
        Vendor = "GenuineIntel",
        Brand = "",
        Signature = 0x0000_0523,
        Features1Edx = FPU | DE | PSE | TSC | MSR | CX8 | APIC, // the P54C's on-chip APIC
        Features1Ecx = 0,
        ExtFeaturesEdx = 0,
        ExtFeaturesEcx = 0,
        MaxBasicLeaf = 1,
        MaxExtendedLeaf = 0,
    };

    public static IReadOnlyList<CpuModel> All { get; } = new[] { Core2Duo, Qemu32, Pentium };

    public static CpuModel? Find(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
