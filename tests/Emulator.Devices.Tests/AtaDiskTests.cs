using System.Text;
using Xunit;

namespace Emulator.Devices.Tests;

public class AtaDiskTests
{
    private const byte Drdy = AtaRegisters.StatusDrdy, Dsc = AtaRegisters.StatusDsc, Drq = AtaRegisters.StatusDrq, Err = AtaRegisters.StatusErr;

    private static byte Pattern(long i) => (byte)(i * 7 + (i >> 9));

    private static (IdeHost Host, FakeBlockDevice Disk, FakeLine Irq, FakeDmaMemory Ram) Make(long sectors = 20000, bool readOnly = false)
    {
        var disk = new FakeBlockDevice(sectors, readOnly, Pattern);
        var irq = new FakeLine();
        var ram = new FakeDmaMemory(0x40000);
        var ch = new IdeChannel("ide0", IdeChannel.PrimaryCommandBase, IdeChannel.PrimaryControlPort, irq, ram);
        ch.Attach(0, new AtaDisk(disk, "EMULATOR HARDDISK", "SN123", "FW1"));
        return (new IdeHost(ch), disk, irq, ram);
    }

    [Fact]
    public void SignatureAndStatusAfterReset()
    {
        var (h, _, _, _) = Make();
        Assert.Equal(Drdy | Dsc, h.Status);
        Assert.Equal(0x01, h.Error);
        Assert.Equal((1, 1, 0, 0), (h.Reg(2), h.Reg(3), h.Reg(4), h.Reg(5)));
        // absent slave: status reads zero, signature registers FFh
        h.Select(1, 0xA0);
        Assert.Equal(0, h.Status);
    }

    [Fact]
    public void IdentifyDeviceReportsCapacitiesStringsAndChecksum()
    {
        var (h, disk, irq, _) = Make(sectors: 20000);
        h.Select(0);
        h.Command(AtaCommand.IdentifyDevice);
        Assert.True(irq.Level);
        Assert.Equal(Drdy | Dsc | Drq, h.Status);
        Assert.False(irq.Level); // reading status clears the pending interrupt
        var w = h.ReadIdentifyWords();
        Assert.Equal(Drdy | Dsc, h.AltStatus);
        Assert.Equal(0x0040, w[0]);
        Assert.Equal((20000 / (16 * 63), 16, 63), ((int)w[1], (int)w[3], (int)w[6]));
        // Strings: first character in the high byte of each word
        Assert.Equal(('E' << 8) | 'M', w[27]);
        Assert.Equal("EMULATOR HARDDISK", WordsToString(w, 27, 20).TrimEnd());
        Assert.Equal("SN123", WordsToString(w, 10, 10).TrimEnd());
        Assert.Equal("FW1", WordsToString(w, 23, 4).TrimEnd());
        Assert.Equal(20000, w[60] | (w[61] << 16));                       // LBA28 capacity
        Assert.Equal(20000L, w[100] | ((long)w[101] << 16) | ((long)w[102] << 32) | ((long)w[103] << 48));
        Assert.NotEqual(0, w[49] & 0x0200);                                 // LBA supported
        Assert.NotEqual(0, w[49] & 0x0100);                                 // DMA supported
        Assert.NotEqual(0, w[83] & 0x0400);                                 // 48-bit feature set
        Assert.Equal(0x4000, w[83] & 0xC000);
        Assert.Equal(0x0007, w[63] & 0x0007);                               // MWDMA 0-2
        Assert.Equal(0x003F, w[88] & 0x003F);                               // UDMA 0-5
        Assert.Equal(0x8010, w[47]);
        Assert.Equal(0xA5, w[255] & 0xFF);
        int sum = 0;
        foreach (ushort x in w) sum += (x & 0xFF) + (x >> 8);
        Assert.Equal(0, sum & 0xFF);
        _ = disk;
    }

