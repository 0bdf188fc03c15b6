using System.Buffers.Binary;

namespace Emulator.Devices;

/// <summary>
/// The contents of the fw_cfg file "etc/e820": packed little-endian entries of { u64 address; u64 length;
/// u32 type } (20 bytes each), the ACPI address range types (1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable).
/// </summary>
public sealed class FwCfgE820Table
{
    public const int EntrySize = 20;
    public const uint TypeRam = 1;
    public const uint TypeReserved = 2;
    public const uint TypeAcpi = 3;
    public const uint TypeNvs = 4;
    public const uint TypeUnusable = 5;

    private readonly List<(ulong Address, ulong Length, uint Type)> _entries = new();

    public int Count => _entries.Count;

    public FwCfgE820Table Add(ulong address, ulong length, uint type)
    {
        _entries.Add((address, length, type));
        return this;
    }

    public byte[] ToArray()
    {
        var b = new byte[_entries.Count * EntrySize];
        for (int i = 0; i < _entries.Count; i++)
        {
            var s = b.AsSpan(i * EntrySize, EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(s, _entries[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(s[8..], _entries[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(s[16..], _entries[i].Type);
        }
        return b;
    }
}
