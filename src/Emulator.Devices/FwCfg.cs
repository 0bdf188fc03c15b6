using System.Buffers.Binary;
using System.Text;
using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// QEMU's firmware configuration device as the x86 PC exposes it (docs/specs/fw_cfg.rst): a 16-bit selector
/// at 0x510, a byte-wide data port at 0x511 and the 64-bit big-endian DMA address register at 0x514–0x51B
/// (written as two 32-bit halves; writing the low half at 0x518 starts the transfer). The DMA control block in
/// guest memory is { be32 control; be32 length; be64 address }. Register the handler with
/// <c>ports.Register(0x510, 2, fwcfg); ports.Register(0x514, 8, fwcfg);</c>.
/// </summary>
public sealed class FwCfg : IPortHandler, IDevice
{
    public const ushort SelectorPort = 0x510;
    public const ushort DataPort = 0x511;
    public const ushort DmaAddressHighPort = 0x514;
    public const ushort DmaAddressLowPort = 0x518;

    /// <summary>DMA control bits (fw_cfg.rst "DMA interface").</summary>
    public const uint DmaControlError = 0x01;
    public const uint DmaControlRead = 0x02;
    public const uint DmaControlSkip = 0x04;
    public const uint DmaControlSelect = 0x08;
    public const uint DmaControlWrite = 0x10;

    /// <summary>Reading the DMA address register yields "QEMU CFG".</summary>
    public const ulong DmaSignature = 0x51454D5520434647;

    private const int DirectoryEntrySize = 64;
    private const int DmaChunk = 0x10000;
    private const byte StateVersion = 1;

    private readonly IDmaMemory? _memory;
    private readonly Dictionary<ushort, Item> _items = new();
    private readonly List<(string Name, ushort Key)> _files = new();
    private ushort _selector;
    private uint _offset;
    private ulong _dmaAddress;

    /// <param name="memory">Guest memory for the DMA interface; null leaves only the port interface (ID bit 1 clear).</param>
    public FwCfg(IDmaMemory? memory)
    {
        _memory = memory;
        AddItem(FwCfgKeys.Signature, "QEMU"u8.ToArray());
        uint id = FwCfgKeys.IdTraditional | (memory is not null ? FwCfgKeys.IdDma : 0);
        AddItem(FwCfgKeys.Id, Le32(id));
        RebuildDirectory();
    }

    public string Name => "fw_cfg";

    public ushort Selector => _selector;

    /// <summary>Sets (or replaces) the item at <paramref name="key"/>.</summary>
    public void AddItem(ushort key, byte[] data)
    {
        if (key == FwCfgKeys.FileDir) throw new ArgumentException("the file directory is maintained by the device", nameof(key));
        _items[(ushort)(key & ~FwCfgKeys.WriteChannel)] = new Item(data, null);
    }

    /// <summary>
    /// Adds a named file and returns its key. <paramref name="onWrite"/>, if given, makes it writable through
    /// DMA; it receives the byte offset and the bytes written (the item's contents are updated first).
    /// </summary>
    public ushort AddFile(string name, byte[] data, Action<int, byte[]>? onWrite = null)
    {
        if (Encoding.ASCII.GetByteCount(name) >= FwCfgKeys.MaxFileNameLength) throw new ArgumentException("fw_cfg file name too long", nameof(name));
        foreach (var f in _files)
        {
            if (f.Name == name)
            {
                _items[f.Key] = new Item(data, onWrite);
                RebuildDirectory();
                return f.Key;
            }
        }
        ushort key = (ushort)(FwCfgKeys.FileFirst + _files.Count);
        if (key >= FwCfgKeys.WriteChannel) throw new InvalidOperationException("fw_cfg: too many files");
        _files.Add((name, key));
        _items[key] = new Item(data, onWrite);
        RebuildDirectory();
        return key;
    }

    /// <summary>Key 0x0003: RAM size in bytes, 64-bit little-endian.</summary>
    public void SetRamSize(ulong bytes) => AddItem(FwCfgKeys.RamSize, Le64(bytes));

