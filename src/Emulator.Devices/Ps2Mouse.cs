namespace Emulator.Devices;

/// <summary>
/// A PS/2 mouse behind the i8042's auxiliary port: the standard command set, stream and remote modes, 3-byte packets,
/// and the IntelliMouse extension (sample rates 200, 100, 80 switch to device ID 3 with a 4th wheel byte).
/// </summary>
public sealed class Ps2Mouse
{
    public const byte CmdResetScaling = 0xE6;
    public const byte CmdSetScaling2To1 = 0xE7;
    public const byte CmdSetResolution = 0xE8;
    public const byte CmdStatusRequest = 0xE9;
    public const byte CmdSetStreamMode = 0xEA;
    public const byte CmdReadData = 0xEB;
    public const byte CmdResetWrapMode = 0xEC;
    public const byte CmdSetWrapMode = 0xEE;
    public const byte CmdSetRemoteMode = 0xF0;
    public const byte CmdGetDeviceId = 0xF2;
    public const byte CmdSetSampleRate = 0xF3;
    public const byte CmdEnableReporting = 0xF4;
    public const byte CmdDisableReporting = 0xF5;
    public const byte CmdSetDefaults = 0xF6;
    public const byte CmdResend = 0xFE;
    public const byte CmdReset = 0xFF;
    public const byte Ack = 0xFA;
    public const byte Error = 0xFC;
    public const byte ReplyResend = 0xFE;
    public const byte BatPassed = 0xAA;
    // Packet byte 0
    public const byte PacketLeft = 0x01;
    public const byte PacketRight = 0x02;
    public const byte PacketMiddle = 0x04;
    public const byte PacketAlwaysOne = 0x08;
    public const byte PacketXSign = 0x10;
    public const byte PacketYSign = 0x20;
    public const byte PacketXOverflow = 0x40;
    public const byte PacketYOverflow = 0x80;
    private const int QueueCapacity = 256;

    private readonly Queue<byte> _queue = new();
    private byte _pendingCommand;
    private byte _lastSent = Ack;
    private readonly byte[] _rateHistory = new byte[3];
    private int _dx;
    private int _dy;
    private int _dz;

    internal Ps2Mouse()
    {
        Reset();
    }

    internal Action? DataQueued { get; set; }

    public bool ReportingEnabled { get; private set; }

    public bool RemoteMode { get; private set; }

    public bool WrapMode { get; private set; }

    public bool Scaling2To1 { get; private set; }

    public byte Resolution { get; private set; }

    public byte SampleRate { get; private set; }

    public byte DeviceId { get; private set; }

    /// <summary>Buttons held: bit 0 left, bit 1 right, bit 2 middle.</summary>
    public byte Buttons { get; private set; }

    internal bool HasData => _queue.Count > 0;

    internal bool TryDequeue(out byte value) => _queue.TryDequeue(out value);

    internal void Reset()
    {
        _queue.Clear();
        _pendingCommand = 0;
        SetDefaults();
        DeviceId = 0;
        WrapMode = false;
        Array.Clear(_rateHistory);
    }

    private void SetDefaults()
    {
        ReportingEnabled = false;
        RemoteMode = false;
        Scaling2To1 = false;
        Resolution = 2;       // 4 counts/mm
        SampleRate = 100;
        _dx = _dy = _dz = 0;
    }

