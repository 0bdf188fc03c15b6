using System.Buffers.Binary;
using System.Text;

namespace Emulator.Machine.Tests;

/// <summary>
/// Builds a small ISO 9660 image (ECMA-119) with an El Torito boot catalog ("El Torito" Bootable CD-ROM Format
/// Specification 1.0): system area, primary volume descriptor at sector 16, boot record volume descriptor at 17,
/// terminator at 18, L and M path tables, a root directory holding the added files, the boot catalog (validation
/// entry + initial/default "no emulation" entry) and the boot image. Files are placed in order after the boot image.
/// </summary>
public sealed class IsoImageBuilder
{
    public const int SectorSize = 2048;

    // ECMA-119 §8.1: volume descriptor types.
    private const byte TypeBootRecord = 0;
    private const byte TypePrimary = 1;
    private const byte TypeTerminator = 255;

    // Fixed layout (logical sectors).
    private const int PvdSector = 16;
    private const int BootRecordSector = 17;
    private const int TerminatorSector = 18;
    private const int LPathTableSector = 19;
    private const int MPathTableSector = 20;
    private const int RootDirSector = 21;
    private const int BootCatalogSector = 22;
    private const int BootImageSector = 23;

    private readonly List<(string Name, byte[] Data)> _files = new();
    private byte[] _bootImage = [];

    /// <summary>Real-mode segment the BIOS loads the boot image at (El Torito: 0 means the traditional 0x7C0).</summary>
    public ushort LoadSegment { get; set; } = 0x7C0;

    /// <summary>The "sector count" of the default entry: the number of 512-byte virtual sectors the BIOS loads; 0 = the whole boot image.</summary>
    public ushort VirtualSectorCount { get; set; }

    public string VolumeId { get; set; } = "EMU_TEST";

    /// <summary>The boot image (no emulation): any length; padded to whole 2048-byte sectors.</summary>
    public IsoImageBuilder SetBootImage(byte[] image)
    {
        _bootImage = image;
        return this;
    }

    /// <summary>Adds a file to the root directory (name in ISO level 1 form, e.g. "DATA.BIN").</summary>
    public IsoImageBuilder AddFile(string name, byte[] data)
    {
        _files.Add((name, data));
        return this;
    }

    /// <summary>The logical sector the boot image starts at.</summary>
    public static int BootImageLba => BootImageSector;

    /// <summary>The logical sector file <paramref name="index"/> (in the order added) starts at.</summary>
    public int FileLba(int index)
    {
        int lba = BootImageSector + SectorsFor(_bootImage.Length);
        for (int i = 0; i < index; i++) lba += SectorsFor(_files[i].Data.Length);
        return lba;
    }

    public byte[] Build()
    {
        int total = FileLba(_files.Count);
        var image = new byte[total * SectorSize];
        Span<byte> Sector(int lba) => image.AsSpan(lba * SectorSize, SectorSize);

        WritePrimaryVolumeDescriptor(Sector(PvdSector), total);
        WriteBootRecord(Sector(BootRecordSector));
        WriteDescriptorHeader(Sector(TerminatorSector), TypeTerminator);
        WritePathTable(Sector(LPathTableSector), bigEndian: false);
        WritePathTable(Sector(MPathTableSector), bigEndian: true);
        WriteRootDirectory(Sector(RootDirSector));
        WriteBootCatalog(Sector(BootCatalogSector));
        _bootImage.CopyTo(image, BootImageSector * SectorSize);
        for (int i = 0; i < _files.Count; i++) _files[i].Data.CopyTo(image, FileLba(i) * SectorSize);
        return image;
    }

    private static int SectorsFor(int bytes) => Math.Max(1, (bytes + SectorSize - 1) / SectorSize);

    private static void WriteDescriptorHeader(Span<byte> d, byte type)
    {
        d[0] = type;
        Encoding.ASCII.GetBytes("CD001").CopyTo(d[1..]); // standard identifier
        d[6] = 1; // version
    }

    // ECMA-119 §8.4: primary volume descriptor.
    private void WritePrimaryVolumeDescriptor(Span<byte> d, int totalSectors)
    {
        WriteDescriptorHeader(d, TypePrimary);
        Padded(d.Slice(8, 32), "");               // system identifier (a-characters)
        Padded(d.Slice(40, 32), VolumeId);        // volume identifier (d-characters)
        Both32(d[80..], (uint)totalSectors);      // volume space size
        Both16(d[120..], 1);                      // volume set size
        Both16(d[124..], 1);                      // volume sequence number
        Both16(d[128..], SectorSize);             // logical block size
        Both32(d[132..], PathTableSize);          // path table size
        BinaryPrimitives.WriteUInt32LittleEndian(d[140..], LPathTableSector); // type L path table
        BinaryPrimitives.WriteUInt32BigEndian(d[148..], MPathTableSector);    // type M path table
        WriteDirectoryRecord(d.Slice(156, 34), RootDirSector, SectorSize, isDirectory: true, [0]); // root directory record
        Padded(d.Slice(190, 128), "");            // volume set identifier
        Padded(d.Slice(318, 128), "");            // publisher
        Padded(d.Slice(446, 128), "");            // data preparer
        Padded(d.Slice(574, 128), "EMULATOR TESTS"); // application
        Padded(d.Slice(702, 37), "");             // copyright file
        Padded(d.Slice(739, 37), "");             // abstract file
        Padded(d.Slice(776, 37), "");             // bibliographic file
        for (int field = 0; field < 4; field++)   // creation, modification, expiration, effective: "not specified"
        {
            var date = d.Slice(813 + field * 17, 17);
            date[..16].Fill((byte)'0');
            date[16] = 0;
        }
        d[881] = 1;                               // file structure version
    }

