using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The IBM VGA register set with the Bochs VBE ("dispi") extensions, as QEMU's "-vga std" presents it.
/// <para>
/// Ports (register this handler for each range): 0x3B4–0x3B5 and 0x3BA (monochrome CRTC / input status 1),
/// 0x3C0–0x3CF (attribute controller, misc output, sequencer, DAC, graphics controller), 0x3D4–0x3D5 and 0x3DA
/// (colour CRTC / input status 1), 0x1CE–0x1D0 (VBE index, data, data alias). Misc output bit 0 selects which of
/// the 0x3Bx / 0x3Dx ranges decodes; the other reads as 0xFF.
/// </para>
/// <para>
/// Memory: <see cref="LegacyWindow"/> is the 128 KiB window at 0xA0000–0xBFFFF (offsets relative to 0xA0000);
/// <see cref="LinearFramebuffer"/> is the VBE linear framebuffer (the PCI BAR0 range; offsets relative to its base).
/// Both reach the same VRAM (<see cref="Framebuffer"/>). The four VGA planes are the first 256 KiB, interleaved:
/// plane <c>p</c> byte <c>a</c> lives at VRAM byte <c>4·a + p</c> (so one 32-bit word is one latch load).
/// </para>
/// <para>
/// Wiring on a PC: <c>vga.RegisterPorts(portBus)</c>; map <see cref="LegacyWindow"/> at 0xA0000 for 0x20000 bytes;
/// attach a <see cref="VgaPciFunction"/> and map <see cref="LinearFramebuffer"/> at its <c>FramebufferAddress</c> and
/// its <c>MmioRegion</c> at <c>MmioAddress</c> whenever <c>DecodeChanged</c> fires.
/// </para>
/// </summary>
public sealed partial class VgaDevice : IDevice, IPortHandler
{
    /// <summary>VRAM size (16 MiB, the QEMU stdvga default and the PCI BAR0 size).</summary>
    public const int DefaultVramSize = 16 * 1024 * 1024;
    /// <summary>Bytes per plane (64 KiB; four planes make the VGA's 256 KiB).</summary>
    public const int PlaneSize = 0x10000;

    // ---- Port addresses (IBM VGA Technical Reference, "Register summary"; FreeVGA "VGA/SVGA I/O ports") ----
    /// <summary>Attribute controller address/data write, address read.</summary>
    public const ushort PortAttributeAddress = 0x3C0;
    /// <summary>Attribute controller data read.</summary>
    public const ushort PortAttributeDataRead = 0x3C1;
    /// <summary>Miscellaneous output write; input status 0 read.</summary>
    public const ushort PortMiscOutputWrite = 0x3C2;
    /// <summary>Video subsystem enable.</summary>
    public const ushort PortVideoEnable = 0x3C3;
    /// <summary>Sequencer address.</summary>
    public const ushort PortSequencerAddress = 0x3C4;
    /// <summary>Sequencer data.</summary>
    public const ushort PortSequencerData = 0x3C5;
    /// <summary>DAC pixel mask (PEL mask).</summary>
    public const ushort PortDacMask = 0x3C6;
    /// <summary>DAC read address write; DAC state read.</summary>
    public const ushort PortDacReadAddress = 0x3C7;
    /// <summary>DAC write address.</summary>
    public const ushort PortDacWriteAddress = 0x3C8;
    /// <summary>DAC data (R, G, B in turn).</summary>
    public const ushort PortDacData = 0x3C9;
    /// <summary>Feature control read.</summary>
    public const ushort PortFeatureControlRead = 0x3CA;
    /// <summary>Miscellaneous output read.</summary>
    public const ushort PortMiscOutputRead = 0x3CC;
    /// <summary>Graphics controller address.</summary>
    public const ushort PortGraphicsAddress = 0x3CE;
    /// <summary>Graphics controller data.</summary>
    public const ushort PortGraphicsData = 0x3CF;
    /// <summary>CRTC address (monochrome).</summary>
    public const ushort PortCrtcAddressMono = 0x3B4;
    /// <summary>CRTC data (monochrome).</summary>
    public const ushort PortCrtcDataMono = 0x3B5;
    /// <summary>Input status 1 read / feature control write (monochrome).</summary>
    public const ushort PortInputStatus1Mono = 0x3BA;
    /// <summary>CRTC address (colour).</summary>
    public const ushort PortCrtcAddressColor = 0x3D4;
    /// <summary>CRTC data (colour).</summary>
    public const ushort PortCrtcDataColor = 0x3D5;
    /// <summary>Input status 1 read / feature control write (colour).</summary>
    public const ushort PortInputStatus1Color = 0x3DA;
    /// <summary>Bochs VBE DISPI index register (16-bit).</summary>
    public const ushort PortVbeIndex = 0x1CE;
    /// <summary>Bochs VBE DISPI data register (16-bit).</summary>
    public const ushort PortVbeData = 0x1CF;
    /// <summary>Bochs VBE DISPI data register alias.</summary>
    public const ushort PortVbeDataAlias = 0x1D0;

