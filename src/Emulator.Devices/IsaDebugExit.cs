using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// QEMU's isa-debug-exit: a write of value v to the device's ports asks the emulator to exit with status (v &lt;&lt; 1) | 1
/// (so a guest can never report 0). Options as in QEMU: iobase (default 0x501), iosize (default 2).
/// </summary>
public sealed class IsaDebugExit : IDevice, IPortHandler
{
    public const ushort DefaultIoBase = 0x501;
    public const int DefaultIoSize = 2;

    private readonly Action<int> _exitRequested;

    public IsaDebugExit(Action<int> exitRequested, ushort ioBase = DefaultIoBase, int ioSize = DefaultIoSize)
    {
        if (ioSize is < 1 or > 4 || ioBase + ioSize > 0x10000) throw new ArgumentOutOfRangeException(nameof(ioSize));
        _exitRequested = exitRequested;
        IoBase = ioBase;
        IoSize = ioSize;
    }

    public ushort IoBase { get; }

    public int IoSize { get; }

    /// <summary>The exit status requested last, if any.</summary>
    public int? RequestedExitCode { get; private set; }

    public string Name => $"isa-debug-exit@{IoBase:x}";

    public void RegisterPorts(PortBus bus) => bus.Register(IoBase, IoSize, this);

    public uint Read(ushort port, int size) => 0;

    public void Write(ushort port, int size, uint value)
    {
        if (port < IoBase || port >= IoBase + IoSize) return;
        uint mask = size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };
        int code = unchecked((int)(((value & mask) << 1) | 1));
        RequestedExitCode = code;
        _exitRequested(code);
    }

    public void Reset()
    {
    }

    public void SaveState(BinaryWriter writer) => writer.Write((byte)1);

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != 1) throw new InvalidDataException($"isa-debug-exit: unsupported state version {version}");
    }
}
