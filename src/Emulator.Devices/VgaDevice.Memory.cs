using System.Buffers.Binary;

namespace Emulator.Devices;

/// <summary>Host access to display memory: the planar pipeline of the sequencer and graphics controller.</summary>
public sealed partial class VgaDevice
{
    // Graphics mode register (GC 5) fields.
    private const byte GcModeWriteModeMask = 0x03;
    private const byte GcModeReadMode = 0x08;
    private const byte GcModeHostOddEven = 0x10;
    // Memory mode register (SR 4) fields.
    private const byte SeqMemoryOddEvenDisable = 0x04;
    private const byte SeqMemoryChain4 = 0x08;

    /// <summary>Reads one byte of the 0xA0000–0xBFFFF window at <paramref name="offset"/> (relative to 0xA0000).</summary>
    public byte ReadWindowByte(uint offset)
    {
        if (VbeBankedWindow)
        {
            long linear = VbeWindowAddress(offset);
            return linear >= 0 ? _vram[linear] : (byte)0xFF;
        }
        if ((_miscOutput & MiscRamEnable) == 0 || !MapWindow(offset, out uint a)) return 0xFF;
        byte memoryMode = _sequencer[SeqMemoryMode];
        byte mode = _graphics[GcGraphicsMode];
        int plane;
        uint planeAddress;
        if ((memoryMode & SeqMemoryChain4) != 0)
        {
            plane = (int)(a & 3);
            planeAddress = a & ~3u;
        }
        else if ((mode & GcModeHostOddEven) != 0)
        {
            plane = (_graphics[GcReadMapSelect] & 2) | (int)(a & 1);
            planeAddress = a & ~1u;
        }
        else
        {
            plane = _graphics[GcReadMapSelect] & 3;
            planeAddress = a;
        }
        planeAddress = ExtendPlaneAddress(planeAddress);
        _latch = BinaryPrimitives.ReadUInt32LittleEndian(_vram.AsSpan((int)planeAddress * 4, 4));
        if ((mode & GcModeReadMode) == 0) return (byte)(_latch >> (8 * plane));
        // Read mode 1: colour compare. A bit reads 1 where every plane enabled in colour don't care matches colour compare.
        uint compare = ExpandPlanes(_graphics[GcColorCompare]);
        uint care = ExpandPlanes(_graphics[GcColorDontCare]);
        uint diff = (_latch ^ compare) & care;
        return (byte)~(diff | (diff >> 8) | (diff >> 16) | (diff >> 24));
    }

    /// <summary>Writes one byte of the 0xA0000–0xBFFFF window at <paramref name="offset"/> (relative to 0xA0000).</summary>
    public void WriteWindowByte(uint offset, byte value)
    {
        if (VbeBankedWindow)
        {
            long linear = VbeWindowAddress(offset);
            if (linear >= 0) _vram[linear] = value;
            return;
        }
        if ((_miscOutput & MiscRamEnable) == 0 || !MapWindow(offset, out uint a)) return;
        byte memoryMode = _sequencer[SeqMemoryMode];
        int planeEnable = _sequencer[SeqMapMask] & 0x0F;
        uint planeAddress;
        if ((memoryMode & SeqMemoryChain4) != 0)
        {
            planeEnable &= 1 << (int)(a & 3);
            planeAddress = a & ~3u;
        }
        else if ((memoryMode & SeqMemoryOddEvenDisable) == 0)
        {
            planeEnable &= (a & 1) != 0 ? 0x0A : 0x05;
            planeAddress = a & ~1u;
        }
        else
        {
            planeAddress = a;
        }
        if (planeEnable == 0) return;
        planeAddress = ExtendPlaneAddress(planeAddress);

        uint data;
        uint bitMask = _graphics[GcBitMask];
        int rotate = _graphics[GcDataRotate] & 7;
        switch (_graphics[GcGraphicsMode] & GcModeWriteModeMask)
        {
            case 0:
                {
                    uint rotated = (uint)(byte)((value >> rotate) | (value << (8 - rotate))) * 0x0101_0101u;
                    uint enable = ExpandPlanes(_graphics[GcEnableSetReset]);
                    data = (rotated & ~enable) | (ExpandPlanes(_graphics[GcSetReset]) & enable);
                    data = LogicalOperation(data);
                    break;
                }
            case 1:
                StorePlanes(planeAddress, _latch, planeEnable);
                return;
            case 2:
                data = LogicalOperation(ExpandPlanes(value));
                break;
            default:
                {
                    byte rotated = (byte)((value >> rotate) | (value << (8 - rotate)));
                    bitMask &= rotated;
                    data = LogicalOperation(ExpandPlanes(_graphics[GcSetReset]));
                    break;
                }
        }
        uint m = bitMask * 0x0101_0101u;
        data = (data & m) | (_latch & ~m);
        StorePlanes(planeAddress, data, planeEnable);
    }

