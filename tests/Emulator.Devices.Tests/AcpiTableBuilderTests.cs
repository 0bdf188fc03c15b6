using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace Emulator.Devices.Tests;

public class AcpiTableBuilderTests
{
    private static byte Sum(ReadOnlySpan<byte> b)
    {
        int s = 0;
        foreach (byte x in b) s += x;
        return (byte)s;
    }

    private static int Len(byte[] t, int at) => (int)BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(at + 4));

    [Fact]
    public void AmlPackageLengthEncoding()
    {
        // ACPI §20.2.4: one byte up to 63 including itself; two bytes: lead 0x4n, then bits 11:4
        Assert.Equal(new byte[] { 0x06 }, AcpiAml.PackageLength(5));
        Assert.Equal(new byte[] { 0x3F }, AcpiAml.PackageLength(62));
        Assert.Equal(new byte[] { 0x41, 0x04 }, AcpiAml.PackageLength(63)); // 65 = 0x41
        Assert.Equal(new byte[] { 0x4F, 0xFF }, AcpiAml.PackageLength(4093));       // 4095 = 0xFFF, largest 2-byte form
        Assert.Equal(new byte[] { 0x81, 0x00, 0x01 }, AcpiAml.PackageLength(4094)); // 4097 = 0x1001 needs three bytes
    }

    [Fact]
    public void AmlEisaIdAndIntegers()
    {
        // EISAID("PNP0A03") is the DWord 0x030AD041
        Assert.Equal(new byte[] { 0x0C, 0x41, 0xD0, 0x0A, 0x03 }, AcpiAml.EisaId("PNP0A03"));
        Assert.Equal(new byte[] { 0x00 }, AcpiAml.Integer(0));
        Assert.Equal(new byte[] { 0x01 }, AcpiAml.Integer(1));
        Assert.Equal(new byte[] { 0x0A, 0x05 }, AcpiAml.Integer(5));
        Assert.Equal(new byte[] { 0x0B, 0x34, 0x12 }, AcpiAml.Integer(0x1234));
    }

    [Fact]
    public void AllTablesHaveValidChecksumsAndSignatures()
    {
        var a = new AcpiTableBuilder().Build();
        Assert.Equal("RSD PTR ", Encoding.ASCII.GetString(a.Rsdp, 0, 8));
        Assert.Equal(20, a.Rsdp.Length);
        Assert.Equal(0, a.Rsdp[15]); // revision 0 (ACPI 1.0)
        Assert.Equal(0, Sum(a.Rsdp));
        Assert.Equal("FACS", Encoding.ASCII.GetString(a.Tables, a.FacsOffset, 4));
        Assert.Equal(0, a.FacsOffset % 64);
        foreach (var (sig, at) in new[] { ("DSDT", a.DsdtOffset), ("FACP", a.FadtOffset), ("APIC", a.MadtOffset), ("RSDT", a.RsdtOffset) })
        {
            Assert.Equal(sig, Encoding.ASCII.GetString(a.Tables, at, 4));
            Assert.Equal(0, Sum(a.Tables.AsSpan(at, Len(a.Tables, at))));
        }
        Assert.Equal(116, Len(a.Tables, a.FadtOffset));
        Assert.Equal(1, a.Tables[a.FadtOffset + 8]); // FADT revision 1
    }

    [Fact]
    public void FadtPointsAtPmRegistersAndTables()
    {
        var a = new AcpiTableBuilder { PmBase = 0x600, SciIrq = 9 }.Build();
        var f = a.Tables.AsSpan(a.FadtOffset);
        Assert.Equal((uint)a.FacsOffset, BinaryPrimitives.ReadUInt32LittleEndian(f[36..]));
        Assert.Equal((uint)a.DsdtOffset, BinaryPrimitives.ReadUInt32LittleEndian(f[40..]));
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(f[46..]));
        Assert.Equal(0x600u, BinaryPrimitives.ReadUInt32LittleEndian(f[56..])); // PM1a_EVT_BLK
        Assert.Equal(0x604u, BinaryPrimitives.ReadUInt32LittleEndian(f[64..])); // PM1a_CNT_BLK
        Assert.Equal(0x608u, BinaryPrimitives.ReadUInt32LittleEndian(f[76..])); // PM_TMR_BLK
        Assert.Equal((4, 2, 4), (f[88], f[89], f[91]));
    }

    [Fact]
    public void DsdtContainsS5PackageAndSbScope()
    {
        var a = new AcpiTableBuilder { S5SleepType = 5 }.Build();
        var aml = a.Tables.AsSpan(a.DsdtOffset + 36, Len(a.Tables, a.DsdtOffset) - 36).ToArray();
        // Name(\_S5, Package(4){5, 5, 0, 0}) hand-encoded from the AML grammar
        byte[] s5 = [0x08, 0x5C, (byte)'_', (byte)'S', (byte)'5', (byte)'_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00];
        Assert.True(IndexOf(aml, s5) >= 0);
        // Scope(\_SB) { Device(PCI0) { ... } }
        Assert.Equal(0x10, aml[0]);
        var (pkg, lengthBytes) = PkgLength(aml, 1);
        int name = 1 + lengthBytes;
        Assert.Equal(new byte[] { 0x5C, (byte)'_', (byte)'S', (byte)'B', (byte)'_' }, aml[name..(name + 5)]);
        Assert.Equal(new byte[] { 0x5B, 0x82 }, aml[(name + 5)..(name + 7)]);
        var (_, deviceLengthBytes) = PkgLength(aml, name + 7);
        Assert.Equal("PCI0", Encoding.ASCII.GetString(aml, name + 7 + deviceLengthBytes, 4));
        Assert.Equal(1 + pkg, IndexOf(aml, s5)); // scope length covers exactly the device
        Assert.True(IndexOf(aml, [0x08, (byte)'_', (byte)'H', (byte)'I', (byte)'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03]) > 0);
    }

    /// <summary>ACPI §20.2.4 PkgLength: the lead byte's bits 7–6 give the number of following bytes.</summary>
    private static (int Length, int Bytes) PkgLength(byte[] aml, int at)
    {
        int follow = aml[at] >> 6;
        if (follow == 0) return (aml[at] & 0x3F, 1);
        int length = aml[at] & 0x0F;
        for (int k = 0; k < follow; k++) length |= aml[at + 1 + k] << (4 + 8 * k);
        return (length, 1 + follow);
    }

    [Fact]
    public void DsdtDeclaresThePs2KeyboardAndMouse()
    {
        var a = new AcpiTableBuilder().Build();
        var aml = a.Tables.AsSpan(a.DsdtOffset + 36, Len(a.Tables, a.DsdtOffset) - 36).ToArray();
        // Name(_HID, EISAID("PNP0303")) and EISAID("PNP0F13"): "PNP" compresses to 41D0h, then the product number.
        int kbd = IndexOf(aml, [0x08, (byte)'_', (byte)'H', (byte)'I', (byte)'D', 0x0C, 0x41, 0xD0, 0x03, 0x03]);
        int mou = IndexOf(aml, [0x08, (byte)'_', (byte)'H', (byte)'I', (byte)'D', 0x0C, 0x41, 0xD0, 0x0F, 0x13]);
        Assert.True(kbd > 0 && mou > kbd);
        // _CRS: IO(Decode16, 0x60, 0x60, 1, 1), IO(Decode16, 0x64, 0x64, 1, 1), IRQNoFlags(){1}, EndTag (ACPI §6.4.2).
        byte[] kbdCrs = [0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01, 0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01, 0x22, 0x02, 0x00, 0x79, 0x00];
        Assert.True(IndexOf(aml, kbdCrs) > kbd);
        Assert.True(IndexOf(aml, [0x22, 0x00, 0x10, 0x79, 0x00]) > mou); // IRQNoFlags(){12}
    }

    [Fact]
    public void RootBridgeCrsDeclaresBusIoAndMemoryWindows()
    {
        var a = new AcpiTableBuilder { PciMemoryStart = 0x1000_0000 }.Build();
        var aml = a.Tables.AsSpan(a.DsdtOffset + 36, Len(a.Tables, a.DsdtOffset) - 36).ToArray();
        int crs = IndexOf(aml, [0x08, (byte)'_', (byte)'C', (byte)'R', (byte)'S', 0x11]);
        Assert.True(crs > 0);
        // Descriptors hand-encoded from ACPI §6.4: WordBusNumber 0-FF, IO(Decode16, 0xCF8, 0xCF8, 1, 8),
        // WordIO 0-0xCF7 and 0xD00-0xFFFF, DWordMemory A0000-BFFFF and 0x10000000-0xFEBFFFFF, EndTag.
        byte[] bus = [0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0, 0, 0x00, 0x00, 0xFF, 0x00, 0, 0, 0x00, 0x01];
        byte[] cfg = [0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08];
        byte[] io1 = [0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0, 0, 0x00, 0x00, 0xF7, 0x0C, 0, 0, 0xF8, 0x0C];
        byte[] io2 = [0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0, 0, 0x00, 0x0D, 0xFF, 0xFF, 0, 0, 0x00, 0xF3];
        byte[] vga = [0x87, 0x17, 0x00, 0x00, 0x0C, 0x03, 0, 0, 0, 0, 0x00, 0x00, 0x0A, 0x00, 0xFF, 0xFF, 0x0B, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00];
        byte[] pci = [0x87, 0x17, 0x00, 0x00, 0x0C, 0x03, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x10, 0xFF, 0xFF, 0xBF, 0xFE, 0, 0, 0, 0, 0x00, 0x00, 0xC0, 0xEE];
        byte[] all = [.. bus, .. cfg, .. io1, .. io2, .. vga, .. pci, 0x79, 0x00];
        int at = IndexOf(aml, all);
        Assert.True(at > crs, "the _CRS buffer holds exactly the expected descriptors");
    }

    [Fact]
    public void MadtHasApicsAndOverrides()
    {
        var a = new AcpiTableBuilder { CpuCount = 2 }.Build();
        var m = a.Tables.AsSpan(a.MadtOffset, Len(a.Tables, a.MadtOffset)).ToArray();
        Assert.Equal(0xFEE0_0000u, BitConverter.ToUInt32(m, 36));
        Assert.Equal(1u, BitConverter.ToUInt32(m, 40)); // PCAT_COMPAT
        var entries = new List<byte[]>();
        for (int p = 44; p < m.Length; p += m[p + 1]) entries.Add(m[p..(p + m[p + 1])]);
        Assert.Equal(2, entries.Count(e => e[0] == 0));
        Assert.Equal(new byte[] { 0, 8, 1, 1, 1, 0, 0, 0 }, entries.Where(e => e[0] == 0).ElementAt(1));
        var ioapic = entries.Single(e => e[0] == 1);
        Assert.Equal(12, ioapic.Length);
        Assert.Equal(0xFEC0_0000u, BitConverter.ToUInt32(ioapic, 4));
        Assert.Equal(0u, BitConverter.ToUInt32(ioapic, 8));
        var iso = entries.Where(e => e[0] == 2).ToArray();
        Assert.Contains(iso, e => e[3] == 0 && BitConverter.ToUInt32(e, 4) == 2 && BitConverter.ToUInt16(e, 8) == 0);
        Assert.Contains(iso, e => e[3] == 9 && BitConverter.ToUInt32(e, 4) == 9 && BitConverter.ToUInt16(e, 8) == 0x000D);
    }

    /// <summary>Runs the table-loader script the way the firmware does and checks the linked result.</summary>
    [Fact]
    public void TableLoaderScriptLinksTheTables()
    {
        var a = new AcpiTableBuilder().Build();
        var files = new Dictionary<string, byte[]> { ["etc/acpi/tables"] = (byte[])a.Tables.Clone(), ["etc/acpi/rsdp"] = (byte[])a.Rsdp.Clone() };
        var bases = new Dictionary<string, uint>();
        uint next = 0x07F0_0000;
        Assert.Equal(0, a.TableLoader.Length % 128);
        for (int i = 0; i < a.TableLoader.Length; i += 128)
        {
            var e = a.TableLoader[i..(i + 128)];
            uint cmd = BinaryPrimitives.ReadUInt32LittleEndian(e);
            string Name(int off) => Encoding.ASCII.GetString(e, off, 56).TrimEnd('\0');
            switch (cmd)
            {
                case 1:
                    uint align = BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(60));
                    byte zone = e[64];
                    uint at = zone == 2 ? 0xF5000u : next;
                    Assert.Equal(0u, at % align);
                    bases[Name(4)] = at;
                    next += 0x10000;
                    Assert.Equal(Name(4) == "etc/acpi/rsdp" ? 2 : 1, zone);
                    break;
                case 2:
                    var dest = files[Name(4)];
                    uint off = BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(116));
                    Assert.Equal(4, e[120]);
                    uint v = BinaryPrimitives.ReadUInt32LittleEndian(dest.AsSpan((int)off));
                    BinaryPrimitives.WriteUInt32LittleEndian(dest.AsSpan((int)off), v + bases[Name(60)]);
                    break;
                case 3:
                    var f = files[Name(4)];
                    uint co = BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(60));
                    uint start = BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(64));
                    uint len = BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(68));
                    f[co] = (byte)(f[co] - Sum(f.AsSpan((int)start, (int)len)));
                    break;
                default:
                    Assert.Fail($"unknown command {cmd}");
                    break;
            }
        }
        var t = files["etc/acpi/tables"];
        var r = files["etc/acpi/rsdp"];
        uint tb = bases["etc/acpi/tables"];
        Assert.Equal(0, Sum(r));
        uint rsdt = BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(16)) - tb;
        Assert.Equal("RSDT", Encoding.ASCII.GetString(t, (int)rsdt, 4));
        Assert.Equal(0, Sum(t.AsSpan((int)rsdt, Len(t, (int)rsdt))));
        uint fadt = BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan((int)rsdt + 36)) - tb;
        uint madt = BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan((int)rsdt + 40)) - tb;
        Assert.Equal("FACP", Encoding.ASCII.GetString(t, (int)fadt, 4));
        Assert.Equal("APIC", Encoding.ASCII.GetString(t, (int)madt, 4));
        Assert.Equal(0, Sum(t.AsSpan((int)fadt, 116)));
        Assert.Equal("FACS", Encoding.ASCII.GetString(t, (int)(BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan((int)fadt + 36)) - tb), 4));
        Assert.Equal("DSDT", Encoding.ASCII.GetString(t, (int)(BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan((int)fadt + 40)) - tb), 4));

        // Relocate (no loader) gives the same bytes as the loader did.
        var (rt, rr) = AcpiTableBuilder.Relocate(a, tb);
        Assert.Equal(t, rt);
        Assert.Equal(r.AsSpan(16, 4).ToArray(), rr.AsSpan(16, 4).ToArray());
        Assert.Equal(0, Sum(rr));
    }

    private static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            if (hay.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        }
        return -1;
    }
}
