using System.Text;
using Emulator.Devices;

namespace Emulator.Cli;

/// <summary>
/// Draws the VGA's text screen on an ANSI/VT100 terminal (<c>-display curses</c>): keeps a shadow copy of what the
/// terminal shows and writes only the cells that changed. Attribute bytes become the 16 ANSI colours (the blink bit
/// shows as a bright background); code page 437 becomes Unicode. A graphics mode shows a one-line notice instead.
/// Not thread-safe: one renderer belongs to one drawing thread.
/// </summary>
public sealed class AnsiTextRenderer
{
    /// <summary>Screens larger than this (a guest can program up to 256 × 2048 cells) are clipped.</summary>
    public const int MaxColumns = 256;

    public const int MaxRows = 256;

    private const string Esc = "\u001b[";

    // VGA colour number (IRGB: bit 0 blue, bit 1 green, bit 2 red) to the ANSI/ECMA-48 colour number (bit 0 red, bit 1 green, bit 2 blue).
    private static ReadOnlySpan<byte> VgaToAnsi => [0, 4, 2, 6, 1, 5, 3, 7];

    private readonly TextWriter _out;
    private readonly StringBuilder _sb = new();
    private VgaTextCell[] _shadow = [];
    private int _columns = -1;
    private int _rows = -1;
    private string? _notice;
    private bool _valid;
    private int _cursorRow = -1;
    private int _cursorColumn = -1;
    private bool _cursorShown = true;
    private int _attribute = -1;

    /// <param name="output">The terminal.</param>
    /// <param name="terminalColumns">Terminal width to clip to (0: no limit beyond <see cref="MaxColumns"/>).</param>
    /// <param name="terminalRows">Terminal height to clip to (0: no limit beyond <see cref="MaxRows"/>).</param>
    public AnsiTextRenderer(TextWriter output, int terminalColumns = 0, int terminalRows = 0)
    {
        _out = output;
        TerminalColumns = terminalColumns;
        TerminalRows = terminalRows;
    }

    /// <summary>Terminal size to clip to (0 = unknown); a change forces a full redraw at the next frame.</summary>
    public int TerminalColumns { get; private set; }

    public int TerminalRows { get; private set; }

    public void Resize(int columns, int rows)
    {
        if (columns == TerminalColumns && rows == TerminalRows) return;
        TerminalColumns = columns;
        TerminalRows = rows;
        _valid = false;
    }

    /// <summary>Switches to the alternate screen and clears it.</summary>
    public void Enter()
    {
        _out.Write(Esc + "?1049h" + Esc + "0m" + Esc + "2J" + Esc + "H");
        _out.Flush();
        _valid = false;
    }

    /// <summary>Restores colours and the cursor and leaves the alternate screen.</summary>
    public void Leave()
    {
        _out.Write(Esc + "0m" + Esc + "?25h" + Esc + "?1049l");
        _out.Flush();
    }

    /// <summary>Draws the current state of <paramref name="vga"/> (null: the machine has no VGA).</summary>
    public void Render(VgaDevice? vga)
    {
        if (vga is null)
        {
            RenderNotice("Display has no VGA (-vga none)");
            return;
        }
        var screen = vga.IsTextMode ? vga.RenderText() : null;
        if (screen is null) RenderNotice(GraphicModeNotice(vga));
        else Render(screen);
    }

