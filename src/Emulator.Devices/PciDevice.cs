using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// A PCI function: a 256-byte configuration space (type 0 header, PCI Local Bus Specification 3.0 §6.1) with
/// per-byte writable and write-one-to-clear masks, BARs that size themselves the standard way (write all ones,
/// read back the size mask), command/status handling and one INTx pin.
/// </summary>
public abstract class PciDevice : IDevice
{
    /// <summary>PCI 3.0 §6.2.1: vendor ID (16-bit).</summary>
    public const int VendorIdOffset = 0x00;
    /// <summary>PCI 3.0 §6.2.1: device ID (16-bit).</summary>
    public const int DeviceIdOffset = 0x02;
    /// <summary>PCI 3.0 §6.2.2: command register (16-bit).</summary>
    public const int CommandOffset = 0x04;
    /// <summary>PCI 3.0 §6.2.3: status register (16-bit).</summary>
    public const int StatusOffset = 0x06;
    /// <summary>PCI 3.0 §6.2.1: revision ID.</summary>
    public const int RevisionIdOffset = 0x08;
    /// <summary>PCI 3.0 §6.2.1: class code (programming interface at 0x09, sub-class 0x0A, base class 0x0B).</summary>
    public const int ClassCodeOffset = 0x09;
    /// <summary>PCI 3.0 §6.2.4: cache line size.</summary>
    public const int CacheLineSizeOffset = 0x0C;
    /// <summary>PCI 3.0 §6.2.4: latency timer.</summary>
    public const int LatencyTimerOffset = 0x0D;
    /// <summary>PCI 3.0 §6.2.1: header type (bit 7 = multi-function).</summary>
    public const int HeaderTypeOffset = 0x0E;
    /// <summary>PCI 3.0 §6.2.5.1: first base address register.</summary>
    public const int Bar0Offset = 0x10;
    /// <summary>PCI 3.0 §6.2.4: interrupt line (written by firmware).</summary>
    public const int InterruptLineOffset = 0x3C;
    /// <summary>PCI 3.0 §6.2.4: interrupt pin (1 = INTA# … 4 = INTD#, 0 = none).</summary>
    public const int InterruptPinOffset = 0x3D;

    /// <summary>Command bit 0: I/O space enable.</summary>
    public const ushort CommandIoSpace = 0x0001;
    /// <summary>Command bit 1: memory space enable.</summary>
    public const ushort CommandMemorySpace = 0x0002;
    /// <summary>Command bit 2: bus master enable.</summary>
    public const ushort CommandBusMaster = 0x0004;
    /// <summary>Command bit 10: interrupt disable (PCI 2.3).</summary>
    public const ushort CommandInterruptDisable = 0x0400;
    /// <summary>Status bit 3: interrupt status (PCI 2.3).</summary>
    public const ushort StatusInterrupt = 0x0008;

    private const byte StateVersion = 1;

    private readonly byte[] _config = new byte[256];
    private readonly byte[] _writeMask = new byte[256];
    private readonly byte[] _w1cMask = new byte[256];
    private readonly byte[] _defaults = new byte[256];
    private readonly uint[] _barSize = new uint[6];
    private readonly bool[] _barIsIo = new bool[6];
    private bool _defaultsCaptured;
    private bool _intxLevel;

    protected PciDevice(string name, ushort vendorId, ushort deviceId, byte revisionId, uint classCode, byte headerType, byte interruptPin)
    {
        Name = name;
        SetConfigWord(VendorIdOffset, vendorId);
        SetConfigWord(DeviceIdOffset, deviceId);
        _config[RevisionIdOffset] = revisionId;
        _config[ClassCodeOffset] = (byte)classCode;
        _config[ClassCodeOffset + 1] = (byte)(classCode >> 8);
        _config[ClassCodeOffset + 2] = (byte)(classCode >> 16);
        _config[HeaderTypeOffset] = headerType;
        _config[InterruptPinOffset] = interruptPin;
        if (interruptPin != 0) _writeMask[InterruptLineOffset] = 0xFF;
    }

    public string Name { get; }

    /// <summary>The wire this function's INTx pin drives; set by the board (see <see cref="PciBus.IntxRouter"/>).</summary>
    public IInterruptLine? Intx { get; set; }

    public ushort Command => (ushort)ConfigWord(CommandOffset);

