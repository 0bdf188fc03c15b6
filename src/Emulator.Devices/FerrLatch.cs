using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The PC/AT coprocessor error latch: the FPU's FERR# sets it and drives IRQ13; a write to port 0xF0 clears it
/// (and the FPU's busy/IGNNE# logic). Used by OSes that run with CR0.NE = 0 (DOS-style error reporting).
/// </summary>
public sealed class FerrLatch : IDevice, IPortHandler
{
    /// <summary>Coprocessor clear-busy/reset port (IBM PC/AT technical reference, I/O map).</summary>
    public const ushort ClearPort = 0xF0;

    private const byte StateVersion = 1;
    private readonly IInterruptLine _irq13;
    private readonly Action _clearFerr;

    public FerrLatch(IInterruptLine irq13, Action clearFerr)
    {
        _irq13 = irq13;
        _clearFerr = clearFerr;
    }

    public string Name => "ferr";

    public bool Asserted { get; private set; }

    public void RegisterPorts(PortBus ports) => ports.Register(ClearPort, 1, this);

    /// <summary>FERR# from the FPU: latch it and raise IRQ13 (held until cleared).</summary>
    public void Assert()
    {
        Asserted = true;
        _irq13.SetLevel(true);
    }

    public uint Read(ushort port, int size) => 0xFF;

    public void Write(ushort port, int size, uint value)
    {
        Asserted = false;
        _irq13.SetLevel(false);
        _clearFerr();
    }

    public void Reset()
    {
        Asserted = false;
        _irq13.SetLevel(false);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(Asserted);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"ferr: unsupported state version {version}");
        Asserted = reader.ReadBoolean();
        _irq13.SetLevel(Asserted);
    }
}
