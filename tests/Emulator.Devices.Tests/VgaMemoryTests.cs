using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>The host side of display memory: write modes 0–3, read modes 0–1, latches, chain-4 and odd/even (FreeVGA "VGA Memory").</summary>
public class VgaMemoryTests
{
    private static VgaDevice PlanarWithLatches(byte p0, byte p1, byte p2, byte p3)
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetPlanarAccess();
        vga.WritePlane(0, 0, p0);
        vga.WritePlane(1, 0, p1);
        vga.WritePlane(2, 0, p2);
        vga.WritePlane(3, 0, p3);
        vga.Peek(0xA0000); // a read loads all four latches
        Assert.Equal((uint)(p0 | (p1 << 8) | (p2 << 16) | (p3 << 24)), vga.Latch);
        return vga;
    }

    [Fact]
    public void WriteMode0AppliesSetResetToEnabledPlanesAndBitMaskKeepsLatchBits()
    {
        var vga = PlanarWithLatches(0xAA, 0x55, 0xF0, 0x0F);
        vga.SetGc(0, 0x01); // set/reset: plane 0 = 1, plane 1 = 0
        vga.SetGc(1, 0x03); // enable set/reset on planes 0 and 1
        vga.SetGc(8, 0xF0); // bit mask: upper nibble from the new data, lower from the latches
        vga.Poke(0xA0000, 0xCC);
        Assert.Equal(0xFA, vga.ReadPlane(0, 0)); // 0xFF & F0 | AA & 0F
        Assert.Equal(0x05, vga.ReadPlane(1, 0)); // 0x00 & F0 | 55 & 0F
        Assert.Equal(0xC0, vga.ReadPlane(2, 0)); // CC & F0 | F0 & 0F
        Assert.Equal(0xCF, vga.ReadPlane(3, 0)); // CC & F0 | 0F & 0F
    }

    [Fact]
    public void WriteMode0RotatesThenCombinesWithLatchesByTheLogicalFunction()
    {
        var vga = PlanarWithLatches(0x0F, 0x0F, 0x0F, 0x0F);
        vga.SetGc(3, (3 << 3) | 4); // XOR, rotate right by 4
        vga.SetSeq(2, 0x01);        // map mask: plane 0 only
        vga.Poke(0xA0000, 0x3C);    // rotated: 0xC3; XOR 0x0F = 0xCC
        Assert.Equal(0xCC, vga.ReadPlane(0, 0));
        Assert.Equal(0x0F, vga.ReadPlane(1, 0)); // masked out by map mask
        vga.Peek(0xA0000);
        vga.SetGc(3, 1 << 3);       // AND, no rotation
        vga.Poke(0xA0000, 0xF0);
        Assert.Equal(0xC0, vga.ReadPlane(0, 0));
        vga.Peek(0xA0000);
        vga.SetGc(3, 2 << 3);       // OR
        vga.Poke(0xA0000, 0x03);
        Assert.Equal(0xC3, vga.ReadPlane(0, 0));
    }

    [Fact]
    public void WriteMode1CopiesTheLatchesToAnotherAddress()
    {
        var vga = PlanarWithLatches(0x11, 0x22, 0x33, 0x44);
        vga.SetGc(5, 0x01);
        vga.SetGc(8, 0x00);          // bit mask does not apply in write mode 1
        vga.Poke(0xA0010, 0x99);     // the CPU data is ignored
        Assert.Equal(0x11, vga.ReadPlane(0, 0x10));
        Assert.Equal(0x22, vga.ReadPlane(1, 0x10));
        Assert.Equal(0x33, vga.ReadPlane(2, 0x10));
        Assert.Equal(0x44, vga.ReadPlane(3, 0x10));
    }

    [Fact]
    public void WriteMode2ExpandsTheColourBitsUnderTheBitMask()
    {
        var vga = PlanarWithLatches(0x00, 0xFF, 0x00, 0xFF);
        vga.SetGc(5, 0x02);
        vga.SetGc(8, 0x0F);
        vga.Poke(0xA0000, 0x05);     // colour 0101b: planes 0 and 2 set
        Assert.Equal(0x0F, vga.ReadPlane(0, 0));
        Assert.Equal(0xF0, vga.ReadPlane(1, 0));
        Assert.Equal(0x0F, vga.ReadPlane(2, 0));
        Assert.Equal(0xF0, vga.ReadPlane(3, 0));
    }

    [Fact]
    public void WriteMode3UsesSetResetAsColourAndRotatedDataAndBitMaskAsMask()
    {
        var vga = PlanarWithLatches(0xFF, 0xFF, 0x00, 0x00);
        vga.SetGc(5, 0x03);
        vga.SetGc(0, 0x0C);          // colour 1100b
        vga.SetGc(8, 0x3C);
        vga.Poke(0xA0000, 0xF0);     // effective mask 0xF0 & 0x3C = 0x30
        Assert.Equal(0xCF, vga.ReadPlane(0, 0)); // 0x00 in the mask, latch elsewhere
        Assert.Equal(0xCF, vga.ReadPlane(1, 0));
        Assert.Equal(0x30, vga.ReadPlane(2, 0));
        Assert.Equal(0x30, vga.ReadPlane(3, 0));
    }

    [Fact]
    public void ReadMode0ReturnsThePlaneSelectedByReadMapSelect()
    {
        var vga = PlanarWithLatches(0x10, 0x20, 0x30, 0x40);
        for (int p = 0; p < 4; p++)
        {
            vga.SetGc(4, (byte)p);
            Assert.Equal((byte)(0x10 * (p + 1)), vga.Peek(0xA0000));
        }
    }

    [Fact]
    public void ReadMode1ReturnsOnesWherePixelsMatchTheColourCompare()
    {
        var vga = PlanarWithLatches(0xF0, 0xCC, 0xAA, 0x00);
        vga.SetGc(5, 0x08);
        vga.SetGc(2, 0x03);          // compare colour 0011b
        vga.SetGc(7, 0x0F);          // all planes matter
        Assert.Equal(0x40, vga.Peek(0xA0000)); // F0 & CC & ~AA & ~00
        vga.SetGc(7, 0x03);          // ignore planes 2 and 3
        Assert.Equal(0xC0, vga.Peek(0xA0000));
        vga.SetGc(7, 0x00);          // nothing compared: all ones
        Assert.Equal(0xFF, vga.Peek(0xA0000));
    }

    [Fact]
    public void Chain4MapsLowAddressBitsToPlanes()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode13();
        for (uint i = 0; i < 8; i++) vga.Poke(0xA0000 + 0x100 + i, (byte)(0xA0 + i));
        // Sequencer memory mode, chain 4: A1:A0 select the plane and four sequential bytes share one plane address;
        // the CRTC reads them back in doubleword mode (address counter << 2), so that address is n & ~3.
        for (int i = 0; i < 8; i++) Assert.Equal((byte)(0xA0 + i), vga.ReadPlane(i & 3, (0x100 + i) & ~3));
        for (uint i = 0; i < 8; i++) Assert.Equal((byte)(0xA0 + i), vga.Peek(0xA0000 + 0x100 + i));
        Assert.Equal(0x00, vga.ReadPlane(1, 0x100 + 1)); // the other bytes of each plane are unused
    }

    [Fact]
    public void OddEvenTextModeSendsCharactersToPlane0AndAttributesToPlane1()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        vga.Poke(0xB8000, (byte)'A');
        vga.Poke(0xB8001, 0x1F);
        vga.Poke(0xB8002, (byte)'B');
        vga.Poke(0xB8003, 0x4E);
        Assert.Equal((byte)'A', vga.ReadPlane(0, 0));
        Assert.Equal(0x1F, vga.ReadPlane(1, 0));
        Assert.Equal((byte)'B', vga.ReadPlane(0, 2));
        Assert.Equal(0x4E, vga.ReadPlane(1, 2));
        Assert.Equal(0, vga.ReadPlane(2, 0)); // font plane untouched (map mask 0011b)
        Assert.Equal((byte)'B', vga.Peek(0xB8002));
        Assert.Equal(0x4E, vga.Peek(0xB8003));
    }

    [Fact]
    public void MemoryMapSelectOpensOnlyTheChosenWindow()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3(); // GC6 bits 3:2 = 11b: B8000–BFFFF
        vga.Poke(0xA0000, 0x12);
        vga.Poke(0xB0000, 0x34);
        Assert.Equal(0xFF, vga.Peek(0xA0000));
        Assert.Equal(0xFF, vga.Peek(0xB0000));
        Assert.Equal(0, vga.ReadPlane(0, 0));
        vga.SetGc(6, 0x0A); // 10b: B0000–B7FFF (monochrome)
        vga.Poke(0xB0004, 0x56);
        Assert.Equal(0x56, vga.ReadPlane(0, 4));
        Assert.Equal(0xFF, vga.Peek(0xB8000));
    }

    [Fact]
    public void MiscOutputRamEnableGatesHostAccess()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.Out(0x3C2, 0x65); // bit 1 (RAM enable) clear
        vga.Poke(0xB8000, 0x41);
        Assert.Equal(0xFF, vga.Peek(0xB8000));
        Assert.Equal(0, vga.ReadPlane(0, 0));
    }

    [Fact]
    public void MultiByteWindowAccessIsLittleEndianBytes()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        vga.LegacyWindow.Write(0x18000, 2, 0x0741); // 'A' on light grey, as "mov word [es:0], 0x0741"
        Assert.Equal(0x41, vga.ReadPlane(0, 0));
        Assert.Equal(0x07, vga.ReadPlane(1, 0));
        Assert.Equal(0x0741UL, vga.LegacyWindow.Read(0x18000, 2));
    }
}
