namespace Emulator.Devices;

/// <summary>The serial port on the emulator's standard input and output.</summary>
public sealed class SerialStdioBackend : ISerialBackend
{
    private readonly SerialStreamBackend _inner;
    private readonly bool _withInput;

    public SerialStdioBackend(bool withInput = true)
    {
        _withInput = withInput;
        _inner = new SerialStreamBackend(withInput ? Console.OpenStandardInput() : null, Console.OpenStandardOutput(),
            ownsStreams: false, flushEachByte: true);
    }

    public bool SupportsInput => _withInput;

    public void Write(byte value) => _inner.Write(value);

    public bool TryRead(out byte value) => _inner.TryRead(out value);

    public void Dispose() => _inner.Dispose();
}
