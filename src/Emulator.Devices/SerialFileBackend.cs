namespace Emulator.Devices;

/// <summary>Guest serial output written to a host file (no input).</summary>
public sealed class SerialFileBackend : ISerialBackend
{
    private readonly SerialStreamBackend _inner;

    public SerialFileBackend(string path, bool append = false)
    {
        var stream = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        _inner = new SerialStreamBackend(null, stream, ownsStreams: true, flushEachByte: false);
    }

    public bool SupportsInput => false;

    public void Write(byte value) => _inner.Write(value);

    public bool TryRead(out byte value)
    {
        value = 0;
        return false;
    }

    public void Dispose() => _inner.Dispose();
}
