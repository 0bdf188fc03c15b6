using System.Buffers.Binary;
using System.Text;

namespace Emulator.Storage;

/// <summary>
/// Layout of a snapshot file (all integers little-endian):
/// <code>
/// header    "EMUSNAP\x1a" | u32 version | u32 N | payload[N] | u32 crc32c(everything before)
///           payload: str name | str machine-config | u8 has-fingerprint [i64 size | i64 mtime ticks UTC | u8 32 | sha256]
///                    | i64 created (Unix ms) | i64 vm clock ns            (str = u32 length + UTF-8)
/// sections  contiguous, each a run of chunks: u32 raw length (1..1 MiB) | u32 stored length | stored bytes
///           (stored 0 = all zero, stored = raw = plain, else LZ4 block)
/// directory u32 count | count × (u16 name length | name | u8 flags | i64 offset | i64 stored | i64 raw
///           | u32 crc32c(stored bytes) | u32 crc32c(raw bytes))
/// footer    "EMUSNEND" | i64 directory offset | u32 directory length | u32 crc32c(directory) | i64 file length
/// </code>
/// </summary>
internal static class SnapshotFormat
{
    public const int ChunkSize = 1 << 20;
    public const int ChunkHeaderSize = 8;
    public const int PrefixSize = 16;
    public const int FooterSize = 32;
    public const int MaxHeaderPayload = 1 << 20;
    public const int MaxSections = 4096;
    public const int MaxNameBytes = 255;
    public const int HashLength = 32;
    public const byte FlagCompressed = 1;

    public static ReadOnlySpan<byte> Magic => [0x45, 0x4D, 0x55, 0x53, 0x4E, 0x41, 0x50, 0x1A]; // "EMUSNAP\x1a"

    public static ReadOnlySpan<byte> FooterMagic => "EMUSNEND"u8;

    public static byte[] EncodeHeader(SnapshotInfo info)
    {
        var payload = new ByteWriter();
        payload.String(info.Name);
        payload.String(info.MachineConfig);
        if (info.BaseImage is { } fp)
        {
            payload.U8(1);
            payload.I64(fp.Size);
            payload.I64(fp.ModifiedUtc.Ticks);
            payload.U8((byte)fp.SampleHash.Length);
            payload.Bytes(fp.SampleHash);
        }
        else
        {
            payload.U8(0);
        }

        payload.I64(info.Created.ToUnixTimeMilliseconds());
        payload.I64(info.VmClockNs);
        var body = payload.ToArray();
        if (body.Length > MaxHeaderPayload)
        {
            throw new StorageException("snapshot header is too large (machine configuration over 1 MiB?)");
        }

        var header = new byte[PrefixSize + body.Length + 4];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)SnapshotFile.FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)body.Length);
        body.CopyTo(header.AsSpan(PrefixSize));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(PrefixSize + body.Length), Crc32C.Compute(header.AsSpan(0, PrefixSize + body.Length)));
        return header;
    }

    /// <summary>Checks the prefix and returns the payload length; <paramref name="what"/> names the file in messages.</summary>
    public static int CheckPrefix(ReadOnlySpan<byte> prefix, long fileLength, string what)
    {
        if (fileLength < PrefixSize + 4 + FooterSize || prefix.Length < PrefixSize)
        {
            throw new StorageException($"{what} is not a snapshot file (too short: {fileLength} bytes)");
        }

        if (!prefix[..8].SequenceEqual(Magic))
        {
            throw new StorageException($"{what} is not a snapshot file (bad magic)");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (version != SnapshotFile.FormatVersion)
        {
            throw new StorageException($"{what} has snapshot format version {version}; this build reads version {SnapshotFile.FormatVersion}");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix[12..]);
        if (length > MaxHeaderPayload || PrefixSize + length + 4 + FooterSize > fileLength)
        {
            throw new StorageException($"{what} is damaged (header length {length} does not fit the file)");
        }

        return (int)length;
    }

    public static SnapshotInfo DecodeHeader(ReadOnlySpan<byte> header, string path, long fileLength, string what)
    {
        var length = header.Length - PrefixSize - 4;
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(header[(PrefixSize + length)..]);
        if (Crc32C.Compute(header[..(PrefixSize + length)]) != stored)
        {
            throw new StorageException($"{what} is damaged (header checksum mismatch)");
        }

        var r = new ByteReader(header.Slice(PrefixSize, length), what + " header");
        var name = r.String();
        var config = r.String();
        ImageFingerprint? fingerprint = null;
        switch (r.U8())
        {
            case 0:
                break;
            case 1:
                var size = r.I64();
                var ticks = r.I64();
                var hashLength = r.U8();
                if (size < 0 || ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks || hashLength != HashLength)
                {
                    throw new StorageException($"{what} is damaged (bad base-image fingerprint)");
                }

                fingerprint = new ImageFingerprint(size, new DateTime(ticks, DateTimeKind.Utc), r.Bytes(hashLength).ToArray());
                break;
            default:
                throw new StorageException($"{what} is damaged (bad base-image flag)");
        }

        var createdMs = r.I64();
        var vmClock = r.I64();
        if (createdMs < -62135596800000L || createdMs > 253402300799999L)
        {
            throw new StorageException($"{what} is damaged (bad creation date)");
        }

        r.End();
        return new SnapshotInfo
        {
            Name = name,
            Path = path,
            FileSize = fileLength,
            MachineConfig = config,
            BaseImage = fingerprint,
            Created = DateTimeOffset.FromUnixTimeMilliseconds(createdMs),
            VmClockNs = vmClock,
        };
    }

    internal sealed class ByteWriter
    {
        private readonly MemoryStream _stream = new();

        public void U8(byte value) => _stream.WriteByte(value);

        public void U16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            _stream.Write(b);
        }

        public void U32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            _stream.Write(b);
        }

        public void I64(long value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, value);
            _stream.Write(b);
        }

        public void Bytes(ReadOnlySpan<byte> value) => _stream.Write(value);

        public void String(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            U32((uint)bytes.Length);
            Bytes(bytes);
        }

        public byte[] ToArray() => _stream.ToArray();
    }

    /// <summary>Bounds-checked reader: running off the end is a <see cref="StorageException"/>, never a crash.</summary>
    internal ref struct ByteReader(ReadOnlySpan<byte> data, string what)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly int Remaining => _data.Length - _position;

        public byte U8() => Bytes(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

        public string String()
        {
            var length = U32();
            if (length > (uint)Remaining)
            {
                throw new StorageException($"{what} is damaged (string runs past the end)");
            }

            return Encoding.UTF8.GetString(Bytes((int)length));
        }

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > Remaining)
            {
                throw new StorageException($"{what} is damaged (truncated)");
            }

            var slice = _data.Slice(_position, count);
            _position += count;
            return slice;
        }

        public readonly void End()
        {
            if (Remaining != 0)
            {
                throw new StorageException($"{what} is damaged ({Remaining} unexpected bytes)");
            }
        }
    }
}
