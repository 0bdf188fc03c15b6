using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The Intel 8042 keyboard controller (PC/AT and PS/2 firmware behaviour) at 0x60 (data) and 0x64 (status/command),
/// with a <see cref="Ps2Keyboard"/> on its first port (IRQ1) and a <see cref="Ps2Mouse"/> on the auxiliary port
/// (IRQ12). The output port drives A20 (bit 1) and the CPU reset line (bit 0, active low) through callbacks.
/// </summary>
public sealed class I8042Controller : IDevice, IPortHandler
{
    public const ushort DataPort = 0x60;
    public const ushort StatusCommandPort = 0x64;

    // Status register
    public const byte StatusObf = 0x01;          // output buffer full
    public const byte StatusIbf = 0x02;          // input buffer full
    public const byte StatusSys = 0x04;          // system flag (command byte bit 2)
    public const byte StatusCommand = 0x08;      // A2: last write was to the command port
    public const byte StatusNotInhibited = 0x10; // keyboard inhibit switch: 1 = not inhibited
    public const byte StatusAuxObf = 0x20;       // output buffer holds mouse data
    public const byte StatusTimeout = 0x40;
    public const byte StatusParity = 0x80;

    // Command byte (controller RAM byte 0)
    public const byte CbKeyboardInterrupt = 0x01;
    public const byte CbMouseInterrupt = 0x02;
    public const byte CbSystemFlag = 0x04;
    public const byte CbKeyboardDisabled = 0x10;
    public const byte CbMouseDisabled = 0x20;
    public const byte CbTranslate = 0x40;
    public const byte DefaultCommandByte = CbKeyboardInterrupt | CbSystemFlag | CbTranslate;

    // Controller commands (port 0x64)
    public const byte CmdReadRam = 0x20;           // 0x20-0x3F
    public const byte CmdWriteRam = 0x60;          // 0x60-0x7F
    public const byte CmdDisableMouse = 0xA7;
    public const byte CmdEnableMouse = 0xA8;
    public const byte CmdTestMouse = 0xA9;
    public const byte CmdSelfTest = 0xAA;
    public const byte CmdTestKeyboard = 0xAB;
    public const byte CmdDisableKeyboard = 0xAD;
    public const byte CmdEnableKeyboard = 0xAE;
    public const byte CmdReadInputPort = 0xC0;
    public const byte CmdReadOutputPort = 0xD0;
    public const byte CmdWriteOutputPort = 0xD1;
    public const byte CmdWriteKeyboardBuffer = 0xD2;
    public const byte CmdWriteMouseBuffer = 0xD3;
    public const byte CmdWriteMouse = 0xD4;
    public const byte CmdDisableA20 = 0xDD;
    public const byte CmdEnableA20 = 0xDF;
    public const byte CmdReadTestInputs = 0xE0;
    public const byte CmdPulseOutputPort = 0xF0;   // 0xF0-0xFF: low nibble 0 bits are pulsed
    public const byte SelfTestPassed = 0x55;
    public const byte InterfaceTestPassed = 0x00;

    // Output port
    public const byte OutResetNotAsserted = 0x01;  // 0 = CPU reset
    public const byte OutA20 = 0x02;
    public const byte OutKeyboardObf = 0x10;       // IRQ1 line
    public const byte OutMouseObf = 0x20;          // IRQ12 line
    private const byte DefaultOutputPort = OutResetNotAsserted | OutA20;
    private const byte InputPortValue = 0x80;      // keyboard not inhibited
    private const int ControllerQueueCapacity = 16;
    private const byte StateVersion = 1;

    private readonly IInterruptLine? _irq1;
    private readonly IInterruptLine? _irq12;
    private readonly Action<bool>? _a20Changed;
    private readonly Action? _resetRequested;
    private readonly byte[] _ram = new byte[32];
    private readonly Queue<(byte Value, bool Aux)> _controllerQueue = new();
    private byte _outputBuffer;
    private bool _obf;
    private bool _obfAux;
    private bool _lastWriteWasCommand;
    private byte _pendingCommand;
    private byte _outputPort = DefaultOutputPort;
    private bool _translateBreakPrefix;
    private bool _irq1Level;
    private bool _irq12Level;

    public I8042Controller(IInterruptLine? irq1, IInterruptLine? irq12, Action<bool>? a20Changed = null,
        Action? resetRequested = null)
    {
        _irq1 = irq1;
        _irq12 = irq12;
        _a20Changed = a20Changed;
        _resetRequested = resetRequested;
        Keyboard = new Ps2Keyboard { DataQueued = Fill };
        Mouse = new Ps2Mouse { DataQueued = Fill };
        _ram[0] = DefaultCommandByte;
    }

