using Xunit;

namespace Emulator.Devices.Tests;

public class AtapiCdromTests
{
    private const byte Drdy = AtaRegisters.StatusDrdy, Drq = AtaRegisters.StatusDrq, Err = AtaRegisters.StatusErr;

    private static byte Pattern(long i) => (byte)((i / 2048) * 3 + i);

    private static (IdeHost Host, AtapiCdrom Cd, FakeLine Irq, FakeDmaMemory Ram, FakeBlockDevice Iso) Make(int cdSectors = 300, bool media = true)
    {
        var iso = new FakeBlockDevice(cdSectors * 4L, readOnly: true, Pattern);
        var irq = new FakeLine();
        var ram = new FakeDmaMemory(0x100000);
        var ch = new IdeChannel("ide1", IdeChannel.PrimaryCommandBase, IdeChannel.PrimaryControlPort, irq, ram);
        var cd = new AtapiCdrom(media ? iso : null);
        ch.Attach(0, cd);
        var h = new IdeHost(ch);
        h.Select(0, 0xA0);
        return (h, cd, irq, ram, iso);
    }

    private static (byte Key, byte Asc) Sense(IdeHost h)
    {
        h.Packet([AtapiCdrom.OpRequestSense, 0, 0, 0, 18]);
        var s = h.ReadPacketData();
        Assert.Equal(18, s.Length);
        Assert.Equal(0x70, s[0]);
        return (s[2], s[12]);
    }

    [Fact]
    public void PacketSignatureAndIdentifyDeviceAbort()
    {
        var (h, _, _, _, _) = Make();
        Assert.Equal((1, 1, 0x14, 0xEB), (h.Reg(2), h.Reg(3), h.Reg(4), h.Reg(5)));
        Assert.Equal(0, h.Status);
        h.Select(0, 0xA0);
        h.Out(4, 0); h.Out(5, 0);
        h.Command(AtaCommand.IdentifyDevice);
        Assert.Equal(Err, h.Status & Err);
        Assert.Equal(AtaRegisters.ErrorAbrt, h.Error);
        Assert.Equal((0x14, 0xEB), (h.Reg(4), h.Reg(5)));
    }

    [Fact]
    public void IdentifyPacketDevice()
    {
        var (h, _, _, _, _) = Make();
        h.Command(AtaCommand.IdentifyPacketDevice);
        Assert.Equal(Drdy | Drq, h.Status);
        var w = h.ReadIdentifyWords();
        Assert.Equal(0x85C0, w[0]); // ATAPI, CD-ROM, removable, 50 µs DRQ, 12-byte packets
        Assert.NotEqual(0, w[49] & 0x0100);
        Assert.NotEqual(0, w[82] & 0x0010);
        Assert.Equal(0xA5, w[255] & 0xFF);
        int sum = 0;
        foreach (ushort x in w) sum += (x & 0xFF) + (x >> 8);
        Assert.Equal(0, sum & 0xFF);
    }

    [Fact]
    public void PacketPhaseUsesInterruptReason()
    {
        var (h, _, irq, _, _) = Make();
        h.Out(1, 0); h.Out(4, 0xFE); h.Out(5, 0xFF);
        h.Command(AtaCommand.Packet);
        Assert.False(irq.Level); // DRQ type 10b: no interrupt for the packet
        Assert.Equal(Drdy | Drq, h.AltStatus);
        Assert.Equal(AtaRegisters.InterruptReasonCoD, h.Reg(2) & 3);
        h.WriteData(new byte[12]); // TEST UNIT READY
        Assert.True(irq.Level);
        Assert.Equal(AtaRegisters.InterruptReasonCoD | AtaRegisters.InterruptReasonIo, h.Reg(2) & 3);
        Assert.Equal(Drdy, h.Status);
    }

    [Fact]
    public void NoMediumReportsNotReady()
    {
        var (h, _, _, _, _) = Make(media: false);
        h.Packet([AtapiCdrom.OpTestUnitReady]);
        Assert.Equal(Err, h.Status & Err);
        Assert.Equal(AtapiCdrom.SenseNotReady << 4, h.Error);
        Assert.Equal((AtapiCdrom.SenseNotReady, AtapiCdrom.AscMediumNotPresent), Sense(h));
        Assert.Equal((AtapiCdrom.SenseNoSense, (byte)0), Sense(h)); // sense is cleared once reported
    }

