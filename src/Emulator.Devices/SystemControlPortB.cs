using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// System control port B at 0x61 (PC/AT "port 61h", PIIX NMI status and control register): bit 0 timer 2 gate,
/// bit 1 speaker data, bits 2-3 parity/IOCHK check enables, bit 4 refresh toggle, bit 5 timer 2 OUT.
/// </summary>
public sealed class SystemControlPortB : IDevice, IPortHandler
{
    public const ushort Port = 0x61;
    public const byte Timer2Gate = 0x01;       // R/W
    public const byte SpeakerData = 0x02;      // R/W
    public const byte WritableMask = 0x0F;     // bits 0-3 read back as written
    public const byte RefreshToggle = 0x10;    // RO: toggles every refresh cycle (15.085 us)
    public const byte Timer2Output = 0x20;     // RO: OUT2
    private const long RefreshPeriodNs = 15_085;
    private const byte StateVersion = 1;

    private readonly Pit8254 _pit;
    private readonly VirtualClock _clock;
    private byte _value;

    public SystemControlPortB(Pit8254 pit, VirtualClock clock)
    {
        _pit = pit;
        _clock = clock;
    }

    public string Name => "port61";

    /// <summary>True while the PC speaker is driven by timer 2 (gate and data both set).</summary>
    public bool SpeakerEnabled => (_value & (Timer2Gate | SpeakerData)) == (Timer2Gate | SpeakerData);

    public void RegisterPorts(PortBus bus) => bus.Register(Port, 1, this);

    public uint Read(ushort port, int size)
    {
        if (port != Port) return 0xFF;
        int v = _value & WritableMask;
        if ((_clock.Now / RefreshPeriodNs & 1) != 0) v |= RefreshToggle;
        if (_pit.GetOutput(2)) v |= Timer2Output;
        return (uint)v;
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port != Port) return;
        _value = (byte)(value & WritableMask);
        _pit.SetGate(2, (_value & Timer2Gate) != 0);
    }

    public void Reset()
    {
        _value = 0;
        _pit.SetGate(2, false);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_value);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"port61: unsupported state version {version}");
        _value = (byte)(reader.ReadByte() & WritableMask);
    }
}
