namespace Emulator.Cli;

/// <summary>One key typed at the terminal: a PS/2 key by its QEMU name (<see cref="Emulator.Devices.Ps2KeyTable"/>) and the modifiers held with it.</summary>
public readonly record struct TerminalKey(string Name, bool Shift = false, bool Ctrl = false, bool Alt = false)
{
    /// <summary>The press/release sequence a keyboard sends for this key: modifiers down, key down, key up, modifiers up.</summary>
    public IEnumerable<(string Name, bool Down)> Strokes()
    {
        if (Ctrl) yield return ("ctrl", true);
        if (Alt) yield return ("alt", true);
        if (Shift) yield return ("shift", true);
        yield return (Name, true);
        yield return (Name, false);
        if (Shift) yield return ("shift", false);
        if (Alt) yield return ("alt", false);
        if (Ctrl) yield return ("ctrl", false);
    }
}
