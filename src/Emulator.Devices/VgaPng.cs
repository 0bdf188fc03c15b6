using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Emulator.Devices;

/// <summary>
/// A minimal PNG writer (ISO/IEC 15948 / W3C PNG 2nd ed.): signature, IHDR (8-bit RGBA, colour type 6), one IDAT
/// holding the zlib stream of filter-type-0 scan lines, IEND. Chunk CRCs are CRC-32 (polynomial 0xEDB88320).
/// </summary>
public static class VgaPng
{
    /// <summary>PNG §5.2: the eight-byte signature.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly uint[] CrcTable = BuildCrcTable();

    public static byte[] Encode(VgaFrame frame)
    {
        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)frame.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)frame.Height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 6;  // colour type: truecolour with alpha
        ihdr[10] = 0; // compression method: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR", ihdr);

        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                byte[] row = new byte[1 + frame.Width * 4];
                for (int y = 0; y < frame.Height; y++)
                {
                    row[0] = 0; // filter type None
                    for (int x = 0; x < frame.Width; x++)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(row.AsSpan(1 + x * 4), frame.Pixels[y * frame.Width + x]);
                    }
                    z.Write(row);
                }
            }
            WriteChunk(output, "IDAT", compressed.ToArray());
        }
        WriteChunk(output, "IEND", ReadOnlySpan<byte>.Empty);
        return output.ToArray();
    }

    /// <summary>CRC-32 as PNG §5.5 defines it (ISO 3309 / ITU-T V.42), over <paramref name="data"/>.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data) => UpdateCrc(0xFFFF_FFFFu, data) ^ 0xFFFF_FFFFu;

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        output.Write(header);
        output.Write(data);
        uint crc = UpdateCrc(0xFFFF_FFFFu, header[4..]);
        crc = UpdateCrc(crc, data) ^ 0xFFFF_FFFFu;
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(trailer);
    }

    private static uint UpdateCrc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
