namespace Emulator.Devices;

/// <summary>The Bochs VBE "dispi" interface: 16-bit registers behind index 0x1CE and data 0x1CF (alias 0x1D0).</summary>
public sealed partial class VgaDevice
{
    // ---- DISPI register indices (Bochs vbe.h: VBE_DISPI_INDEX_*) ----
    public const int VbeId = 0x0;
    public const int VbeXres = 0x1;
    public const int VbeYres = 0x2;
    public const int VbeBpp = 0x3;
    public const int VbeEnable = 0x4;
    public const int VbeBank = 0x5;
    public const int VbeVirtWidth = 0x6;
    public const int VbeVirtHeight = 0x7;
    public const int VbeXOffset = 0x8;
    public const int VbeYOffset = 0x9;
    public const int VbeVideoMemory64K = 0xA;
    public const int VbeRegisterCount = 0xB;

    // ---- DISPI constants ----
    /// <summary>VBE_DISPI_ID0: the oldest interface revision a guest may select.</summary>
    public const ushort VbeId0 = 0xB0C0;
    /// <summary>VBE_DISPI_ID5: the revision reported after reset.</summary>
    public const ushort VbeId5 = 0xB0C5;
    /// <summary>ENABLE bit 0: VBE mode active.</summary>
    public const ushort VbeEnableEnabled = 0x01;
    /// <summary>ENABLE bit 1: XRES/YRES/BPP read as the maximum capabilities.</summary>
    public const ushort VbeEnableGetCaps = 0x02;
    /// <summary>ENABLE bit 5: DAC entries are 8 bits wide.</summary>
    public const ushort VbeEnable8BitDac = 0x20;
    /// <summary>ENABLE bit 6: linear framebuffer enabled.</summary>
    public const ushort VbeEnableLfb = 0x40;
    /// <summary>ENABLE bit 7: do not clear video memory on enable.</summary>
    public const ushort VbeEnableNoClearMem = 0x80;
    private const ushort VbeEnableMask = VbeEnableEnabled | VbeEnableGetCaps | VbeEnable8BitDac | VbeEnableLfb | VbeEnableNoClearMem;

    public const int VbeMaxXres = 2560;
    public const int VbeMaxYres = 1600;
    public const int VbeMaxBpp = 32;
    /// <summary>Bank granularity of the 0xA0000 window in VBE modes (64 KiB).</summary>
    public const int VbeBankSize = 0x10000;

    private readonly ushort[] _vbe;
    private ushort _vbeIndex;

    /// <summary>True while the VBE (ENABLE bit 0) owns the display.</summary>
    public bool VbeEnabled => (_vbe[VbeEnable] & VbeEnableEnabled) != 0;

    /// <summary>Raw DISPI register <paramref name="index"/> (no GETCAPS substitution).</summary>
    public ushort ReadVbeRegister(int index) => (uint)index < VbeRegisterCount ? _vbe[index] : (ushort)0;

    /// <summary>Bytes per scan line of the VBE mode (virtual width × bytes per pixel).</summary>
    public int VbeLineBytes => LineBytes(_vbe[VbeVirtWidth], _vbe[VbeBpp]);

    /// <summary>VRAM byte offset of the displayed VBE picture (from X/Y_OFFSET).</summary>
    public long VbeStartOffset
    {
        get
        {
            int bpp = _vbe[VbeBpp];
            long x = _vbe[VbeXOffset];
            long xBytes = bpp == 4 ? x / 2 : x * ((bpp + 7) / 8);
            return (long)_vbe[VbeYOffset] * VbeLineBytes + xBytes;
        }
    }

    /// <summary>DISPI register read as the data port returns it (the QEMU MMIO BAR uses this directly).</summary>
    public ushort ReadDispi(int index) => ReadVbeData(index);

    /// <summary>DISPI register write as through the data port.</summary>
    public void WriteDispi(int index, ushort value) => WriteVbeData(index, value);

    private bool VbeBankedWindow => VbeEnabled && _vbe[VbeBpp] != 4;

