using System.Text;

namespace Emulator.Devices;

/// <summary>
/// A few ACPI Machine Language encodings (ACPI 6.x §20.2), enough to hand-assemble a small DSDT:
/// package lengths, names, integers, packages, scopes, devices and EISA IDs.
/// </summary>
public static class AcpiAml
{
    public const byte ZeroOp = 0x00;
    public const byte OneOp = 0x01;
    public const byte NameOp = 0x08;
    public const byte BytePrefix = 0x0A;
    public const byte WordPrefix = 0x0B;
    public const byte DWordPrefix = 0x0C;
    public const byte QWordPrefix = 0x0E;
    public const byte ScopeOp = 0x10;
    public const byte BufferOp = 0x11;
    public const byte PackageOp = 0x12;
    public const byte ExtOpPrefix = 0x5B;
    public const byte DeviceOp = 0x82;
    public const byte RootChar = 0x5C;
    public const byte OnesOp = 0xFF;

    /// <summary>
    /// §20.2.4 PkgLength: the length of the package including the PkgLength bytes themselves; one byte up to 63,
    /// otherwise a lead byte (bits 7:6 = number of following bytes, bits 3:0 = low nibble) and 1–3 more bytes.
    /// </summary>
    public static byte[] PackageLength(int contentLength)
    {
        if (contentLength < 0) throw new ArgumentOutOfRangeException(nameof(contentLength));
        if (contentLength + 1 <= 0x3F) return [(byte)(contentLength + 1)];
        for (int extra = 1; extra <= 3; extra++)
        {
            int total = contentLength + 1 + extra;
            if (total < 1 << (4 + 8 * extra))
            {
                var b = new byte[1 + extra];
                b[0] = (byte)((extra << 6) | (total & 0x0F));
                for (int i = 0; i < extra; i++) b[1 + i] = (byte)(total >> (4 + 8 * i));
                return b;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(contentLength), "AML package too large");
    }

    /// <summary>§20.2.3 Integer: ZeroOp, OneOp or the smallest constant prefix.</summary>
    public static byte[] Integer(ulong value) => value switch
    {
        0 => [ZeroOp],
        1 => [OneOp],
        <= 0xFF => [BytePrefix, (byte)value],
        <= 0xFFFF => [WordPrefix, (byte)value, (byte)(value >> 8)],
        <= 0xFFFF_FFFF => [DWordPrefix, (byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24)],
        _ => [QWordPrefix, .. BitConverter.GetBytes(value)],
    };

    /// <summary>A NameSeg: four characters, padded with '_'. A leading '\' makes a root path.</summary>
    public static byte[] NameString(string name)
    {
        var b = new List<byte>();
        if (name.StartsWith('\\'))
        {
            b.Add(RootChar);
            name = name[1..];
        }
        if (name.Length is 0 or > 4) throw new ArgumentException("only single NameSegs are supported", nameof(name));
        b.AddRange(Encoding.ASCII.GetBytes(name.PadRight(4, '_')));
        return b.ToArray();
    }

    /// <summary>DefName := NameOp NameString DataRefObject.</summary>
    public static byte[] Name(string name, byte[] value) => [NameOp, .. NameString(name), .. value];

    /// <summary>DefPackage := PackageOp PkgLength NumElements PackageElementList.</summary>
    public static byte[] Package(params byte[][] elements)
    {
        byte[] body = [(byte)elements.Length, .. elements.SelectMany(e => e)];
        return [PackageOp, .. PackageLength(body.Length), .. body];
    }

    /// <summary>DefBuffer := BufferOp PkgLength BufferSize ByteList.</summary>
    public static byte[] Buffer(byte[] bytes)
    {
        byte[] body = [.. Integer((ulong)bytes.Length), .. bytes];
        return [BufferOp, .. PackageLength(body.Length), .. body];
    }

    /// <summary>DefScope := ScopeOp PkgLength NameString TermList.</summary>
    public static byte[] Scope(string name, params byte[][] terms)
    {
        byte[] body = [.. NameString(name), .. terms.SelectMany(t => t)];
        return [ScopeOp, .. PackageLength(body.Length), .. body];
    }

    /// <summary>DefDevice := ExtOpPrefix DeviceOp PkgLength NameString TermList.</summary>
    public static byte[] Device(string name, params byte[][] terms)
    {
        byte[] body = [.. NameString(name), .. terms.SelectMany(t => t)];
        return [ExtOpPrefix, DeviceOp, .. PackageLength(body.Length), .. body];
    }

    /// <summary>EISAID("PNP0A03"): three compressed letters and four hex digits as a DWordConst.</summary>
    public static byte[] EisaId(string id)
    {
        if (id.Length != 7) throw new ArgumentException("EISA ID is 3 letters and 4 hex digits", nameof(id));
        int vendor = ((id[0] - 0x40) << 10) | ((id[1] - 0x40) << 5) | (id[2] - 0x40);
        int product = Convert.ToInt32(id[3..], 16);
        return [DWordPrefix, (byte)(vendor >> 8), (byte)vendor, (byte)(product >> 8), (byte)product];
    }
}
