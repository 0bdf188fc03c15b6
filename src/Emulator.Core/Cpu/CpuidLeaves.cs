namespace Emulator.Core.Cpu;

/// <summary>CPUID (SDM Vol. 2A CPUID) answered from the CPU model's data.</summary>
public static class CpuidLeaves
{
    public static (uint Eax, uint Ebx, uint Ecx, uint Edx) Query(CpuState cpu, uint leaf, uint subleaf)
    {
        var m = cpu.Model;
        if (leaf >= 0x8000_0000)
        {
            if (leaf > m.MaxExtendedLeaf) leaf = m.MaxBasicLeaf; // out of range: the highest basic leaf's data (Intel)
            else return Extended(m, leaf);
        }
        if (leaf > m.MaxBasicLeaf) leaf = m.MaxBasicLeaf;
        switch (leaf)
        {
            case 0:
                return (m.MaxBasicLeaf, Chars(m.Vendor, 0), Chars(m.Vendor, 8), Chars(m.Vendor, 4));
            case 1:
                {
                    // EBX: initial APIC ID (31:24), CLFLUSH line size 8 × 8 bytes. EDX.APIC reads 0 without a local APIC
                    // and while IA32_APIC_BASE[11] is clear (SDM Vol. 3A §11.4.3).
                    var apic = cpu.LocalApic;
                    uint edx = m.Features1Edx;
                    if (apic is null || (apic.ApicBase & CpuModel.ApicGlobalEnable) == 0) edx &= ~CpuModel.ApicFeature;
                    uint ebx = ((uint)(apic?.InitialApicId ?? 0) << 24) | (8u << 8);
                    return (m.Signature, ebx, m.Features1Ecx, edx);
                }
            case 2:
                // Cache and TLB descriptors of a Core 2 (SDM Table 3-12): 0x05B0B101, 0x005657F0, 0, 0x2CB43049.
                return (0x05B0_B101u, 0x0056_57F0u, 0, 0x2CB4_3049u);
            case 4:
                return subleaf switch
                {
                    0 => (0x0400_0121u, 0x01C0_003Fu, 0x0000_003Fu, 1u),
                    1 => (0x0400_0122u, 0x01C0_003Fu, 0x0000_003Fu, 1u),
                    2 => (0x0400_4143u, 0x03C0_003Fu, 0x0000_0FFFu, 1u),
                    _ => (0u, 0u, 0u, 0u),
                };
            case 5:
                return (0, 0, 0, 0);
            case 10:
                return (0, 0, 0, 0);
            default:
                return (0, 0, 0, 0);
        }
    }

    private static (uint, uint, uint, uint) Extended(CpuModel m, uint leaf)
    {
        switch (leaf)
        {
            case 0x8000_0000:
                return (m.MaxExtendedLeaf, 0, 0, 0);
            case 0x8000_0001:
                return (0, 0, m.ExtFeaturesEcx, m.ExtFeaturesEdx);
            case 0x8000_0002:
            case 0x8000_0003:
            case 0x8000_0004:
                {
                    int o = (int)(leaf - 0x8000_0002) * 16;
                    return (Chars(m.Brand, o), Chars(m.Brand, o + 4), Chars(m.Brand, o + 8), Chars(m.Brand, o + 12));
                }
            case 0x8000_0006:
                return (0, 0, 0x1000_8040u, 0); // 4 MiB L2, 64-byte lines, 16-way
            case 0x8000_0008:
                return (0x0000_2024u, 0, 0, 0); // 36 physical, 32 linear address bits (32-bit-only model)
            default:
                return (0, 0, 0, 0);
        }
    }

    private static uint Chars(string s, int offset)
    {
        uint v = 0;
        for (int k = 0; k < 4; k++)
        {
            int idx = offset + k;
            uint c = idx < s.Length ? s[idx] : 0u;
            v |= (c & 0xFF) << (8 * k);
        }
        return v;
    }
}
