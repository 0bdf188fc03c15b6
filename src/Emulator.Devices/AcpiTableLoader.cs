using System.Buffers.Binary;
using System.Text;

namespace Emulator.Devices;

/// <summary>
/// Builds the "etc/table-loader" fw_cfg file: a list of 128-byte little-endian commands that the firmware
/// (SeaBIOS, OVMF) executes to place fw_cfg files in guest memory and link them (QEMU's BIOS linker/loader
/// interface). ALLOCATE {file[56], u32 align, u8 zone}; ADD_POINTER {dest_file[56], src_file[56], u32 offset,
/// u8 size}: adds the source file's address to the size-byte field at offset in dest; ADD_CHECKSUM {file[56],
/// u32 offset, u32 start, u32 length}: adds −(sum of bytes start..start+length) to the byte at offset.
/// </summary>
public sealed class AcpiTableLoader
{
    public const int EntrySize = 128;
    public const uint CommandAllocate = 1;
    public const uint CommandAddPointer = 2;
    public const uint CommandAddChecksum = 3;
    /// <summary>Allocate anywhere in 32-bit memory.</summary>
    public const byte ZoneHigh = 1;
    /// <summary>Allocate in the 0xE0000–0xFFFFF F-segment (for the RSDP).</summary>
    public const byte ZoneFseg = 2;

    private readonly List<byte[]> _entries = new();

    public int Count => _entries.Count;

    public AcpiTableLoader Allocate(string file, uint align, byte zone)
    {
        var e = NewEntry(CommandAllocate);
        PutName(e, 4, file);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(60), align);
        e[64] = zone;
        return this;
    }

    public AcpiTableLoader AddPointer(string destinationFile, string sourceFile, uint offset, byte size)
    {
        if (size is not (1 or 2 or 4 or 8)) throw new ArgumentOutOfRangeException(nameof(size));
        var e = NewEntry(CommandAddPointer);
        PutName(e, 4, destinationFile);
        PutName(e, 60, sourceFile);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(116), offset);
        e[120] = size;
        return this;
    }

    public AcpiTableLoader AddChecksum(string file, uint offset, uint start, uint length)
    {
        var e = NewEntry(CommandAddChecksum);
        PutName(e, 4, file);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(60), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(64), start);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(68), length);
        return this;
    }

    public byte[] ToArray() => _entries.SelectMany(e => e).ToArray();

    private byte[] NewEntry(uint command)
    {
        var e = new byte[EntrySize];
        BinaryPrimitives.WriteUInt32LittleEndian(e, command);
        _entries.Add(e);
        return e;
    }

    private static void PutName(byte[] entry, int offset, string name)
    {
        if (Encoding.ASCII.GetByteCount(name) >= FwCfgKeys.MaxFileNameLength) throw new ArgumentException("file name too long", nameof(name));
        Encoding.ASCII.GetBytes(name, entry.AsSpan(offset, FwCfgKeys.MaxFileNameLength));
    }
}
