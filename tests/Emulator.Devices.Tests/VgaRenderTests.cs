using System.Text;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>Scan-out: text screens, the font in plane 2, planar and chain-4 graphics, and the colour path.</summary>
public class VgaRenderTests
{
    // EGA/VGA default colours (IBM VGA reference, 16-colour palette through the default DAC): blue = 0000AAh, white = FFFFFFh.
    private static readonly (byte, byte, byte) Blue = (0x00, 0x00, 0xAA);
    private static readonly (byte, byte, byte) White = (0xFF, 0xFF, 0xFF);
    private static readonly (byte, byte, byte) Red = (0xAA, 0x00, 0x00);

    private static readonly byte[] Glyph =
    [
        0x81, 0x42, 0x24, 0x18, 0x18, 0x24, 0x42, 0x81, 0xFF, 0x00, 0xAA, 0x55, 0x0F, 0xF0, 0x00, 0x00,
    ];

    /// <summary>Loads <see cref="Glyph"/> as character <paramref name="ch"/> of font map 0 the way a BIOS does, then returns to mode 3.</summary>
    private static void LoadGlyph(VgaDevice vga, byte ch, int fontOffset = 0)
    {
        vga.SetSeq(2, 0x04);  // plane 2 only
        vga.SetSeq(4, 0x06);  // sequential addressing
        vga.SetGc(4, 0x02);
        vga.SetGc(5, 0x00);
        vga.SetGc(6, 0x04);   // A0000, 64 KiB, still alphanumeric
        for (int i = 0; i < Glyph.Length; i++) vga.Poke((uint)(0xA0000 + fontOffset + ch * 32 + i), Glyph[i]);
        vga.SetMode3();
    }

