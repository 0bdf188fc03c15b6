namespace Emulator.Devices;

/// <summary>Scan-out: the CRTC address generator, the attribute controller's colour path and the DAC.</summary>
public sealed partial class VgaDevice
{
    // Misc graphics register (GC 6) bit 0: graphics mode (alphanumeric disable).
    private const byte GcMiscGraphics = 0x01;
    // Graphics mode register (GC 5): shift register interleave (CGA 2-bpp) and 256-colour shift mode.
    private const byte GcModeShiftInterleave = 0x20;
    private const byte GcModeShift256 = 0x40;
    // Clocking mode register (SR 1) bit 0: 8-dot characters; bit 5: screen off.
    private const byte SeqClock8Dot = 0x01;
    private const byte SeqScreenOff = 0x20;
    // Attribute mode control (AC 10h).
    private const byte AcModeLineGraphics = 0x04;
    private const byte AcModeBlink = 0x08;
    private const byte AcMode8BitColor = 0x40;
    private const byte AcModeP54Select = 0x80;
    // CRTC mode control (17h) and underline location (14h).
    private const byte CrtcModeMap13 = 0x01;
    private const byte CrtcModeMap14 = 0x02;
    private const byte CrtcModeAddressWrap = 0x20;
    private const byte CrtcModeByte = 0x40;
    private const byte CrtcUnderlineDword = 0x40;
    private const byte CrtcCursorDisable = 0x20;
    private const int MaxScanLines = 2048;

    /// <summary>True in an alphanumeric (text) mode: VBE off and GC 6 bit 0 clear.</summary>
    public bool IsTextMode => !VbeEnabled && (_graphics[GcMiscellaneous] & GcMiscGraphics) == 0;

