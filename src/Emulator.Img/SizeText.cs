using System.Globalization;

namespace Emulator.Img;

/// <summary>Sizes as qemu-img reads and prints them.</summary>
internal static class SizeText
{
    private static readonly string[] Units = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    /// <summary>
    /// Parses "1073741824", "512k", "10M", "1.5G", "2T" … (suffixes k/K M G T P E are powers of 1024,
    /// case-insensitive, B means bytes; no suffix means bytes). Null when it is not a size.
    /// </summary>
    public static long? Parse(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var shift = 0;
        var number = text;
        switch (char.ToUpperInvariant(text[^1]))
        {
            case 'B': number = text[..^1]; break;
            case 'K': shift = 10; number = text[..^1]; break;
            case 'M': shift = 20; number = text[..^1]; break;
            case 'G': shift = 30; number = text[..^1]; break;
            case 'T': shift = 40; number = text[..^1]; break;
            case 'P': shift = 50; number = text[..^1]; break;
            case 'E': shift = 60; number = text[..^1]; break;
        }

        if (number.Length == 0 || !number.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return null;
        }

        if (!number.Contains('.'))
        {
            if (!ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var whole))
            {
                return -1;
            }

            var value = (UInt128)whole << shift;
            return value > long.MaxValue ? -1 : (long)value;
        }

        if (shift == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var fraction))
        {
            return null; // fractions only make sense with a unit (qemu refuses fractional bytes)
        }

        var bytes = (double)fraction * Math.Pow(2, shift);
        return bytes >= long.MaxValue ? -1 : (long)bytes;
    }

    /// <summary>qemu's size_to_str: 3 significant digits and a binary unit ("1 GiB", "0.977 GiB", "512 B").</summary>
    public static string Format(long bytes)
    {
        var i = 0;
        if (bytes > 0)
        {
            // Switch to the larger unit once the value reaches 1000 of the smaller one.
            var exponent = (int)Math.Floor(Math.Log2(bytes / (1000.0 / 1024.0))) + 1;
            i = Math.Min((exponent - 1) / 10, Units.Length - 1);
        }

        var value = bytes / Math.Pow(2, i * 10);
        return value.ToString("G3", CultureInfo.InvariantCulture) + " " + Units[i] + "B";
    }
}