    [Fact]
    public void LargeDiskClampsLba28AndChs()
    {
        var d = new AtaDisk(new FakeBlockDevice(1, false)); // capacity comes from SectorCount only
        Assert.NotNull(d);
        var big = new BigDisk(0x1_2345_6789);
        var w = new AtaDisk(big).BuildIdentify();
        Assert.Equal(0x0FFF_FFFF, w[60] | (w[61] << 16));
        Assert.Equal(16383, w[1]);
        Assert.Equal(0x1_2345_6789L, w[100] | ((long)w[101] << 16) | ((long)w[102] << 32));
    }

    [Fact]
    public void ReadSectorsPioTransfersEachSectorWithAnInterrupt()
    {
        var (h, disk, irq, _) = Make();
        h.Lba28(0, 100, 3);
        h.Command(AtaCommand.ReadSectors);
        var got = new List<byte>();
        for (int s = 0; s < 3; s++)
        {
            Assert.True(irq.Level);
            Assert.Equal(Drdy | Dsc | Drq, h.Status);
            got.AddRange(h.ReadData(512));
        }
        Assert.Equal(Drdy | Dsc, h.Status);
        Assert.Equal(disk.Data.AsSpan(100 * 512, 3 * 512).ToArray(), got.ToArray());
        Assert.Equal(3, irq.Rises);
    }

    [Fact]
    public void ThirtyTwoBitDataAccessesWork()
    {
        var (h, disk, _, _) = Make();
        h.Lba28(0, 7, 1);
        h.Command(AtaCommand.ReadSectors);
        var b = new byte[512];
        for (int i = 0; i < 512; i += 4) BitConverter.GetBytes(h.Channel.Read(0x1F0, 4)).CopyTo(b, i);
        Assert.Equal(disk.Data.AsSpan(7 * 512, 512).ToArray(), b);
    }

    [Fact]
    public void WriteSectorsPioStoresDataAndInterruptsAfterEachBlock()
    {
        var (h, disk, irq, _) = Make();
        h.Lba28(0, 50, 2);
        h.Command(AtaCommand.WriteSectors);
        Assert.False(irq.Level); // no interrupt before the first block
        Assert.Equal(Drdy | Dsc | Drq, h.AltStatus);
        var data = Enumerable.Range(0, 1024).Select(i => (byte)(255 - i)).ToArray();
        h.WriteData(data.AsSpan(0, 512));
        Assert.True(irq.Level);
        Assert.Equal(Drdy | Dsc | Drq, h.Status);
        h.WriteData(data.AsSpan(512, 512));
        Assert.True(irq.Level);
        Assert.Equal(Drdy | Dsc, h.Status);
        Assert.Equal(data, disk.Data.AsSpan(50 * 512, 1024).ToArray());
    }

    [Fact]
    public void Lba48ReadUsesPreviousRegisterValues()
    {
        var (h, disk, _, _) = Make();
        h.Lba48(0, 0x1234, 2);
        h.Command(AtaCommand.ReadSectorsExt);
        var got = h.ReadData(512).Concat(h.ReadData(512)).ToArray();
        Assert.Equal(disk.Data.AsSpan(0x1234 * 512, 1024).ToArray(), got);
    }

    [Fact]
    public void HobSelectsThePreviousRegisterContents()
    {
        var (h, _, _, _) = Make();
        h.Out(3, 0xAA);
        h.Out(3, 0x55);
        Assert.Equal(0x55, h.Reg(3));
        h.Channel.Write(IdeHost.Ctl, 1, AtaRegisters.ControlHob);
        Assert.Equal(0xAA, h.Reg(3));
        h.Out(4, 1); // any command block write clears HOB
        Assert.Equal(0x55, h.Reg(3));
    }

