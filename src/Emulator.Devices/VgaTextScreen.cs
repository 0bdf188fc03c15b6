using System.Text;

namespace Emulator.Devices;

/// <summary>A snapshot of the text screen: <see cref="Rows"/> × <see cref="Columns"/> cells and the cursor.</summary>
public sealed class VgaTextScreen
{
    private readonly VgaTextCell[] _cells;

    public VgaTextScreen(int columns, int rows, VgaTextCell[] cells, int cursorColumn, int cursorRow, bool cursorVisible)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (cells.Length != columns * rows) throw new ArgumentException("cell count must be columns × rows", nameof(cells));
        Columns = columns;
        Rows = rows;
        _cells = cells;
        CursorColumn = cursorColumn;
        CursorRow = cursorRow;
        CursorVisible = cursorVisible;
    }

    public int Columns { get; }

    public int Rows { get; }

    /// <summary>Cursor position in cells (may lie outside the screen when the guest parks it there).</summary>
    public int CursorColumn { get; }

    public int CursorRow { get; }

    /// <summary>False when CRTC cursor start bit 5 disables the cursor or it is off screen.</summary>
    public bool CursorVisible { get; }

    public ReadOnlySpan<VgaTextCell> Cells => _cells;

    public VgaTextCell this[int row, int column] => _cells[row * Columns + column];

    /// <summary>Row <paramref name="row"/> as Unicode text (code page 437 glyphs; NUL shows as a space).</summary>
    public string GetRowText(int row)
    {
        var sb = new StringBuilder(Columns);
        for (int c = 0; c < Columns; c++) sb.Append(VgaCodePage437.ToChar(_cells[row * Columns + c].Character));
        return sb.ToString();
    }

    /// <summary>The whole screen as text, rows separated by '\n', trailing spaces kept.</summary>
    public string ToText()
    {
        var sb = new StringBuilder((Columns + 1) * Rows);
        for (int r = 0; r < Rows; r++)
        {
            if (r > 0) sb.Append('\n');
            sb.Append(GetRowText(r));
        }
        return sb.ToString();
    }

    public override string ToString() => ToText();
}