    [Fact]
    public void MediaChangeRaisesUnitAttentionOnce()
    {
        var (h, cd, _, _, iso) = Make(media: false);
        cd.InsertMedia(iso);
        h.Packet([AtapiCdrom.OpInquiry, 0, 0, 0, 36]); // INQUIRY does not report unit attention
        Assert.Equal(36, h.ReadPacketData().Length);
        h.Packet([AtapiCdrom.OpTestUnitReady]);
        Assert.Equal(AtapiCdrom.SenseUnitAttention << 4, h.Error);
        Assert.Equal((AtapiCdrom.SenseUnitAttention, AtapiCdrom.AscMediumMayHaveChanged), Sense(h));
        h.Packet([AtapiCdrom.OpTestUnitReady]);
        Assert.Equal(Drdy, h.Status);
    }

    [Fact]
    public void InquiryData()
    {
        var (h, _, _, _, _) = Make();
        h.Packet([AtapiCdrom.OpInquiry, 0, 0, 0, 96]);
        var d = h.ReadPacketData();
        Assert.Equal(36, d.Length);
        Assert.Equal(0x05, d[0]); // CD/DVD device
        Assert.Equal(0x80, d[1]); // removable
        Assert.Equal(31, d[4]);
        Assert.Equal("EMULATOR", System.Text.Encoding.ASCII.GetString(d, 8, 8));
        h.Packet([AtapiCdrom.OpInquiry, 0, 0, 0, 5]); // allocation length truncates
        Assert.Equal(5, h.ReadPacketData().Length);
    }

    [Fact]
    public void ReadCapacityIsBigEndianLastLbaAnd2048()
    {
        var (h, _, _, _, _) = Make(cdSectors: 0x1234);
        h.Packet([AtapiCdrom.OpReadCapacity]);
        var d = h.ReadPacketData();
        Assert.Equal(new byte[] { 0, 0, 0x12, 0x33, 0, 0, 0x08, 0x00 }, d);
    }

    [Fact]
    public void Read10PioHonoursTheByteCountLimit()
    {
        var (h, _, irq, _, iso) = Make();
        h.Packet([AtapiCdrom.OpRead10, 0, 0, 0, 0, 10, 0, 0, 3], byteCountLimit: 0x1000);
        var blocks = new List<int>();
        var all = new List<byte>();
        while ((h.AltStatus & Drq) != 0)
        {
            Assert.True(irq.Level);
            Assert.Equal(AtaRegisters.InterruptReasonIo, h.Status == (Drdy | Drq) ? h.Reg(2) & 3 : -1);
            blocks.Add(h.ByteCount);
            all.AddRange(h.ReadData(h.ByteCount));
        }
        Assert.Equal(new[] { 0x1000, 0x800 }, blocks);
        Assert.Equal(iso.Data.AsSpan(10 * 2048, 3 * 2048).ToArray(), all.ToArray());
        Assert.Equal(3, h.Reg(2) & 3);
        Assert.Equal(Drdy, h.Status);
    }

    [Fact]
    public void OddByteCountLimitIsRoundedDown()
    {
        var (h, _, _, _, _) = Make();
        h.Packet([AtapiCdrom.OpRead10, 0, 0, 0, 0, 0, 0, 0, 1], byteCountLimit: 1001);
        Assert.Equal(1000, h.ByteCount);
        var d = h.ReadPacketData();
        Assert.Equal(2048, d.Length);
    }

