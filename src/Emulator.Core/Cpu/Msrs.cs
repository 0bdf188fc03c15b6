namespace Emulator.Core.Cpu;

/// <summary>Model-specific registers of the Core 2 model (SDM Vol. 4, Table 2-2/2-3). Unknown MSRs raise #GP.</summary>
public static class Msrs
{
    public const uint IA32_TIME_STAMP_COUNTER = 0x10;
    public const uint IA32_PLATFORM_ID = 0x17;
    public const uint IA32_APIC_BASE = 0x1B;
    public const uint IA32_FEATURE_CONTROL = 0x3A;
    public const uint IA32_BIOS_SIGN_ID = 0x8B;
    public const uint IA32_MTRRCAP = 0xFE;
    public const uint IA32_SYSENTER_CS = 0x174;
    public const uint IA32_SYSENTER_ESP = 0x175;
    public const uint IA32_SYSENTER_EIP = 0x176;
    public const uint IA32_MCG_CAP = 0x179;
    public const uint IA32_MCG_STATUS = 0x17A;
    public const uint IA32_MISC_ENABLE = 0x1A0;
    public const uint IA32_MTRR_PHYSBASE0 = 0x200;
    public const uint IA32_MTRR_FIX64K_00000 = 0x250;
    public const uint IA32_MTRR_FIX16K_80000 = 0x258;
    public const uint IA32_MTRR_FIX16K_A0000 = 0x259;
    public const uint IA32_MTRR_FIX4K_C0000 = 0x268;
    public const uint IA32_PAT = 0x277;
    public const uint IA32_MTRR_DEF_TYPE = 0x2FF;
    public const uint IA32_EFER = 0xC000_0080;

    public static bool Read(CpuState cpu, uint msr, out ulong value)
    {
        value = 0;
        switch (msr)
        {
            case IA32_TIME_STAMP_COUNTER: value = cpu.ReadTsc(); return true;
            case IA32_PLATFORM_ID: return true;
            case IA32_APIC_BASE: value = cpu.LocalApic?.ApicBase ?? cpu.ApicBase; return true;
            case IA32_FEATURE_CONTROL: value = 1; return true; // locked, VMX off
            case IA32_BIOS_SIGN_ID: return true;
            case IA32_MTRRCAP: value = 0x508; return true; // 8 variable ranges, fixed ranges, write-combining
            case IA32_SYSENTER_CS: value = cpu.SysenterCs; return true;
            case IA32_SYSENTER_ESP: value = cpu.SysenterEsp; return true;
            case IA32_SYSENTER_EIP: value = cpu.SysenterEip; return true;
            case IA32_MCG_CAP: return true;
            case IA32_MCG_STATUS: return true;
            case IA32_MISC_ENABLE: value = cpu.MiscEnable; return true;
            case IA32_PAT: value = cpu.Pat; return true;
            case IA32_MTRR_DEF_TYPE: value = cpu.MtrrDefType; return true;
            case IA32_EFER:
                if ((cpu.Model.ExtFeaturesEdx & (1u << 20)) == 0) return false;
                value = cpu.Efer;
                return true;
        }
        if (msr >= IA32_MTRR_PHYSBASE0 && msr < IA32_MTRR_PHYSBASE0 + 16)
        {
            value = cpu.MtrrVariable[msr - IA32_MTRR_PHYSBASE0];
            return true;
        }
        int fixedIndex = FixedMtrrIndex(msr);
        if (fixedIndex >= 0)
        {
            value = cpu.MtrrFixed[fixedIndex];
            return true;
        }
        return false;
    }

    public static bool Write(CpuState cpu, uint msr, ulong value)
    {
        switch (msr)
        {
            case IA32_TIME_STAMP_COUNTER: cpu.WriteTsc(value); return true;
            case IA32_APIC_BASE:
                if (cpu.LocalApic is { } apic) return apic.WriteApicBase(value);
                cpu.ApicBase = value & 0xF_FFFF_F900ul;
                return true;
            case IA32_BIOS_SIGN_ID: return true;
            case IA32_SYSENTER_CS: cpu.SysenterCs = value & 0xFFFF; return true;
            case IA32_SYSENTER_ESP: cpu.SysenterEsp = value; return true;
            case IA32_SYSENTER_EIP: cpu.SysenterEip = value; return true;
            case IA32_MCG_STATUS: return true;
            case IA32_MISC_ENABLE: cpu.MiscEnable = value; return true;
            case IA32_PAT:
                for (int k = 0; k < 8; k++)
                {
                    ulong t = (value >> (8 * k)) & 0xFF;
                    if (t is 2 or 3 or > 7) return false;
                }
                cpu.Pat = value;
                return true;
            case IA32_MTRR_DEF_TYPE: cpu.MtrrDefType = value & 0xCFF; return true;
            case IA32_EFER:
                {
                    if ((cpu.Model.ExtFeaturesEdx & (1u << 20)) == 0) return false;
                    if ((value & ~Cr.EFER_NXE) != 0) return false; // SCE/LME need long mode
                    cpu.Efer = value;
                    cpu.FlushTlb();
                    return true;
                }
        }
        if (msr >= IA32_MTRR_PHYSBASE0 && msr < IA32_MTRR_PHYSBASE0 + 16)
        {
            cpu.MtrrVariable[msr - IA32_MTRR_PHYSBASE0] = value;
            return true;
        }
        int fixedIndex = FixedMtrrIndex(msr);
        if (fixedIndex >= 0)
        {
            cpu.MtrrFixed[fixedIndex] = value;
            return true;
        }
        return false;
    }

    private static int FixedMtrrIndex(uint msr) => msr switch
    {
        IA32_MTRR_FIX64K_00000 => 0,
        IA32_MTRR_FIX16K_80000 => 1,
        IA32_MTRR_FIX16K_A0000 => 2,
        >= IA32_MTRR_FIX4K_C0000 and <= IA32_MTRR_FIX4K_C0000 + 7 => 3 + (int)(msr - IA32_MTRR_FIX4K_C0000),
        _ => -1,
    };
}