    [Fact]
    public void ReadMultipleTransfersBlocksOfTheMultipleCount()
    {
        var (h, disk, irq, _) = Make();
        h.Select(0);
        h.Lba28(0, 0, 0);
        h.Command(AtaCommand.ReadMultiple);
        Assert.Equal(Drdy | Dsc | Err, h.Status); // multiple mode disabled: aborted
        Assert.Equal(AtaRegisters.ErrorAbrt, h.Error);
        h.Out(2, 3);
        h.Command(AtaCommand.SetMultipleMode);
        Assert.Equal(Drdy | Dsc | Err, h.Status); // 3 is not a power of two
        h.Out(2, 4);
        h.Command(AtaCommand.SetMultipleMode);
        Assert.Equal(Drdy | Dsc, h.Status);
        int before = irq.Rises;
        h.Lba28(0, 10, 6);
        h.Command(AtaCommand.ReadMultiple);
        Assert.Equal(Drdy | Dsc | Drq, h.Status);
        var first = h.ReadData(4 * 512);
        Assert.Equal(Drdy | Dsc | Drq, h.Status);
        var second = h.ReadData(2 * 512);
        Assert.Equal(2, irq.Rises - before);
        Assert.Equal(disk.Data.AsSpan(10 * 512, 6 * 512).ToArray(), first.Concat(second).ToArray());
        h.Command(AtaCommand.IdentifyDevice);
        Assert.Equal(0x0104, h.ReadIdentifyWords()[59]);
    }

    [Fact]
    public void OutOfRangeAddressesFailWithIdnf()
    {
        var (h, _, _, _) = Make(sectors: 1000);
        h.Lba28(0, 999, 2);
        h.Command(AtaCommand.ReadSectors);
        Assert.Equal(Drdy | Dsc | Err, h.Status);
        Assert.Equal(AtaRegisters.ErrorIdnf, h.Error);
        h.Lba48(0, 0xFFFF_FFFF_FFFF, 1);
        h.Command(AtaCommand.ReadDmaExt);
        Assert.Equal(AtaRegisters.ErrorIdnf, h.Error);
        h.Lba28(0, 999, 1);
        h.Command(AtaCommand.ReadVerifySectors);
        Assert.Equal(Drdy | Dsc, h.Status);
    }

    [Fact]
    public void ChsAddressingUsesTheCurrentTranslation()
    {
        var (h, disk, _, _) = Make();
        // INITIALIZE DEVICE PARAMETERS: 8 heads, 32 sectors per track
        h.Out(2, 32);
        h.Out(6, 0xA0 | 7);
        h.Command(AtaCommand.InitializeDeviceParameters);
        Assert.Equal(Drdy | Dsc, h.Status);
        // C/H/S = 2/3/5 → LBA (2*8+3)*32 + 4 = 612
        h.Out(2, 1); h.Out(3, 5); h.Out(4, 2); h.Out(5, 0); h.Out(6, 0xA0 | 3);
        h.Command(AtaCommand.ReadSectors);
        Assert.Equal(disk.Data.AsSpan(612 * 512, 512).ToArray(), h.ReadData(512));
        h.Out(3, 0); // sector 0 does not exist
        h.Command(AtaCommand.ReadSectors);
        Assert.Equal(AtaRegisters.ErrorIdnf, h.Error);
        h.Command(AtaCommand.IdentifyDevice);
        var w = h.ReadIdentifyWords();
        Assert.Equal((8, 32), ((int)w[55], (int)w[56]));
        Assert.Equal(20000 / (8 * 32), w[54]);
    }

    [Fact]
    public void WritesToAReadOnlyDiskAreAborted()
    {
        var (h, disk, _, _) = Make(readOnly: true);
        h.Lba28(0, 1, 1);
        h.Command(AtaCommand.WriteSectors);
        Assert.Equal(Drdy | Dsc | Err, h.Status);
        Assert.Equal(AtaRegisters.ErrorAbrt, h.Error);
        h.Command(AtaCommand.WriteDma);
        Assert.Equal(AtaRegisters.ErrorAbrt, h.Error);
        Assert.Equal(Pattern(512), disk.Data[512]);
    }