    [Fact]
    public void TextScreenShowsCharactersAttributesAndCursor()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        byte[] text = Encoding.ASCII.GetBytes("Hello");
        for (int i = 0; i < text.Length; i++)
        {
            vga.Poke((uint)(0xB8000 + 160 + 2 * i), text[i]); // row 1
            vga.Poke((uint)(0xB8000 + 160 + 2 * i + 1), 0x1E);
        }
        vga.Poke(0xB8000 + 160 + 10, 0xC9); // ╔
        vga.SetCrtc(0x0E, 0x00);
        vga.SetCrtc(0x0F, 80 + 3);
        var screen = vga.RenderText();
        Assert.NotNull(screen);
        Assert.Equal(80, screen.Columns);
        Assert.Equal(25, screen.Rows);
        Assert.Equal(new VgaTextCell((byte)'H', 0x1E), screen[1, 0]);
        Assert.StartsWith("Hello\u2554", screen.GetRowText(1));
        Assert.Equal((3, 1, true), (screen.CursorColumn, screen.CursorRow, screen.CursorVisible));
        string all = screen.ToText();
        Assert.Equal(25, all.Split('\n').Length);
        vga.SetCrtc(0x0A, 0x20); // cursor disable
        Assert.False(vga.RenderText()!.CursorVisible);
    }

    [Fact]
    public void StartAddressScrollsTheTextScreen()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        vga.Poke(0xB8000 + 160 * 2, (byte)'Z');
        vga.SetCrtc(0x0C, 0);
        vga.SetCrtc(0x0D, 80); // start at row 1 (word address 80)
        Assert.Equal((byte)'Z', vga.RenderText()![1, 0].Character);
    }

    [Fact]
    public void TextFrameDrawsTheGlyphFromPlane2In9DotCells()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        LoadGlyph(vga, (byte)'A');
        vga.SetCrtc(0x0F, 79); // park the cursor on another cell
        vga.Poke(0xB8000, (byte)'A');
        vga.Poke(0xB8001, 0x1F); // white on blue
        var frame = vga.RenderFrame();
        Assert.Equal(720, frame.Width);
        Assert.Equal(400, frame.Height);
        for (int line = 0; line < 16; line++)
        {
            for (int x = 0; x < 8; x++)
            {
                bool on = ((Glyph[line] >> (7 - x)) & 1) != 0;
                Assert.Equal(on ? White : Blue, frame.GetRgb(x, line));
            }
            Assert.Equal(Blue, frame.GetRgb(8, line)); // ninth dot: background for non-line-graphics codes
        }
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(9, 0)); // next cell: NUL on black
    }

    [Fact]
    public void EightDotClockingModeGives640PixelWideText()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        vga.SetSeq(1, 0x01);
        Assert.Equal(640, vga.RenderFrame().Width);
    }

    [Fact]
    public void LineGraphicsCodesExtendIntoTheNinthDot()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        LoadGlyph(vga, 0xC4);
        vga.SetCrtc(0x0F, 79);
        vga.Poke(0xB8000, 0xC4);
        vga.Poke(0xB8001, 0x1F);
        var frame = vga.RenderFrame();
        Assert.Equal(White, frame.GetRgb(8, 0));  // glyph line 0 = 81h: bit 0 set, repeated in dot 9
        Assert.Equal(Blue, frame.GetRgb(8, 1));   // line 1 = 42h: bit 0 clear
    }

    [Fact]
    public void CursorLinesAreDrawnInTheForegroundColour()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3(); // cursor start 0Dh, end 0Eh, location 0
        vga.Poke(0xB8001, 0x1F);
        var frame = vga.RenderFrame();
        for (int x = 0; x < 9; x++)
        {
            Assert.Equal(White, frame.GetRgb(x, 13));
            Assert.Equal(White, frame.GetRgb(x, 14));
            Assert.Equal(Blue, frame.GetRgb(x, 12));
        }
    }

    [Fact]
    public void Mode13PixelGoesThroughTheDac()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode13();
        vga.SetDac(0x2A, 63, 0, 21);
        vga.Poke((uint)(0xA0000 + 3 * 320 + 10), 0x2A);
        var frame = vga.RenderFrame();
        Assert.Equal(320, frame.Width);
        Assert.Equal(200, frame.Height);
        Assert.Equal(((byte)255, (byte)0, (byte)85), frame.GetRgb(10, 3));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(11, 3));
        Assert.Null(vga.RenderText());
    }

    [Fact]
    public void Mode12PixelWrittenWithWriteMode2()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode12();
        vga.SetGc(5, 0x02);
        vga.SetGc(8, 0x80 >> 1);               // pixel 17 = byte 2, bit 6
        vga.Peek((uint)(0xA0000 + 5 * 80 + 2)); // load latches
        vga.Poke((uint)(0xA0000 + 5 * 80 + 2), 4);
        var frame = vga.RenderFrame();
        Assert.Equal(640, frame.Width);
        Assert.Equal(480, frame.Height);
        Assert.Equal(Red, frame.GetRgb(17, 5));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(16, 5));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(18, 5));
    }

    [Fact]
    public void PelMaskMasksTheDacIndex()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode13();
        vga.SetDac(0x0A, 0, 63, 0);
        vga.Poke(0xA0000, 0xFA);
        vga.Out(0x3C6, 0x0F);
        Assert.Equal(((byte)0, (byte)255, (byte)0), vga.RenderFrame().GetRgb(0, 0));
    }

    [Fact]
    public void AttributeBit3SelectsBetweenCharacterMapsAAndB()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        LoadGlyph(vga, (byte)'A', fontOffset: 0x4000); // map 1 lives at plane 2 offset 4000h
        vga.SetSeq(3, 0x01);                             // map B = 1, map A = 0
        vga.SetCrtc(0x0F, 79);
        vga.Poke(0xB8000, (byte)'A');
        vga.Poke(0xB8001, 0x17);                         // bit 3 clear: map B (the loaded glyph)
        vga.Poke(0xB8002, (byte)'A');
        vga.Poke(0xB8003, 0x1F);                         // bit 3 set: map A (empty)
        var frame = vga.RenderFrame();
        Assert.Equal(((byte)0xAA, (byte)0xAA, (byte)0xAA), frame.GetRgb(0, 0)); // glyph line 0 = 81h, light grey
        Assert.Equal(Blue, frame.GetRgb(9, 0));
    }

    [Fact]
    public void CgaMode4InterleavesEvenAndOddRowsAndPacksTwoBitsPerPixel()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.ProgramMode(
            0x63,
            [0x03, 0x09, 0x03, 0x00, 0x02],
            [0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
             0x9C, 0x8E, 0x8F, 0x14, 0x00, 0x96, 0xB9, 0xA2, 0xFF],
            [0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0F, 0x00, 0xFF],
            [0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
             0x01, 0x00, 0x03, 0x00, 0x00]);
        vga.SetDac(0x15, 63, 21, 0);
        // CGA layout: odd row y at B8000 + 2000h + (y / 2) * 80; pixel x in bits 7-2(x%4) of byte x / 4.
        vga.Poke(0xB8000 + 0x2000 + 80 + 1, 2 << 4); // pixel (5, 3) = colour 2
        var frame = vga.RenderFrame();
        Assert.Equal(320, frame.Width);
        Assert.Equal(200, frame.Height);
        Assert.Equal(((byte)255, (byte)85, (byte)0), frame.GetRgb(5, 3));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(5, 2));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(4, 3));
    }

    [Fact]
    public void PixelPanningShiftsThePlanarPicture()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode12();
        vga.SetGc(5, 0x02);
        vga.SetGc(8, 0x40);
        vga.Peek(0xA0000 + 2);
        vga.Poke(0xA0000 + 2, 4); // pixel 17 red
        vga.SetAc(0x13, 3);
        var frame = vga.RenderFrame();
        Assert.Equal(Red, frame.GetRgb(14, 0));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(17, 0));
    }

    [Fact]
    public void LineCompareRestartsScanOutAtAddressZero()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode13();
        vga.SetDac(1, 63, 63, 63);
        vga.Poke(0xA0000 + 0, 1);             // memory row 0
        vga.Poke(0xA0000 + 50 * 320 + 1, 1);   // memory row 50
        vga.SetCrtc(0x0C, 0x0F);               // start address FA0h: dword mode, byte 16000 = row 50
        vga.SetCrtc(0x0D, 0xA0);
        vga.SetCrtc(0x07, 0x0F);               // line compare bit 8 = 0
        vga.SetCrtc(0x09, 0x01);               // line compare bit 9 = 0, two scan lines per row
        vga.SetCrtc(0x18, 200);                // split at scan line 200 = pixel row 100
        var frame = vga.RenderFrame();
        Assert.Equal(White, frame.GetRgb(1, 0));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(0, 0));
        Assert.Equal(White, frame.GetRgb(0, 100));
    }

    [Fact]
    public void UnderlineLocationUnderlinesBlueOnBlackAttributes()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode3();
        vga.SetCrtc(0x0F, 79);
        vga.SetCrtc(0x14, 0x0F);  // underline on scan line 15 (mode 3 normally parks it at 1Fh, past the cell)
        vga.Poke(0xB8001, 0x01);  // blue on black: underlined
        vga.Poke(0xB8003, 0x17);  // grey on blue: not underlined
        var frame = vga.RenderFrame();
        Assert.Equal(Blue, frame.GetRgb(0, 15));
        Assert.Equal(((byte)0, (byte)0, (byte)0), frame.GetRgb(0, 14));
        Assert.Equal(Blue, frame.GetRgb(9, 15));
    }

    [Fact]
    public void RegisterPortsClaimsTheVgaAndVbeRanges()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        var ports = new Emulator.Core.Bus.PortBus();
        vga.RegisterPorts(ports);
        ports.Write(0x1CE, 2, 0);
        Assert.Equal(0xB0C5u, ports.Read(0x1CF, 2));
        ports.Write(0x3C4, 2, 0x0302);
        Assert.Equal(0x03, vga.ReadSequencer(2));
        Assert.Same(vga, ports.HandlerAt(0x3DA));
        Assert.Same(vga, ports.HandlerAt(0x3B4));
    }

    [Fact]
    public void ClearingPaletteAddressSourceBlanksTheDisplay()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode13();
        vga.SetDac(1, 63, 63, 63);
        vga.Poke(0xA0000, 1);
        Assert.Equal(White, vga.RenderFrame().GetRgb(0, 0));
        vga.In(0x3DA);
        vga.Out(0x3C0, 0x00); // index 0 with PAS = 0
        Assert.All(vga.RenderFrame().Pixels, p => Assert.Equal(0xFF00_0000u, p));
    }

    [Fact]
    public void ScreenOffBitBlanksTheDisplay()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        vga.SetMode13();
        vga.SetDac(1, 63, 63, 63);
        vga.Poke(0xA0000, 1);
        vga.SetSeq(1, 0x21); // clocking mode bit 5: screen off
        var frame = vga.RenderFrame();
        Assert.All(frame.Pixels, p => Assert.Equal(0xFF00_0000u, p));
    }

    [Fact]
    public unsafe void VramPointerAliasesTheFramebuffer()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        ((byte*)vga.VramPointer)[12345] = 0x9C;
        Assert.Equal(0x9C, vga.Framebuffer[12345]);
        Assert.Equal(0x9CUL, vga.LinearFramebuffer.Read(12345, 1));
    }

    [Fact]
    public void CodePage437TableAgreesWithTheDotNetCodePage()
    {
        var cp437 = System.Text.CodePagesEncodingProvider.Instance.GetEncoding(437);
        Assert.NotNull(cp437);
        for (int b = 0x20; b < 0x100; b++)
        {
            if (b == 0x7F) continue; // DEL: the font shows ⌂, the code page says U+007F
            string expected = cp437.GetString([(byte)b]);
            Assert.Equal(expected, VgaCodePage437.ToChar((byte)b).ToString());
        }
        Assert.Equal('\u263A', VgaCodePage437.ToChar(0x01)); // ☺
        Assert.Equal('\u2302', VgaCodePage437.ToChar(0x7F)); // ⌂
    }
}
