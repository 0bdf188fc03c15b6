using System.Collections.Frozen;

namespace Emulator.Devices;

/// <summary>
/// Key names (as QEMU's <c>sendkey</c> and QMP <c>QKeyCode</c> spell them) and their scan codes in set 1 and set 2
/// (IBM PC AT and PS/2 keyboard technical references). Extended keys are written 0xE0nn.
/// </summary>
public static class Ps2KeyTable
{
    /// <summary>The Pause key has no break code and its own make sequences.</summary>
    public const string PauseKey = "pause";

    public static ReadOnlySpan<byte> PauseSet1 => [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5];

    public static ReadOnlySpan<byte> PauseSet2 => [0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77];

    private static readonly (string Name, ushort Set1, ushort Set2)[] Keys =
    [
        ("esc", 0x01, 0x76),
        ("1", 0x02, 0x16), ("2", 0x03, 0x1E), ("3", 0x04, 0x26), ("4", 0x05, 0x25), ("5", 0x06, 0x2E),
        ("6", 0x07, 0x36), ("7", 0x08, 0x3D), ("8", 0x09, 0x3E), ("9", 0x0A, 0x46), ("0", 0x0B, 0x45),
        ("minus", 0x0C, 0x4E), ("equal", 0x0D, 0x55), ("backspace", 0x0E, 0x66), ("tab", 0x0F, 0x0D),
        ("q", 0x10, 0x15), ("w", 0x11, 0x1D), ("e", 0x12, 0x24), ("r", 0x13, 0x2D), ("t", 0x14, 0x2C),
        ("y", 0x15, 0x35), ("u", 0x16, 0x3C), ("i", 0x17, 0x43), ("o", 0x18, 0x44), ("p", 0x19, 0x4D),
        ("bracket_left", 0x1A, 0x54), ("bracket_right", 0x1B, 0x5B), ("ret", 0x1C, 0x5A), ("ctrl", 0x1D, 0x14),
        ("a", 0x1E, 0x1C), ("s", 0x1F, 0x1B), ("d", 0x20, 0x23), ("f", 0x21, 0x2B), ("g", 0x22, 0x34),
        ("h", 0x23, 0x33), ("j", 0x24, 0x3B), ("k", 0x25, 0x42), ("l", 0x26, 0x4B), ("semicolon", 0x27, 0x4C),
        ("apostrophe", 0x28, 0x52), ("grave_accent", 0x29, 0x0E), ("shift", 0x2A, 0x12), ("backslash", 0x2B, 0x5D),
        ("z", 0x2C, 0x1A), ("x", 0x2D, 0x22), ("c", 0x2E, 0x21), ("v", 0x2F, 0x2A), ("b", 0x30, 0x32),
        ("n", 0x31, 0x31), ("m", 0x32, 0x3A), ("comma", 0x33, 0x41), ("dot", 0x34, 0x49), ("slash", 0x35, 0x4A),
        ("shift_r", 0x36, 0x59), ("kp_multiply", 0x37, 0x7C), ("alt", 0x38, 0x11), ("spc", 0x39, 0x29),
        ("caps_lock", 0x3A, 0x58),
        ("f1", 0x3B, 0x05), ("f2", 0x3C, 0x06), ("f3", 0x3D, 0x04), ("f4", 0x3E, 0x0C), ("f5", 0x3F, 0x03),
        ("f6", 0x40, 0x0B), ("f7", 0x41, 0x83), ("f8", 0x42, 0x0A), ("f9", 0x43, 0x01), ("f10", 0x44, 0x09),
        ("num_lock", 0x45, 0x77), ("scroll_lock", 0x46, 0x7E),
        ("kp_7", 0x47, 0x6C), ("kp_8", 0x48, 0x75), ("kp_9", 0x49, 0x7D), ("kp_subtract", 0x4A, 0x7B),
        ("kp_4", 0x4B, 0x6B), ("kp_5", 0x4C, 0x73), ("kp_6", 0x4D, 0x74), ("kp_add", 0x4E, 0x79),
        ("kp_1", 0x4F, 0x69), ("kp_2", 0x50, 0x72), ("kp_3", 0x51, 0x7A), ("kp_0", 0x52, 0x70),
        ("kp_decimal", 0x53, 0x71), ("less", 0x56, 0x61), ("f11", 0x57, 0x78), ("f12", 0x58, 0x07),
        ("kp_enter", 0xE01C, 0xE05A), ("ctrl_r", 0xE01D, 0xE014), ("kp_divide", 0xE035, 0xE04A),
        ("print", 0xE037, 0xE07C), ("alt_r", 0xE038, 0xE011),
        ("home", 0xE047, 0xE06C), ("up", 0xE048, 0xE075), ("pgup", 0xE049, 0xE07D), ("left", 0xE04B, 0xE06B),
        ("right", 0xE04D, 0xE074), ("end", 0xE04F, 0xE069), ("down", 0xE050, 0xE072), ("pgdn", 0xE051, 0xE07A),
        ("insert", 0xE052, 0xE070), ("delete", 0xE053, 0xE071),
        ("meta_l", 0xE05B, 0xE01F), ("meta_r", 0xE05C, 0xE027), ("menu", 0xE05D, 0xE02F),
    ];