    [Fact]
    public void ReadDmaFollowsThePrdTable()
    {
        var (h, disk, irq, ram) = Make();
        // two PRD entries at 0x1000: 512 bytes → 0x8000, 1024 bytes → 0x9000 (EOT)
        WritePrd(ram, 0x1000, 0, 0x8000, 512, false);
        WritePrd(ram, 0x1000, 1, 0x9000, 1024, true);
        var bm = h.Channel.BusMaster;
        for (int i = 0; i < 4; i++) h.Channel.WriteBusMaster(4 + i, (byte)(0x1000 >> (8 * i)));
        h.Lba28(0, 200, 3);
        h.Command(AtaCommand.ReadDma);
        Assert.False(irq.Level);
        h.Channel.WriteBusMaster(0, IdeBusMaster.CommandStart | IdeBusMaster.CommandWriteToMemory);
        Assert.True(irq.Level);
        Assert.Equal(IdeBusMaster.StatusInterrupt, bm.Status & 0x07); // active cleared (table exhausted), interrupt set
        Assert.Equal(Drdy | Dsc, h.Status);
        Assert.Equal(disk.Data.AsSpan(200 * 512, 512).ToArray(), ram.Bytes.AsSpan(0x8000, 512).ToArray());
        Assert.Equal(disk.Data.AsSpan(201 * 512, 1024).ToArray(), ram.Bytes.AsSpan(0x9000, 1024).ToArray());
        h.Channel.WriteBusMaster(2, IdeBusMaster.StatusInterrupt); // write one to clear
        Assert.Equal(0, bm.Status & IdeBusMaster.StatusInterrupt);
    }

    [Fact]
    public void WriteDmaExtWithBusMasterStartedFirst()
    {
        var (h, disk, _, ram) = Make();
        WritePrd(ram, 0x2000, 0, 0x10000, 0, true); // byte count 0 means 64 KiB
        for (int i = 0; i < 0x10000; i++) ram.Bytes[0x10000 + i] = (byte)(i ^ 0x5A);
        for (int i = 0; i < 4; i++) h.Channel.WriteBusMaster(4 + i, (byte)(0x2000 >> (8 * i)));
        h.Channel.WriteBusMaster(0, IdeBusMaster.CommandStart);
        h.Lba48(0, 300, 128);
        h.Command(AtaCommand.WriteDmaExt);
        Assert.Equal(Drdy | Dsc, h.Status);
        Assert.Equal(ram.Bytes.AsSpan(0x10000, 0x10000).ToArray(), disk.Data.AsSpan(300 * 512, 0x10000).ToArray());
    }

    [Fact]
    public void PrdTableLargerThanTransferKeepsActive()
    {
        var (h, _, _, ram) = Make();
        WritePrd(ram, 0x1000, 0, 0x8000, 4096, true);
        for (int i = 0; i < 4; i++) h.Channel.WriteBusMaster(4 + i, (byte)(0x1000 >> (8 * i)));
        h.Lba28(0, 0, 1);
        h.Command(AtaCommand.ReadDma);
        h.Channel.WriteBusMaster(0, IdeBusMaster.CommandStart | IdeBusMaster.CommandWriteToMemory);
        Assert.Equal(IdeBusMaster.StatusInterrupt | IdeBusMaster.StatusActive, h.Channel.BusMaster.Status & 0x07);
    }

