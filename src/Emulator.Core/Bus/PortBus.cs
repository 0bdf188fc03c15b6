using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Emulator.Core.Bus;

/// <summary>
/// The 64 KiB I/O port space. Unclaimed ports read as all ones and ignore writes (an ISA bus with nothing on it);
/// each unclaimed port is logged once.
/// </summary>
public sealed class PortBus
{
    private readonly IPortHandler?[] _handlers = new IPortHandler?[0x10000];
    private readonly HashSet<ushort> _reported = new();
    private readonly ILogger _logger;

    public PortBus(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
    }

    public void Register(ushort first, int count, IPortHandler handler)
    {
        if (count <= 0 || first + count > 0x10000) throw new ArgumentOutOfRangeException(nameof(count));
        for (int i = 0; i < count; i++) _handlers[first + i] = handler;
    }

    public void Unregister(ushort first, int count)
    {
        if (count <= 0 || first + count > 0x10000) throw new ArgumentOutOfRangeException(nameof(count));
        for (int i = 0; i < count; i++) _handlers[first + i] = null;
    }

    public IPortHandler? HandlerAt(ushort port) => _handlers[port];

    public uint Read(ushort port, int size)
    {
        var h = _handlers[port];
        if (h is null)
        {
            Unclaimed(port, "read");
            return size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };
        }
        uint v = h.Read(port, size);
        return size switch { 1 => v & 0xFF, 2 => v & 0xFFFF, _ => v };
    }

    public void Write(ushort port, int size, uint value)
    {
        var h = _handlers[port];
        if (h is null)
        {
            Unclaimed(port, "write");
            return;
        }
        h.Write(port, size, value);
    }

    private void Unclaimed(ushort port, string what)
    {
        if (_reported.Count < 4096 && _reported.Add(port))
        {
            _logger.LogDebug("Unclaimed I/O port {Port:X4} {What}", port, what);
        }
    }
}
