namespace Emulator.Devices;

/// <summary>Snapshot section: version byte, every register, the DAC, the latches and the used part of VRAM.</summary>
public sealed partial class VgaDevice
{
    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_miscOutput);
        writer.Write(_featureControl);
        writer.Write(_videoEnable);
        writer.Write(_sequencerIndex);
        writer.Write(_sequencer, 0, 5);
        writer.Write(_graphicsIndex);
        writer.Write(_graphics, 0, 9);
        writer.Write(_crtcIndex);
        writer.Write(_crtc);
        writer.Write(_attributeIndex);
        writer.Write(_attributeFlipFlop);
        writer.Write(_attribute);
        writer.Write(_dacMask);
        writer.Write(_dacReadIndex);
        writer.Write(_dacWriteIndex);
        writer.Write(_dacComponent);
        writer.Write(_dacReadMode);
        writer.Write(_dacLatch);
        writer.Write(_dac);
        writer.Write(_latch);
        writer.Write(_statusReads);
        writer.Write(_vbeIndex);
        foreach (ushort v in _vbe) writer.Write(v);
        // VRAM: its size, then the bytes up to the last non-zero 4 KiB page.
        int used = _vram.Length;
        while (used > 0 && !_vram.AsSpan(used - 4096, 4096).ContainsAnyExcept((byte)0)) used -= 4096;
        writer.Write(_vram.Length);
        writer.Write(used);
        writer.Write(_vram, 0, used);
    }

    public void LoadState(BinaryReader reader)
    {
        try
        {
            if (reader.ReadByte() != StateVersion) throw new InvalidDataException("vga: unsupported state version");
            _miscOutput = (byte)(reader.ReadByte() & 0xEF);
            _featureControl = (byte)(reader.ReadByte() & 0x03);
            _videoEnable = (byte)(reader.ReadByte() & 0x01);
            _sequencerIndex = (byte)(reader.ReadByte() & 0x07);
            for (int i = 0; i < 5; i++) _sequencer[i] = (byte)(reader.ReadByte() & SequencerMask[i]);
            _graphicsIndex = (byte)(reader.ReadByte() & 0x0F);
            for (int i = 0; i < 9; i++) _graphics[i] = (byte)(reader.ReadByte() & GraphicsMask[i]);
            _crtcIndex = (byte)(reader.ReadByte() & 0x3F);
            ReadExactly(reader, _crtc);
            _attributeIndex = (byte)(reader.ReadByte() & 0x3F);
            _attributeFlipFlop = reader.ReadBoolean();
            ReadExactly(reader, _attribute);
            _dacMask = reader.ReadByte();
            _dacReadIndex = reader.ReadByte();
            _dacWriteIndex = reader.ReadByte();
            _dacComponent = reader.ReadByte();
            if (_dacComponent > 2) throw new InvalidDataException("vga: bad DAC component index");
            _dacReadMode = reader.ReadBoolean();
            ReadExactly(reader, _dacLatch);
            ReadExactly(reader, _dac);
            _latch = reader.ReadUInt32();
            _statusReads = reader.ReadUInt64();
            _vbeIndex = reader.ReadUInt16();
            for (int i = 0; i < _vbe.Length; i++) _vbe[i] = reader.ReadUInt16();
            _vbe[VbeVideoMemory64K] = (ushort)Math.Min(_vram.Length / VbeBankSize, 0xFFFF);
            _vbe[VbeBank] = (ushort)(_vbe[VbeBank] & ((_vram.Length / VbeBankSize) - 1));
            int size = reader.ReadInt32();
            int used = reader.ReadInt32();
            if (size != _vram.Length) throw new InvalidDataException("vga: snapshot VRAM size differs from this adapter's");
            if (used < 0 || used > _vram.Length) throw new InvalidDataException("vga: bad VRAM length");
            ReadExactly(reader, _vram.AsSpan(0, used));
            Array.Clear(_vram, used, _vram.Length - used);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("vga: truncated state", e);
        }
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = reader.Read(destination[total..]);
            if (n <= 0) throw new InvalidDataException("vga: truncated state");
            total += n;
        }
    }
}
