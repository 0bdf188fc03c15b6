using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Emulator.Linux.Tests;

/// <summary>
/// A PNG reader for the tests, written from the PNG specification (W3C PNG 2nd edition) and independent of the
/// emulator's writer: chunks, IHDR, the zlib stream of all IDAT chunks, and the five scan-line filter types
/// (§9.2, with the Paeth predictor of §9.4). Supports 8-bit truecolour (type 2) and truecolour with alpha (type 6).
/// </summary>
public sealed class PngImage
{
    private PngImage(int width, int height, byte[] rgb)
    {
        Width = width;
        Height = height;
        _rgb = rgb;
    }

    private readonly byte[] _rgb;

    public int Width { get; }

    public int Height { get; }

    /// <summary>The pixel at (<paramref name="x"/>, <paramref name="y"/>) as 0xRRGGBB.</summary>
    public int this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return (_rgb[i] << 16) | (_rgb[i + 1] << 8) | _rgb[i + 2];
        }
    }

    public static PngImage Load(string path) => Decode(File.ReadAllBytes(path));

    public static PngImage Decode(byte[] file)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(signature)) throw new InvalidDataException("not a PNG file");
        int width = 0, height = 0, colourType = -1;
        using var idat = new MemoryStream();
        int at = 8;
        while (at + 12 <= file.Length)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at)));
            string type = Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    if (data[8] != 8) throw new InvalidDataException("only 8-bit samples are supported");
                    colourType = data[9];
                    if (colourType is not (2 or 6)) throw new InvalidDataException($"colour type {colourType} is not supported");
                    if (data[12] != 0) throw new InvalidDataException("interlaced PNG is not supported");
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }
            at += 12 + length;
            if (type == "IEND") break;
        }
        if (width <= 0 || height <= 0) throw new InvalidDataException("no IHDR");
        int channels = colourType == 6 ? 4 : 3;
        int stride = width * channels;
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new byte[(stride + 1) * height];
        z.ReadExactly(raw);

        var previous = new byte[stride];
        var line = new byte[stride];
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            var src = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? line[i - channels] : 0;
                int b = previous[i];
                int c = i >= channels ? previous[i - channels] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter type {filter}"),
                };
                line[i] = (byte)(src[i] + predictor);
            }
            for (int x = 0; x < width; x++)
            {
                rgb[(y * width + x) * 3] = line[x * channels];
                rgb[(y * width + x) * 3 + 1] = line[x * channels + 1];
                rgb[(y * width + x) * 3 + 2] = line[x * channels + 2];
            }
            (previous, line) = (line, previous);
        }
        return new PngImage(width, height, rgb);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
