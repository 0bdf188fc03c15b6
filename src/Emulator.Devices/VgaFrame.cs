namespace Emulator.Devices;

/// <summary>A rendered picture: <see cref="Width"/> × <see cref="Height"/> pixels, each 0xAABBGGRR (bytes R, G, B, A in memory).</summary>
public sealed class VgaFrame
{
    public VgaFrame(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        Width = width;
        Height = height;
        Pixels = new uint[checked(width * height)];
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major pixels, 0xAABBGGRR.</summary>
    public uint[] Pixels { get; }

    public uint this[int x, int y] => Pixels[y * Width + x];

    /// <summary>The colour at (x, y) as 8-bit red, green, blue.</summary>
    public (byte R, byte G, byte B) GetRgb(int x, int y)
    {
        uint p = Pixels[y * Width + x];
        return ((byte)p, (byte)(p >> 8), (byte)(p >> 16));
    }

    public static uint Pack(byte r, byte g, byte b) => r | ((uint)g << 8) | ((uint)b << 16) | 0xFF00_0000u;

    /// <summary>Writes the frame as a PNG file (8-bit RGBA).</summary>
    public void SavePng(string path) => File.WriteAllBytes(path, VgaPng.Encode(this));
}
