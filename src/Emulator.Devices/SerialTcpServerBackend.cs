using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Emulator.Devices;

/// <summary>
/// The serial port as a TCP server (like <c>-serial tcp::PORT,server,nowait</c>): one client at a time; while
/// none is connected, guest output is dropped. A new client is accepted after the previous one disconnects.
/// </summary>
public sealed class SerialTcpServerBackend : ISerialBackend
{
    private const int MaxQueuedInput = 1 << 20;

    private readonly TcpListener _listener;
    private readonly ConcurrentQueue<byte> _received = new();
    private readonly Thread _acceptThread;
    private readonly object _gate = new();
    private Socket? _client;
    private volatile bool _disposed;

    /// <param name="port">TCP port; 0 picks a free one (see <see cref="LocalPort"/>).</param>
    public SerialTcpServerBackend(int port, IPAddress? address = null)
    {
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _listener.Start(1);
        LocalPort = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "serial tcp" };
        _acceptThread.Start();
    }

    public int LocalPort { get; }

    public bool SupportsInput => true;

    public bool ClientConnected
    {
        get
        {
            lock (_gate) return _client is not null;
        }
    }

    public void Write(byte value)
    {
        Socket? client;
        lock (_gate) client = _client;
        if (client is null) return;
        try
        {
            client.Send([value]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            DropClient(client);
        }
    }

    public bool TryRead(out byte value) => _received.TryDequeue(out value);

    private void AcceptLoop()
    {
        var buffer = new byte[4096];
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.AcceptSocket();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            client.NoDelay = true;
            client.SendTimeout = 2000;
            lock (_gate) _client = client;
            try
            {
                while (!_disposed)
                {
                    int n = client.Receive(buffer);
                    if (n <= 0) break;
                    for (int i = 0; i < n && _received.Count < MaxQueuedInput; i++) _received.Enqueue(buffer[i]);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            DropClient(client);
        }
    }

    private void DropClient(Socket client)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_client, client)) _client = null;
        }
        try
        {
            client.Dispose();
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _listener.Stop();
        Socket? client;
        lock (_gate)
        {
            client = _client;
            _client = null;
        }
        client?.Dispose();
    }
}
