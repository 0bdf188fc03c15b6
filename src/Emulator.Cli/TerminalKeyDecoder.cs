namespace Emulator.Cli;

/// <summary>
/// Turns the bytes a VT100/xterm-style terminal sends in raw mode into PS/2 keys (US layout): ASCII, Enter, Backspace,
/// Tab, Esc, Ctrl-letter, Alt-key (ESC prefix), and the CSI/SS3 sequences for arrows, Home/End, Insert/Delete,
/// PgUp/PgDn and F1–F12 (with xterm's <c>;modifier</c> parameter). Keeps an incomplete sequence across calls to
/// <see cref="Feed"/>; <see cref="Flush"/> (after a short pause in the input) sends it as plain keys, so a lone Esc works.
/// </summary>
public sealed class TerminalKeyDecoder
{
    private const byte EscByte = 0x1B;
    private const int MaxPending = 32;

    // Unshifted and shifted US keys for printable ASCII 0x20–0x7E.
    private static readonly (string Name, bool Shift)[] Printable = BuildPrintable();

    private readonly List<byte> _pending = new();

    /// <summary>Decodes <paramref name="input"/> (appended to any pending partial sequence).</summary>
    public List<TerminalKey> Feed(ReadOnlySpan<byte> input)
    {
        var keys = new List<TerminalKey>();
        foreach (byte b in input) _pending.Add(b);
        int i = 0;
        while (i < _pending.Count)
        {
            int used = TryDecode(i, keys, final: false);
            if (used == 0) break; // incomplete escape sequence: wait for more bytes or a Flush
            i += used;
        }
        _pending.RemoveRange(0, i);
        if (_pending.Count > MaxPending) keys.AddRange(Flush());
        return keys;
    }

    /// <summary>Decodes whatever is pending as complete input (a lone ESC is the Esc key).</summary>
    public List<TerminalKey> Flush()
    {
        var keys = new List<TerminalKey>();
        int i = 0;
        while (i < _pending.Count) i += TryDecode(i, keys, final: true);
        _pending.Clear();
        return keys;
    }

    public bool HasPending => _pending.Count > 0;

    /// <summary>Decodes one key at <paramref name="i"/>; returns the bytes used (0: incomplete and not final).</summary>
    private int TryDecode(int i, List<TerminalKey> keys, bool final)
    {
        byte b = _pending[i];
        if (b != EscByte)
        {
            if (Single(b) is { } k) keys.Add(k);
            return 1;
        }
        if (i + 1 >= _pending.Count)
        {
            if (!final) return 0;
            keys.Add(new TerminalKey("esc"));
            return 1;
        }
        byte next = _pending[i + 1];
        if (next is (byte)'[' or (byte)'O')
        {
            // CSI: ESC [ parameters (0x30–0x3F) … final byte (0x40–0x7E); SS3: ESC O final. Linux console F1–F5: ESC [ [ A–E.
            int j = i + 2;
            if (next == (byte)'[' && j < _pending.Count && _pending[j] == (byte)'[')
            {
                if (j + 1 >= _pending.Count) return final ? Literal(i, j + 1, keys) : 0;
                byte f = _pending[j + 1];
                if (f is >= (byte)'A' and <= (byte)'E') keys.Add(new TerminalKey("f" + (f - 'A' + 1)));
                return j + 2 - i;
            }
            while (j < _pending.Count && _pending[j] is >= 0x20 and <= 0x3F) j++;
            if (j >= _pending.Count) return final ? Literal(i, j, keys) : 0;
            byte fin = _pending[j];
            if (fin is < 0x40 or > 0x7E) return Literal(i, j, keys); // not a sequence after all: keys as typed (the odd byte next)
            string parameters = System.Text.Encoding.ASCII.GetString(_pending.GetRange(i + 2, j - i - 2).ToArray());
            if (Sequence((char)next, parameters, (char)fin) is { } key) keys.Add(key);
            return j + 1 - i;
        }
        // ESC followed by a key: Alt held with it (xterm's metaSendsEscape).
        if (Single(next) is { } alt) keys.Add(alt with { Alt = true });
        return 2;
    }

