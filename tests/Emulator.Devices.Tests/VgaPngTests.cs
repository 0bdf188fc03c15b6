using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>The PNG writer against the PNG specification: signature, chunk layout, IHDR fields, CRC-32, zlib IDAT.</summary>
public class VgaPngTests
{
    [Fact]
    public void Crc32MatchesTheStandardCheckValue()
    {
        // The CRC-32 (ISO 3309) check value for the ASCII string "123456789" is CBF43926h.
        Assert.Equal(0xCBF4_3926u, VgaPng.Crc32(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, VgaPng.Crc32([]));
    }

    [Fact]
    public void IendChunkHasTheWellKnownCrc()
    {
        var png = VgaPng.Encode(new VgaFrame(1, 1));
        // Every PNG ends with 00000000 "IEND" AE426082.
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82 }, png[^12..]);
    }

    [Fact]
    public void EncodedFrameDecodesBackWithValidChunks()
    {
        var frame = new VgaFrame(3, 2);
        for (int i = 0; i < 6; i++) frame.Pixels[i] = VgaFrame.Pack((byte)(i * 40), (byte)(255 - i), (byte)(i * 7));
        byte[] png = VgaPng.Encode(frame);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);

        var chunks = new List<(string Type, byte[] Data)>();
        int pos = 8;
        while (pos < png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            byte[] data = png[(pos + 8)..(pos + 8 + length)];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(VgaPng.Crc32(png.AsSpan(pos + 4, 4 + length)), crc); // CRC covers type and data
            chunks.Add((type, data));
            pos += 12 + length;
        }
        Assert.Equal(png.Length, pos);
        Assert.Equal(new[] { "IHDR", "IDAT", "IEND" }, chunks.Select(c => c.Type));

        byte[] ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(ihdr));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4)));
        Assert.Equal(new byte[] { 8, 6, 0, 0, 0 }, ihdr[8..]); // depth 8, RGBA, deflate, filter 0, no interlace

        using var z = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] scan = raw.ToArray();
        Assert.Equal(2 * (1 + 3 * 4), scan.Length);
        for (int y = 0; y < 2; y++)
        {
            Assert.Equal(0, scan[y * 13]); // filter type None
            for (int x = 0; x < 3; x++)
            {
                int i = y * 3 + x;
                int o = y * 13 + 1 + x * 4;
                Assert.Equal(new byte[] { (byte)(i * 40), (byte)(255 - i), (byte)(i * 7), 255 }, scan[o..(o + 4)]);
            }
        }
    }

    [Fact]
    public void SavePngWritesTheScreen()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        string path = Path.Combine(Path.GetTempPath(), $"vga-{Guid.NewGuid():N}.png");
        try
        {
            vga.SavePng(path);
            byte[] png = File.ReadAllBytes(path);
            Assert.Equal(720u, BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(16)));
            Assert.Equal(400u, BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(20)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