    /// <summary>The text screen, or null in a graphics or VBE mode.</summary>
    public VgaTextScreen? RenderText()
    {
        if (!IsTextMode) return null;
        var (columns, rows, _, _) = TextGeometry();
        int start = StartAddress;
        int rowStride = _crtc[CrtcOffset] * 2;
        var cells = new VgaTextCell[columns * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                int address = ScanAddress(start + r * rowStride + c);
                cells[r * columns + c] = new VgaTextCell(ReadPlane(0, address), ReadPlane(1, address));
            }
        }
        int cursor = ((_crtc[CrtcCursorLocationHigh] << 8) | _crtc[CrtcCursorLocationLow]) - start;
        int cursorRow = rowStride == 0 ? 0 : cursor / rowStride;
        int cursorColumn = rowStride == 0 ? cursor : cursor % rowStride;
        bool visible = (_crtc[CrtcCursorStart] & CrtcCursorDisable) == 0 && cursor >= 0 &&
                       cursorRow < rows && cursorColumn < columns;
        return new VgaTextScreen(columns, rows, cells, cursorColumn, cursorRow, visible);
    }

    /// <summary>The current picture as 32-bit RGBA pixels (text, planar 16-colour, CGA 4-colour, chain-4 256-colour or VBE).</summary>
    public VgaFrame RenderFrame()
    {
        var frame = VbeEnabled ? RenderVbe() : IsTextMode ? RenderTextFrame() : RenderGraphicsFrame();
        // Attribute address bit 5 (PAS) clear: the palette is being loaded and the display is blanked. The VBE modes
        // blank the same way, as QEMU's std VGA does; Linux's bochs-drm blanks the screen (DPMS off) by exactly this.
        return (_attributeIndex & AcPaletteAddressSource) == 0 ? Blank(frame) : frame;
    }

    /// <summary>Renders the current picture and writes it as a PNG file (the monitor's <c>screendump</c>).</summary>
    public void SavePng(string path) => RenderFrame().SavePng(path);

    private int StartAddress => (_crtc[CrtcStartAddressHigh] << 8) | _crtc[CrtcStartAddressLow];

    private int CharacterWidth => (_sequencer[SeqClockingMode] & SeqClock8Dot) != 0 ? 8 : 9;

    private int DisplayLines
    {
        get
        {
            byte overflow = _crtc[CrtcOverflow];
            int vde = _crtc[CrtcVerticalDisplayEnd] | ((overflow & 0x02) << 7) | ((overflow & 0x40) << 3);
            return vde + 1;
        }
    }

    private int LineCompare =>
        _crtc[CrtcLineCompare] | ((_crtc[CrtcOverflow] & 0x10) << 4) | ((_crtc[CrtcMaximumScanLine] & 0x40) << 3);

    private bool ScanDoubling => (_crtc[CrtcMaximumScanLine] & 0x80) != 0;

    private int MaxScanLine => _crtc[CrtcMaximumScanLine] & 0x1F;

    private (int Columns, int Rows, int CharHeight, int CharWidth) TextGeometry()
    {
        int columns = _crtc[CrtcHorizontalDisplayEnd] + 1;
        int charHeight = MaxScanLine + 1;
        int lines = DisplayLines >> (ScanDoubling ? 1 : 0);
        int rows = Math.Max(1, lines / charHeight);
        return (columns, rows, charHeight, CharacterWidth);
    }

    /// <summary>The CRTC's memory address counter to a plane address (byte, word or doubleword addressing).</summary>
    private int ScanAddress(int ma)
    {
        int address;
        if ((_crtc[CrtcUnderlineLocation] & CrtcUnderlineDword) != 0)
        {
            address = (ma << 2) | ((ma >> 12) & 3);
        }
        else if ((_crtc[CrtcModeControl] & CrtcModeByte) == 0)
        {
            int wrapBit = (_crtc[CrtcModeControl] & CrtcModeAddressWrap) != 0 ? 15 : 13;
            address = (ma << 1) | ((ma >> wrapBit) & 1);
        }
        else
        {
            address = ma;
        }
        return address & (PlaneSize - 1);
    }

    private VgaFrame RenderTextFrame()
    {
        var (columns, rows, charHeight, charWidth) = TextGeometry();
        var frame = new VgaFrame(columns * charWidth, rows * charHeight);
        if (ScreenOff) return Blank(frame);
        Span<uint> palette = stackalloc uint[16];
        for (int i = 0; i < 16; i++) palette[i] = AttributeColor(i);
        var screen = RenderText()!;
        byte mode = _attribute[AcModeControl];
        byte charMap = _sequencer[SeqCharacterMapSelect];
        int mapA = ((charMap >> 3) & 4) | ((charMap >> 2) & 3);
        int mapB = ((charMap >> 2) & 4) | (charMap & 3);
        int cursorStart = _crtc[CrtcCursorStart] & 0x1F;
        int cursorEnd = _crtc[CrtcCursorEnd] & 0x1F;
        int underline = _crtc[CrtcUnderlineLocation] & 0x1F;
        int width = frame.Width;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var cell = screen[r, c];
                int fg = cell.Attribute & 0x0F;
                int bg = (mode & AcModeBlink) != 0 ? (cell.Attribute >> 4) & 7 : cell.Attribute >> 4;
                int fontBase = FontMapOffset((cell.Attribute & 0x08) != 0 ? mapA : mapB);
                bool cursorCell = screen.CursorVisible && screen.CursorRow == r && screen.CursorColumn == c;
                bool lineGraphics = (mode & AcModeLineGraphics) != 0 && cell.Character is >= 0xC0 and <= 0xDF;
                for (int line = 0; line < charHeight; line++)
                {
                    int glyph = line < 32 ? ReadPlane(2, fontBase + cell.Character * 32 + line) : 0;
                    bool ninth = lineGraphics && (glyph & 1) != 0;
                    bool underlined = line == underline && (cell.Attribute & 0x77) == 0x01; // FreeVGA "Underline Location"
                    if (underlined || (cursorCell && line >= cursorStart && line <= cursorEnd))
                    {
                        glyph = 0xFF;
                        ninth = true;
                    }
                    int row = (r * charHeight + line) * width + c * charWidth;
                    for (int x = 0; x < 8; x++) frame.Pixels[row + x] = palette[((glyph >> (7 - x)) & 1) != 0 ? fg : bg];
                    if (charWidth == 9) frame.Pixels[row + 8] = palette[ninth ? fg : bg];
                }
            }
        }
        return frame;
    }

    private bool ScreenOff => (_sequencer[SeqClockingMode] & SeqScreenOff) != 0;

    private static VgaFrame Blank(VgaFrame frame)
    {
        Array.Fill(frame.Pixels, VgaFrame.Pack(0, 0, 0));
        return frame;
    }

    /// <summary>Sequencer character map select: map number 0–7 to its plane-2 offset (FreeVGA "Character Map Select").</summary>
    private static int FontMapOffset(int map) => ((map & 3) * 0x4000) + ((map & 4) != 0 ? 0x2000 : 0);

    private VgaFrame RenderGraphicsFrame()
    {
        byte gcMode = _graphics[GcGraphicsMode];
        bool shift256 = (gcMode & GcModeShift256) != 0 || (_attribute[AcModeControl] & AcMode8BitColor) != 0;
        bool interleave = !shift256 && (gcMode & GcModeShiftInterleave) != 0;
        int charWidth = 8;
        int columns = _crtc[CrtcHorizontalDisplayEnd] + 1;
        int width = shift256 ? columns * charWidth / 2 : columns * charWidth;
        int lines = Math.Min(DisplayLines, MaxScanLines);
        int maxScan = MaxScanLine;
        bool rowScanInAddress = (_crtc[CrtcModeControl] & (CrtcModeMap13 | CrtcModeMap14)) != (CrtcModeMap13 | CrtcModeMap14);
        int step = (ScanDoubling ? 2 : 1) * (rowScanInAddress ? 1 : maxScan + 1);
        var frame = new VgaFrame(width, (lines + step - 1) / step);
        if (ScreenOff) return Blank(frame);
        Span<uint> palette = stackalloc uint[16];
        for (int i = 0; i < 16; i++) palette[i] = AttributeColor(i);
        Span<uint> dac = stackalloc uint[256];
        for (int i = 0; i < 256; i++) dac[i] = DacColor(i);
        int planeEnable = _attribute[AcColorPlaneEnable] & 0x0F;
        int rowStride = _crtc[CrtcOffset] * 2;
        int lineCompare = LineCompare;
        // Attribute 13h: pixel panning (0–7 pixels; in 256-colour mode in half-pixel steps of the 8-dot clock).
        int pan = _attribute[AcHorizontalPixelPanning] & 0x0F;
        pan = pan > 7 ? 0 : shift256 ? pan >> 1 : pan;
        bool panResetAfterCompare = (_attribute[AcModeControl] & 0x20) != 0;
        // CRTC 08h: byte panning (bits 6:5) and preset row scan (bits 4:0).
        int bytePan = (_crtc[CrtcPresetRowScan] >> 5) & 3;
        int substitute = ((_crtc[CrtcModeControl] & CrtcModeMap13) == 0 ? 1 << 13 : 0) |
                         ((_crtc[CrtcModeControl] & CrtcModeMap14) == 0 ? 1 << 14 : 0);
        int pixelsPerChar = shift256 ? 4 : 8;
        var line = new uint[(columns + 1) * pixelsPerChar];
        int ma = StartAddress + bytePan;
        int rowScan = Math.Min(_crtc[CrtcPresetRowScan] & 0x1F, maxScan);
        int outY = 0;
        bool afterCompare = false;
        for (int s = 0; s < lines; s++)
        {
            if (s == lineCompare)
            {
                ma = 0;
                rowScan = 0;
                afterCompare = true;
            }
            if (s % step == 0 && outY < frame.Height)
            {
                int rowSelect = ((rowScan & 1) << 13) | ((rowScan & 2) << 13);
                for (int ch = 0; ch <= columns; ch++)
                {
                    int address = (ScanAddress(ma + ch) & ~substitute) | (rowSelect & substitute);
                    uint latch = (uint)(ReadPlane(0, address) | (ReadPlane(1, address) << 8) | (ReadPlane(2, address) << 16) | (ReadPlane(3, address) << 24));
                    if (shift256)
                    {
                        for (int p = 0; p < 4; p++) line[ch * 4 + p] = dac[(byte)(latch >> (8 * p))];
                    }
                    else if (interleave)
                    {
                        for (int j = 0; j < 8; j++)
                        {
                            int lowPlane = j < 4 ? 0 : 1;
                            int shift = 6 - 2 * (j & 3);
                            int lo = (int)(latch >> (8 * lowPlane + shift)) & 3;
                            int hi = (int)(latch >> (8 * (lowPlane + 2) + shift)) & 3;
                            line[ch * 8 + j] = palette[(lo | (hi << 2)) & planeEnable];
                        }
                    }
                    else
                    {
                        for (int j = 0; j < 8; j++)
                        {
                            int bit = 7 - j;
                            int index = (int)(((latch >> bit) & 1) | ((latch >> (8 + bit - 1)) & 2) |
                                              ((latch >> (16 + bit - 2)) & 4) | ((latch >> (24 + bit - 3)) & 8));
                            line[ch * 8 + j] = palette[index & planeEnable];
                        }
                    }
                }
                int shiftBy = afterCompare && panResetAfterCompare ? 0 : pan;
                Array.Copy(line, shiftBy, frame.Pixels, outY * width, width);
                outY++;
            }
            if (!ScanDoubling || (s & 1) == 1)
            {
                if (++rowScan > maxScan)
                {
                    rowScan = 0;
                    ma += rowStride;
                }
            }
        }
        return frame;
    }

    private VgaFrame RenderVbe()
    {
        int width = _vbe[VbeXres];
        int height = _vbe[VbeYres];
        int bpp = _vbe[VbeBpp];
        var frame = new VgaFrame(width, height);
        long lineBytes = VbeLineBytes;
        long start = VbeStartOffset;
        Span<uint> dac = stackalloc uint[256];
        for (int i = 0; i < 256; i++) dac[i] = DacColor(i);
        byte[] vram = _vram;
        for (int y = 0; y < height; y++)
        {
            long line = start + y * lineBytes;
            for (int x = 0; x < width; x++)
            {
                uint pixel;
                switch (bpp)
                {
                    case 4:
                        {
                            long planeAddress = line / 4 + x / 8; // line is in VRAM bytes: four planes interleaved
                            int bit = 7 - (x & 7);
                            int index = 0;
                            for (int p = 0; p < 4; p++)
                            {
                                long i = planeAddress * 4 + p;
                                if (i < vram.Length) index |= ((vram[i] >> bit) & 1) << p;
                            }
                            pixel = dac[index];
                            break;
                        }
                    case 8:
                        {
                            long i = line + x;
                            pixel = i < vram.Length ? dac[vram[i]] : 0;
                            break;
                        }
                    case 15:
                    case 16:
                        {
                            long i = line + x * 2L;
                            if (i + 1 >= vram.Length)
                            {
                                pixel = 0;
                                break;
                            }
                            int v = vram[i] | (vram[i + 1] << 8);
                            pixel = bpp == 15
                                ? VgaFrame.Pack(Scale5((v >> 10) & 31), Scale5((v >> 5) & 31), Scale5(v & 31))
                                : VgaFrame.Pack(Scale5((v >> 11) & 31), Scale6((v >> 5) & 63), Scale5(v & 31));
                            break;
                        }
                    case 24:
                        {
                            long i = line + x * 3L;
                            pixel = i + 2 < vram.Length ? VgaFrame.Pack(vram[i + 2], vram[i + 1], vram[i]) : 0;
                            break;
                        }
                    default:
                        {
                            long i = line + x * 4L;
                            pixel = i + 3 < vram.Length ? VgaFrame.Pack(vram[i + 2], vram[i + 1], vram[i]) : 0;
                            break;
                        }
                }
                frame.Pixels[y * width + x] = pixel;
            }
        }
        return frame;
    }

    /// <summary>A 4-bit attribute colour through the palette registers, colour select and DAC.</summary>
    private uint AttributeColor(int index)
    {
        int v = _attribute[index & 0x0F] & 0x3F;
        byte select = _attribute[AcColorSelect];
        if ((_attribute[AcModeControl] & AcModeP54Select) != 0) v = (v & 0x0F) | ((select & 0x03) << 4);
        v |= (select & 0x0C) << 4;
        return DacColor(v);
    }

    private uint DacColor(int index)
    {
        int i = (index & _dacMask) * 3;
        if (DacEightBit) return VgaFrame.Pack(_dac[i], _dac[i + 1], _dac[i + 2]);
        return VgaFrame.Pack(Scale6(_dac[i]), Scale6(_dac[i + 1]), Scale6(_dac[i + 2]));
    }

    private static byte Scale6(int v) => (byte)(((v & 0x3F) << 2) | ((v & 0x3F) >> 4));

    private static byte Scale5(int v) => (byte)((v << 3) | (v >> 2));
}
