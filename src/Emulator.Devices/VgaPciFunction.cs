using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The PCI function of QEMU's standard VGA ("-vga std", docs/specs/standard-vga.rst): vendor 1234h, device 1111h,
/// class 030000h (VGA-compatible display controller), revision 2 (the QEMU extended registers are present).
/// BAR0: the linear framebuffer, 16 MiB prefetchable memory (<see cref="VgaDevice.LinearFramebuffer"/>).
/// BAR2: 4 KiB of MMIO (<see cref="MmioRegion"/>): 0x400–0x41F the VGA ports 0x3C0–0x3DF, 0x500–0x515 the DISPI
/// registers (offset = index × 2), 0x600–0x607 the QEMU extended registers.
/// Optionally an expansion ROM BAR (offset 30h) of <c>romSize</c> bytes; the board maps the ROM image itself.
/// Register this object as the IDevice: its Reset/SaveState/LoadState include the VGA core.
/// </summary>
public sealed class VgaPciFunction : PciDevice
{
    public const ushort VendorQemu = 0x1234;
    public const ushort DeviceStdVga = 0x1111;
    /// <summary>PCI code and ID assignment: base class 03h display, sub-class 00h VGA, interface 00h.</summary>
    public const uint ClassVga = 0x030000;
    /// <summary>PCI 3.0 §6.2.5.2: expansion ROM base address.</summary>
    public const int ExpansionRomOffset = 0x30;
    /// <summary>Red Hat / QEMU subsystem vendor and the subsystem ID QEMU gives its emulated devices.</summary>
    public const ushort SubsystemVendorQemu = 0x1AF4;
    public const ushort SubsystemQemu = 0x1100;

    /// <summary>Size of BAR2, the QEMU stdvga MMIO region.</summary>
    public const uint MmioBarSize = 0x1000;
    /// <summary>standard-vga.rst: VGA ports 0x3C0–0x3DF at BAR2 + 0x400.</summary>
    public const int MmioVgaPorts = 0x400;
    /// <summary>standard-vga.rst: DISPI registers at BAR2 + 0x500 (16-bit, index × 2).</summary>
    public const int MmioDispi = 0x500;
    /// <summary>standard-vga.rst: QEMU extended registers at BAR2 + 0x600 (32-bit).</summary>
    public const int MmioQemuExtended = 0x600;
    /// <summary>standard-vga.rst: framebuffer endianness value for little endian.</summary>
    public const uint QemuExtendedLittleEndian = 0x1E1E_1E1E;
    /// <summary>standard-vga.rst: framebuffer endianness value for big endian.</summary>
    public const uint QemuExtendedBigEndian = 0xBEBE_BEBE;

    private const byte StateVersion = 1;
    private readonly int _romSize;
    private uint _endianness = QemuExtendedLittleEndian;

    public VgaPciFunction(VgaDevice vga, int romSize = 0)
        : base("vga-pci", VendorQemu, DeviceStdVga, revisionId: 0x02, classCode: ClassVga, headerType: 0x00, interruptPin: 0)
    {
        Vga = vga;
        if (romSize != 0 && (romSize < 2048 || (romSize & (romSize - 1)) != 0)) throw new ArgumentOutOfRangeException(nameof(romSize));
        _romSize = romSize;
        SetWriteMask(CommandOffset, 2, CommandIoSpace | CommandMemorySpace);
        SetConfigWord(SubsystemVendorIdOffset, SubsystemVendorQemu);
        SetConfigWord(SubsystemIdOffset, SubsystemQemu);
        DefineMemoryBar(0, (uint)vga.VramSize, prefetchable: true);
        DefineMemoryBar(2, MmioBarSize, prefetchable: false);
        if (romSize != 0) SetWriteMask(ExpansionRomOffset, 4, (~((uint)romSize - 1) & 0xFFFF_F800u) | 1u);
        MmioRegion = new VgaQemuMmio(this);
        CaptureDefaults();
    }

    public VgaDevice Vga { get; }

    /// <summary>The BAR2 region handler (offsets relative to BAR2).</summary>
    public IMmioHandler MmioRegion { get; }

