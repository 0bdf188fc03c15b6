using Emulator.Core.Bus;

namespace Emulator.Devices.Tests;

/// <summary>Guest RAM stand-in: a byte array; accesses outside it fail as IDmaMemory requires.</summary>
internal sealed class FakeDmaMemory(int size) : IDmaMemory
{
    public byte[] Bytes { get; } = new byte[size];

    public bool ReadPhysical(ulong address, Span<byte> destination)
    {
        if (address > (ulong)Bytes.Length || (ulong)destination.Length > (ulong)Bytes.Length - address) return false;
        Bytes.AsSpan((int)address, destination.Length).CopyTo(destination);
        return true;
    }

    public bool WritePhysical(ulong address, ReadOnlySpan<byte> source)
    {
        if (address > (ulong)Bytes.Length || (ulong)source.Length > (ulong)Bytes.Length - address) return false;
        source.CopyTo(Bytes.AsSpan((int)address));
        return true;
    }
}

/// <summary>Disk stand-in over a MemoryStream of 512-byte sectors.</summary>
internal sealed class FakeBlockDevice : IBlockDevice
{
    private readonly MemoryStream _stream;

    public FakeBlockDevice(long sectors, bool readOnly = false, Func<long, byte>? fill = null)
    {
        var data = new byte[sectors * 512];
        if (fill is not null) for (long i = 0; i < data.Length; i++) data[i] = fill(i);
        _stream = new MemoryStream(data, 0, data.Length, writable: true, publiclyVisible: true);
        SectorCount = sectors;
        ReadOnly = readOnly;
    }

    public long SectorCount { get; }

    public bool ReadOnly { get; }

    public int Flushes { get; private set; }

    public byte[] Data => _stream.GetBuffer();

    public void Read(long lba, Span<byte> destination)
    {
        _stream.Position = lba * 512;
        _stream.ReadExactly(destination);
    }

    public void Write(long lba, ReadOnlySpan<byte> source)
    {
        if (ReadOnly) throw new IOException("read-only");
        _stream.Position = lba * 512;
        _stream.Write(source);
    }

    public void Flush() => Flushes++;
}

/// <summary>Records the level of an interrupt wire and counts rising edges.</summary>
internal sealed class FakeLine : IInterruptLine
{
    public bool Level { get; private set; }

    public int Rises { get; private set; }

    public void SetLevel(bool high)
    {
        if (high && !Level) Rises++;
        Level = high;
    }
}

/// <summary>Drives an IDE channel the way a driver does, through its ports.</summary>
internal sealed class IdeHost(IdeChannel channel)
{
    public const ushort Cmd = IdeChannel.PrimaryCommandBase;
    public const ushort Ctl = IdeChannel.PrimaryControlPort;

    public IdeChannel Channel { get; } = channel;

    public byte Status => (byte)Channel.Read(Cmd + 7, 1);

    public byte AltStatus => (byte)Channel.Read(Ctl, 1);

    public byte Error => (byte)Channel.Read(Cmd + 1, 1);

    public byte Reg(int r) => (byte)Channel.Read((ushort)(Cmd + r), 1);

    public void Out(int r, byte v) => Channel.Write((ushort)(Cmd + r), 1, v);

    public void Select(int unit, byte extra = 0xE0) => Out(6, (byte)(extra | (unit << 4)));

    public void Command(byte c) => Out(7, c);

    public void Lba28(int unit, long lba, int count)
    {
        Out(2, (byte)count);
        Out(3, (byte)lba);
        Out(4, (byte)(lba >> 8));
        Out(5, (byte)(lba >> 16));
        Out(6, (byte)(0xE0 | (unit << 4) | (int)((lba >> 24) & 0xF)));
    }

    public void Lba48(int unit, long lba, int count)
    {
        Out(2, (byte)(count >> 8));
        Out(3, (byte)(lba >> 24));
        Out(4, (byte)(lba >> 32));
        Out(5, (byte)(lba >> 40));
        Out(2, (byte)count);
        Out(3, (byte)lba);
        Out(4, (byte)(lba >> 8));
        Out(5, (byte)(lba >> 16));
        Out(6, (byte)(0x40 | (unit << 4)));
    }

    public byte[] ReadData(int bytes)
    {
        var b = new byte[bytes];
        for (int i = 0; i < bytes; i += 2)
        {
            ushort w = (ushort)Channel.Read(Cmd, 2);
            b[i] = (byte)w;
            if (i + 1 < bytes) b[i + 1] = (byte)(w >> 8);
        }
        return b;
    }

    public void WriteData(ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i += 2) Channel.Write(Cmd, 2, (uint)(data[i] | (data[i + 1] << 8)));
    }

    public ushort[] ReadIdentifyWords()
    {
        var b = ReadData(512);
        var w = new ushort[256];
        for (int i = 0; i < 256; i++) w[i] = (ushort)(b[2 * i] | (b[2 * i + 1] << 8));
        return w;
    }

    /// <summary>Sends a 12-byte ATAPI packet with the given byte count limit (PIO unless dma).</summary>
    public void Packet(byte[] cdb, int byteCountLimit = 0xFFFE, bool dma = false)
    {
        Out(1, (byte)(dma ? 1 : 0));
        Out(4, (byte)byteCountLimit);
        Out(5, (byte)(byteCountLimit >> 8));
        Command(AtaCommand.Packet);
        var p = new byte[12];
        cdb.CopyTo(p, 0);
        WriteData(p);
    }

    public int ByteCount => Reg(4) | (Reg(5) << 8);

    /// <summary>Reads every DRQ block of an ATAPI data-in command.</summary>
    public byte[] ReadPacketData()
    {
        var all = new List<byte>();
        while ((AltStatus & AtaRegisters.StatusDrq) != 0)
        {
            int n = ByteCount;
            all.AddRange(ReadData(n));
        }
        return all.ToArray();
    }
}