    private static readonly FrozenDictionary<string, string> Aliases = new Dictionary<string, string>
    {
        ["altgr"] = "alt_r",
        ["sysrq"] = "print",
        ["compose"] = "menu",
        ["backquote"] = "grave_accent",
        ["space"] = "spc",
        ["enter"] = "ret",
        ["escape"] = "esc",
        ["pageup"] = "pgup",
        ["pagedown"] = "pgdn",
        ["shift_l"] = "shift",
        ["ctrl_l"] = "ctrl",
        ["alt_l"] = "alt",
        ["kp_divide"] = "kp_divide",
        ["asterisk"] = "kp_multiply",
        ["period"] = "dot",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, (ushort Set1, ushort Set2)> ByName =
        Keys.ToFrozenDictionary(k => k.Name, k => (k.Set1, k.Set2), StringComparer.OrdinalIgnoreCase);

    /// <summary>The 8042's set 2 to set 1 translation (index: a set 2 byte below 0x80, or 0x83).</summary>
    private static readonly System.Collections.Immutable.ImmutableArray<byte> Translation = [.. BuildTranslation()];

    public static IEnumerable<string> KeyNames => Keys.Select(k => k.Name).Append(PauseKey);

    /// <summary>Looks up a key by name; codes are 0xE0nn for extended keys.</summary>
    public static bool TryGetScanCodes(string name, out ushort set1, out ushort set2)
    {
        if (Aliases.TryGetValue(name, out var canonical)) name = canonical;
        if (ByName.TryGetValue(name, out var codes))
        {
            set1 = codes.Set1;
            set2 = codes.Set2;
            return true;
        }
        set1 = set2 = 0;
        return false;
    }

    public static bool IsKnown(string name) =>
        string.Equals(name, PauseKey, StringComparison.OrdinalIgnoreCase) || TryGetScanCodes(name, out _, out _);

    private static byte[] BuildTranslation()
    {
        var table = new byte[0x100];
        for (int i = 0; i < table.Length; i++) table[i] = (byte)i; // bytes 0x80 and up pass through
        foreach (var (_, set1, set2) in Keys) table[set2 & 0xFF] = (byte)(set1 & 0xFF);
        table[0x02] = 0x41; // the scan-code-set reply "2" reads as 0x41 through translation, like F7 (0x83)
        return table;
    }

    /// <summary>Translates one set 2 byte (without the 0xF0 break prefix) to set 1.</summary>
    public static byte TranslateSet2ToSet1(byte set2) => Translation[set2];
}