    // ---- Sequencer registers (FreeVGA "Sequencer Registers") ----
    public const int SeqReset = 0x00;
    public const int SeqClockingMode = 0x01;
    public const int SeqMapMask = 0x02;
    public const int SeqCharacterMapSelect = 0x03;
    public const int SeqMemoryMode = 0x04;
    /// <summary>Implemented bits of sequencer registers 0–4 (reserved bits read as 0).</summary>
    private static ReadOnlySpan<byte> SequencerMask => [0x03, 0x3D, 0x0F, 0x3F, 0x0E];

    // ---- Graphics controller registers (FreeVGA "Graphics Registers") ----
    public const int GcSetReset = 0x00;
    public const int GcEnableSetReset = 0x01;
    public const int GcColorCompare = 0x02;
    public const int GcDataRotate = 0x03;
    public const int GcReadMapSelect = 0x04;
    public const int GcGraphicsMode = 0x05;
    public const int GcMiscellaneous = 0x06;
    public const int GcColorDontCare = 0x07;
    public const int GcBitMask = 0x08;
    /// <summary>Implemented bits of graphics registers 0–8 (reserved bits read as 0).</summary>
    private static ReadOnlySpan<byte> GraphicsMask => [0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF];

    // ---- CRT controller registers (FreeVGA "CRT Controller Registers") ----
    public const int CrtcHorizontalTotal = 0x00;
    public const int CrtcHorizontalDisplayEnd = 0x01;
    public const int CrtcOverflow = 0x07;
    public const int CrtcPresetRowScan = 0x08;
    public const int CrtcMaximumScanLine = 0x09;
    public const int CrtcCursorStart = 0x0A;
    public const int CrtcCursorEnd = 0x0B;
    public const int CrtcStartAddressHigh = 0x0C;
    public const int CrtcStartAddressLow = 0x0D;
    public const int CrtcCursorLocationHigh = 0x0E;
    public const int CrtcCursorLocationLow = 0x0F;
    public const int CrtcVerticalRetraceStart = 0x10;
    public const int CrtcVerticalRetraceEnd = 0x11;
    public const int CrtcVerticalDisplayEnd = 0x12;
    public const int CrtcOffset = 0x13;
    public const int CrtcUnderlineLocation = 0x14;
    public const int CrtcStartVerticalBlank = 0x15;
    public const int CrtcEndVerticalBlank = 0x16;
    public const int CrtcModeControl = 0x17;
    public const int CrtcLineCompare = 0x18;
    /// <summary>Number of CRTC registers (0x00–0x18).</summary>
    public const int CrtcCount = 0x19;
    /// <summary>Vertical retrace end bit 7: protect registers 0–7.</summary>
    private const byte CrtcProtect = 0x80;

    // ---- Attribute controller registers (FreeVGA "Attribute Controller Registers") ----
    public const int AcModeControl = 0x10;
    public const int AcOverscanColor = 0x11;
    public const int AcColorPlaneEnable = 0x12;
    public const int AcHorizontalPixelPanning = 0x13;
    public const int AcColorSelect = 0x14;
    /// <summary>Number of attribute registers (0x00–0x14).</summary>
    public const int AcCount = 0x15;
    /// <summary>Attribute address bit 5: palette address source (1 = display uses the palette).</summary>
    private const byte AcPaletteAddressSource = 0x20;

    // ---- Misc output (FreeVGA "Miscellaneous Output Register") ----
    private const byte MiscIoAddressSelect = 0x01;
    private const byte MiscRamEnable = 0x02;

    // ---- Input status 1 (FreeVGA "Input Status #1 Register") ----
    private const byte Status1DisplayDisabled = 0x01;
    private const byte Status1VerticalRetrace = 0x08;

    // Display timing used for input status 1: the 70 Hz 400-line timing of mode 3 (25.175 MHz / 800 / 449).
    private const long FramePeriodNs = 14_268_000;
    private const long LinePeriodNs = 31_778;
    private const long HorizontalDisplayNs = 25_422;
    private const long VerticalRetraceNs = 2 * LinePeriodNs;

