using System.Net;
using System.Net.Sockets;
using Emulator.Machine;

namespace Emulator.Cli;

/// <summary>
/// A listening socket for -monitor/-qmp (tcp:HOST:PORT,server,nowait or unix:PATH,server,nowait): one client at a
/// time, each served by <c>session</c> on a background thread until it disconnects; then the next client is accepted.
/// </summary>
public sealed class MonitorSocketServer : IDisposable
{
    private readonly Socket _listener;
    private readonly string? _unixPath;
    private readonly Action<Stream> _session;
    private Socket? _client;
    private volatile bool _disposed;

    private MonitorSocketServer(Socket listener, string? unixPath, Action<Stream> session)
    {
        _listener = listener;
        _unixPath = unixPath;
        _session = session;
    }

    /// <summary>The TCP port listened on (useful with port 0), or -1 for a unix socket.</summary>
    public int Port => _listener.LocalEndPoint is IPEndPoint ip ? ip.Port : -1;

    public static MonitorSocketServer Listen(string option, string spec, Action<Stream> session)
    {
        var (host, port, unixPath) = OptionParser.ParseMonitorSocket(option, spec);
        Socket listener;
        try
        {
            if (unixPath is not null)
            {
                if (File.Exists(unixPath)) File.Delete(unixPath); // a stale socket of an earlier run, as QEMU does
                listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                listener.Bind(new UnixDomainSocketEndPoint(unixPath));
            }
            else
            {
                IPAddress address = host is null ? IPAddress.Loopback
                    : IPAddress.TryParse(host, out var a) ? a
                    : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new EmulatorException($"{option}: host '{host}' has no address");
                listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Bind(new IPEndPoint(address, port));
            }
            listener.Listen(1);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new EmulatorException($"{option}: could not listen on '{spec}': {e.Message}", e);
        }
        var server = new MonitorSocketServer(listener, unixPath, session);
        new Thread(server.AcceptLoop) { IsBackground = true, Name = option + " server" }.Start();
        return server;
    }

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            _client = client;
            try
            {
                using var stream = new NetworkStream(client, ownsSocket: true);
                _session(stream);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The client went away; accept the next one.
            }
            finally
            {
                _client = null;
                client.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            _client?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _client?.Dispose();
        _listener.Dispose();
        if (_unixPath is not null)
        {
            try
            {
                File.Delete(_unixPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
