namespace Emulator.Core.Bus;

/// <summary>A device's I/O-port handler. <paramref name="size"/> is 1, 2 or 4 bytes.</summary>
public interface IPortHandler
{
    uint Read(ushort port, int size);

    void Write(ushort port, int size, uint value);
}