    private const byte StateVersion = 1;

    private readonly VirtualClock? _clock;
    private readonly byte[] _vram;
    private readonly byte[] _sequencer = new byte[8];
    private readonly byte[] _graphics = new byte[16];
    private readonly byte[] _crtc = new byte[CrtcCount];
    private readonly byte[] _attribute = new byte[AcCount];
    private readonly byte[] _dac = new byte[256 * 3];

    private byte _sequencerIndex;
    private byte _graphicsIndex;
    private byte _crtcIndex;
    private byte _attributeIndex;
    private bool _attributeFlipFlop; // false: next 0x3C0 write is the address; true: it is data
    private byte _miscOutput;
    private byte _featureControl;
    private byte _videoEnable;
    private byte _dacMask;
    private byte _dacReadIndex;
    private byte _dacWriteIndex;
    private byte _dacComponent;
    private bool _dacReadMode;
    private readonly byte[] _dacLatch = new byte[3];
    private uint _latch;
    private ulong _statusReads;

    /// <summary>Creates the adapter. <paramref name="clock"/> drives the retrace bits of input status 1; without one they toggle on every few reads.</summary>
    public VgaDevice(VirtualClock? clock = null, int vramSize = DefaultVramSize)
    {
        if (vramSize < 4 * PlaneSize || (vramSize & (vramSize - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(vramSize));
        _clock = clock;
        _vram = GC.AllocateArray<byte>(vramSize, pinned: true);
        LegacyWindow = new VgaLegacyWindow(this);
        LinearFramebuffer = new VgaLinearFramebuffer(this);
        _vbe = new ushort[VbeRegisterCount];
        Reset();
    }

    public string Name => "vga";

    /// <summary>The whole VRAM (the LFB); the VGA planes are the first 256 KiB, interleaved by plane.</summary>
    public Span<byte> Framebuffer => _vram;

    public int VramSize => _vram.Length;

    /// <summary>
    /// Host address of VRAM (pinned for the adapter's lifetime), for a board that maps the LFB as RAM-like memory.
    /// Rendering reads VRAM directly, so such a mapping needs no dirty tracking.
    /// </summary>
    public unsafe nint VramPointer => (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_vram));

    /// <summary>The 0xA0000–0xBFFFF window (size <see cref="LegacyWindowSize"/>), offsets relative to 0xA0000.</summary>
    public IMmioHandler LegacyWindow { get; }

    public const ulong LegacyWindowBase = 0xA0000;
    public const ulong LegacyWindowSize = 0x20000;

    /// <summary>The linear framebuffer (PCI BAR0), offsets relative to its base, size <see cref="VramSize"/>.</summary>
    public IMmioHandler LinearFramebuffer { get; }

    /// <summary>Claims 0x3B0–0x3DF (ports the VGA does not decode read 0xFF) and the VBE ports 0x1CE–0x1D0.</summary>
    public void RegisterPorts(PortBus ports)
    {
        ports.Register(0x3B0, 0x30, this);
        ports.Register(PortVbeIndex, 3, this);
    }

    /// <summary>Misc output bit 0: true when the CRTC is at 0x3D4 (colour), false at 0x3B4 (monochrome).</summary>
    public bool ColorMode => (_miscOutput & MiscIoAddressSelect) != 0;

    public byte MiscOutput => _miscOutput;

    public byte ReadSequencer(int index) => (uint)index < 5 ? _sequencer[index] : (byte)0;

    public byte ReadGraphics(int index) => (uint)index < 9 ? _graphics[index] : (byte)0;

    public byte ReadCrtc(int index) => (uint)index < CrtcCount ? _crtc[index] : (byte)0;

    public byte ReadAttribute(int index) => (uint)index < AcCount ? _attribute[index] : (byte)0;

    /// <summary>DAC entry <paramref name="index"/> as 6-bit (or 8-bit with VBE 8BIT_DAC) red, green, blue.</summary>
    public (byte R, byte G, byte B) ReadDacEntry(int index)
    {
        int i = (index & 0xFF) * 3;
        return (_dac[i], _dac[i + 1], _dac[i + 2]);
    }

    /// <summary>Power-on state: the registers of BIOS mode 3 (80x25 colour text), the EGA palette in the DAC, VRAM cleared, VBE off.</summary>
    public void Reset()
    {
        Array.Clear(_vram);
        _miscOutput = 0x67;
        _featureControl = 0;
        _videoEnable = 1;
        ReadOnlySpan<byte> seq = [0x03, 0x00, 0x03, 0x00, 0x02];
        Array.Clear(_sequencer);
        seq.CopyTo(_sequencer);
        ReadOnlySpan<byte> crtc =
        [
            0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
            0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
        ];
        crtc.CopyTo(_crtc);
        ReadOnlySpan<byte> gc = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF];
        Array.Clear(_graphics);
        gc.CopyTo(_graphics);
        ReadOnlySpan<byte> ac =
        [
            0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
            0x0C, 0x00, 0x0F, 0x08, 0x00,
        ];
        ac.CopyTo(_attribute);
        _sequencerIndex = 0;
        _graphicsIndex = 0;
        _crtcIndex = 0;
        _attributeIndex = AcPaletteAddressSource;
        _attributeFlipFlop = false;
        // DAC entries 0–63: the EGA colours (bits 2,1,0 = R,G,B at 2/3 intensity; bits 5,4,3 = r,g,b at 1/3).
        Array.Clear(_dac);
        for (int i = 0; i < 64; i++)
        {
            _dac[i * 3] = (byte)((((i >> 2) & 1) * 42) + (((i >> 5) & 1) * 21));
            _dac[i * 3 + 1] = (byte)((((i >> 1) & 1) * 42) + (((i >> 4) & 1) * 21));
            _dac[i * 3 + 2] = (byte)(((i & 1) * 42) + (((i >> 3) & 1) * 21));
        }
        _dacMask = 0xFF;
        _dacReadIndex = 0;
        _dacWriteIndex = 0;
        _dacComponent = 0;
        _dacReadMode = false;
        Array.Clear(_dacLatch);
        _latch = 0;
        _statusReads = 0;
        ResetVbe();
    }

