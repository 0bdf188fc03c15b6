using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The PC/AT interrupt controller pair: master 8259A at 0x20/0x21, slave at 0xA0/0xA1 cascaded on the master's IR2,
/// and the PIIX edge/level control registers (ELCR) at 0x4D0/0x4D1. IRQ inputs 0-15 are <see cref="IrqLines"/>;
/// the CPU polls <see cref="InterruptPending"/> and runs <see cref="Acknowledge"/>; an optional INTR line is driven too.
/// </summary>
public sealed class DualPic8259 : IDevice, IPortHandler, IInterruptController
{
    public const ushort MasterCommandPort = 0x20; // A0 = 0
    public const ushort MasterDataPort = 0x21;    // A0 = 1
    public const ushort SlaveCommandPort = 0xA0;
    public const ushort SlaveDataPort = 0xA1;
    public const ushort Elcr1Port = 0x4D0;        // PIIX ELCR1: IRQ0-7
    public const ushort Elcr2Port = 0x4D1;        // PIIX ELCR2: IRQ8-15
    private const byte Elcr1Mask = 0xF8;          // IRQ0, 1, 2 are always edge
    private const byte Elcr2Mask = 0xDE;          // IRQ8, 13 are always edge
    private const int CascadeIrq = 2;
    private const byte StateVersion = 1;

    private readonly Pic8259 _master = new(isMaster: true);
    private readonly Pic8259 _slave = new(isMaster: false);
    private readonly IInterruptLine? _intr;
    private readonly IInterruptLine[] _lines = new IInterruptLine[16];
    private bool _irq2Input;
    private bool _intrLevel;

    public DualPic8259(IInterruptLine? intr = null)
    {
        _intr = intr;
        for (int i = 0; i < 16; i++) _lines[i] = new InputLine(this, i);
    }

    public string Name => "pic";

    public Pic8259 Master => _master;

    public Pic8259 Slave => _slave;

    /// <summary>IRQ0-15 inputs (IRQ8-15 go to the slave's IR0-7).</summary>
    public IReadOnlyList<IInterruptLine> IrqLines => _lines;

    public bool InterruptPending => _intrLevel; // kept equal to the master's INT by Update()

    /// <summary>Raised whenever INTR changes (besides driving the optional INTR line).</summary>
    public event Action<bool>? IntrChanged;

    public void RegisterPorts(PortBus bus)
    {
        bus.Register(MasterCommandPort, 2, this);
        bus.Register(SlaveCommandPort, 2, this);
        bus.Register(Elcr1Port, 2, this);
    }

    public void SetIrq(int irq, bool high)
    {
        if ((uint)irq >= 16) return;
        if (irq >= 8)
        {
            _slave.SetInput(irq - 8, high);
        }
        else if (irq == CascadeIrq)
        {
            _irq2Input = high;
        }
        else
        {
            _master.SetInput(irq, high);
        }
        Update();
    }

    public byte Acknowledge()
    {
        byte vector;
        int irq = _master.Acknowledge(out bool spurious);
        if (spurious)
        {
            vector = _master.Vector(7);
        }
        else if (!_master.SingleMode && (_master.Icw3 & (1 << irq)) != 0)
        {
            int slaveIrq = _slave.Acknowledge(out _);
            vector = _slave.Vector(slaveIrq);
        }
        else
        {
            vector = _master.Vector(irq);
        }
        Update();
        return vector;
    }

    public uint Read(ushort port, int size)
    {
        uint result = 0;
        int n = size is 2 or 4 ? size : 1;
        for (int i = 0; i < n; i++) result |= (uint)ReadByte((ushort)(port + i)) << (8 * i);
        return result;
    }

    public void Write(ushort port, int size, uint value)
    {
        int n = size is 2 or 4 ? size : 1;
        for (int i = 0; i < n; i++) WriteByte((ushort)(port + i), (byte)(value >> (8 * i)));
    }

    private byte ReadByte(ushort port)
    {
        byte v;
        switch (port)
        {
            case MasterCommandPort: v = _master.Read(false); break;
            case MasterDataPort: v = _master.Read(true); break;
            case SlaveCommandPort: v = _slave.Read(false); break;
            case SlaveDataPort: v = _slave.Read(true); break;
            case Elcr1Port: return _master.Elcr;
            case Elcr2Port: return _slave.Elcr;
            default: return 0xFF;
        }
        Update(); // a poll read acknowledges
        return v;
    }

    private void WriteByte(ushort port, byte value)
    {
        switch (port)
        {
            case MasterCommandPort: _master.Write(false, value); break;
            case MasterDataPort: _master.Write(true, value); break;
            case SlaveCommandPort: _slave.Write(false, value); break;
            case SlaveDataPort: _slave.Write(true, value); break;
            case Elcr1Port: _master.Elcr = (byte)(value & Elcr1Mask); break;
            case Elcr2Port: _slave.Elcr = (byte)(value & Elcr2Mask); break;
            default: return;
        }
        Update();
    }

    private void Update()
    {
        _master.SetInput(CascadeIrq, _irq2Input || _slave.Int);
        bool level = _master.Int;
        if (level == _intrLevel) return;
        _intrLevel = level;
        _intr?.SetLevel(level);
        IntrChanged?.Invoke(level);
    }

    public void Reset()
    {
        _master.Reset();
        _slave.Reset();
        _irq2Input = false;
        Update();
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        _master.Save(writer);
        _slave.Save(writer);
        writer.Write(_irq2Input);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"pic: unsupported state version {version}");
        _master.Load(reader);
        _slave.Load(reader);
        _irq2Input = reader.ReadBoolean();
        _master.Elcr &= Elcr1Mask;
        _slave.Elcr &= Elcr2Mask;
        Update();
    }

    private sealed class InputLine(DualPic8259 owner, int irq) : IInterruptLine
    {
        public void SetLevel(bool high) => owner.SetIrq(irq, high);
    }
}