    private bool MemoryDecoded => (Command & CommandMemorySpace) != 0;

    /// <summary>Where the board maps <see cref="VgaDevice.LinearFramebuffer"/> now, or 0 while memory decoding is off.</summary>
    public uint FramebufferAddress => MemoryDecoded ? GetBarAddress(0) : 0;

    /// <summary>Where the board maps <see cref="MmioRegion"/> now, or 0 while memory decoding is off.</summary>
    public uint MmioAddress => MemoryDecoded ? GetBarAddress(2) : 0;

    /// <summary>The expansion ROM address while enabled (bit 0) and memory decoding is on, else 0.</summary>
    public uint RomAddress
    {
        get
        {
            if (_romSize == 0 || !MemoryDecoded) return 0;
            uint raw = ConfigDword(ExpansionRomOffset);
            return (raw & 1) != 0 ? raw & 0xFFFF_F800u : 0;
        }
    }

    public int RomSize => _romSize;

    public override void Reset()
    {
        base.Reset();
        _endianness = QemuExtendedLittleEndian;
        Vga.Reset();
    }

    public override void SaveState(BinaryWriter writer)
    {
        base.SaveState(writer);
        writer.Write(StateVersion);
        writer.Write(_endianness);
        Vga.SaveState(writer);
    }

    public override void LoadState(BinaryReader reader)
    {
        base.LoadState(reader);
        try
        {
            if (reader.ReadByte() != StateVersion) throw new InvalidDataException("vga-pci: unsupported state version");
            _endianness = reader.ReadUInt32();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("vga-pci: truncated state", e);
        }
        Vga.LoadState(reader);
    }

    protected override void OnConfigWritten(int offset, int size)
    {
        if (offset < ExpansionRomOffset + 4 && offset + size > ExpansionRomOffset) OnDecodeChanged();
    }

    internal ulong ReadMmio(ulong offset, int size)
    {
        if (offset >= MmioBarSize || size is < 1 or > 8) return AllOnes(size);
        int off = (int)offset;
        if (off is >= MmioVgaPorts and < MmioVgaPorts + 0x20)
        {
            ulong v = 0;
            for (int i = 0; i < size; i++)
            {
                int o = off + i - MmioVgaPorts;
                ulong b = o < 0x20 ? Vga.ReadByte((ushort)(0x3C0 + o)) : 0xFFu;
                v |= b << (8 * i);
            }
            return v;
        }
        if (off is >= MmioDispi and < MmioDispi + 2 * VgaDevice.VbeRegisterCount && (off & 1) == 0 && size == 2)
        {
            return Vga.ReadDispi((off - MmioDispi) / 2);
        }
        if (off == MmioQemuExtended && size == 4) return 8; // size of the extended register region
        if (off == MmioQemuExtended + 4 && size == 4) return _endianness;
        return AllOnes(size);
    }

    internal void WriteMmio(ulong offset, int size, ulong value)
    {
        if (offset >= MmioBarSize || size is < 1 or > 8) return;
        int off = (int)offset;
        if (off is >= MmioVgaPorts and < MmioVgaPorts + 0x20)
        {
            for (int i = 0; i < size; i++)
            {
                int o = off + i - MmioVgaPorts;
                if (o < 0x20) Vga.WriteByte((ushort)(0x3C0 + o), (byte)(value >> (8 * i)));
            }
            return;
        }
        if (off is >= MmioDispi and < MmioDispi + 2 * VgaDevice.VbeRegisterCount && (off & 1) == 0 && size == 2)
        {
            Vga.WriteDispi((off - MmioDispi) / 2, (ushort)value);
            return;
        }
        if (off == MmioQemuExtended + 4 && size == 4 && (uint)value is QemuExtendedLittleEndian or QemuExtendedBigEndian)
        {
            // Accepted and remembered; the framebuffer itself is always little endian here (x86 guests).
            _endianness = (uint)value;
        }
    }

    private static ulong AllOnes(int size) => size >= 8 ? ulong.MaxValue : (1UL << (8 * Math.Max(size, 0))) - 1;
}
