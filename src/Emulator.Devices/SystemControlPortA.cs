using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// System control port A at 0x92 (PS/2 "port 92h", PIIX port 92 register): bit 1 fast A20 gate, bit 0 fast
/// reset (a 0-to-1 transition resets the CPU). The machine ORs this A20 with the keyboard controller's.
/// </summary>
public sealed class SystemControlPortA : IDevice, IPortHandler
{
    public const ushort Port = 0x92;
    public const byte FastReset = 0x01;  // INIT: 0 -> 1 resets the processor
    public const byte FastA20 = 0x02;    // 1 = A20 enabled
    private const byte StateVersion = 1;

    private readonly Action<bool>? _a20Changed;
    private readonly Action? _resetRequested;
    private byte _value;

    public SystemControlPortA(Action<bool>? a20Changed, Action? resetRequested)
    {
        _a20Changed = a20Changed;
        _resetRequested = resetRequested;
    }

    public string Name => "port92";

    public bool A20Enabled => (_value & FastA20) != 0;

    public void RegisterPorts(PortBus bus) => bus.Register(Port, 1, this);

    public uint Read(ushort port, int size) => port == Port ? _value : 0xFFu;

    public void Write(ushort port, int size, uint value)
    {
        if (port != Port) return;
        byte old = _value;
        _value = (byte)value;
        if (((old ^ _value) & FastA20) != 0) _a20Changed?.Invoke(A20Enabled);
        if ((old & FastReset) == 0 && (_value & FastReset) != 0) _resetRequested?.Invoke();
    }

    public void Reset()
    {
        bool hadA20 = A20Enabled;
        _value = 0;
        if (hadA20) _a20Changed?.Invoke(false);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_value);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"port92: unsupported state version {version}");
        _value = reader.ReadByte();
    }
}