    [Fact]
    public void BadPrdTableSetsErrorBitsAndNeverThrows()
    {
        var (h, _, irq, ram) = Make();
        // PRD pointing outside guest memory
        WritePrd(ram, 0x1000, 0, 0xFFFF_F000, 4096, true);
        for (int i = 0; i < 4; i++) h.Channel.WriteBusMaster(4 + i, (byte)(0x1000 >> (8 * i)));
        h.Lba28(0, 0, 8);
        h.Command(AtaCommand.ReadDma);
        h.Channel.WriteBusMaster(0, IdeBusMaster.CommandStart | IdeBusMaster.CommandWriteToMemory);
        Assert.True(irq.Level);
        Assert.Equal(IdeBusMaster.StatusError | IdeBusMaster.StatusInterrupt, h.Channel.BusMaster.Status & 0x07);
        Assert.Equal(Drdy | Dsc | Err, h.Status);
        Assert.Equal(AtaRegisters.ErrorAbrt, h.Error);

        // PRD table itself outside memory
        h.Channel.WriteBusMaster(0, 0);
        for (int i = 0; i < 4; i++) h.Channel.WriteBusMaster(4 + i, 0xF0);
        h.Lba28(0, 0, 1);
        h.Command(AtaCommand.ReadDma);
        h.Channel.WriteBusMaster(0, IdeBusMaster.CommandStart | IdeBusMaster.CommandWriteToMemory);
        Assert.Equal(Drdy | Dsc | Err, h.Status);

        // PRD table too short for the transfer: error, not a hang
        h.Channel.WriteBusMaster(0, 0);
        WritePrd(ram, 0x1000, 0, 0x8000, 512, true);
        for (int i = 0; i < 4; i++) h.Channel.WriteBusMaster(4 + i, (byte)(0x1000 >> (8 * i)));
        h.Lba28(0, 0, 4);
        h.Command(AtaCommand.ReadDma);
        h.Channel.WriteBusMaster(0, IdeBusMaster.CommandStart | IdeBusMaster.CommandWriteToMemory);
        Assert.Equal(Drdy | Dsc | Err, h.Status);
        Assert.Equal(0, h.Channel.BusMaster.Status & IdeBusMaster.StatusActive);
    }

    [Fact]
    public void SoftwareResetRestoresSignatureWithoutInterrupt()
    {
        var (h, _, irq, _) = Make();
        h.Lba28(0, 5, 1);
        h.Command(AtaCommand.ReadSectors);
        h.Channel.Write(IdeHost.Ctl, 1, AtaRegisters.ControlSrst);
        Assert.Equal(AtaRegisters.StatusBsy, h.AltStatus);
        Assert.False(irq.Level);
        h.Channel.Write(IdeHost.Ctl, 1, 0);
        Assert.Equal(Drdy | Dsc, h.Status);
        Assert.Equal((1, 1, 0, 0, 0), (h.Reg(2), h.Reg(3), h.Reg(4), h.Reg(5), h.Reg(6)));
        Assert.Equal(0x01, h.Error);
        Assert.False(irq.Level);
        Assert.Equal(0xFFFFu, h.Channel.Read(0x1F0, 2)); // the read was abandoned: no data phase
    }

    [Fact]
    public void NienMasksTheInterruptLine()
    {
        var (h, _, irq, _) = Make();
        h.Channel.Write(IdeHost.Ctl, 1, AtaRegisters.ControlNien);
        h.Select(0);
        h.Command(AtaCommand.IdleImmediate);
        Assert.False(irq.Level);
        h.Channel.Write(IdeHost.Ctl, 1, 0);
        Assert.True(irq.Level); // still pending: unmasking raises it
        _ = h.AltStatus;
        Assert.True(irq.Level); // alternate status does not acknowledge
        _ = h.Status;
        Assert.False(irq.Level);
    }

    [Fact]
    public void ExecuteDeviceDiagnosticPostsSignatureAndResult()
    {
        var (h, _, irq, _) = Make();
        h.Out(2, 0x55);
        h.Select(1);
        h.Command(AtaCommand.ExecuteDeviceDiagnostic);
        Assert.True(irq.Level);
        Assert.Equal(0x01, h.Error);
        Assert.Equal((1, 1, 0, 0), (h.Reg(2), h.Reg(3), h.Reg(4), h.Reg(5)));
    }