    private void Reply(params ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (_queue.Count >= QueueCapacity) break;
            _queue.Enqueue(b);
            if (b != ReplyResend) _lastSent = b;
        }
        DataQueued?.Invoke();
    }

    internal void WriteFromHost(byte value)
    {
        if (_pendingCommand != 0)
        {
            byte command = _pendingCommand;
            _pendingCommand = 0;
            if (command == CmdSetSampleRate)
            {
                SampleRate = value;
                _rateHistory[0] = _rateHistory[1];
                _rateHistory[1] = _rateHistory[2];
                _rateHistory[2] = value;
                if (_rateHistory[0] == 200 && _rateHistory[1] == 100 && _rateHistory[2] == 80) DeviceId = 3;
                Reply(Ack);
                return;
            }
            if (command == CmdSetResolution)
            {
                if (value > 3)
                {
                    Reply(Error);
                    return;
                }
                Resolution = value;
                Reply(Ack);
                return;
            }
        }
        if (WrapMode && value != CmdResetWrapMode && value != CmdReset)
        {
            Reply(value); // wrap mode echoes everything
            return;
        }
        switch (value)
        {
            case CmdResetScaling:
                Scaling2To1 = false;
                Reply(Ack);
                break;
            case CmdSetScaling2To1:
                Scaling2To1 = true;
                Reply(Ack);
                break;
            case CmdSetResolution:
            case CmdSetSampleRate:
                _pendingCommand = value;
                Reply(Ack);
                break;
            case CmdStatusRequest:
            {
                int status = (RemoteMode ? 0x40 : 0) | (ReportingEnabled ? 0x20 : 0) | (Scaling2To1 ? 0x10 : 0)
                             | ((Buttons & 1) != 0 ? 0x04 : 0) | ((Buttons & 4) != 0 ? 0x02 : 0) | ((Buttons & 2) != 0 ? 0x01 : 0);
                Reply(Ack, (byte)status, Resolution, SampleRate);
                break;
            }
            case CmdSetStreamMode:
                RemoteMode = false;
                Reply(Ack);
                break;
            case CmdReadData:
                Reply(Ack);
                QueuePacket();
                break;
            case CmdResetWrapMode:
                WrapMode = false;
                Reply(Ack);
                break;
            case CmdSetWrapMode:
                WrapMode = true;
                Reply(Ack);
                break;
            case CmdSetRemoteMode:
                RemoteMode = true;
                Reply(Ack);
                break;
            case CmdGetDeviceId:
                Reply(Ack, DeviceId);
                break;
            case CmdEnableReporting:
                ReportingEnabled = true;
                Reply(Ack);
                break;
            case CmdDisableReporting:
                ReportingEnabled = false;
                Reply(Ack);
                break;
            case CmdSetDefaults:
                SetDefaults();
                Reply(Ack);
                break;
            case CmdResend:
                Reply(_lastSent);
                break;
            case CmdReset:
                Reset();
                Reply(Ack, BatPassed, DeviceId);
                break;
            default:
                Reply(ReplyResend);
                break;
        }
    }

    /// <summary>
    /// Host input: relative motion (<paramref name="dy"/> positive = away from the user, PS/2 convention), wheel
    /// (<paramref name="dz"/>, positive = towards the user) and buttons (bit 0 left, 1 right, 2 middle).
    /// In stream mode with reporting enabled a packet is queued at once.
    /// </summary>
    public void Move(int dx, int dy, int dz, byte buttons)
    {
        _dx = Saturate(_dx + (long)dx);
        _dy = Saturate(_dy + (long)dy);
        _dz = Saturate(_dz + (long)dz);
        Buttons = (byte)(buttons & 7);
        if (!RemoteMode && ReportingEnabled && !WrapMode) QueuePacket();
    }

    private static int Saturate(long v) => (int)Math.Clamp(v, -0x10000, 0x10000);

    private void QueuePacket()
    {
        int dx = _dx, dy = _dy;
        byte b0 = (byte)(PacketAlwaysOne | (Buttons & 7));
        if (dx < -256 || dx > 255)
        {
            b0 |= PacketXOverflow;
            dx = dx < 0 ? -256 : 255;
        }
        if (dy < -256 || dy > 255)
        {
            b0 |= PacketYOverflow;
            dy = dy < 0 ? -256 : 255;
        }
        if (dx < 0) b0 |= PacketXSign;
        if (dy < 0) b0 |= PacketYSign;
        if (DeviceId == 3)
        {
            int dz = Math.Clamp(_dz, -8, 7);
            Reply(b0, (byte)dx, (byte)dy, unchecked((byte)(sbyte)dz)); // ID 3: Z as an 8-bit two's complement
        }
        else
        {
            Reply(b0, (byte)dx, (byte)dy);
        }
        _dx = _dy = _dz = 0;
    }

    internal void Save(BinaryWriter w)
    {
        w.Write((ushort)_queue.Count);
        foreach (byte b in _queue) w.Write(b);
        w.Write(_pendingCommand);
        w.Write(_lastSent);
        w.Write(_rateHistory);
        w.Write(_dx);
        w.Write(_dy);
        w.Write(_dz);
        w.Write(ReportingEnabled);
        w.Write(RemoteMode);
        w.Write(WrapMode);
        w.Write(Scaling2To1);
        w.Write(Resolution);
        w.Write(SampleRate);
        w.Write(DeviceId);
        w.Write(Buttons);
    }

    internal void Load(BinaryReader r)
    {
        int count = r.ReadUInt16();
        if (count > QueueCapacity) throw new InvalidDataException("ps2: bad queue length");
        _queue.Clear();
        for (int i = 0; i < count; i++) _queue.Enqueue(r.ReadByte());
        _pendingCommand = r.ReadByte();
        _lastSent = r.ReadByte();
        byte[] history = r.ReadBytes(3);
        if (history.Length != 3) throw new InvalidDataException("ps2 mouse: truncated state");
        history.CopyTo(_rateHistory, 0);
        _dx = Saturate(r.ReadInt32());
        _dy = Saturate(r.ReadInt32());
        _dz = Saturate(r.ReadInt32());
        ReportingEnabled = r.ReadBoolean();
        RemoteMode = r.ReadBoolean();
        WrapMode = r.ReadBoolean();
        Scaling2To1 = r.ReadBoolean();
        Resolution = (byte)(r.ReadByte() & 3);
        SampleRate = r.ReadByte();
        DeviceId = r.ReadByte();
        Buttons = (byte)(r.ReadByte() & 7);
    }
}