    private void ResetVbe()
    {
        Array.Clear(_vbe);
        _vbe[VbeId] = VbeId5;
        _vbe[VbeBpp] = 8;
        _vbe[VbeVideoMemory64K] = (ushort)Math.Min(_vram.Length / VbeBankSize, 0xFFFF);
        _vbeIndex = 0;
    }

    private static bool IsVbePort(ushort port) => port is PortVbeIndex or PortVbeData or PortVbeDataAlias;

    private uint ReadVbePort(ushort port)
    {
        if (port == PortVbeIndex) return _vbeIndex;
        return ReadVbeData(_vbeIndex);
    }

    private void WriteVbePort(ushort port, uint value)
    {
        if (port == PortVbeIndex)
        {
            _vbeIndex = (ushort)value;
            return;
        }
        WriteVbeData(_vbeIndex, (ushort)value);
    }

    private ushort ReadVbeData(int index)
    {
        if ((uint)index >= VbeRegisterCount) return 0;
        if ((_vbe[VbeEnable] & VbeEnableGetCaps) != 0)
        {
            switch (index)
            {
                case VbeXres: return VbeMaxXres;
                case VbeYres: return VbeMaxYres;
                case VbeBpp: return VbeMaxBpp;
            }
        }
        return _vbe[index];
    }

    private void WriteVbeData(int index, ushort value)
    {
        switch (index)
        {
            case VbeId:
                if (value is >= VbeId0 and <= VbeId5) _vbe[VbeId] = value;
                break;
            case VbeXres:
                if (!VbeEnabled && value <= VbeMaxXres) _vbe[VbeXres] = value;
                break;
            case VbeYres:
                if (!VbeEnabled && value <= VbeMaxYres) _vbe[VbeYres] = value;
                break;
            case VbeBpp:
                if (VbeEnabled) break;
                if (value == 0) value = 8;
                if (value is 4 or 8 or 15 or 16 or 24 or 32) _vbe[VbeBpp] = value;
                break;
            case VbeEnable:
                WriteVbeEnable(value);
                break;
            case VbeBank:
                _vbe[VbeBank] = (ushort)(value & ((_vram.Length / VbeBankSize) - 1));
                break;
            case VbeVirtWidth:
                SetVirtualWidth(value);
                break;
            case VbeXOffset:
                _vbe[VbeXOffset] = value;
                break;
            case VbeYOffset:
                _vbe[VbeYOffset] = value;
                break;
            // VIRT_HEIGHT follows from VIRT_WIDTH and the VRAM size; VIDEO_MEMORY_64K is read-only.
        }
    }

    private void WriteVbeEnable(ushort value)
    {
        bool wasEnabled = VbeEnabled;
        _vbe[VbeEnable] = (ushort)(value & VbeEnableMask);
        if ((value & VbeEnableEnabled) != 0 && !wasEnabled)
        {
            _vbe[VbeXOffset] = 0;
            _vbe[VbeYOffset] = 0;
            _vbe[VbeBank] = 0;
            SetVirtualWidth(_vbe[VbeXres]);
            if ((value & VbeEnableNoClearMem) == 0)
            {
                long bytes = Math.Min((long)VbeLineBytes * _vbe[VbeYres], _vram.Length);
                Array.Clear(_vram, 0, (int)bytes);
            }
        }
    }

    private void SetVirtualWidth(ushort width)
    {
        if (width < _vbe[VbeXres]) width = _vbe[VbeXres];
        int lineBytes = LineBytes(width, _vbe[VbeBpp]);
        _vbe[VbeVirtWidth] = width;
        _vbe[VbeVirtHeight] = lineBytes == 0 ? (ushort)0 : (ushort)Math.Min(_vram.Length / lineBytes, 0xFFFF);
    }

    private static int LineBytes(int width, int bpp) => bpp == 4 ? width / 2 : width * ((bpp + 7) / 8);

    /// <summary>VRAM index for a banked-window access, or -1 outside the 64 KiB window at 0xA0000.</summary>
    private long VbeWindowAddress(uint offset)
    {
        if (offset >= VbeBankSize) return -1;
        long linear = ((long)_vbe[VbeBank] * VbeBankSize) + offset;
        return linear < _vram.Length ? linear : -1;
    }
}
