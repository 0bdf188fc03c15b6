namespace Emulator.Devices;

/// <summary>
/// The host side of a serial port. <see cref="Write"/> and <see cref="TryRead"/> are called on the machine's thread;
/// a back end that receives host input on another thread queues it for <see cref="TryRead"/>.
/// </summary>
public interface ISerialBackend : IDisposable
{
    /// <summary>True if the back end can ever deliver input (the UART polls it only then).</summary>
    bool SupportsInput { get; }

    /// <summary>One byte the guest transmitted.</summary>
    void Write(byte value);

    /// <summary>Non-blocking: the next byte from the host, if one is waiting.</summary>
    bool TryRead(out byte value);
}