    /// <summary>Draws a text screen snapshot.</summary>
    public void Render(VgaTextScreen screen)
    {
        _sb.Clear();
        int columns = Clip(screen.Columns, TerminalColumns, MaxColumns);
        int rows = Clip(screen.Rows, TerminalRows, MaxRows);
        if (!_valid || _notice is not null || columns != _columns || rows != _rows)
        {
            _columns = columns;
            _rows = rows;
            _notice = null;
            _shadow = new VgaTextCell[columns * rows];
            _sb.Append(Esc).Append("0m").Append(Esc).Append("2J");
            _attribute = -1;
            _valid = true;
            // The cleared terminal shows blanks in the default colours, which is not attribute 07: draw every cell.
            for (int i = 0; i < _shadow.Length; i++) _shadow[i] = new VgaTextCell(0xFF, 0xFF);
            _cursorRow = -1;
        }
        var cells = screen.Cells;
        bool drew = false;
        for (int r = 0; r < rows; r++)
        {
            int expectedColumn = -1; // where the terminal cursor stands after the last write on this row (-1: unknown)
            for (int c = 0; c < columns; c++)
            {
                var cell = cells[r * screen.Columns + c];
                ref var old = ref _shadow[r * columns + c];
                if (old == cell) continue;
                old = cell;
                if (expectedColumn != c) _sb.Append(Esc).Append(r + 1).Append(';').Append(c + 1).Append('H');
                if (cell.Attribute != _attribute) AppendAttribute(cell.Attribute);
                _sb.Append(VgaCodePage437.ToChar(cell.Character));
                // After the last column the terminal's position is unspecified (pending wrap): always move before the next write.
                expectedColumn = c + 1 < columns ? c + 1 : -1;
                drew = true;
            }
        }
        bool visible = screen.CursorVisible && screen.CursorRow < rows && screen.CursorColumn < columns;
        if (visible && (drew || !_cursorShown || screen.CursorRow != _cursorRow || screen.CursorColumn != _cursorColumn))
        {
            _sb.Append(Esc).Append(screen.CursorRow + 1).Append(';').Append(screen.CursorColumn + 1).Append('H');
            if (!_cursorShown) _sb.Append(Esc).Append("?25h");
            _cursorShown = true;
            _cursorRow = screen.CursorRow;
            _cursorColumn = screen.CursorColumn;
        }
        else if (!visible && _cursorShown)
        {
            _sb.Append(Esc).Append("?25l");
            _cursorShown = false;
        }
        Flush();
    }

    /// <summary>Shows <paramref name="text"/> alone on the first line (graphics modes), once per change.</summary>
    public void RenderNotice(string text)
    {
        if (_valid && _notice == text) return;
        _sb.Clear();
        _sb.Append(Esc).Append("0m").Append(Esc).Append("2J").Append(Esc).Append("H").Append(text).Append(Esc).Append("?25l");
        _cursorShown = false;
        _notice = text;
        _valid = true;
        _attribute = -1;
        Flush();
    }

    /// <summary>QEMU's notice for a screen it cannot draw as text: the mode's size from the VBE or CRTC registers.</summary>
    public static string GraphicModeNotice(VgaDevice vga)
    {
        if (vga.VbeEnabled)
            return $"Graphic mode {vga.ReadVbeRegister(VgaDevice.VbeXres)}x{vga.ReadVbeRegister(VgaDevice.VbeYres)}";
        // CRTC 01h: horizontal display end (character clocks − 1); 12h + overflow (07h bits 1, 6): vertical display end.
        int columns = vga.ReadCrtc(VgaDevice.CrtcHorizontalDisplayEnd) + 1;
        bool shift256 = (vga.ReadGraphics(VgaDevice.GcGraphicsMode) & 0x40) != 0 || (vga.ReadAttribute(VgaDevice.AcModeControl) & 0x40) != 0;
        int width = shift256 ? columns * 4 : columns * 8;
        byte overflow = vga.ReadCrtc(VgaDevice.CrtcOverflow);
        int lines = (vga.ReadCrtc(VgaDevice.CrtcVerticalDisplayEnd) | ((overflow & 0x02) << 7) | ((overflow & 0x40) << 3)) + 1;
        byte maxScan = vga.ReadCrtc(VgaDevice.CrtcMaximumScanLine);
        // CRTC 17h bits 0–1 clear: the row scan counter feeds the address (CGA modes), so character rows do not repeat lines.
        bool rowScanInAddress = (vga.ReadCrtc(VgaDevice.CrtcModeControl) & 0x03) != 0x03;
        int step = ((maxScan & 0x80) != 0 ? 2 : 1) * (rowScanInAddress ? 1 : (maxScan & 0x1F) + 1);
        return $"Graphic mode {width}x{(lines + step - 1) / step}";
    }

    private void AppendAttribute(byte attribute)
    {
        int fg = attribute & 0x0F;
        int bg = attribute >> 4;
        _sb.Append(Esc).Append("0;")
           .Append(fg >= 8 ? 90 + VgaToAnsi[fg & 7] : 30 + VgaToAnsi[fg]).Append(';')
           .Append(bg >= 8 ? 100 + VgaToAnsi[bg & 7] : 40 + VgaToAnsi[bg]).Append('m');
        _attribute = attribute;
    }

    private void Flush()
    {
        if (_sb.Length == 0) return;
        _out.Write(_sb.ToString());
        _out.Flush();
        _sb.Clear();
    }

    private static int Clip(int size, int terminal, int max) => Math.Min(terminal > 0 ? Math.Min(size, terminal) : size, max);
}