    // El Torito §2.0: boot record volume descriptor.
    private static void WriteBootRecord(Span<byte> d)
    {
        WriteDescriptorHeader(d, TypeBootRecord);
        Encoding.ASCII.GetBytes("EL TORITO SPECIFICATION").CopyTo(d[7..]); // boot system identifier, zero padded
        BinaryPrimitives.WriteUInt32LittleEndian(d[0x47..], BootCatalogSector);
    }

    private const uint PathTableSize = 10; // one entry (the root): 8 bytes + 1-byte identifier + pad

    // ECMA-119 §9.4: path table record.
    private static void WritePathTable(Span<byte> d, bool bigEndian)
    {
        d[0] = 1; // length of directory identifier
        d[1] = 0; // extended attribute record length
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(d[2..], RootDirSector);
            BinaryPrimitives.WriteUInt16BigEndian(d[6..], 1);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(d[2..], RootDirSector);
            BinaryPrimitives.WriteUInt16LittleEndian(d[6..], 1);
        }
        d[8] = 0; // root identifier
    }

    private void WriteRootDirectory(Span<byte> d)
    {
        int at = 0;
        at += WriteDirectoryRecord(d[at..], RootDirSector, SectorSize, isDirectory: true, [0]); // "."
        at += WriteDirectoryRecord(d[at..], RootDirSector, SectorSize, isDirectory: true, [1]); // ".."
        at += WriteDirectoryRecord(d[at..], BootImageSector, (uint)_bootImage.Length, isDirectory: false, Encoding.ASCII.GetBytes("BOOT.IMG;1"));
        at += WriteDirectoryRecord(d[at..], BootCatalogSector, SectorSize, isDirectory: false, Encoding.ASCII.GetBytes("BOOT.CAT;1"));
        for (int i = 0; i < _files.Count; i++)
            at += WriteDirectoryRecord(d[at..], (uint)FileLba(i), (uint)_files[i].Data.Length, isDirectory: false, Encoding.ASCII.GetBytes(_files[i].Name.ToUpperInvariant() + ";1"));
        if (at > SectorSize) throw new InvalidOperationException("too many files for a one-sector root directory");
    }

    // ECMA-119 §9.1: directory record; returns its length.
    private static int WriteDirectoryRecord(Span<byte> d, uint extent, uint length, bool isDirectory, byte[] identifier)
    {
        int size = 33 + identifier.Length;
        if (size % 2 != 0) size++; // padding field
        d[0] = (byte)size;
        d[1] = 0; // extended attribute record length
        Both32(d[2..], extent);
        Both32(d[10..], length);
        d[18] = 124; d[19] = 1; d[20] = 1; // 2024-01-01 00:00:00 GMT (years since 1900)
        d[21] = 0; d[22] = 0; d[23] = 0; d[24] = 0;
        d[25] = isDirectory ? (byte)0x02 : (byte)0; // file flags: bit 1 directory
        d[26] = 0; // file unit size
        d[27] = 0; // interleave gap size
        Both16(d[28..], 1); // volume sequence number
        d[32] = (byte)identifier.Length;
        identifier.CopyTo(d[33..]);
        return size;
    }

    // El Torito §2.1-2.3: validation entry and initial/default entry.
    private void WriteBootCatalog(Span<byte> d)
    {
        var v = d[..32];
        v[0] = 1;    // header ID
        v[1] = 0;    // platform ID: 80x86
        Encoding.ASCII.GetBytes("EMULATOR TEST").CopyTo(v[4..]); // ID string (24 bytes)
        v[30] = 0x55; // key bytes
        v[31] = 0xAA;
        ushort sum = 0;
        for (int i = 0; i < 32; i += 2) sum += BinaryPrimitives.ReadUInt16LittleEndian(v[i..]);
        BinaryPrimitives.WriteUInt16LittleEndian(v[28..], (ushort)-sum); // the 16 words sum to zero

        var e = d.Slice(32, 32);
        e[0] = 0x88; // bootable
        e[1] = 0;    // boot media type: no emulation
        BinaryPrimitives.WriteUInt16LittleEndian(e[2..], LoadSegment);
        e[4] = 0;    // system type (partition type; unused for no emulation)
        ushort count = VirtualSectorCount != 0 ? VirtualSectorCount : (ushort)((_bootImage.Length + 511) / 512);
        BinaryPrimitives.WriteUInt16LittleEndian(e[6..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(e[8..], BootImageSector);
    }

    private static void Padded(Span<byte> field, string text)
    {
        field.Fill((byte)' ');
        Encoding.ASCII.GetBytes(text).CopyTo(field);
    }

    // ECMA-119 §7.2.3 / §7.3.3: both-byte-order fields (little-endian, then big-endian).
    private static void Both16(Span<byte> d, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, value);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], value);
    }

    private static void Both32(Span<byte> d, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(d, value);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], value);
    }
}
