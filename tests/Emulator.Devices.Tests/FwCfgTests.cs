using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace Emulator.Devices.Tests;

public class FwCfgTests
{
    private static byte[] PortRead(FwCfg f, ushort key, int n)
    {
        f.Write(FwCfg.SelectorPort, 2, key);
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte)f.Read(FwCfg.DataPort, 1);
        return b;
    }

    /// <summary>As SeaBIOS does: control block in memory, address written big-endian as two outl.</summary>
    private static uint Dma(FwCfg f, FakeDmaMemory ram, ulong accessAt, uint control, uint length, ulong address)
    {
        BinaryPrimitives.WriteUInt32BigEndian(ram.Bytes.AsSpan((int)accessAt), control);
        BinaryPrimitives.WriteUInt32BigEndian(ram.Bytes.AsSpan((int)accessAt + 4), length);
        BinaryPrimitives.WriteUInt64BigEndian(ram.Bytes.AsSpan((int)accessAt + 8), address);
        f.Write(FwCfg.DmaAddressHighPort, 4, BinaryPrimitives.ReverseEndianness((uint)(accessAt >> 32)));
        f.Write(FwCfg.DmaAddressLowPort, 4, BinaryPrimitives.ReverseEndianness((uint)accessAt));
        return BinaryPrimitives.ReadUInt32BigEndian(ram.Bytes.AsSpan((int)accessAt));
    }

    [Fact]
    public void SignatureAndIdThroughThePorts()
    {
        var f = new FwCfg(new FakeDmaMemory(4096));
        Assert.Equal("QEMU"u8.ToArray(), PortRead(f, FwCfgKeys.Signature, 4));
        Assert.Equal(new byte[] { 3, 0, 0, 0 }, PortRead(f, FwCfgKeys.Id, 4)); // traditional + DMA
        Assert.Equal(new byte[] { 1, 0, 0, 0 }, PortRead(new FwCfg(null), FwCfgKeys.Id, 4));
        // Past the end and unknown keys read zero
        f.Write(FwCfg.SelectorPort, 2, FwCfgKeys.Signature);
        for (int i = 0; i < 4; i++) f.Read(FwCfg.DataPort, 1);
        Assert.Equal(0u, f.Read(FwCfg.DataPort, 1));
        Assert.Equal(new byte[4], PortRead(f, 0x1234, 4));
    }

    [Fact]
    public void DmaAddressRegisterReadsTheSignature()
    {
        var f = new FwCfg(new FakeDmaMemory(4096));
        var b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte)f.Read((ushort)(FwCfg.DmaAddressHighPort + i), 1);
        Assert.Equal("QEMU CFG", Encoding.ASCII.GetString(b));
    }

    [Fact]
    public void SignatureThroughDmaSelectAndRead()
    {
        var ram = new FakeDmaMemory(0x2000);
        var f = new FwCfg(ram);
        uint ctl = Dma(f, ram, 0x100, (FwCfgKeys.Signature << 16) | FwCfg.DmaControlSelect | FwCfg.DmaControlRead, 4, 0x800);
        Assert.Equal(0u, ctl);
        Assert.Equal("QEMU", Encoding.ASCII.GetString(ram.Bytes, 0x800, 4));
        // skip then read continues at the shared offset; the port sees the same offset
        f.AddItem(FwCfgKeys.RamSize, BitConverter.GetBytes(0x1234_5678_9ABCUL));
        Dma(f, ram, 0x100, (FwCfgKeys.RamSize << 16) | FwCfg.DmaControlSelect | FwCfg.DmaControlSkip, 2, 0);
        Assert.Equal(0u, Dma(f, ram, 0x100, FwCfg.DmaControlRead, 2, 0x900));
        Assert.Equal(new byte[] { 0x78, 0x56 }, ram.Bytes[0x900..0x902]);
        Assert.Equal(0x34u, f.Read(FwCfg.DataPort, 1));
    }

    [Fact]
    public void DmaReadPastTheEndZeroFills()
    {
        var ram = new FakeDmaMemory(0x2000);
        var f = new FwCfg(ram);
        ram.Bytes.AsSpan(0x800, 16).Fill(0xEE);
        Dma(f, ram, 0x100, FwCfg.DmaControlSelect | FwCfg.DmaControlRead, 16, 0x800);
        Assert.Equal("QEMU"u8.ToArray().Concat(new byte[12]).ToArray(), ram.Bytes[0x800..0x810]);
    }

    [Fact]
    public void DmaToBadAddressesSetsTheErrorBitAndDoesNotThrow()
    {
        var ram = new FakeDmaMemory(0x2000);
        var f = new FwCfg(ram);
        Assert.Equal(FwCfg.DmaControlError, Dma(f, ram, 0x100, FwCfg.DmaControlSelect | FwCfg.DmaControlRead, 0xFFFF_FFFF, 0x1800));
        Assert.Equal(FwCfg.DmaControlError, Dma(f, ram, 0x100, FwCfg.DmaControlRead, 4, ulong.MaxValue - 1));
        // write to a read-only item
        Assert.Equal(FwCfg.DmaControlError, Dma(f, ram, 0x100, FwCfg.DmaControlSelect | FwCfg.DmaControlWrite, 4, 0x800));
        // control block itself outside memory: nothing happens
        f.Write(FwCfg.DmaAddressHighPort, 4, 0xFFFF_FFFF);
        f.Write(FwCfg.DmaAddressLowPort, 4, 0xFFFF_FFFF);
    }

    [Fact]
    public void FileDirectoryListsFilesBigEndian()
    {
        var f = new FwCfg(null);
        f.SetRamSize(128UL << 20);
        f.SetCpuCount(2, 4);
        ushort wait = f.SetBootFailWait(5);
        ushort e820 = f.SetE820(new FwCfgE820Table().Add(0, 0x9FC00, FwCfgE820Table.TypeRam).Add(0x100000, 0x7F00000, FwCfgE820Table.TypeRam));
        Assert.Equal(FwCfgKeys.FileFirst, wait);
        Assert.Equal(FwCfgKeys.FileFirst + 1, e820);
        var head = PortRead(f, FwCfgKeys.FileDir, 4 + 2 * 64);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(head));
        var e0 = head.AsSpan(4, 64);
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(e0));
        Assert.Equal(wait, BinaryPrimitives.ReadUInt16BigEndian(e0[4..]));
        Assert.Equal("etc/boot-fail-wait", Encoding.ASCII.GetString(e0[8..]).TrimEnd('\0'));
        var e1 = head.AsSpan(68, 64);
        Assert.Equal(40u, BinaryPrimitives.ReadUInt32BigEndian(e1));
        Assert.Equal("etc/e820", Encoding.ASCII.GetString(e1[8..]).TrimEnd('\0'));

        Assert.Equal(BitConverter.GetBytes(128UL << 20), PortRead(f, FwCfgKeys.RamSize, 8));
        Assert.Equal(new byte[] { 2, 0 }, PortRead(f, FwCfgKeys.NbCpus, 2));
        Assert.Equal(new byte[] { 4, 0 }, PortRead(f, FwCfgKeys.MaxCpus, 2));
        // e820 entries: u64 address, u64 length, u32 type, little-endian, packed
        var t = PortRead(f, e820, 40);
        Assert.Equal(0x100000UL, BitConverter.ToUInt64(t, 20));
        Assert.Equal(0x7F00000UL, BitConverter.ToUInt64(t, 28));
        Assert.Equal(1u, BitConverter.ToUInt32(t, 36));
    }

    [Fact]
    public void WritableFileAcceptsDmaWrites()
    {
        var ram = new FakeDmaMemory(0x2000);
        var f = new FwCfg(ram);
        (int Offset, byte[] Data)? seen = null;
        ushort key = f.AddFile("etc/test-writable", new byte[8], (o, d) => seen = (o, d));
        ram.Bytes[0x800] = 0xAB;
        ram.Bytes[0x801] = 0xCD;
        Dma(f, ram, 0x100, ((uint)key << 16) | FwCfg.DmaControlSelect | FwCfg.DmaControlSkip, 2, 0);
        Assert.Equal(0u, Dma(f, ram, 0x100, FwCfg.DmaControlWrite, 2, 0x800));
        Assert.Equal(2, seen!.Value.Offset);
        Assert.Equal(new byte[] { 0, 0, 0xAB, 0xCD, 0, 0, 0, 0 }, f.GetItem(key));
        Assert.Equal(FwCfg.DmaControlError, Dma(f, ram, 0x100, FwCfg.DmaControlWrite, 8, 0x800)); // beyond the end
    }

    [Fact]
    public void AcpiFilesAreAdded()
    {
        var f = new FwCfg(null);
        var acpi = new AcpiTableBuilder().Build();
        f.SetAcpiTables(acpi);
        var dir = PortRead(f, FwCfgKeys.FileDir, 4 + 3 * 64);
        var names = Enumerable.Range(0, 3).Select(i => Encoding.ASCII.GetString(dir, 4 + i * 64 + 8, 56).TrimEnd('\0')).ToArray();
        Assert.Equal(new[] { "etc/acpi/tables", "etc/acpi/rsdp", "etc/table-loader" }, names);
    }
}