    /// <summary>Plane <paramref name="plane"/> (0–3) byte at <paramref name="address"/> (0–0xFFFF), for renderers and tests.</summary>
    public byte ReadPlane(int plane, int address) => _vram[((address & (PlaneSize - 1)) * 4) + (plane & 3)];

    /// <summary>Stores a plane byte directly (no graphics controller involvement).</summary>
    public void WritePlane(int plane, int address, byte value) => _vram[((address & (PlaneSize - 1)) * 4) + (plane & 3)] = value;

    /// <summary>The 32-bit latch register (plane 0 in bits 7:0 … plane 3 in bits 31:24).</summary>
    public uint Latch => _latch;

    /// <summary>
    /// Wraps a plane address to the 64 KiB plane; in a VBE 4-bpp mode the planes extend over all of VRAM and the
    /// DISPI bank selects the 64 KiB piece the window shows.
    /// </summary>
    private uint ExtendPlaneAddress(uint planeAddress)
    {
        if (VbeEnabled && _vbe[VbeBpp] == 4)
        {
            uint planeBytes = (uint)_vram.Length / 4;
            return (((uint)_vbe[VbeBank] << 16) + (planeAddress & (PlaneSize - 1))) & (planeBytes - 1);
        }
        return planeAddress & (PlaneSize - 1);
    }

    private void StorePlanes(uint planeAddress, uint data, int planeEnable)
    {
        var span = _vram.AsSpan((int)planeAddress * 4, 4);
        uint pm = ExpandPlanes((byte)planeEnable);
        uint old = BinaryPrimitives.ReadUInt32LittleEndian(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (old & ~pm) | (data & pm));
    }

    private uint LogicalOperation(uint data) => ((_graphics[GcDataRotate] >> 3) & 3) switch
    {
        0 => data,
        1 => data & _latch,
        2 => data | _latch,
        _ => data ^ _latch,
    };

    /// <summary>Bit <c>p</c> of <paramref name="bits"/> (p = 0–3) becomes 0xFF or 0x00 in byte lane <c>p</c>.</summary>
    private static uint ExpandPlanes(byte bits)
    {
        uint v = 0;
        if ((bits & 1) != 0) v |= 0x0000_00FF;
        if ((bits & 2) != 0) v |= 0x0000_FF00;
        if ((bits & 4) != 0) v |= 0x00FF_0000;
        if ((bits & 8) != 0) v |= 0xFF00_0000;
        return v;
    }

    /// <summary>Applies the memory map select of GC 6 bits 3:2; false when the offset is outside the selected window.</summary>
    private bool MapWindow(uint offset, out uint address)
    {
        switch ((_graphics[GcMiscellaneous] >> 2) & 3)
        {
            case 0: // A0000–BFFFF, 128 KiB
                address = offset;
                return offset < 0x20000;
            case 1: // A0000–AFFFF, 64 KiB
                address = offset;
                return offset < 0x10000;
            case 2: // B0000–B7FFF, 32 KiB
                address = offset - 0x10000;
                return offset is >= 0x10000 and < 0x18000;
            default: // B8000–BFFFF, 32 KiB
                address = offset - 0x18000;
                return offset is >= 0x18000 and < 0x20000;
        }
    }

    internal ulong ReadLegacy(ulong offset, int size)
    {
        ulong v = 0;
        for (int i = 0; i < size; i++)
        {
            ulong off = offset + (ulong)i;
            byte b = off < LegacyWindowSize ? ReadWindowByte((uint)off) : (byte)0xFF;
            v |= (ulong)b << (8 * i);
        }
        return v;
    }

    internal void WriteLegacy(ulong offset, int size, ulong value)
    {
        for (int i = 0; i < size; i++)
        {
            ulong off = offset + (ulong)i;
            if (off < LegacyWindowSize) WriteWindowByte((uint)off, (byte)(value >> (8 * i)));
        }
    }

    internal ulong ReadLfb(ulong offset, int size)
    {
        if (size is < 1 or > 8) size = Math.Clamp(size, 1, 8);
        if (offset <= (ulong)(_vram.Length - size))
        {
            ulong v = 0;
            for (int i = size - 1; i >= 0; i--) v = (v << 8) | _vram[(int)offset + i];
            return v;
        }
        ulong r = 0;
        for (int i = 0; i < size; i++)
        {
            ulong off = offset + (ulong)i;
            ulong b = off < (ulong)_vram.Length ? _vram[(int)off] : 0xFFu;
            r |= b << (8 * i);
        }
        return r;
    }

    internal void WriteLfb(ulong offset, int size, ulong value)
    {
        if (size is < 1 or > 8) size = Math.Clamp(size, 1, 8);
        for (int i = 0; i < size; i++)
        {
            ulong off = offset + (ulong)i;
            if (off < (ulong)_vram.Length) _vram[(int)off] = (byte)(value >> (8 * i));
        }
    }
}
