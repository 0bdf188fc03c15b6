using Emulator.Core.Bus;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>Register-level behaviour of the VGA ports as documented by IBM's VGA reference and FreeVGA.</summary>
public class VgaRegisterTests
{
    [Theory]
    // Sequencer (FreeVGA): clocking mode bit 1 reserved; map mask bits 3:0; char map select bits 5:0; memory mode bits 3:1.
    [InlineData(1, 0xFF, 0x3D)]
    [InlineData(2, 0xFF, 0x0F)]
    [InlineData(3, 0xFF, 0x3F)]
    [InlineData(4, 0xFF, 0x0E)]
    [InlineData(0, 0xFF, 0x03)]
    [InlineData(2, 0x05, 0x05)]
    public void SequencerRegistersKeepOnlyDefinedBits(int index, byte written, byte expected)
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetSeq(index, written);
        Assert.Equal(expected, vga.GetSeq(index));
        Assert.Equal((byte)index, vga.In(0x3C4));
    }

    [Theory]
    // Graphics controller (FreeVGA): set/reset, enable set/reset, colour compare, don't care: bits 3:0;
    // data rotate bits 4:0; read map select bits 1:0; graphics mode bit 2 and bit 7 reserved; bit mask all 8.
    [InlineData(0, 0xFF, 0x0F)]
    [InlineData(1, 0xFF, 0x0F)]
    [InlineData(2, 0xFF, 0x0F)]
    [InlineData(3, 0xFF, 0x1F)]
    [InlineData(4, 0xFF, 0x03)]
    [InlineData(5, 0xFF, 0x7B)]
    [InlineData(6, 0xFF, 0x0F)]
    [InlineData(7, 0xFF, 0x0F)]
    [InlineData(8, 0x5A, 0x5A)]
    public void GraphicsRegistersKeepOnlyDefinedBits(int index, byte written, byte expected)
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetGc(index, written);
        Assert.Equal(expected, vga.GetGc(index));
    }

    [Fact]
    public void CrtcRegistersRoundTripAndCursorRegistersAreReadable()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetCrtc(0x0E, 0x07);
        vga.SetCrtc(0x0F, 0xD0);
        vga.SetCrtc(0x0A, 0x2D);
        vga.SetCrtc(0x13, 0x50);
        vga.SetCrtc(0x18, 0x7F);
        Assert.Equal(0x07, vga.GetCrtc(0x0E));
        Assert.Equal(0xD0, vga.GetCrtc(0x0F));
        Assert.Equal(0x2D, vga.GetCrtc(0x0A));
        Assert.Equal(0x50, vga.GetCrtc(0x13));
        Assert.Equal(0x7F, vga.GetCrtc(0x18));
    }

    [Fact]
    public void CrtcProtectBitLocksRegisters0To7ExceptLineCompareBit8()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetCrtc(0x11, 0x0E); // protect off
        vga.SetCrtc(0x00, 0x5F);
        vga.SetCrtc(0x07, 0x1F);
        vga.SetCrtc(0x11, 0x8E); // protect on (bit 7)
        vga.SetCrtc(0x00, 0x12);
        vga.SetCrtc(0x04, 0x00);
        Assert.Equal(0x5F, vga.GetCrtc(0x00));
        Assert.NotEqual(0x00, vga.GetCrtc(0x04));
        vga.SetCrtc(0x07, 0x00);
        Assert.Equal(0x0F, vga.GetCrtc(0x07)); // only bit 4 (line compare bit 8) changed
        vga.SetCrtc(0x08, 0x05);                // registers 8+ are not protected
        Assert.Equal(0x05, vga.GetCrtc(0x08));
        vga.SetCrtc(0x11, 0x0E);
        vga.SetCrtc(0x00, 0x12);
        Assert.Equal(0x12, vga.GetCrtc(0x00));
    }

    [Fact]
    public void MiscOutputBit0MovesCrtcAndInputStatusBetween3BxAnd3Dx()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.Out(0x3C2, 0x66); // I/O address select = 0: monochrome 0x3Bx
        Assert.Equal(0x66, vga.In(0x3CC));
        vga.Out(0x3B4, 0x0C);
        vga.Out(0x3B5, 0x12);
        Assert.Equal(0x12, vga.In(0x3B5));
        Assert.Equal(0xFF, vga.In(0x3D5));
        vga.Out(0x3D4, 0x0C);
        vga.Out(0x3D5, 0x34); // not decoded
        vga.Out(0x3C2, 0x67);
        Assert.Equal(0xFF, vga.In(0x3B5));
        vga.Out(0x3D4, 0x0C);
        Assert.Equal(0x12, vga.In(0x3D5));
    }

    [Fact]
    public void AttributeFlipFlopAlternatesIndexAndDataAndIsResetByInputStatus1()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.In(0x3DA);
        vga.Out(0x3C0, 0x12);           // index: colour plane enable, PAS = 0
        vga.Out(0x3C0, 0x0A);           // data
        Assert.Equal(0x12, vga.In(0x3C0));
        Assert.Equal(0x0A, vga.In(0x3C1));
        vga.Out(0x3C0, 0x34);           // flip-flop is back at index: PAS + index 0x14 (colour select)
        Assert.Equal(0x34, vga.In(0x3C0));
        vga.Out(0x3C0, 0x05);
        Assert.Equal(0x05, vga.ReadAttribute(0x14));
        vga.Out(0x3C0, 0x11);           // index: overscan
        vga.In(0x3DA);                  // reset: the next write is an index again
        vga.Out(0x3C0, 0x13);
        vga.Out(0x3C0, 0x07);
        Assert.Equal(0x07, vga.ReadAttribute(0x13));
        Assert.Equal(0x00, vga.ReadAttribute(0x11));
    }

    [Fact]
    public void AttributePaletteRegistersAreSixBits()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetAc(0x03, 0xFF);
        Assert.Equal(0x3F, vga.ReadAttribute(0x03));
        vga.SetAc(0x13, 0xFF);
        Assert.Equal(0x0F, vga.ReadAttribute(0x13));
    }

    [Fact]
    public void DacWriteIndexAdvancesAfterEveryThirdDataWrite()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.Out(0x3C8, 5);
        foreach (byte v in new byte[] { 10, 20, 30, 40, 50, 0xFF }) vga.Out(0x3C9, v);
        Assert.Equal(7, vga.In(0x3C8));
        Assert.Equal(((byte)10, (byte)20, (byte)30), vga.ReadDacEntry(5));
        Assert.Equal(((byte)40, (byte)50, (byte)63), vga.ReadDacEntry(6)); // 6-bit DAC
        Assert.Equal(0x00, vga.In(0x3C7) & 3); // DAC state: write mode

        vga.Out(0x3C7, 5);
        Assert.Equal(0x03, vga.In(0x3C7) & 3); // DAC state: read mode
        byte[] read = new byte[6];
        for (int i = 0; i < 6; i++) read[i] = vga.In(0x3C9);
        Assert.Equal(new byte[] { 10, 20, 30, 40, 50, 63 }, read);
    }

    [Fact]
    public void DacIndexWrapsFrom255To0()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetDac(255, 1, 2, 3);
        Assert.Equal(0, vga.In(0x3C8));
        vga.Out(0x3C9, 7);
        vga.Out(0x3C9, 8);
        vga.Out(0x3C9, 9);
        Assert.Equal(((byte)7, (byte)8, (byte)9), vga.ReadDacEntry(0));
    }

    [Fact]
    public void DacMaskRoundTrips()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.Out(0x3C6, 0x0F);
        Assert.Equal(0x0F, vga.In(0x3C6));
    }

    [Fact]
    public void VerticalRetraceFollowsTheVirtualClock()
    {
        var clock = new VirtualClock();
        var vga = new VgaDevice(clock, 256 * 1024);
        Assert.Equal(0x08, vga.In(0x3DA) & 0x08); // frame starts in retrace
        clock.AdvanceTo(1_000_000);                  // 1 ms later: active display
        Assert.Equal(0x00, vga.In(0x3DA) & 0x08);
        // A guest polling loop "wait for retrace" terminates within one frame (< 20 ms at 50 Hz or faster).
        int polls = 0;
        while ((vga.In(0x3DA) & 0x08) == 0)
        {
            clock.AdvanceInstructions(10);
            Assert.True(++polls < 2_000_000);
        }
        Assert.True(clock.Now < 20_000_000);
    }

    [Fact]
    public void RetraceTogglesWithoutAClock()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        bool seenOn = false, seenOff = false;
        for (int i = 0; i < 100; i++)
        {
            if ((vga.In(0x3DA) & 0x08) != 0) seenOn = true;
            else seenOff = true;
        }
        Assert.True(seenOn && seenOff);
    }

    [Fact]
    public void WordWriteToIndexPortSetsIndexThenData()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.Write(0x3C4, 2, 0x0502); // out dx, ax with dx = 3C4h: SR2 = 05h
        Assert.Equal(0x05, vga.ReadSequencer(2));
        vga.Write(0x3CE, 2, 0xA508);
        Assert.Equal(0xA5, vga.ReadGraphics(8));
        vga.Write(0x3D4, 2, 0x120E);
        Assert.Equal(0x12, vga.ReadCrtc(0x0E));
    }

    [Fact]
    public void StateSurvivesSaveAndLoad()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode13();
        vga.SetDac(0x2A, 1, 2, 3);
        vga.Poke(0xA0000 + 1234, 0x2A);
        using var ms = new MemoryStream();
        vga.SaveState(new BinaryWriter(ms));
        var copy = new VgaDevice(vramSize: 256 * 1024);
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        Assert.Equal(0x2A, copy.Peek(0xA0000 + 1234));
        Assert.Equal(((byte)1, (byte)2, (byte)3), copy.ReadDacEntry(0x2A));
        Assert.Equal(vga.ReadSequencer(4), copy.ReadSequencer(4));
        Assert.Equal(vga.RenderFrame().Pixels, copy.RenderFrame().Pixels);
    }

    [Fact]
    public void TruncatedStateIsInvalidData()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        using var ms = new MemoryStream();
        vga.SaveState(new BinaryWriter(ms));
        byte[] cut = ms.ToArray()[..40];
        Assert.Throws<InvalidDataException>(() => vga.LoadState(new BinaryReader(new MemoryStream(cut))));
    }
}
