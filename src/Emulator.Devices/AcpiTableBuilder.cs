using System.Buffers.Binary;
using System.Text;

namespace Emulator.Devices;

/// <summary>
/// Builds a minimal ACPI 1.0 table set for the PC (ACPI spec §5.2): RSDP (revision 0), RSDT, FADT (revision 1)
/// pointing at the PIIX4-style PM registers (<see cref="AcpiPm"/>), FACS and DSDT, a DSDT holding \_S5 and a
/// \_SB scope with the PCI root bridge, and a MADT with the local APICs, one I/O APIC and the interrupt source
/// overrides IRQ0→GSI2 and IRQ9 (SCI) level/active-high. Also emits the "etc/table-loader" script that lets
/// SeaBIOS place the tables and fix up pointers and checksums.
/// </summary>
public sealed class AcpiTableBuilder
{
    /// <summary>§5.2.6: offset of the checksum byte in every system description table header.</summary>
    public const int HeaderChecksumOffset = 9;
    /// <summary>§5.2.6: size of the system description table header.</summary>
    public const int HeaderSize = 36;
    /// <summary>§5.2.5.3: RSDP checksum byte (first 20 bytes).</summary>
    public const int RsdpChecksumOffset = 8;
    /// <summary>§5.2.5.3: RSDP RsdtAddress field.</summary>
    public const int RsdpRsdtAddressOffset = 16;
    /// <summary>§5.2.5.3: size of a revision 0 RSDP.</summary>
    public const int RsdpSize = 20;
    /// <summary>§5.2.9 (ACPI 1.0 FADT): FIRMWARE_CTRL (FACS address).</summary>
    public const int FadtFirmwareCtrlOffset = 36;
    /// <summary>§5.2.9: DSDT address.</summary>
    public const int FadtDsdtOffset = 40;
    /// <summary>Length of a revision 1 FADT.</summary>
    public const int FadtSize = 116;
    /// <summary>§5.2.10: FACS length (64-byte aligned, no checksum).</summary>
    public const int FacsSize = 64;

    public string OemId { get; init; } = "EMULAT";

    public string OemTableId { get; init; } = "EMUPC";

    public ushort PmBase { get; init; } = AcpiPm.DefaultBase;

    public byte SciIrq { get; init; } = 9;

    public int CpuCount { get; init; } = 1;

    public uint LocalApicAddress { get; init; } = 0xFEE0_0000;

    public uint IoApicAddress { get; init; } = 0xFEC0_0000;

    /// <summary>Start of the PCI memory window below 4 GiB (the top of RAM below the PCI hole).</summary>
    public uint PciMemoryStart { get; init; } = 0xE000_0000;

    /// <summary>End (inclusive) of the PCI memory window: below the I/O APIC, HPET and local APIC pages.</summary>
    public const uint PciMemoryEnd = 0xFEBF_FFFF;

    /// <summary>The SLP_TYP value for S5 (soft off) placed in \_S5 and recognised by <see cref="AcpiPm"/>.</summary>
    public byte S5SleepType { get; init; } = AcpiPm.DefaultS5SleepType;

    public AcpiTables Build()
    {
        if (CpuCount is < 1 or > 255) throw new InvalidOperationException("CpuCount must be 1–255");
        var blob = new List<byte>();
        int facs = Append(blob, BuildFacs(), 64);
        int dsdt = Append(blob, BuildDsdt(), 4);
        int fadt = Append(blob, BuildFadt((uint)facs, (uint)dsdt), 4);
        int madt = Append(blob, BuildMadt(), 4);
        int rsdt = Append(blob, BuildRsdt([(uint)fadt, (uint)madt]), 4);
        byte[] tables = blob.ToArray();
        byte[] rsdp = BuildRsdp((uint)rsdt);

        const string T = FwCfgKeys.FileAcpiTables;
        const string R = FwCfgKeys.FileAcpiRsdp;
        var loader = new AcpiTableLoader()
            .Allocate(R, 16, AcpiTableLoader.ZoneFseg)
            .Allocate(T, 64, AcpiTableLoader.ZoneHigh)
            .AddPointer(T, T, (uint)(fadt + FadtFirmwareCtrlOffset), 4)
            .AddPointer(T, T, (uint)(fadt + FadtDsdtOffset), 4)
            .AddPointer(T, T, (uint)(rsdt + HeaderSize), 4)
            .AddPointer(T, T, (uint)(rsdt + HeaderSize + 4), 4)
            .AddPointer(R, T, RsdpRsdtAddressOffset, 4);
        foreach (int at in new[] { dsdt, fadt, madt, rsdt })
        {
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(tables.AsSpan(at + 4));
            loader.AddChecksum(T, (uint)(at + HeaderChecksumOffset), (uint)at, len);
        }
        loader.AddChecksum(R, RsdpChecksumOffset, 0, RsdpSize);
        return new AcpiTables(tables, rsdp, loader.ToArray(), facs, dsdt, fadt, madt, rsdt);
    }