    private int Literal(int start, int end, List<TerminalKey> keys)
    {
        keys.Add(new TerminalKey("esc"));
        for (int k = start + 1; k < end; k++)
        {
            if (Single(_pending[k]) is { } key) keys.Add(key);
        }
        return end - start;
    }

    private static TerminalKey? Single(byte b) => b switch
    {
        (byte)'\r' or (byte)'\n' => new TerminalKey("ret"),
        (byte)'\t' => new TerminalKey("tab"),
        0x7F or 0x08 => new TerminalKey("backspace"),
        EscByte => new TerminalKey("esc"),
        0x00 => new TerminalKey("spc", Ctrl: true),                  // Ctrl-@ / Ctrl-Space
        >= 0x01 and <= 0x1A => new TerminalKey(((char)('a' + b - 1)).ToString(), Ctrl: true),
        0x1C => new TerminalKey("backslash", Ctrl: true),
        0x1D => new TerminalKey("bracket_right", Ctrl: true),
        0x1E => new TerminalKey("6", Shift: true, Ctrl: true),      // Ctrl-^
        0x1F => new TerminalKey("minus", Shift: true, Ctrl: true),  // Ctrl-_
        >= 0x20 and <= 0x7E => new TerminalKey(Printable[b - 0x20].Name, Shift: Printable[b - 0x20].Shift),
        _ => null, // UTF-8 continuation and other non-ASCII bytes have no US key
    };

    private static TerminalKey? Sequence(char intro, string parameters, char final)
    {
        // xterm modifier parameter: 1 + (shift 1 | alt 2 | ctrl 4).
        var parts = parameters.Split(';');
        int modifier = parts.Length > 1 && int.TryParse(parts[1], out int m) && m is >= 1 and <= 16 ? m - 1 : 0;
        string? name = final switch
        {
            'A' => "up",
            'B' => "down",
            'C' => "right",
            'D' => "left",
            'H' => "home",
            'F' => "end",
            'P' => "f1",
            'Q' => "f2",
            'R' => "f3",
            'S' => "f4",
            'M' when intro == 'O' => "kp_enter",
            '~' => int.TryParse(parts[0], out int n) ? Tilde(n) : null,
            _ => null,
        };
        if (name is null) return null;
        return new TerminalKey(name, Shift: (modifier & 1) != 0, Ctrl: (modifier & 4) != 0, Alt: (modifier & 2) != 0);
    }

    // VT220/xterm "CSI n ~" function keys.
    private static string? Tilde(int n) => n switch
    {
        1 or 7 => "home",
        2 => "insert",
        3 => "delete",
        4 or 8 => "end",
        5 => "pgup",
        6 => "pgdn",
        11 => "f1",
        12 => "f2",
        13 => "f3",
        14 => "f4",
        15 => "f5",
        17 => "f6",
        18 => "f7",
        19 => "f8",
        20 => "f9",
        21 => "f10",
        23 => "f11",
        24 => "f12",
        _ => null,
    };

    private static (string, bool)[] BuildPrintable()
    {
        var table = new (string, bool)[0x5F];
        const string plain = "`1234567890-=[]\\;',./";
        const string shifted = "~!@#$%^&*()_+{}|:\"<>?";
        string[] names =
        [
            "grave_accent", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "minus", "equal",
            "bracket_left", "bracket_right", "backslash", "semicolon", "apostrophe", "comma", "dot", "slash",
        ];
        for (int k = 0; k < names.Length; k++)
        {
            table[plain[k] - 0x20] = (names[k], false);
            table[shifted[k] - 0x20] = (names[k], true);
        }
        table[0] = ("spc", false);
        for (char c = 'a'; c <= 'z'; c++)
        {
            table[c - 0x20] = (c.ToString(), false);
            table[char.ToUpperInvariant(c) - 0x20] = (c.ToString(), true);
        }
        return table;
    }
}
