namespace Emulator.Core.Cpu;

/// <summary>Control-register and EFER bits (SDM Vol. 3A §2.5, §2.2.1).</summary>
public static class Cr
{
    public const uint CR0_PE = 1u << 0;
    public const uint CR0_MP = 1u << 1;
    public const uint CR0_EM = 1u << 2;
    public const uint CR0_TS = 1u << 3;
    public const uint CR0_ET = 1u << 4;
    public const uint CR0_NE = 1u << 5;
    public const uint CR0_WP = 1u << 16;
    public const uint CR0_AM = 1u << 18;
    public const uint CR0_NW = 1u << 29;
    public const uint CR0_CD = 1u << 30;
    public const uint CR0_PG = 1u << 31;

    public const uint CR4_VME = 1u << 0;
    public const uint CR4_PVI = 1u << 1;
    public const uint CR4_TSD = 1u << 2;
    public const uint CR4_DE = 1u << 3;
    public const uint CR4_PSE = 1u << 4;
    public const uint CR4_PAE = 1u << 5;
    public const uint CR4_MCE = 1u << 6;
    public const uint CR4_PGE = 1u << 7;
    public const uint CR4_PCE = 1u << 8;
    public const uint CR4_OSFXSR = 1u << 9;
    public const uint CR4_OSXMMEXCPT = 1u << 10;

    public const ulong EFER_SCE = 1ul << 0;
    public const ulong EFER_LME = 1ul << 8;
    public const ulong EFER_LMA = 1ul << 10;
    public const ulong EFER_NXE = 1ul << 11;
}