    /// <summary>Keys 0x0005 (NB_CPUS) and 0x000F (MAX_CPUS), 16-bit little-endian.</summary>
    public void SetCpuCount(ushort cpus, ushort maxCpus)
    {
        AddItem(FwCfgKeys.NbCpus, Le16(cpus));
        AddItem(FwCfgKeys.MaxCpus, Le16(maxCpus));
    }

    /// <summary>"bootorder": one OpenFirmware device path per line.</summary>
    public ushort SetBootOrder(IEnumerable<string> devicePaths) =>
        AddFile(FwCfgKeys.FileBootOrder, Encoding.ASCII.GetBytes(string.Join("\n", devicePaths) + "\0"));

    /// <summary>"etc/boot-fail-wait": seconds to wait before retrying boot, 32-bit little-endian.</summary>
    public ushort SetBootFailWait(uint seconds) => AddFile(FwCfgKeys.FileBootFailWait, Le32(seconds));

    public ushort SetE820(FwCfgE820Table table) => AddFile(FwCfgKeys.FileE820, table.ToArray());

    /// <summary>Adds the three files of an <see cref="AcpiTables"/> build for SeaBIOS's table loader.</summary>
    public void SetAcpiTables(AcpiTables tables)
    {
        AddFile(FwCfgKeys.FileAcpiTables, tables.Tables);
        AddFile(FwCfgKeys.FileAcpiRsdp, tables.Rsdp);
        AddFile(FwCfgKeys.FileTableLoader, tables.TableLoader);
    }

    public byte[]? GetItem(ushort key) => _items.TryGetValue((ushort)(key & ~FwCfgKeys.WriteChannel), out var it) ? it.Data : null;