    public uint Read(ushort port, int size)
    {
        if (IsVbePort(port)) return ReadVbePort(port);
        uint v = 0;
        for (int i = 0; i < size; i++) v |= (uint)ReadByte((ushort)(port + i)) << (8 * i);
        return v;
    }

    public void Write(ushort port, int size, uint value)
    {
        if (IsVbePort(port))
        {
            WriteVbePort(port, size == 1 ? value & 0xFF : value & 0xFFFF);
            return;
        }
        for (int i = 0; i < size; i++) WriteByte((ushort)(port + i), (byte)(value >> (8 * i)));
    }

    /// <summary>One byte read from a VGA port (0x3B0–0x3DF).</summary>
    public byte ReadByte(ushort port)
    {
        if (!Decodes(port)) return 0xFF;
        switch (port)
        {
            case PortAttributeAddress:
                return _attributeIndex;
            case PortAttributeDataRead:
                {
                    int idx = _attributeIndex & 0x1F;
                    return idx < AcCount ? _attribute[idx] : (byte)0;
                }
            case PortMiscOutputWrite:
                return 0; // input status 0: no switch sense, no pending vertical interrupt
            case PortVideoEnable:
                return _videoEnable;
            case PortSequencerAddress:
                return _sequencerIndex;
            case PortSequencerData:
                return _sequencerIndex < 5 ? _sequencer[_sequencerIndex] : (byte)0;
            case PortDacMask:
                return _dacMask;
            case PortDacReadAddress:
                return _dacReadMode ? (byte)0x03 : (byte)0x00;
            case PortDacWriteAddress:
                return _dacWriteIndex;
            case PortDacData:
                {
                    byte v = _dac[_dacReadIndex * 3 + _dacComponent];
                    if (++_dacComponent == 3)
                    {
                        _dacComponent = 0;
                        _dacReadIndex++;
                    }
                    return v;
                }
            case PortFeatureControlRead:
                return _featureControl;
            case PortMiscOutputRead:
                return _miscOutput;
            case PortGraphicsAddress:
                return _graphicsIndex;
            case PortGraphicsData:
                return _graphicsIndex < 9 ? _graphics[_graphicsIndex] : (byte)0;
            case PortCrtcAddressMono or PortCrtcAddressColor:
                return _crtcIndex;
            case PortCrtcDataMono or PortCrtcDataColor:
                return _crtcIndex < CrtcCount ? _crtc[_crtcIndex] : (byte)0;
            case PortInputStatus1Mono or PortInputStatus1Color:
                _attributeFlipFlop = false;
                return InputStatus1();
            default:
                return 0xFF;
        }
    }