    [Fact]
    public void Read12ViaDma()
    {
        var (h, _, irq, ram, iso) = Make();
        AtaDiskTests.WritePrd(ram, 0x1000, 0, 0x20000, 0, false);
        AtaDiskTests.WritePrd(ram, 0x1000, 1, 0x40000, 4096, true);
        for (int i = 0; i < 4; i++) h.Channel.WriteBusMaster(4 + i, (byte)(0x1000 >> (8 * i)));
        h.Packet([AtapiCdrom.OpRead12, 0, 0, 0, 0, 100, 0, 0, 0, 34], dma: true);
        Assert.False(irq.Level);
        h.Channel.WriteBusMaster(0, IdeBusMaster.CommandStart | IdeBusMaster.CommandWriteToMemory);
        Assert.True(irq.Level);
        Assert.Equal(Drdy, h.Status);
        Assert.Equal(3, h.Reg(2) & 3);
        Assert.Equal(iso.Data.AsSpan(100 * 2048, 0x10000).ToArray(), ram.Bytes.AsSpan(0x20000, 0x10000).ToArray());
        Assert.Equal(iso.Data.AsSpan(132 * 2048, 4096).ToArray(), ram.Bytes.AsSpan(0x40000, 4096).ToArray());
    }

    [Fact]
    public void ReadPastTheEndIsIllegalRequest()
    {
        var (h, _, _, _, _) = Make(cdSectors: 300);
        h.Packet([AtapiCdrom.OpRead10, 0, 0, 0, 0x01, 0x2B, 0, 0, 2]); // LBA 299, 2 sectors
        Assert.Equal(AtapiCdrom.SenseIllegalRequest << 4, h.Error);
        Assert.Equal((AtapiCdrom.SenseIllegalRequest, AtapiCdrom.AscLbaOutOfRange), Sense(h));
    }

    [Fact]
    public void ReadTocFormat0InLbaAndMsf()
    {
        var (h, _, _, _, _) = Make(cdSectors: 300);
        h.Packet([AtapiCdrom.OpReadToc, 0, 0, 0, 0, 0, 0, 0, 100]);
        var d = h.ReadPacketData();
        Assert.Equal(new byte[]
        {
            0, 18, 1, 1,
            0, 0x14, 1, 0, 0, 0, 0, 0,          // track 1 at LBA 0
            0, 0x14, 0xAA, 0, 0, 0, 0x01, 0x2C, // lead-out at LBA 300
        }, d);
        h.Packet([AtapiCdrom.OpReadToc, 0x02, 0, 0, 0, 0, 0, 0, 100]);
        d = h.ReadPacketData();
        // MSF = LBA + 150 frames: 00:02:00 and 300+150 = 450 frames = 00:06:00
        Assert.Equal(new byte[] { 0, 0, 2, 0 }, d[8..12]);
        Assert.Equal(new byte[] { 0, 0, 6, 0 }, d[16..20]);
        h.Packet([AtapiCdrom.OpReadToc, 0, 0, 0, 0, 0, 5, 0, 100]); // start track 5 does not exist
        Assert.Equal(AtapiCdrom.SenseIllegalRequest << 4, h.Error);
    }

    [Fact]
    public void ReadTocFormat1SessionInfo()
    {
        var (h, _, _, _, _) = Make();
        h.Packet([AtapiCdrom.OpReadToc, 0, 1, 0, 0, 0, 0, 0, 12]);
        Assert.Equal(new byte[] { 0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0 }, h.ReadPacketData());
    }

    [Fact]
    public void GetConfigurationReportsCdRomProfile()
    {
        var (h, _, _, _, _) = Make();
        h.Packet([AtapiCdrom.OpGetConfiguration, 0, 0, 0, 0, 0, 0, 0x01, 0]);
        var d = h.ReadPacketData();
        int len = (d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3];
        Assert.Equal(d.Length - 4, len);
        Assert.Equal(0x0008, (d[6] << 8) | d[7]); // current profile CD-ROM
        Assert.Equal(0x0000, (d[8] << 8) | d[9]); // first feature: profile list
        Assert.Equal(0x0008, (d[12] << 8) | d[13]);
        h.Packet([AtapiCdrom.OpGetConfiguration, 2, 0, 0x10, 0, 0, 0, 0x01, 0]); // RT=2: feature 0010h only
        d = h.ReadPacketData();
        Assert.Equal(8 + 12, d.Length);
        Assert.Equal(2048, (d[12] << 24) | (d[13] << 16) | (d[14] << 8) | d[15]);
    }

