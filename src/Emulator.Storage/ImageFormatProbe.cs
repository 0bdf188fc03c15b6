using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Emulator.Storage;

/// <summary>Recognises image formats we do not read, so a QCOW2 file named <c>.raw.s2e</c> is refused instead of misread.</summary>
internal static class ImageFormatProbe
{
    // QCOW2/QCOW: "QFI\xfb" at offset 0 (QEMU qcow2 specification, header field "magic").
    // QED: "QED\0" at offset 0. VMDK sparse extent: "KDMV" at offset 0; VMDK descriptor: "# Disk DescriptorFile".
    // VDI: signature 0xBEDA107F (little-endian) at offset 0x40, after the 64-byte text pre-header.
    // VHDX: "vhdxfile" at offset 0. Dynamic VHD: footer copy "conectix" at offset 0.
    private const int VdiSignatureOffset = 0x40;
    private const uint VdiSignature = 0xBEDA107F;

    private static ReadOnlySpan<byte> QcowMagic => [0x51, 0x46, 0x49, 0xFB];

    /// <summary>The name of a non-raw format recognised in the first bytes, or <c>null</c> when the data may be raw.</summary>
    public static string? Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(QcowMagic))
        {
            return "qcow2";
        }

        if (head.StartsWith("QED\0"u8))
        {
            return "qed";
        }

        if (head.StartsWith("KDMV"u8) || head.StartsWith("# Disk DescriptorFile"u8))
        {
            return "vmdk";
        }

        if (head.StartsWith("vhdxfile"u8))
        {
            return "vhdx";
        }

        if (head.StartsWith("conectix"u8))
        {
            return "vpc";
        }

        if (head.Length >= VdiSignatureOffset + 4
            && BinaryPrimitives.ReadUInt32LittleEndian(head[VdiSignatureOffset..]) == VdiSignature)
        {
            return "vdi";
        }

        return null;
    }

    public static string? Detect(SafeFileHandle handle)
    {
        Span<byte> head = stackalloc byte[512];
        var read = RandomAccess.Read(handle, head, 0);
        return Detect(head[..read]);
    }
}
