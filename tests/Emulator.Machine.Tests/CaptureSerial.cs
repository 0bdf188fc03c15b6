using System.Text;
using Emulator.Devices;

namespace Emulator.Machine.Tests;

/// <summary>A serial back end that records what the guest transmits.</summary>
public sealed class CaptureSerial : ISerialBackend
{
    private readonly List<byte> _bytes = new();

    public bool SupportsInput => false;

    public string Text => Encoding.Latin1.GetString(_bytes.ToArray());

    public void Write(byte value) => _bytes.Add(value);

    public bool TryRead(out byte value)
    {
        value = 0;
        return false;
    }

    public void Dispose()
    {
    }
}
