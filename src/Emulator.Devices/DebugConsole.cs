using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The ISA debug console (Bochs/QEMU "debugcon", port 0xE9 or SeaBIOS's 0x402): every byte written goes to the host;
/// a read returns the readback value (0xE9 by default) so a guest can detect the device.
/// </summary>
public sealed class DebugConsole : IDevice, IPortHandler
{
    public const ushort SeaBiosPort = 0x402;
    public const ushort BochsPort = 0xE9;
    public const byte DefaultReadback = 0xE9;

    private readonly Action<byte> _output;

    public DebugConsole(Action<byte> output, ushort port = SeaBiosPort, byte readback = DefaultReadback)
    {
        _output = output;
        Port = port;
        Readback = readback;
    }

    /// <summary>Writes the console's bytes to <paramref name="stream"/> (flushed at each newline).</summary>
    public DebugConsole(Stream stream, ushort port = SeaBiosPort)
        : this(b =>
        {
            try
            {
                stream.WriteByte(b);
                if (b == (byte)'\n') stream.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The host side is gone; guest output is dropped.
            }
        }, port)
    {
    }

    public ushort Port { get; }

    public byte Readback { get; }

    public string Name => $"debugcon@{Port:x}";

    public void RegisterPorts(PortBus bus) => bus.Register(Port, 1, this);

    public uint Read(ushort port, int size) => port == Port ? Readback : 0xFFu;

    public void Write(ushort port, int size, uint value)
    {
        if (port != Port) return;
        _output((byte)value); // a wider OUT still carries one character: the low byte
    }

    public void Reset()
    {
    }

    public void SaveState(BinaryWriter writer) => writer.Write((byte)1);

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != 1) throw new InvalidDataException($"debugcon: unsupported state version {version}");
    }
}
