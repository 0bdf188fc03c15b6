using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>An Iced <see cref="CodeWriter"/> into a small reusable buffer (one instruction or one stub fragment).</summary>
public sealed class ByteCodeWriter : CodeWriter
{
    private byte[] _buffer = new byte[32];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public byte[] ToArray() => Written.ToArray();

    public override void WriteByte(byte value)
    {
        if (Length == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        _buffer[Length++] = value;
    }
}
