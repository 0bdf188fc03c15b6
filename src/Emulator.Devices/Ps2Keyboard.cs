namespace Emulator.Devices;

/// <summary>
/// A PS/2 (MF2) keyboard behind the i8042: its command set (IBM PS/2 keyboard technical reference) and scan code
/// generation in set 1 or set 2 (set 3 requests are acknowledged and generate set 2). The host presses keys by
/// their QEMU names (<see cref="Ps2KeyTable"/>).
/// </summary>
public sealed class Ps2Keyboard
{
    // Commands (host to keyboard)
    public const byte CmdSetLeds = 0xED;
    public const byte CmdEcho = 0xEE;
    public const byte CmdScanCodeSet = 0xF0;
    public const byte CmdIdentify = 0xF2;
    public const byte CmdTypematic = 0xF3;
    public const byte CmdEnable = 0xF4;
    public const byte CmdDisable = 0xF5;
    public const byte CmdSetDefault = 0xF6;
    public const byte CmdResend = 0xFE;
    public const byte CmdReset = 0xFF;
    // Replies (keyboard to host)
    public const byte Ack = 0xFA;
    public const byte BatPassed = 0xAA;
    public const byte ReplyEcho = 0xEE;
    public const byte ReplyResend = 0xFE;
    public const byte Overrun = 0x00;           // set 2/3 overrun code (set 1: 0xFF)
    public const byte IdFirst = 0xAB;
    public const byte IdSecond = 0x83;
    private const int QueueCapacity = 256;
    private const byte DefaultTypematic = 0x2B; // 10.9 cps, 500 ms

    private readonly Queue<byte> _queue = new();
    private byte _pendingCommand;               // command awaiting its argument byte, or 0
    private byte _lastSent = Ack;

    internal Ps2Keyboard()
    {
        Reset();
    }

    /// <summary>Called when bytes are queued for the controller.</summary>
    internal Action? DataQueued { get; set; }

    public bool ScanningEnabled { get; private set; }

    public int ScanCodeSet { get; private set; }

    /// <summary>LED state from the last 0xED command: bit 0 Scroll, bit 1 Num, bit 2 Caps Lock.</summary>
    public byte Leds { get; private set; }

    public byte Typematic { get; private set; }

    internal bool HasData => _queue.Count > 0;

    internal int QueuedCount => _queue.Count;

    internal bool TryDequeue(out byte value) => _queue.TryDequeue(out value);

    internal void Reset()
    {
        _queue.Clear();
        _pendingCommand = 0;
        ScanningEnabled = true;
        ScanCodeSet = 2;
        Leds = 0;
        Typematic = DefaultTypematic;
    }

    private void Send(byte value)
    {
        if (_queue.Count >= QueueCapacity) return;
        if (_queue.Count == QueueCapacity - 1)
        {
            _queue.Enqueue(ScanCodeSet == 1 ? (byte)0xFF : Overrun);
            return;
        }
        _queue.Enqueue(value);
        if (value != ReplyResend) _lastSent = value;
    }

    private void Reply(params ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes) Send(b);
        DataQueued?.Invoke();
    }

    /// <summary>A byte from the host (the controller's data port or 0xD2-style injection excluded).</summary>
    internal void WriteFromHost(byte value)
    {
        if (_pendingCommand != 0)
        {
            byte command = _pendingCommand;
            _pendingCommand = 0;
            switch (command)
            {
                case CmdSetLeds:
                    Leds = (byte)(value & 7);
                    Reply(Ack);
                    return;
                case CmdTypematic:
                    Typematic = (byte)(value & 0x7F);
                    Reply(Ack);
                    return;
                case CmdScanCodeSet:
                    if (value == 0)
                    {
                        Reply(Ack, (byte)ScanCodeSet);
                    }
                    else if (value <= 3)
                    {
                        ScanCodeSet = value;
                        _queue.Clear();
                        Reply(Ack);
                    }
                    else
                    {
                        Reply(ReplyResend);
                    }
                    return;
            }
        }
        switch (value)
        {
            case CmdSetLeds:
            case CmdTypematic:
            case CmdScanCodeSet:
                _pendingCommand = value;
                Reply(Ack);
                break;
            case CmdEcho:
                Reply(ReplyEcho);
                break;
            case CmdIdentify:
                Reply(Ack, IdFirst, IdSecond);
                break;
            case CmdEnable:
                _queue.Clear();
                ScanningEnabled = true;
                Reply(Ack);
                break;
            case CmdDisable:
                // Disable: stop scanning and restore the default parameters.
                _queue.Clear();
                ScanningEnabled = false;
                Typematic = DefaultTypematic;
                Reply(Ack);
                break;
            case CmdSetDefault:
                _queue.Clear();
                ScanningEnabled = true;
                Typematic = DefaultTypematic;
                Reply(Ack);
                break;
            case >= 0xF7 and <= 0xFD: // set 3 key type commands
                Reply(Ack);
                break;
            case CmdResend:
                Reply(_lastSent);
                break;
            case CmdReset:
                Reset();
                Reply(Ack, BatPassed);
                break;
            default:
                Reply(ReplyResend);
                break;
        }
    }

    /// <summary>Presses (<paramref name="down"/>) or releases a key by its QEMU name. False if the name is unknown.</summary>
    public bool SendKey(string name, bool down)
    {
        if (string.Equals(name, Ps2KeyTable.PauseKey, StringComparison.OrdinalIgnoreCase))
        {
            if (down && ScanningEnabled) Reply(ScanCodeSet == 1 ? Ps2KeyTable.PauseSet1 : Ps2KeyTable.PauseSet2);
            return true;
        }
        if (!Ps2KeyTable.TryGetScanCodes(name, out ushort set1, out ushort set2)) return false;
        if (!ScanningEnabled) return true;
        Span<byte> bytes = stackalloc byte[3];
        int n = 0;
        if (ScanCodeSet == 1)
        {
            if (set1 > 0xFF) bytes[n++] = 0xE0;
            bytes[n++] = (byte)(down ? set1 & 0x7F : (set1 & 0x7F) | 0x80);
        }
        else
        {
            if (set2 > 0xFF) bytes[n++] = 0xE0;
            if (!down) bytes[n++] = 0xF0;
            bytes[n++] = (byte)set2;
        }
        Reply(bytes[..n]);
        return true;
    }

    public bool PressKey(string name) => SendKey(name, true);

    public bool ReleaseKey(string name) => SendKey(name, false);

    internal void Save(BinaryWriter w)
    {
        w.Write((ushort)_queue.Count);
        foreach (byte b in _queue) w.Write(b);
        w.Write(_pendingCommand);
        w.Write(_lastSent);
        w.Write(ScanningEnabled);
        w.Write((byte)ScanCodeSet);
        w.Write(Leds);
        w.Write(Typematic);
    }

    internal void Load(BinaryReader r)
    {
        int count = r.ReadUInt16();
        if (count > QueueCapacity) throw new InvalidDataException("ps2: bad queue length");
        _queue.Clear();
        for (int i = 0; i < count; i++) _queue.Enqueue(r.ReadByte());
        _pendingCommand = r.ReadByte();
        _lastSent = r.ReadByte();
        ScanningEnabled = r.ReadBoolean();
        int set = r.ReadByte();
        if (set is < 1 or > 3) throw new InvalidDataException("ps2 keyboard: bad scan code set");
        ScanCodeSet = set;
        Leds = (byte)(r.ReadByte() & 7);
        Typematic = (byte)(r.ReadByte() & 0x7F);
    }
}