    public string Name => "i8042";

    public Ps2Keyboard Keyboard { get; }

    public Ps2Mouse Mouse { get; }

    public byte CommandByte => _ram[0];

    public byte OutputPort => _outputPort;

    public bool A20Enabled => (_outputPort & OutA20) != 0;

    public void RegisterPorts(PortBus bus)
    {
        bus.Register(DataPort, 1, this);
        bus.Register(StatusCommandPort, 1, this);
    }

    public byte Status
    {
        get
        {
            int s = StatusNotInhibited;
            if (_obf) s |= StatusObf;
            if (_obf && _obfAux) s |= StatusAuxObf;
            if ((_ram[0] & CbSystemFlag) != 0) s |= StatusSys;
            if (_lastWriteWasCommand) s |= StatusCommand;
            return (byte)s;
        }
    }

    public uint Read(ushort port, int size)
    {
        switch (port)
        {
            case DataPort:
            {
                byte v = _outputBuffer; // an empty buffer reads its last value again
                _obf = false;
                UpdateIrqs();
                Fill();
                return v;
            }
            case StatusCommandPort:
                return Status;
            default:
                return 0xFF;
        }
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port == DataPort)
        {
            _lastWriteWasCommand = false;
            WriteData((byte)value);
        }
        else if (port == StatusCommandPort)
        {
            _lastWriteWasCommand = true;
            WriteCommand((byte)value);
        }
    }

    private void ControllerReply(byte value, bool aux = false)
    {
        if (_controllerQueue.Count < ControllerQueueCapacity) _controllerQueue.Enqueue((value, aux));
        Fill();
    }

    private void WriteCommand(byte command)
    {
        _pendingCommand = 0;
        switch (command)
        {
            case >= CmdReadRam and < CmdReadRam + 0x20:
                ControllerReply(_ram[command & 0x1F]);
                break;
            case >= CmdWriteRam and < CmdWriteRam + 0x20:
            case CmdWriteOutputPort:
            case CmdWriteKeyboardBuffer:
            case CmdWriteMouseBuffer:
            case CmdWriteMouse:
                _pendingCommand = command;
                break;
            case CmdDisableMouse:
                SetCommandByte((byte)(_ram[0] | CbMouseDisabled));
                break;
            case CmdEnableMouse:
                SetCommandByte((byte)(_ram[0] & ~CbMouseDisabled));
                break;
            case CmdTestMouse:
            case CmdTestKeyboard:
                ControllerReply(InterfaceTestPassed);
                break;
            case CmdSelfTest:
                SetCommandByte((byte)(_ram[0] | CbSystemFlag));
                ControllerReply(SelfTestPassed);
                break;
            case CmdDisableKeyboard:
                SetCommandByte((byte)(_ram[0] | CbKeyboardDisabled));
                break;
            case CmdEnableKeyboard:
                SetCommandByte((byte)(_ram[0] & ~CbKeyboardDisabled));
                break;
            case CmdReadInputPort:
                ControllerReply(InputPortValue);
                break;
            case CmdReadOutputPort:
            {
                int v = _outputPort & ~(OutKeyboardObf | OutMouseObf);
                if (_obf && !_obfAux) v |= OutKeyboardObf;
                if (_obf && _obfAux) v |= OutMouseObf;
                ControllerReply((byte)v);
                break;
            }
            case CmdDisableA20:
                WriteOutputPort((byte)(_outputPort & ~OutA20));
                break;
            case CmdEnableA20:
                WriteOutputPort((byte)(_outputPort | OutA20));
                break;
            case CmdReadTestInputs:
                ControllerReply(0x00);
                break;
            case >= CmdPulseOutputPort:
                // Bits 0-3 clear = pulse that output port line low for ~6 us. Only bit 0 (reset) has an effect.
                if ((command & OutResetNotAsserted) == 0) _resetRequested?.Invoke();
                break;
            default:
                break; // undefined commands are ignored
        }
    }

    private void WriteData(byte value)
    {
        byte pending = _pendingCommand;
        _pendingCommand = 0;
        switch (pending)
        {
            case >= CmdWriteRam and < CmdWriteRam + 0x20:
                if (pending == CmdWriteRam) SetCommandByte(value);
                else _ram[pending & 0x1F] = value;
                break;
            case CmdWriteOutputPort:
                WriteOutputPort(value);
                break;
            case CmdWriteKeyboardBuffer:
                ControllerReply(value, aux: false);
                break;
            case CmdWriteMouseBuffer:
                ControllerReply(value, aux: true);
                break;
            case CmdWriteMouse:
                Mouse.WriteFromHost(value);
                break;
            default:
                Keyboard.WriteFromHost(value);
                break;
        }
    }

    private void SetCommandByte(byte value)
    {
        _ram[0] = value;
        UpdateIrqs();
        Fill();
    }

    private void WriteOutputPort(byte value)
    {
        byte old = _outputPort;
        _outputPort = value;
        if (((old ^ value) & OutA20) != 0) _a20Changed?.Invoke((value & OutA20) != 0);
        if ((value & OutResetNotAsserted) == 0) _resetRequested?.Invoke();
    }

    /// <summary>Moves the next byte into the output buffer if it is empty.</summary>
    private void Fill()
    {
        if (_obf) return;
        if (_controllerQueue.TryDequeue(out var entry))
        {
            Load(entry.Value, entry.Aux);
            return;
        }
        if ((_ram[0] & CbKeyboardDisabled) == 0)
        {
            while (Keyboard.TryDequeue(out byte b))
            {
                if ((_ram[0] & CbTranslate) == 0)
                {
                    Load(b, false);
                    return;
                }
                if (b == 0xF0)
                {
                    _translateBreakPrefix = true; // the break prefix is folded into the next code's bit 7
                    continue;
                }
                byte t = Ps2KeyTable.TranslateSet2ToSet1(b);
                if (_translateBreakPrefix) t |= 0x80;
                _translateBreakPrefix = false;
                Load(t, false);
                return;
            }
        }
        if ((_ram[0] & CbMouseDisabled) == 0 && Mouse.TryDequeue(out byte m))
        {
            Load(m, true);
            return;
        }
        UpdateIrqs();
    }

    private void Load(byte value, bool aux)
    {
        _outputBuffer = value;
        _obf = true;
        _obfAux = aux;
        UpdateIrqs();
    }

    private void UpdateIrqs()
    {
        bool irq1 = _obf && !_obfAux && (_ram[0] & CbKeyboardInterrupt) != 0;
        bool irq12 = _obf && _obfAux && (_ram[0] & CbMouseInterrupt) != 0;
        if (irq1 != _irq1Level)
        {
            _irq1Level = irq1;
            _irq1?.SetLevel(irq1);
        }
        if (irq12 != _irq12Level)
        {
            _irq12Level = irq12;
            _irq12?.SetLevel(irq12);
        }
    }

    public void Reset()
    {
        Array.Clear(_ram);
        _ram[0] = DefaultCommandByte;
        _controllerQueue.Clear();
        _outputBuffer = 0;
        _obf = false;
        _obfAux = false;
        _lastWriteWasCommand = false;
        _pendingCommand = 0;
        _translateBreakPrefix = false;
        bool hadA20 = A20Enabled;
        _outputPort = DefaultOutputPort;
        if (!hadA20) _a20Changed?.Invoke(true);
        Keyboard.Reset();
        Mouse.Reset();
        UpdateIrqs();
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_ram);
        writer.Write((byte)_controllerQueue.Count);
        foreach (var (value, aux) in _controllerQueue)
        {
            writer.Write(value);
            writer.Write(aux);
        }
        writer.Write(_outputBuffer);
        writer.Write(_obf);
        writer.Write(_obfAux);
        writer.Write(_lastWriteWasCommand);
        writer.Write(_pendingCommand);
        writer.Write(_outputPort);
        writer.Write(_translateBreakPrefix);
        Keyboard.Save(writer);
        Mouse.Save(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"i8042: unsupported state version {version}");
        byte[] ram = reader.ReadBytes(_ram.Length);
        if (ram.Length != _ram.Length) throw new InvalidDataException("i8042: truncated state");
        ram.CopyTo(_ram, 0);
        int count = reader.ReadByte();
        if (count > ControllerQueueCapacity) throw new InvalidDataException("i8042: bad queue length");
        _controllerQueue.Clear();
        for (int i = 0; i < count; i++) _controllerQueue.Enqueue((reader.ReadByte(), reader.ReadBoolean()));
        _outputBuffer = reader.ReadByte();
        _obf = reader.ReadBoolean();
        _obfAux = reader.ReadBoolean();
        _lastWriteWasCommand = reader.ReadBoolean();
        _pendingCommand = reader.ReadByte();
        _outputPort = reader.ReadByte();
        _translateBreakPrefix = reader.ReadBoolean();
        Keyboard.Load(reader);
        Mouse.Load(reader);
        UpdateIrqs();
    }
}