    /// <summary>
    /// Places the tables at fixed guest addresses without a table loader (for firmware that does not run one):
    /// returns copies with every pointer rebased onto <paramref name="tablesAddress"/> and checksums recomputed.
    /// </summary>
    public static (byte[] Tables, byte[] Rsdp) Relocate(AcpiTables acpi, uint tablesAddress)
    {
        byte[] t = (byte[])acpi.Tables.Clone();
        byte[] r = (byte[])acpi.Rsdp.Clone();
        void Add(byte[] b, int off) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(off), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(off)) + tablesAddress);
        Add(t, acpi.FadtOffset + FadtFirmwareCtrlOffset);
        Add(t, acpi.FadtOffset + FadtDsdtOffset);
        int rsdtLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(acpi.RsdtOffset + 4));
        for (int e = acpi.RsdtOffset + HeaderSize; e < acpi.RsdtOffset + rsdtLen; e += 4) Add(t, e);
        Add(r, RsdpRsdtAddressOffset);
        foreach (int at in new[] { acpi.DsdtOffset, acpi.FadtOffset, acpi.MadtOffset, acpi.RsdtOffset })
        {
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(at + 4));
            SetChecksum(t.AsSpan(at, len), HeaderChecksumOffset);
        }
        SetChecksum(r.AsSpan(0, RsdpSize), RsdpChecksumOffset);
        return (t, r);
    }

    /// <summary>Sets the byte at <paramref name="checksumOffset"/> so that all bytes of <paramref name="table"/> sum to zero.</summary>
    public static void SetChecksum(Span<byte> table, int checksumOffset)
    {
        table[checksumOffset] = 0;
        int sum = 0;
        foreach (byte b in table) sum += b;
        table[checksumOffset] = (byte)-sum;
    }

    /// <summary>§5.2.5.3: "RSD PTR ", checksum, OEMID, revision 0, RsdtAddress.</summary>
    private byte[] BuildRsdp(uint rsdtOffset)
    {
        var b = new byte[RsdpSize];
        Encoding.ASCII.GetBytes("RSD PTR ", b);
        PutPadded(b.AsSpan(9, 6), OemId);
        b[15] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(RsdpRsdtAddressOffset), rsdtOffset);
        SetChecksum(b, RsdpChecksumOffset);
        return b;
    }

    private byte[] BuildRsdt(uint[] entries)
    {
        var b = Header("RSDT", HeaderSize + 4 * entries.Length, 1);
        for (int i = 0; i < entries.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(HeaderSize + 4 * i), entries[i]);
        SetChecksum(b, HeaderChecksumOffset);
        return b;
    }

    /// <summary>§5.2.9, ACPI 1.0 layout (116 bytes).</summary>
    private byte[] BuildFadt(uint facs, uint dsdt)
    {
        var b = Header("FACP", FadtSize, 1);
        var s = b.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s[36..], facs);                 // FIRMWARE_CTRL
        BinaryPrimitives.WriteUInt32LittleEndian(s[40..], dsdt);                 // DSDT
        b[44] = 1;                                                               // INT_MODEL: multiple APIC
        BinaryPrimitives.WriteUInt16LittleEndian(s[46..], SciIrq);              // SCI_INT
        BinaryPrimitives.WriteUInt32LittleEndian(s[48..], 0);                    // SMI_CMD: 0 = no SMM, ACPI mode fixed
        BinaryPrimitives.WriteUInt32LittleEndian(s[56..], PmBase + (uint)AcpiPm.Pm1StatusOffset);  // PM1a_EVT_BLK
        BinaryPrimitives.WriteUInt32LittleEndian(s[64..], PmBase + (uint)AcpiPm.Pm1ControlOffset); // PM1a_CNT_BLK
        BinaryPrimitives.WriteUInt32LittleEndian(s[76..], PmBase + (uint)AcpiPm.PmTimerOffset);    // PM_TMR_BLK
        BinaryPrimitives.WriteUInt32LittleEndian(s[80..], PmBase + (uint)AcpiPm.Gpe0StatusOffset); // GPE0_BLK
        b[88] = 4;                                                               // PM1_EVT_LEN
        b[89] = 2;                                                               // PM1_CNT_LEN
        b[91] = 4;                                                               // PM_TMR_LEN
        b[92] = 4;                                                               // GPE0_BLK_LEN
        BinaryPrimitives.WriteUInt16LittleEndian(s[96..], 0x0FFF);               // P_LVL2_LAT > 100: C2 unsupported
        BinaryPrimitives.WriteUInt16LittleEndian(s[98..], 0x0FFF);               // P_LVL3_LAT > 1000: C3 unsupported
        b[108] = 0x32;                                                           // CENTURY: CMOS index 32h
        // Flags: WBINVD (0), PROC_C1 (2), PWR_BUTTON (4) and SLP_BUTTON (5) as control-method/absent buttons.
        BinaryPrimitives.WriteUInt32LittleEndian(s[112..], 0x0000_0035);
        SetChecksum(b, HeaderChecksumOffset);
        return b;
    }

    /// <summary>§5.2.10: FACS, 64 bytes, no checksum.</summary>
    private static byte[] BuildFacs()
    {
        var b = new byte[FacsSize];
        Encoding.ASCII.GetBytes("FACS", b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), FacsSize);
        return b;
    }

    private byte[] BuildDsdt()
    {
        byte[] aml =
        [
            .. AcpiAml.Scope("\\_SB", AcpiAml.Device("PCI0",
                AcpiAml.Name("_HID", AcpiAml.EisaId("PNP0A03")),
                AcpiAml.Name("_ADR", AcpiAml.Integer(0)),
                AcpiAml.Name("_UID", AcpiAml.Integer(0)),
                AcpiAml.Name("_CRS", AcpiAml.Buffer(RootBridgeResources())),
                // The 8042's keyboard and mouse (SeaBIOS only sets up its PS/2 keyboard when the DSDT has PNP0303;
                // Linux's i8042 PNP probe needs PNP0F13 beside it or it drops the aux port).
                AcpiAml.Device("KBD_",
                    AcpiAml.Name("_HID", AcpiAml.EisaId("PNP0303")),
                    // §6.4.2.5 I/O Port Descriptors 0x60 and 0x64 (16-bit decode, 1 port), §6.4.2.1 IRQ Descriptor: IRQ 1; End Tag.
                    AcpiAml.Name("_CRS", AcpiAml.Buffer([
                        0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01,
                        0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01,
                        0x22, 0x02, 0x00,
                        0x79, 0x00]))),
                AcpiAml.Device("MOU_",
                    AcpiAml.Name("_HID", AcpiAml.EisaId("PNP0F13")),
                    AcpiAml.Name("_CRS", AcpiAml.Buffer([0x22, 0x00, 0x10, 0x79, 0x00]))))), // IRQ 12
            .. AcpiAml.Name("\\_S5", AcpiAml.Package(
                AcpiAml.Integer(S5SleepType), AcpiAml.Integer(S5SleepType), AcpiAml.Integer(0), AcpiAml.Integer(0))),
        ];
        var b = Header("DSDT", HeaderSize + aml.Length, 1);
        aml.CopyTo(b, HeaderSize);
        SetChecksum(b, HeaderChecksumOffset);
        return b;
    }

    /// <summary>
    /// The root bridge's _CRS (ACPI §6.4 resource descriptors): bus numbers 0–255, the configuration ports
    /// 0xCF8–0xCFF it consumes, the I/O windows on either side of them, the legacy VGA window and the PCI memory window.
    /// Without the windows an OS cannot claim the legacy IDE ports or any BAR under the root bus.
    /// </summary>
    private byte[] RootBridgeResources()
    {
        var r = new List<byte>();
        // §6.4.3.5.3 Word Address Space Descriptor: type 2 = bus numbers; flags: MinFixed | MaxFixed.
        WordAddress(r, resourceType: 2, typeFlags: 0, min: 0x00, max: 0xFF);
        // §6.4.2.5 I/O Port Descriptor: 16-bit decode, 0xCF8, 8 ports.
        r.AddRange([0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08]);
        // Word I/O windows (type 1; type flags 3 = ISA and non-ISA ranges).
        WordAddress(r, resourceType: 1, typeFlags: 3, min: 0x0000, max: 0x0CF7);
        WordAddress(r, resourceType: 1, typeFlags: 3, min: 0x0D00, max: 0xFFFF);
        // §6.4.3.5.2 DWord Address Space Descriptor, memory (type 0); type flags: read-write, cacheable.
        DWordMemory(r, 0x000A_0000, 0x000B_FFFF);
        if (PciMemoryStart <= PciMemoryEnd) DWordMemory(r, PciMemoryStart, PciMemoryEnd);
        r.AddRange([0x79, 0x00]); // §6.4.2.9 End Tag (checksum 0: ignored)
        return r.ToArray();

        static void WordAddress(List<byte> r, byte resourceType, byte typeFlags, ushort min, ushort max)
        {
            ushort length = (ushort)(max - min + 1);
            r.AddRange([0x88, 0x0D, 0x00, resourceType, 0x0C, typeFlags, 0x00, 0x00,
                (byte)min, (byte)(min >> 8), (byte)max, (byte)(max >> 8), 0x00, 0x00, (byte)length, (byte)(length >> 8)]);
        }

        static void DWordMemory(List<byte> r, uint min, uint max)
        {
            var d = new byte[26];
            d[0] = 0x87;
            d[1] = 0x17;
            d[3] = 0;    // memory
            d[4] = 0x0C; // MinFixed | MaxFixed, positive decode
            d[5] = 0x03; // read-write, cacheable
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(10), min);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(14), max);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(22), max - min + 1);
            r.AddRange(d);
        }
    }

    /// <summary>§5.2.12: MADT with processor local APICs, an I/O APIC, two overrides and LINT1 as NMI.</summary>
    private byte[] BuildMadt()
    {
        var body = new List<byte>();
        void U32(uint v) { body.Add((byte)v); body.Add((byte)(v >> 8)); body.Add((byte)(v >> 16)); body.Add((byte)(v >> 24)); }
        void U16(ushort v) { body.Add((byte)v); body.Add((byte)(v >> 8)); }
        U32(LocalApicAddress);
        U32(1); // flags: PCAT_COMPAT (dual 8259s present)
        for (int cpu = 0; cpu < CpuCount; cpu++)
        {
            body.AddRange([0, 8, (byte)cpu, (byte)cpu]); // type 0: processor local APIC (ACPI id, APIC id)
            U32(1);                                      // enabled
        }
        body.AddRange([1, 12, (byte)CpuCount, 0]);       // type 1: I/O APIC, id after the CPUs
        U32(IoApicAddress);
        U32(0);                                          // global system interrupt base
        body.AddRange([2, 10, 0, 0]);                    // type 2: override, ISA bus, IRQ0
        U32(2);                                          // → GSI 2
        U16(0);                                          // conforms to bus (edge, active high)
        body.AddRange([2, 10, 0, SciIrq]);               // type 2: override, ISA bus, SCI
        U32(SciIrq);
        U16(0x000D);                                     // active high (01b), level triggered (11b)
        body.AddRange([4, 6, 0xFF]);                     // type 4: local APIC NMI, all processors
        U16(0);                                          // conforms to bus
        body.Add(1);                                     // LINT1
        var b = Header("APIC", HeaderSize + body.Count, 1);
        body.CopyTo(b, HeaderSize);
        SetChecksum(b, HeaderChecksumOffset);
        return b;
    }

    private byte[] Header(string signature, int length, byte revision)
    {
        var b = new byte[length];
        Encoding.ASCII.GetBytes(signature, b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)length);
        b[8] = revision;
        PutPadded(b.AsSpan(10, 6), OemId);
        PutPadded(b.AsSpan(16, 8), OemTableId);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), 1);  // OEM revision
        Encoding.ASCII.GetBytes("EMUL", b.AsSpan(28));              // creator ID
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 1);  // creator revision
        return b;
    }

    private static void PutPadded(Span<byte> dest, string text)
    {
        dest.Fill((byte)' ');
        for (int i = 0; i < dest.Length && i < text.Length; i++) dest[i] = (byte)text[i];
    }

    private static int Append(List<byte> blob, byte[] table, int align)
    {
        while (blob.Count % align != 0) blob.Add(0);
        int at = blob.Count;
        blob.AddRange(table);
        return at;
    }
}
