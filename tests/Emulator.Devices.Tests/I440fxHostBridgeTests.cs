using Xunit;

namespace Emulator.Devices.Tests;

public class I440fxHostBridgeTests
{
    [Fact]
    public void PowerOnRegistersMatchTheDatasheet()
    {
        var h = new I440fxHostBridge();
        Assert.Equal(0x8086u, h.ReadConfig(0x00, 2));
        Assert.Equal(0x1237u, h.ReadConfig(0x02, 2));
        Assert.Equal(0x0006u, h.ReadConfig(0x04, 2)); // PCICMD
        Assert.Equal(0x0280u, h.ReadConfig(0x06, 2)); // PCISTS
        Assert.Equal(0x06_00_00u, h.ReadConfig(0x09, 4) & 0xFF_FFFF); // host bridge class
        Assert.Equal(0x00u, h.ReadConfig(0x0E, 1));
        Assert.Equal(0x02u, h.ReadConfig(I440fxHostBridge.SmramOffset, 1)); // closed, C_BASE_SEG = 010
        for (int r = 0x59; r <= 0x5F; r++) Assert.Equal(0u, h.ReadConfig(r, 1));
    }

    [Fact]
    public void PamRegistersReportSegmentsAndAttributes()
    {
        var h = new I440fxHostBridge();
        var seen = new List<I440fxPamSegment>();
        h.PamChanged += seen.Add;
        h.WriteConfig(0x59, 1, 0xFF);
        Assert.Equal(0x30u, h.ReadConfig(0x59, 1)); // PAM0 low nibble is reserved
        var f = h.GetPamSegment(0);
        Assert.Equal((0xF0000u, 0x10000u, true, true), (f.BaseAddress, f.Size, f.ReadRam, f.WriteRam));
        Assert.Contains(seen, s => s.Index == 0 && s.ReadRam && s.WriteRam);

        seen.Clear();
        h.WriteConfig(0x5A, 1, 0x21); // PAM1: 0xC0000 read-only DRAM, 0xC4000 write-only DRAM
        Assert.Equal(0x21u, h.ReadConfig(0x5A, 1));
        var c0 = h.GetPamSegment(1);
        var c4 = h.GetPamSegment(2);
        Assert.Equal((0xC0000u, 0x4000u, true, false), (c0.BaseAddress, c0.Size, c0.ReadRam, c0.WriteRam));
        Assert.Equal((0xC4000u, 0x4000u, false, true), (c4.BaseAddress, c4.Size, c4.ReadRam, c4.WriteRam));
        Assert.Equal(2, seen.Count);

        h.WriteConfig(0x5F, 1, 0xCC); // reserved bits 3:2 and 7:6 do not stick
        Assert.Equal(0u, h.ReadConfig(0x5F, 1));
        Assert.Equal((0xEC000u, 0x4000u), I440fxHostBridge.PamSegmentRange(12));
    }

    [Fact]
    public void DwordWriteUpdatesFourPamRegisters()
    {
        var h = new I440fxHostBridge();
        h.WriteConfig(0x5C, 4, 0x3333_3333);
        for (int seg = 5; seg <= 12; seg++) Assert.True(h.GetPamSegment(seg).ReadRam);
        Assert.False(h.GetPamSegment(4).ReadRam);
    }

    [Fact]
    public void SmramLockForcesClosedUntilReset()
    {
        var h = new I440fxHostBridge();
        byte last = 0;
        h.SmramChanged += v => last = v;
        h.WriteConfig(0x72, 1, 0x4A); // D_OPEN | G_SMRAME | C_BASE_SEG
        Assert.True(h.SmramOpen);
        Assert.Equal(0x4A, last);
        h.WriteConfig(0x72, 1, 0x5A); // set D_LCK: D_OPEN cleared
        Assert.Equal(0x1Au, h.ReadConfig(0x72, 1));
        Assert.False(h.SmramOpen);
        h.WriteConfig(0x72, 1, 0x42); // cannot reopen or clear G_SMRAME/D_LCK
        Assert.Equal(0x1Au, h.ReadConfig(0x72, 1));
        h.WriteConfig(0x72, 1, 0x00);
        Assert.Equal(0x1Au, h.ReadConfig(0x72, 1));
        h.Reset();
        Assert.Equal(0x02u, h.ReadConfig(0x72, 1));
    }
}
