namespace Emulator.Devices;

/// <summary>Selector keys and well-known file names of QEMU's fw_cfg interface (docs/specs/fw_cfg.rst, linux/qemu_fw_cfg.h).</summary>
public static class FwCfgKeys
{
    public const ushort Signature = 0x0000;
    public const ushort Id = 0x0001;
    public const ushort Uuid = 0x0002;
    public const ushort RamSize = 0x0003;
    public const ushort NoGraphic = 0x0004;
    public const ushort NbCpus = 0x0005;
    public const ushort MachineId = 0x0006;
    public const ushort KernelAddr = 0x0007;
    public const ushort KernelSize = 0x0008;
    public const ushort KernelCmdline = 0x0009;
    public const ushort InitrdAddr = 0x000A;
    public const ushort InitrdSize = 0x000B;
    public const ushort BootDevice = 0x000C;
    public const ushort Numa = 0x000D;
    public const ushort BootMenu = 0x000E;
    public const ushort MaxCpus = 0x000F;
    public const ushort KernelEntry = 0x0010;
    public const ushort KernelData = 0x0011;
    public const ushort InitrdData = 0x0012;
    public const ushort CmdlineAddr = 0x0013;
    public const ushort CmdlineSize = 0x0014;
    public const ushort CmdlineData = 0x0015;
    public const ushort SetupAddr = 0x0016;
    public const ushort SetupSize = 0x0017;
    public const ushort SetupData = 0x0018;
    public const ushort FileDir = 0x0019;
    /// <summary>The first key handed out to named files.</summary>
    public const ushort FileFirst = 0x0020;
    /// <summary>Selector bit 14: write channel (data port writes are ignored since QEMU 2.4).</summary>
    public const ushort WriteChannel = 0x4000;
    /// <summary>Selector bit 15: architecture-local item.</summary>
    public const ushort ArchLocal = 0x8000;
    /// <summary>x86 arch-local: legacy ACPI tables.</summary>
    public const ushort X86AcpiTables = 0x8000;
    /// <summary>x86 arch-local: SMBIOS entries.</summary>
    public const ushort X86Smbios = 0x8001;
    /// <summary>x86 arch-local: IRQ0 override flag.</summary>
    public const ushort X86Irq0Override = 0x8002;
    /// <summary>x86 arch-local: legacy e820 table.</summary>
    public const ushort X86E820Table = 0x8003;
    /// <summary>x86 arch-local: HPET configuration.</summary>
    public const ushort X86Hpet = 0x8004;

    /// <summary>FW_CFG_ID bit 0: the traditional (port) interface.</summary>
    public const uint IdTraditional = 0x1;
    /// <summary>FW_CFG_ID bit 1: the DMA interface.</summary>
    public const uint IdDma = 0x2;

    /// <summary>Names are at most 56 bytes including the terminating NUL.</summary>
    public const int MaxFileNameLength = 56;

    public const string FileE820 = "etc/e820";
    public const string FileBootOrder = "bootorder";
    public const string FileAcpiTables = "etc/acpi/tables";
    public const string FileAcpiRsdp = "etc/acpi/rsdp";
    public const string FileTableLoader = "etc/table-loader";
    public const string FileBootFailWait = "etc/boot-fail-wait";
    public const string FileSmbiosTables = "etc/smbios/smbios-tables";
    public const string FileSmbiosAnchor = "etc/smbios/smbios-anchor";
}
