using System.Text;

namespace Emulator.Cli.Tests;

/// <summary>
/// A tiny ANSI/VT100 terminal for tests (ECMA-48 CUP, ED, SGR; DEC private modes 25 and 1049): replays what emu
/// wrote and keeps the character, the colours (as VGA colour numbers) and the cursor of every cell.
/// </summary>
internal sealed class AnsiTerminalModel
{
    // ECMA-48 colour number (30–37 foreground, 40–47 background) to the VGA/CGA colour number (IRGB).
    private static readonly int[] AnsiToVga = [0, 4, 2, 6, 1, 5, 3, 7];

    private readonly char[,] _chars;
    private readonly int[,] _fg;
    private readonly int[,] _bg;
    private int _curFg = -1;
    private int _curBg = -1;

    public AnsiTerminalModel(int columns, int rows)
    {
        Columns = columns;
        Rows = rows;
        _chars = new char[rows, columns];
        _fg = new int[rows, columns];
        _bg = new int[rows, columns];
        Clear();
    }

    public int Columns { get; }

    public int Rows { get; }

    public int CursorRow { get; private set; }

    public int CursorColumn { get; private set; }

    public bool CursorVisible { get; private set; } = true;

    public bool AlternateScreen { get; private set; }

    /// <summary>Characters drawn by the last <see cref="Feed"/>.</summary>
    public int Printed { get; private set; }

    public char Char(int row, int column) => _chars[row, column];

    /// <summary>Foreground and background as VGA colour numbers 0–15 (-1: the terminal's default).</summary>
    public (int Fg, int Bg) Colors(int row, int column) => (_fg[row, column], _bg[row, column]);

    public string RowText(int row)
    {
        var sb = new StringBuilder();
        for (int c = 0; c < Columns; c++) sb.Append(_chars[row, c]);
        return sb.ToString();
    }

    public string Text => string.Join("\n", Enumerable.Range(0, Rows).Select(RowText));

    public void Feed(string output)
    {
        Printed = 0;
        int i = 0;
        while (i < output.Length)
        {
            char ch = output[i];
            if (ch == '\u001b')
            {
                if (i + 1 >= output.Length) throw new FormatException("truncated escape sequence");
                if (output[i + 1] != '[') throw new FormatException($"unexpected escape ESC {output[i + 1]}");
                int j = i + 2;
                while (j < output.Length && output[j] is >= '0' and <= '?') j++;
                if (j >= output.Length) throw new FormatException("truncated CSI");
                Csi(output[(i + 2)..j], output[j]);
                i = j + 1;
                continue;
            }
            if (ch < ' ') throw new FormatException($"unexpected control character {(int)ch:X2}");
            if (CursorRow < Rows && CursorColumn < Columns)
            {
                _chars[CursorRow, CursorColumn] = ch;
                _fg[CursorRow, CursorColumn] = _curFg;
                _bg[CursorRow, CursorColumn] = _curBg;
            }
            CursorColumn++;
            Printed++;
            i++;
        }
    }

    private void Csi(string parameters, char final)
    {
        if (parameters.StartsWith('?'))
        {
            bool set = final == 'h';
            if (final is not ('h' or 'l')) throw new FormatException("unknown private sequence " + final);
            switch (parameters[1..])
            {
                case "25": CursorVisible = set; break;
                case "1049": AlternateScreen = set; if (set) Clear(); break;
                default: throw new FormatException("unknown private mode " + parameters);
            }
            return;
        }
        int[] p = parameters.Length == 0 ? [] : parameters.Split(';').Select(s => s.Length == 0 ? 0 : int.Parse(s)).ToArray();
        switch (final)
        {
            case 'H':
                CursorRow = (p.Length > 0 && p[0] > 0 ? p[0] : 1) - 1;
                CursorColumn = (p.Length > 1 && p[1] > 0 ? p[1] : 1) - 1;
                break;
            case 'J':
                if (p.Length != 1 || p[0] != 2) throw new FormatException("only ED 2 is modelled");
                Clear();
                break;
            case 'm':
                if (p.Length == 0) p = [0];
                foreach (int code in p)
                {
                    switch (code)
                    {
                        case 0: _curFg = -1; _curBg = -1; break;
                        case >= 30 and <= 37: _curFg = AnsiToVga[code - 30]; break;
                        case >= 90 and <= 97: _curFg = AnsiToVga[code - 90] + 8; break;
                        case >= 40 and <= 47: _curBg = AnsiToVga[code - 40]; break;
                        case >= 100 and <= 107: _curBg = AnsiToVga[code - 100] + 8; break;
                        default: throw new FormatException("unknown SGR " + code);
                    }
                }
                break;
            default:
                throw new FormatException("unknown CSI final " + final);
        }
    }

    private void Clear()
    {
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Columns; c++)
            {
                _chars[r, c] = ' ';
                _fg[r, c] = _curFg;
                _bg[r, c] = _curBg;
            }
        }
    }
}
