using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The 82371SB (PIIX3) IDE interface, function 00:01.1 (8086:7010). The channels decode their legacy ports
/// (compatibility mode: programming interface 80h), and BAR4 (BMIBA, 82371SB §2.6.7) maps the 16 bytes of
/// bus-master registers: primary channel at +0 (BMICOM, BMISTA, BMIDTP), secondary at +8. When a
/// <see cref="PortBus"/> is given, the function registers its BAR4 range there whenever I/O decoding is on.
/// </summary>
public sealed class Piix3Ide : PciDevice, IPortHandler
{
    public const ushort DeviceId = 0x7010;

    /// <summary>82371SB §2.6.7: BMIBA, bus master interface base address (BAR4).</summary>
    public const int BmibaOffset = 0x20;
    /// <summary>82371SB §2.6.8: IDETIM, primary (40h) and secondary (42h) IDE timing (16-bit each).</summary>
    public const int IdetimOffset = 0x40;
    /// <summary>82371SB §2.6.9: SIDETIM, slave IDE timing.</summary>
    public const int SidetimOffset = 0x44;

    /// <summary>BAR4 size: 16 bytes of bus master registers.</summary>
    public const int BusMasterRegisterSize = 16;

    private readonly PortBus? _ports;
    private readonly IdeChannel _primary;
    private readonly IdeChannel _secondary;
    private ushort _mappedBase;

    public Piix3Ide(IdeChannel primary, IdeChannel secondary, PortBus? ports = null)
        : base("piix3-ide", I440fxHostBridge.VendorIntel, DeviceId, revisionId: 0x00, classCode: 0x010180, headerType: 0x00, interruptPin: 0)
    {
        _primary = primary;
        _secondary = secondary;
        _ports = ports;
        // §2.6.2: PCICMD default 0000h; I/O space (bit 0) and bus master (bit 2) are writable.
        SetWriteMask(CommandOffset, 2, CommandIoSpace | CommandBusMaster);
        // §2.6.3: PCISTS default 0280h; bits 13:11 write one to clear.
        SetConfigWord(StatusOffset, 0x0280);
        SetW1cMask(StatusOffset, 2, 0x3800);
        SetWriteMask(LatencyTimerOffset, 1, 0xF0);
        // §2.6.7: BMIBA bits 15:4 base address, bit 0 hard-wired to 1 (I/O space). Bits 31:16 are writable as on
        // QEMU's PIIX3 (firmware sizes the BAR by writing all ones and expects ~(size − 1) back in all 32 bits);
        // an address above 0xFFFF simply is not decoded.
        DefineIoBar(4, BusMasterRegisterSize);
        SetWriteMask(IdetimOffset, 2, 0xF3FF);
        SetWriteMask(IdetimOffset + 2, 2, 0xF3FF);
        SetWriteMask(SidetimOffset, 1, 0xFF);
        CaptureDefaults();
    }

    public IdeChannel Primary => _primary;

    public IdeChannel Secondary => _secondary;

    /// <summary>The I/O base of the bus master registers while decoded, else 0.</summary>
    public ushort BusMasterBase => IoDecoded ? (ushort)GetBarAddress(4) : (ushort)0;

    /// <summary>Bus-master register read; <paramref name="port"/> is anywhere in the BAR4 window.</summary>
    public uint Read(ushort port, int size)
    {
        int offset = port - (int)GetBarAddress(4);
        uint v = 0;
        for (int i = 0; i < size; i++)
        {
            uint b = ReadBusMasterByte(offset + i);
            v |= b << (8 * i);
        }
        return v;
    }

    public void Write(ushort port, int size, uint value)
    {
        int offset = port - (int)GetBarAddress(4);
        for (int i = 0; i < size; i++) WriteBusMasterByte(offset + i, (byte)(value >> (8 * i)));
    }

    /// <summary>Reads bus-master register byte <paramref name="offset"/> (0–15) whatever the BAR says.</summary>
    public byte ReadBusMasterByte(int offset)
    {
        if ((uint)offset >= BusMasterRegisterSize) return 0xFF;
        return (offset < 8 ? _primary : _secondary).ReadBusMaster(offset & 7);
    }

    public void WriteBusMasterByte(int offset, byte value)
    {
        if ((uint)offset >= BusMasterRegisterSize) return;
        // §2.7: the engine only runs with bus mastering enabled in PCICMD.
        if ((offset & 7) == IdeBusMaster.CommandOffset && (Command & CommandBusMaster) == 0) value &= unchecked((byte)~IdeBusMaster.CommandStart);
        (offset < 8 ? _primary : _secondary).WriteBusMaster(offset & 7, value);
    }

    protected override void OnDecodeChanged()
    {
        Remap();
        base.OnDecodeChanged();
    }

    private bool IoDecoded => (Command & CommandIoSpace) != 0 && GetBarAddress(4) is not 0 and <= 0x1_0000 - BusMasterRegisterSize;

    private void Remap()
    {
        if (_ports is null) return;
        ushort want = BusMasterBase;
        if (want == _mappedBase) return;
        if (_mappedBase != 0)
        {
            for (int i = 0; i < BusMasterRegisterSize; i++)
            {
                ushort p = (ushort)(_mappedBase + i);
                if (ReferenceEquals(_ports.HandlerAt(p), this)) _ports.Unregister(p, 1);
            }
        }
        _mappedBase = want;
        if (want != 0 && want + BusMasterRegisterSize <= 0x10000) _ports.Register(want, BusMasterRegisterSize, this);
    }
}