    public uint Read(ushort port, int size)
    {
        uint v = 0;
        for (int i = 0; i < size; i++) v |= (uint)ReadByte((ushort)(port + i)) << (8 * i);
        return v;
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port == SelectorPort)
        {
            Select((ushort)(size == 1 ? value & 0xFF : value & 0xFFFF));
            return;
        }
        if (port == DataPort) return; // fw_cfg.rst: data port writes are ignored
        int reg = port - DmaAddressHighPort;
        if (reg is < 0 or > 7) return;
        bool trigger = false;
        for (int i = 0; i < size && reg + i <= 7; i++)
        {
            int shift = 8 * (7 - (reg + i)); // big-endian register: byte 0 is the most significant
            _dmaAddress = (_dmaAddress & ~(0xFFUL << shift)) | ((ulong)((value >> (8 * i)) & 0xFF) << shift);
            trigger |= reg + i == 7;
        }
        if (trigger)
        {
            ulong address = _dmaAddress;
            _dmaAddress = 0;
            RunDma(address);
        }
    }

    public void Reset()
    {
        _selector = 0;
        _offset = 0;
        _dmaAddress = 0;
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_selector);
        writer.Write(_offset);
        writer.Write(_dmaAddress);
    }

    public void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException("fw_cfg: unsupported state version");
        _selector = reader.ReadUInt16();
        _offset = reader.ReadUInt32();
        _dmaAddress = reader.ReadUInt64();
    }

    private byte ReadByte(ushort port)
    {
        if (port == DataPort)
        {
            var data = Current();
            if (data is null || _offset >= data.Length) return 0;
            return data[_offset++];
        }
        int reg = port - DmaAddressHighPort;
        if (reg is >= 0 and <= 7 && _memory is not null) return (byte)(DmaSignature >> (8 * (7 - reg)));
        return 0;
    }

    private void Select(ushort key)
    {
        _selector = key;
        _offset = 0;
    }

    private byte[]? Current() => _items.TryGetValue((ushort)(_selector & ~FwCfgKeys.WriteChannel), out var it) ? it.Data : null;

    private void RunDma(ulong address)
    {
        if (_memory is null) return;
        Span<byte> access = stackalloc byte[16];
        if (!_memory.ReadPhysical(address, access)) return;
        uint control = BinaryPrimitives.ReadUInt32BigEndian(access);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(access[4..]);
        ulong target = BinaryPrimitives.ReadUInt64BigEndian(access[8..]);
        bool error = false;
        if ((control & DmaControlSelect) != 0) Select((ushort)(control >> 16));
        var data = Current();
        int itemLength = data?.Length ?? 0;
        if ((control & DmaControlRead) != 0)
        {
            error = !DmaRead(data, target, length);
        }
        else if ((control & DmaControlSkip) != 0)
        {
            _offset = (uint)Math.Min((ulong)_offset + length, (ulong)itemLength);
        }
        else if ((control & DmaControlWrite) != 0)
        {
            error = !DmaWrite(target, length);
        }
        Span<byte> status = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(status, error ? DmaControlError : 0);
        _memory.WritePhysical(address, status);
    }

    /// <summary>Copies <paramref name="length"/> bytes from the item to guest memory; bytes past the item's end read as zero.</summary>
    private bool DmaRead(byte[]? data, ulong target, uint length)
    {
        var chunk = new byte[(int)Math.Min(length, (uint)DmaChunk)];
        ulong done = 0;
        while (done < length)
        {
            int n = (int)Math.Min(length - done, (ulong)chunk.Length);
            var span = chunk.AsSpan(0, n);
            span.Clear();
            if (data is not null && _offset < data.Length)
            {
                int avail = Math.Min(n, data.Length - (int)_offset);
                data.AsSpan((int)_offset, avail).CopyTo(span);
            }
            if (!_memory!.WritePhysical(target + done, span)) return false;
            _offset = (uint)Math.Min((ulong)_offset + (ulong)n, (ulong)(data?.Length ?? 0));
            done += (ulong)n;
            if (data is null || _offset >= data.Length)
            {
                // Past the end: the remainder is zeros.
                while (done < length)
                {
                    int z = (int)Math.Min(length - done, (ulong)chunk.Length);
                    chunk.AsSpan(0, z).Clear();
                    if (!_memory.WritePhysical(target + done, chunk.AsSpan(0, z))) return false;
                    done += (ulong)z;
                }
            }
        }
        return true;
    }

    private bool DmaWrite(ulong source, uint length)
    {
        ushort key = (ushort)(_selector & ~FwCfgKeys.WriteChannel);
        if (!_items.TryGetValue(key, out var item) || item.OnWrite is null) return false;
        if ((ulong)_offset + length > (ulong)item.Data.Length) return false;
        var bytes = new byte[length];
        if (!_memory!.ReadPhysical(source, bytes)) return false;
        int at = (int)_offset;
        bytes.CopyTo(item.Data, at);
        _offset += length;
        item.OnWrite(at, bytes);
        return true;
    }

    /// <summary>Key 0x0019: be32 count, then { be32 size; be16 select; be16 reserved; char name[56]; } per file.</summary>
    private void RebuildDirectory()
    {
        var dir = new byte[4 + _files.Count * DirectoryEntrySize];
        BinaryPrimitives.WriteUInt32BigEndian(dir, (uint)_files.Count);
        for (int i = 0; i < _files.Count; i++)
        {
            var e = dir.AsSpan(4 + i * DirectoryEntrySize, DirectoryEntrySize);
            var (name, key) = _files[i];
            BinaryPrimitives.WriteUInt32BigEndian(e, (uint)_items[key].Data.Length);
            BinaryPrimitives.WriteUInt16BigEndian(e[4..], key);
            Encoding.ASCII.GetBytes(name, e[8..]);
        }
        _items[FwCfgKeys.FileDir] = new Item(dir, null);
    }

    private static byte[] Le16(ushort v) => [(byte)v, (byte)(v >> 8)];

    private static byte[] Le32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private static byte[] Le64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    private sealed record Item(byte[] Data, Action<int, byte[]>? OnWrite);
}
