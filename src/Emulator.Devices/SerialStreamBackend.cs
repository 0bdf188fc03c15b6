using System.Collections.Concurrent;

namespace Emulator.Devices;

/// <summary>
/// A serial back end over host streams: guest output goes to <c>output</c>; <c>input</c> (if any) is read on a
/// background thread and queued for the UART.
/// </summary>
public sealed class SerialStreamBackend : ISerialBackend
{
    private const int MaxQueuedInput = 1 << 20;

    private readonly Stream? _input;
    private readonly Stream? _output;
    private readonly bool _ownsStreams;
    private readonly bool _flushEachByte;
    private readonly ConcurrentQueue<byte> _received = new();
    private readonly Thread? _reader;
    private volatile bool _disposed;

    public SerialStreamBackend(Stream? input, Stream? output, bool ownsStreams = true, bool flushEachByte = true)
    {
        _input = input;
        _output = output;
        _ownsStreams = ownsStreams;
        _flushEachByte = flushEachByte;
        if (input is not null)
        {
            _reader = new Thread(ReadLoop) { IsBackground = true, Name = "serial input" };
            _reader.Start();
        }
    }

    /// <summary>Always true: input comes from the input stream (if any) and from <see cref="Inject"/>.</summary>
    public bool SupportsInput => true;

    public void Write(byte value)
    {
        if (_output is null || _disposed) return;
        try
        {
            _output.WriteByte(value);
            if (_flushEachByte || value == (byte)'\n') _output.Flush();
        }
        catch (IOException)
        {
            // The host side went away (closed pipe); the guest's output is dropped like on a cut line.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public bool TryRead(out byte value) => _received.TryDequeue(out value);

    /// <summary>Queues host input as if it arrived on the line (used by the input thread and by tests).</summary>
    public void Inject(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            if (_received.Count >= MaxQueuedInput) return;
            _received.Enqueue(b);
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        try
        {
            while (!_disposed)
            {
                int n = _input!.Read(buffer, 0, buffer.Length);
                if (n <= 0) return;
                Inject(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            // End of input.
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            _output?.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
        if (_ownsStreams)
        {
            _output?.Dispose();
            _input?.Dispose();
        }
    }
}