    [Fact]
    public void PowerManagementAndCheckPowerMode()
    {
        var (h, _, _, _) = Make();
        h.Select(0);
        h.Command(AtaCommand.CheckPowerMode);
        Assert.Equal(0xFF, h.Reg(2));
        h.Command(AtaCommand.StandbyImmediate);
        h.Command(AtaCommand.CheckPowerMode);
        Assert.Equal(0x00, h.Reg(2));
        h.Command(AtaCommand.Idle);
        h.Command(AtaCommand.CheckPowerMode);
        Assert.Equal(0xFF, h.Reg(2));
    }

    [Fact]
    public void SetFeaturesChangesTransferModeAndWriteCache()
    {
        var (h, disk, _, _) = Make();
        h.Select(0);
        h.Out(1, AtaCommand.FeatureSetTransferMode);
        h.Out(2, 0x22); // multiword DMA mode 2
        h.Command(AtaCommand.SetFeatures);
        Assert.Equal(Drdy | Dsc, h.Status);
        h.Command(AtaCommand.IdentifyDevice);
        var w = h.ReadIdentifyWords();
        Assert.Equal(0x0407, w[63]);
        Assert.Equal(0x003F, w[88]);
        h.Out(1, AtaCommand.FeatureSetTransferMode);
        h.Out(2, 0x46); // UDMA 6 is not supported
        h.Command(AtaCommand.SetFeatures);
        Assert.Equal(AtaRegisters.ErrorAbrt, h.Error);
        h.Out(1, AtaCommand.FeatureDisableWriteCache);
        h.Command(AtaCommand.SetFeatures);
        h.Command(AtaCommand.IdentifyDevice);
        Assert.Equal(0, h.ReadIdentifyWords()[85] & 0x0020);
        int flushes = disk.Flushes;
        h.Command(AtaCommand.FlushCacheExt);
        Assert.Equal(Drdy | Dsc, h.Status);
        Assert.Equal(flushes + 1, disk.Flushes);
    }

    [Fact]
    public void UnknownCommandsAbort()
    {
        var (h, _, _, _) = Make();
        h.Select(0);
        foreach (byte c in new byte[] { 0x00, 0xA0, 0xA1, 0x08, 0xFF, 0x5C })
        {
            h.Command(c);
            Assert.Equal(Drdy | Dsc | Err, h.Status);
            Assert.Equal(AtaRegisters.ErrorAbrt, h.Error);
        }
    }

    [Fact]
    public void StateRoundTripsMidTransfer()
    {
        var (h, disk, _, _) = Make();
        h.Lba28(0, 30, 2);
        h.Command(AtaCommand.ReadSectors);
        var first = h.ReadData(100);
        var ms = new MemoryStream();
        h.Channel.SaveState(new BinaryWriter(ms));
        h.Channel.Reset();
        ms.Position = 0;
        h.Channel.LoadState(new BinaryReader(ms));
        var rest = h.ReadData(1024 - 100);
        Assert.Equal(disk.Data.AsSpan(30 * 512, 1024).ToArray(), first.Concat(rest).ToArray());
    }

    internal static void WritePrd(FakeDmaMemory ram, int table, int index, uint address, int count, bool eot)
    {
        var e = ram.Bytes.AsSpan(table + index * 8, 8);
        BitConverter.GetBytes(address).CopyTo(e);
        e[4] = (byte)count;
        e[5] = (byte)(count >> 8);
        e[6] = 0;
        e[7] = (byte)(eot ? 0x80 : 0);
    }

    private static string WordsToString(ushort[] w, int first, int count)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            sb.Append((char)(w[first + i] >> 8));
            sb.Append((char)(w[first + i] & 0xFF));
        }
        return sb.ToString();
    }

    private sealed class BigDisk(long sectors) : Emulator.Core.Bus.IBlockDevice
    {
        public long SectorCount => sectors;
        public bool ReadOnly => true;
        public void Read(long lba, Span<byte> destination) => destination.Clear();
        public void Write(long lba, ReadOnlySpan<byte> source) => throw new IOException("read-only");
        public void Flush() { }
    }
}