    /// <summary>Raised after the command register or a BAR changed (the board or the device re-maps its regions).</summary>
    public event Action<PciDevice>? DecodeChanged;

    /// <summary>Reads <paramref name="size"/> bytes (1, 2 or 4) at <paramref name="offset"/>, little-endian; bytes past 0xFF read as 0xFF.</summary>
    public uint ReadConfig(int offset, int size)
    {
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            int off = offset + i;
            uint b = off is >= 0 and < 256 ? ReadConfigByte(off) : 0xFFu;
            value |= b << (8 * i);
        }
        return value;
    }

    /// <summary>Writes <paramref name="size"/> bytes at <paramref name="offset"/>, honouring the read-only and write-one-to-clear masks.</summary>
    public void WriteConfig(int offset, int size, uint value)
    {
        bool decode = false;
        for (int i = 0; i < size; i++)
        {
            int off = offset + i;
            if (off is < 0 or > 255) break;
            byte v = (byte)(value >> (8 * i));
            byte old = _config[off];
            byte wm = _writeMask[off];
            byte updated = (byte)((old & ~wm) | (v & wm));
            updated = (byte)(updated & ~(v & _w1cMask[off]));
            updated = FilterConfigWrite(off, old, updated);
            _config[off] = updated;
            if (off is CommandOffset or CommandOffset + 1 or >= Bar0Offset and < Bar0Offset + 24) decode |= updated != old;
        }
        if (offset <= CommandOffset + 1 && offset + size > CommandOffset) UpdateIntx();
        OnConfigWritten(offset, size);
        if (decode) OnDecodeChanged();
    }

    /// <summary>PCI 3.0 §6.2.4: Subsystem Vendor ID (type 0 header, read-only to software).</summary>
    public const int SubsystemVendorIdOffset = 0x2C;

    /// <summary>PCI 3.0 §6.2.4: Subsystem ID.</summary>
    public const int SubsystemIdOffset = 0x2E;

    /// <summary>
    /// Sets the board-assigned subsystem vendor and ID (read-only to the guest, kept across reset). QEMU's board gives
    /// every function 1AF4:1100, and SeaBIOS recognises QEMU by it on 00:00.0.
    /// </summary>
    public void SetSubsystemId(ushort subsystemVendorId, ushort subsystemId)
    {
        if ((_config[HeaderTypeOffset] & 0x7F) != 0) throw new InvalidOperationException("subsystem IDs exist in type 0 headers only");
        SetConfigWord(SubsystemVendorIdOffset, subsystemVendorId);
        SetConfigWord(SubsystemIdOffset, subsystemId);
        for (int off = SubsystemVendorIdOffset; off < SubsystemIdOffset + 2; off++) _defaults[off] = _config[off];
    }

    /// <summary>The address programmed into BAR <paramref name="index"/> (type bits stripped), or 0 if the BAR is absent.</summary>
    public uint GetBarAddress(int index)
    {
        if ((uint)index >= 6 || _barSize[index] == 0) return 0;
        uint raw = ConfigDword(Bar0Offset + 4 * index);
        return _barIsIo[index] ? raw & ~3u : raw & ~0xFu;
    }

    public uint GetBarSize(int index) => (uint)index < 6 ? _barSize[index] : 0;

    public virtual void Reset()
    {
        if (!_defaultsCaptured) throw new InvalidOperationException("PciDevice.CaptureDefaults was not called by " + GetType().Name);
        Array.Copy(_defaults, _config, 256);
        _intxLevel = false;
        UpdateIntx();
        OnDecodeChanged();
    }

    public virtual void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_config);
        writer.Write(_intxLevel);
    }

    public virtual void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException(Name + ": unsupported PCI state version");
        byte[] cfg = reader.ReadBytes(256);
        if (cfg.Length != 256) throw new InvalidDataException(Name + ": truncated PCI configuration space");
        // Read-only bytes keep their hardware values; only writable bits come from the snapshot.
        for (int i = 0; i < 256; i++)
        {
            byte changeable = (byte)(_writeMask[i] | _w1cMask[i]);
            _config[i] = (byte)((_defaults[i] & ~changeable) | (cfg[i] & changeable));
        }
        _config[StatusOffset] = (byte)((_config[StatusOffset] & ~StatusInterrupt) | (cfg[StatusOffset] & StatusInterrupt));
        _intxLevel = reader.ReadBoolean();
        UpdateIntx();
        OnDecodeChanged();
    }

    /// <summary>Drives this function's INTx pin (level-sensitive, active while <paramref name="asserted"/>).</summary>
    protected void SetIntx(bool asserted)
    {
        _intxLevel = asserted;
        UpdateIntx();
    }

    /// <summary>Called by derived constructors once the power-on register values are in place.</summary>
    protected void CaptureDefaults()
    {
        Array.Copy(_config, _defaults, 256);
        _defaultsCaptured = true;
    }

    /// <summary>Hook for registers with side effects; called after the masked write landed.</summary>
    protected virtual void OnConfigWritten(int offset, int size)
    {
    }

    /// <summary>Hook for registers with lock semantics: returns the byte that is stored after a masked write.</summary>
    protected virtual byte FilterConfigWrite(int offset, byte oldValue, byte maskedValue) => maskedValue;

    /// <summary>Hook for registers whose value is computed on read.</summary>
    protected virtual byte ReadConfigByte(int offset) => _config[offset];

    protected virtual void OnDecodeChanged() => DecodeChanged?.Invoke(this);

    protected byte ConfigByte(int offset) => _config[offset];

    protected uint ConfigWord(int offset) => (uint)(_config[offset] | (_config[offset + 1] << 8));

    protected uint ConfigDword(int offset) => ConfigWord(offset) | (ConfigWord(offset + 2) << 16);

    protected void SetConfigByte(int offset, byte value) => _config[offset] = value;

    protected void SetConfigWord(int offset, uint value)
    {
        _config[offset] = (byte)value;
        _config[offset + 1] = (byte)(value >> 8);
    }

    protected void SetConfigDword(int offset, uint value)
    {
        SetConfigWord(offset, value);
        SetConfigWord(offset + 2, value >> 16);
    }

    /// <summary>Sets which bits of <paramref name="size"/> bytes at <paramref name="offset"/> the guest may write.</summary>
    protected void SetWriteMask(int offset, int size, uint mask)
    {
        for (int i = 0; i < size; i++) _writeMask[offset + i] = (byte)(mask >> (8 * i));
    }

    /// <summary>Sets which bits are cleared by writing one (status bits).</summary>
    protected void SetW1cMask(int offset, int size, uint mask)
    {
        for (int i = 0; i < size; i++) _w1cMask[offset + i] = (byte)(mask >> (8 * i));
    }

    /// <summary>
    /// Declares BAR <paramref name="index"/> as an I/O BAR of <paramref name="size"/> bytes (a power of two ≥ 4);
    /// <paramref name="addressLimitMask"/> holds the address bits the hardware implements.
    /// </summary>
    protected void DefineIoBar(int index, uint size, uint addressLimitMask = 0xFFFF_FFFC)
    {
        CheckBar(index, size, 4);
        _barSize[index] = size;
        _barIsIo[index] = true;
        SetConfigDword(Bar0Offset + 4 * index, 0x1);
        SetWriteMask(Bar0Offset + 4 * index, 4, ~(size - 1) & addressLimitMask & ~3u);
    }

    /// <summary>Declares BAR <paramref name="index"/> as a 32-bit memory BAR of <paramref name="size"/> bytes (a power of two ≥ 16).</summary>
    protected void DefineMemoryBar(int index, uint size, bool prefetchable)
    {
        CheckBar(index, size, 16);
        _barSize[index] = size;
        _barIsIo[index] = false;
        SetConfigDword(Bar0Offset + 4 * index, prefetchable ? 0x8u : 0x0u);
        SetWriteMask(Bar0Offset + 4 * index, 4, ~(size - 1) & ~0xFu);
    }

    private static void CheckBar(int index, uint size, uint min)
    {
        if ((uint)index >= 6) throw new ArgumentOutOfRangeException(nameof(index));
        if (size < min || (size & (size - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(size));
    }

    private void UpdateIntx()
    {
        if (_config[InterruptPinOffset] == 0) return;
        if (_intxLevel) _config[StatusOffset] |= (byte)StatusInterrupt;
        else _config[StatusOffset] &= unchecked((byte)~StatusInterrupt);
        bool disabled = (Command & CommandInterruptDisable) != 0;
        Intx?.SetLevel(_intxLevel && !disabled);
    }
}
