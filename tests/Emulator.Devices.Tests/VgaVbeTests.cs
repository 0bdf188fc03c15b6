using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>The Bochs VBE DISPI interface (index 0x1CE, data 0x1CF) and the QEMU stdvga PCI function.</summary>
public class VgaVbeTests
{
    [Fact]
    public void IdReadsB0C5AndAcceptsOnlyKnownRevisions()
    {
        var vga = new VgaDevice();
        Assert.Equal(0xB0C5, vga.VbeRead(0));
        vga.VbeWrite(0, 0xB0C2);
        Assert.Equal(0xB0C2, vga.VbeRead(0));
        vga.VbeWrite(0, 0x1234);
        Assert.Equal(0xB0C2, vga.VbeRead(0));
        Assert.Equal(0xB0C2, (ushort)vga.Read(0x1D0, 2)); // data alias
        Assert.Equal(0, (int)vga.Read(0x1CE, 2));         // index reads back
    }

    [Fact]
    public void VideoMemoryIsReportedIn64KiBUnits()
    {
        var vga = new VgaDevice();
        Assert.Equal(16 * 1024 * 1024 / 65536, vga.VbeRead(0xA));
    }

    [Fact]
    public void GetCapsReturnsTheMaximumMode()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(1, 640);
        vga.VbeWrite(4, 0x02);
        Assert.Equal(2560, vga.VbeRead(1));
        Assert.Equal(1600, vga.VbeRead(2));
        Assert.Equal(32, vga.VbeRead(3));
        vga.VbeWrite(4, 0x00);
        Assert.Equal(640, vga.VbeRead(1));
    }

    [Fact]
    public void InvalidBppIsIgnored()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(3, 16);
        vga.VbeWrite(3, 12);
        Assert.Equal(16, vga.VbeRead(3));
    }

    [Fact]
    public void Mode800x600x32PixelWrittenThroughTheLfbAppearsInTheFrame()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(1, 800);
        vga.VbeWrite(2, 600);
        vga.VbeWrite(3, 32);
        vga.VbeWrite(4, 0x41); // ENABLED | LFB_ENABLED
        Assert.Equal(800, vga.VbeRead(6)); // virtual width follows XRES
        Assert.Equal(16 * 1024 * 1024 / (800 * 4), vga.VbeRead(7));
        const int x = 123, y = 456;
        vga.LinearFramebuffer.Write((ulong)((y * 800 + x) * 4), 4, 0x00FF8040); // X8R8G8B8
        var frame = vga.RenderFrame();
        Assert.Equal(800, frame.Width);
        Assert.Equal(600, frame.Height);
        Assert.Equal(((byte)0xFF, (byte)0x80, (byte)0x40), frame.GetRgb(x, y));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(x + 1, y));
        Assert.Equal(0x00FF8040UL, vga.LinearFramebuffer.Read((ulong)((y * 800 + x) * 4), 4));
        Assert.Equal(0x40, vga.Framebuffer[(y * 800 + x) * 4]);
    }

    [Fact]
    public void VbeModeIsBlankedWhileThePaletteAddressSourceBitIsClear()
    {
        // How Linux's bochs-drm blanks (DPMS off): misc output colour, read 0x3DA (flip-flop to address), then 0x3C0
        // = 0x00 (PAS clear: display blanked) or 0x20 (PAS set: display on). FreeVGA, "Attribute Address Register".
        var vga = new VgaDevice();
        vga.VbeWrite(1, 640);
        vga.VbeWrite(2, 480);
        vga.VbeWrite(3, 32);
        vga.VbeWrite(4, 0x41);
        vga.LinearFramebuffer.Write((ulong)((10 * 640 + 20) * 4), 4, 0x0012_3456);
        vga.Out(0x3C2, 0x01);
        vga.In(0x3DA);
        vga.Out(0x3C0, 0x00);
        var blank = vga.RenderFrame();
        Assert.Equal((640, 480), (blank.Width, blank.Height)); // still the VBE mode's geometry
        Assert.Equal(((byte)0, (byte)0, (byte)0), blank.GetRgb(20, 10));
        vga.In(0x3DA);
        vga.Out(0x3C0, 0x20);
        Assert.Equal(((byte)0x12, (byte)0x34, (byte)0x56), vga.RenderFrame().GetRgb(20, 10));
    }

    [Fact]
    public void ResolutionIsLockedWhileEnabled()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(1, 800);
        vga.VbeWrite(2, 600);
        vga.VbeWrite(3, 32);
        vga.VbeWrite(4, 0x41);
        vga.VbeWrite(1, 1024);
        Assert.Equal(800, vga.VbeRead(1));
    }

    [Fact]
    public void BankedWindowAt0xA0000ReachesVramIn64KiBBanks()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(1, 640);
        vga.VbeWrite(2, 480);
        vga.VbeWrite(3, 8);
        vga.VbeWrite(4, 0x01);
        vga.VbeWrite(5, 3);
        vga.Poke(0xA0010, 0x5A);
        Assert.Equal(0x5A, vga.Framebuffer[3 * 65536 + 0x10]);
        Assert.Equal(0x5A, vga.Peek(0xA0010));
        vga.VbeWrite(5, 0);
        Assert.Equal(0x00, vga.Peek(0xA0010));
    }

    [Fact]
    public void EnableClearsVideoMemoryUnlessNoClearMem()
    {
        var vga = new VgaDevice();
        vga.Framebuffer[100] = 0x77;
        vga.VbeWrite(1, 640);
        vga.VbeWrite(2, 480);
        vga.VbeWrite(3, 16);
        vga.VbeWrite(4, 0xC1); // NOCLEARMEM
        Assert.Equal(0x77, vga.Framebuffer[100]);
        vga.VbeWrite(4, 0x00);
        vga.VbeWrite(4, 0x41);
        Assert.Equal(0x00, vga.Framebuffer[100]);
    }

    [Fact]
    public void Rgb565AndYOffsetPanning()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(1, 320);
        vga.VbeWrite(2, 200);
        vga.VbeWrite(3, 16);
        vga.VbeWrite(4, 0x41);
        vga.VbeWrite(9, 10); // Y_OFFSET: display starts at line 10
        int offset = (10 + 5) * 320 * 2 + 7 * 2;
        vga.LinearFramebuffer.Write((ulong)offset, 2, 0xF800); // pure red in 5-6-5
        Assert.Equal(((byte)0xFF, (byte)0, (byte)0), vga.RenderFrame().GetRgb(7, 5));
    }

    [Fact]
    public void EightBitVbeModeUsesTheDac()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(1, 320);
        vga.VbeWrite(2, 200);
        vga.VbeWrite(3, 8);
        vga.VbeWrite(4, 0x41);
        vga.SetDac(9, 63, 0, 63);
        vga.Framebuffer[2 * 320 + 3] = 9;
        Assert.Equal(((byte)255, (byte)0, (byte)255), vga.RenderFrame().GetRgb(3, 2));
        vga.VbeWrite(4, 0x61); // 8-bit DAC
        vga.SetDac(9, 0x80, 0x40, 0x20);
        Assert.Equal(((byte)0x80, (byte)0x40, (byte)0x20), vga.RenderFrame().GetRgb(3, 2));
    }

    [Fact]
    public void FourBppModeIsPlanarWithBankedPlaneAddresses()
    {
        var vga = new VgaDevice();
        vga.VbeWrite(1, 1024);
        vga.VbeWrite(2, 768);
        vga.VbeWrite(3, 4);
        vga.VbeWrite(4, 0x01);
        vga.SetPlanarAccess();
        vga.SetGc(5, 0x02);            // write mode 2
        vga.SetDac(5, 63, 0, 63);
        for (int i = 0; i < 16; i++) vga.SetAc(i, (byte)i);
        vga.VbeWrite(5, 1);            // bank 1: plane bytes 10000h–1FFFFh
        vga.Peek(0xA0000 + 0x10);
        vga.Poke(0xA0000 + 0x10, 5);   // plane byte 10010h = line 512 (128 bytes per line), pixels 128–135
        var frame = vga.RenderFrame();
        Assert.Equal(((byte)255, (byte)0, (byte)255), frame.GetRgb(128, 512));
        Assert.Equal(((byte)255, (byte)0, (byte)255), frame.GetRgb(135, 512));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(136, 512));
    }

    [Fact]
    public void PciFunctionHasQemuStdVgaIdentityAndBars()
    {
        var pci = new VgaPciFunction(new VgaDevice());
        Assert.Equal(0x1111_1234u, pci.ReadConfig(0x00, 4));
        Assert.Equal(0x030000u, pci.ReadConfig(0x08, 4) >> 8);
        pci.WriteConfig(0x10, 4, 0xFFFF_FFFF);
        Assert.Equal(0xFF00_0008u, pci.ReadConfig(0x10, 4)); // 16 MiB, prefetchable 32-bit memory
        pci.WriteConfig(0x18, 4, 0xFFFF_FFFF);
        Assert.Equal(0xFFFF_F000u, pci.ReadConfig(0x18, 4)); // 4 KiB MMIO
        pci.WriteConfig(0x10, 4, 0xFD00_0000);
        Assert.Equal(0u, pci.FramebufferAddress);           // memory decoding off
        pci.WriteConfig(0x04, 2, 0x0003);
        Assert.Equal(0xFD00_0000u, pci.FramebufferAddress);
    }

    [Fact]
    public void QemuMmioBarMirrorsVgaPortsAndDispiRegisters()
    {
        var vga = new VgaDevice();
        var pci = new VgaPciFunction(vga);
        pci.MmioRegion.Write(0x400 + 4, 2, 0x0502);       // 0x3C4/0x3C5 in one word write
        Assert.Equal(0x05, vga.ReadSequencer(2));
        Assert.Equal(0xB0C5UL, pci.MmioRegion.Read(0x500, 2));
        pci.MmioRegion.Write(0x500 + 2 * 1, 2, 1024);
        Assert.Equal(1024, vga.VbeRead(1));
        Assert.Equal(8UL, pci.MmioRegion.Read(0x600, 4));
        Assert.Equal(0x1E1E_1E1EUL, pci.MmioRegion.Read(0x604, 4));
    }

    [Fact]
    public void OptionalExpansionRomBarSizesAndEnables()
    {
        var pci = new VgaPciFunction(new VgaDevice(), romSize: 0x10000);
        pci.WriteConfig(0x30, 4, 0xFFFF_FFFE);
        Assert.Equal(0xFFFF_0000u, pci.ReadConfig(0x30, 4));
        pci.WriteConfig(0x30, 4, 0xFEB0_0001);
        pci.WriteConfig(0x04, 2, 0x0002);
        Assert.Equal(0xFEB0_0000u, pci.RomAddress);
        Assert.Equal(0u, new VgaPciFunction(new VgaDevice()).ReadConfig(0x30, 4));
    }

    [Fact]
    public void PciResetAndStateIncludeTheVgaCore()
    {
        var vga = new VgaDevice();
        var pci = new VgaPciFunction(vga);
        pci.WriteConfig(0x04, 2, 0x0003);
        vga.VbeWrite(1, 1024);
        using var ms = new MemoryStream();
        pci.SaveState(new BinaryWriter(ms));
        pci.Reset();
        Assert.Equal(0u, pci.ReadConfig(0x04, 2));
        Assert.Equal(0, vga.VbeRead(1));
        ms.Position = 0;
        pci.LoadState(new BinaryReader(ms));
        Assert.Equal(3u, pci.ReadConfig(0x04, 2));
        Assert.Equal(1024, vga.VbeRead(1));
    }
}
