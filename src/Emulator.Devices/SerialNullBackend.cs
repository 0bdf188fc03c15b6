namespace Emulator.Devices;

/// <summary>A serial back end with nothing attached: output is discarded, no input arrives.</summary>
public sealed class SerialNullBackend : ISerialBackend
{
    public bool SupportsInput => false;

    public void Write(byte value)
    {
    }

    public bool TryRead(out byte value)
    {
        value = 0;
        return false;
    }

    public void Dispose()
    {
    }
}