    [Fact]
    public void ModeSenseCapabilitiesPage()
    {
        var (h, _, _, _, _) = Make();
        h.Packet([AtapiCdrom.OpModeSense10, 0, 0x2A, 0, 0, 0, 0, 0, 255]);
        var d = h.ReadPacketData();
        Assert.Equal(8 + 22, d.Length);
        Assert.Equal(d.Length - 2, (d[0] << 8) | d[1]);
        Assert.Equal(0x2A, d[8]);
        Assert.Equal(0x14, d[9]);
        h.Packet([AtapiCdrom.OpModeSense10, 0, 0x3F, 0, 0, 0, 0, 0, 255]);
        d = h.ReadPacketData();
        Assert.Equal(8 + 8 + 22, d.Length);
        Assert.Equal(0x01, d[8]);
        h.Packet([AtapiCdrom.OpModeSense10, 0, 0xC1, 0, 0, 0, 0, 0, 255]); // saved values
        Assert.Equal((AtapiCdrom.SenseIllegalRequest, AtapiCdrom.AscSavingParametersNotSupported), Sense(h));
        h.Packet([AtapiCdrom.OpModeSense10, 0, 0x05, 0, 0, 0, 0, 0, 255]);
        Assert.Equal((AtapiCdrom.SenseIllegalRequest, AtapiCdrom.AscInvalidFieldInCdb), Sense(h));
    }

    [Fact]
    public void LockedMediumCannotBeEjected()
    {
        var (h, cd, _, _, _) = Make();
        bool ejected = false;
        cd.EjectRequested += () => ejected = true;
        h.Packet([AtapiCdrom.OpPreventAllowMediumRemoval, 0, 0, 0, 1]);
        Assert.True(cd.Locked);
        h.Packet([AtapiCdrom.OpStartStopUnit, 0, 0, 0, 0x02]);
        Assert.Equal((AtapiCdrom.SenseIllegalRequest, AtapiCdrom.AscMediumRemovalPrevented), Sense(h));
        Assert.False(cd.EjectMedia());
        h.Packet([AtapiCdrom.OpPreventAllowMediumRemoval, 0, 0, 0, 0]);
        h.Packet([AtapiCdrom.OpStartStopUnit, 0, 0, 0, 0x02]);
        Assert.Equal(Drdy, h.Status);
        Assert.True(ejected);
        Assert.False(cd.HasMedia);
    }

    [Fact]
    public void EventStatusNotificationReportsMediaEvents()
    {
        var (h, cd, _, _, iso) = Make();
        cd.EjectMedia();
        h.Packet([AtapiCdrom.OpGetEventStatusNotification, 1, 0, 0, 0x10, 0, 0, 0, 8]);
        var d = h.ReadPacketData();
        Assert.Equal(new byte[] { 0, 6, 0x04, 0x10, AtapiCdrom.MediaEventMediaRemoval, 0x01, 0, 0 }, d);
        cd.InsertMedia(iso);
        h.Packet([AtapiCdrom.OpGetEventStatusNotification, 1, 0, 0, 0x10, 0, 0, 0, 8]);
        d = h.ReadPacketData();
        Assert.Equal(AtapiCdrom.MediaEventNewMedia, d[4]);
        Assert.Equal(0x02, d[5]);
        h.Packet([AtapiCdrom.OpGetEventStatusNotification, 1, 0, 0, 0x10, 0, 0, 0, 8]);
        Assert.Equal(AtapiCdrom.MediaEventNoChange, h.ReadPacketData()[4]);
        h.Packet([AtapiCdrom.OpGetEventStatusNotification, 0, 0, 0, 0x10, 0, 0, 0, 8]); // asynchronous: unsupported
        Assert.Equal(AtapiCdrom.SenseIllegalRequest << 4, h.Error);
    }

    [Fact]
    public void UnknownPacketIsInvalidOpcode()
    {
        var (h, _, _, _, _) = Make();
        h.Packet([0xEE]);
        Assert.Equal((AtapiCdrom.SenseIllegalRequest, AtapiCdrom.AscInvalidCommandOperationCode), Sense(h));
    }
}
