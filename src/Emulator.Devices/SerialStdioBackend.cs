namespace Emulator.Devices;

/// <summary>The serial port on the emulator's standard input and output.</summary>
public sealed class SerialStdioBackend : ISerialBackend
{
    private readonly SerialStreamBackend _inner;

    public SerialStdioBackend(bool withInput = true)
    {
        _inner = new SerialStreamBackend(withInput ? Console.OpenStandardInput() : null, Console.OpenStandardOutput(),
            ownsStreams: false, flushEachByte: true);
    }

    public bool SupportsInput => _inner.SupportsInput;

    public void Write(byte value) => _inner.Write(value);

    public bool TryRead(out byte value) => _inner.TryRead(out value);

    public void Dispose() => _inner.Dispose();
}