    /// <summary>One byte write to a VGA port (0x3B0–0x3DF).</summary>
    public void WriteByte(ushort port, byte value)
    {
        if (!Decodes(port)) return;
        switch (port)
        {
            case PortAttributeAddress:
                if (!_attributeFlipFlop)
                {
                    _attributeIndex = (byte)(value & 0x3F);
                }
                else
                {
                    WriteAttribute(_attributeIndex & 0x1F, value);
                }
                _attributeFlipFlop = !_attributeFlipFlop;
                break;
            case PortMiscOutputWrite:
                _miscOutput = (byte)(value & 0xEF); // bit 4 is reserved
                break;
            case PortVideoEnable:
                _videoEnable = (byte)(value & 0x01);
                break;
            case PortSequencerAddress:
                _sequencerIndex = (byte)(value & 0x07);
                break;
            case PortSequencerData:
                if (_sequencerIndex < 5) _sequencer[_sequencerIndex] = (byte)(value & SequencerMask[_sequencerIndex]);
                break;
            case PortDacMask:
                _dacMask = value;
                break;
            case PortDacReadAddress:
                _dacReadIndex = value;
                _dacComponent = 0;
                _dacReadMode = true;
                break;
            case PortDacWriteAddress:
                _dacWriteIndex = value;
                _dacComponent = 0;
                _dacReadMode = false;
                break;
            case PortDacData:
                _dacLatch[_dacComponent] = DacEightBit ? value : (byte)(value & 0x3F);
                if (++_dacComponent == 3)
                {
                    _dacComponent = 0;
                    int i = _dacWriteIndex * 3;
                    _dac[i] = _dacLatch[0];
                    _dac[i + 1] = _dacLatch[1];
                    _dac[i + 2] = _dacLatch[2];
                    _dacWriteIndex++;
                }
                break;
            case PortGraphicsAddress:
                _graphicsIndex = (byte)(value & 0x0F);
                break;
            case PortGraphicsData:
                if (_graphicsIndex < 9) _graphics[_graphicsIndex] = (byte)(value & GraphicsMask[_graphicsIndex]);
                break;
            case PortCrtcAddressMono or PortCrtcAddressColor:
                _crtcIndex = (byte)(value & 0x3F);
                break;
            case PortCrtcDataMono or PortCrtcDataColor:
                WriteCrtc(_crtcIndex, value);
                break;
            case PortInputStatus1Mono or PortInputStatus1Color:
                _featureControl = (byte)(value & 0x03);
                break;
        }
    }

    private void WriteAttribute(int index, byte value)
    {
        if (index >= AcCount) return;
        _attribute[index] = index switch
        {
            < 0x10 => (byte)(value & 0x3F),
            AcModeControl => (byte)(value & 0xEF),
            AcOverscanColor => value,
            AcColorPlaneEnable => (byte)(value & 0x3F),
            _ => (byte)(value & 0x0F),
        };
    }

    private void WriteCrtc(int index, byte value)
    {
        if (index >= CrtcCount) return;
        if (index <= CrtcOverflow && (_crtc[CrtcVerticalRetraceEnd] & CrtcProtect) != 0)
        {
            // Protect bit: registers 0–7 are read-only except the line compare bit 8 (overflow bit 4).
            if (index == CrtcOverflow) _crtc[CrtcOverflow] = (byte)((_crtc[CrtcOverflow] & ~0x10) | (value & 0x10));
            return;
        }
        _crtc[index] = value;
    }

    /// <summary>True when <paramref name="port"/> is decoded in the current mono/colour mode.</summary>
    private bool Decodes(ushort port)
    {
        if (port is >= 0x3B0 and <= 0x3BF) return !ColorMode;
        if (port is >= 0x3D0 and <= 0x3DF) return ColorMode;
        return port is >= 0x3C0 and <= 0x3CF;
    }

    private byte InputStatus1()
    {
        bool vretrace;
        bool blank;
        if (_clock is not null)
        {
            long now = _clock.Now;
            long inFrame = now % FramePeriodNs;
            vretrace = inFrame < VerticalRetraceNs;
            blank = vretrace || now % LinePeriodNs >= HorizontalDisplayNs;
        }
        else
        {
            ulong n = _statusReads++;
            vretrace = (n & 0x1F) < 4;
            blank = vretrace || (n & 1) != 0;
        }
        byte v = 0;
        if (blank) v |= Status1DisplayDisabled;
        if (vretrace) v |= Status1VerticalRetrace;
        return v;
    }

    private bool DacEightBit => (_vbe[VbeEnable] & VbeEnable8BitDac) != 0;
}
