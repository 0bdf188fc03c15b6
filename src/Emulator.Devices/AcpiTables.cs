namespace Emulator.Devices;

/// <summary>
/// The output of <see cref="AcpiTableBuilder"/>: the "etc/acpi/tables" blob (FACS, DSDT, FADT, MADT, RSDT with
/// pointers holding offsets into the blob), the RSDP (its RSDT pointer is an offset into the tables blob) and
/// the "etc/table-loader" commands that relocate and checksum them. Offsets locate each table in the blob.
/// </summary>
public sealed record AcpiTables(
    byte[] Tables,
    byte[] Rsdp,
    byte[] TableLoader,
    int FacsOffset,
    int DsdtOffset,
    int FadtOffset,
    int MadtOffset,
    int RsdtOffset);
