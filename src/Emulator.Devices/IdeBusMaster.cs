using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The bus-master IDE registers of one channel (82371SB §2.7, SFF-8038i): BMICOM command, BMISTA status and
/// BMIDTP descriptor table pointer, and the engine that walks the physical region descriptor (PRD) table in
/// guest memory. A PRD entry is 8 bytes: dword base address (bit 0 zero), word byte count (bit 0 zero, 0 means
/// 64 KiB), and bit 15 of the last word marks the end of the table (EOT). Every table and buffer access goes
/// through <see cref="IDmaMemory"/>; a failed access sets the error bit and never throws.
/// </summary>
public sealed class IdeBusMaster
{
    /// <summary>BMICOM offset (SFF-8038i: bus master IDE command register).</summary>
    public const int CommandOffset = 0;
    /// <summary>BMISTA offset (bus master IDE status register).</summary>
    public const int StatusOffset = 2;
    /// <summary>BMIDTP offset (descriptor table pointer, dword).</summary>
    public const int PrdTableOffset = 4;

    /// <summary>BMICOM bit 0: SSBM, start/stop bus master.</summary>
    public const byte CommandStart = 0x01;
    /// <summary>BMICOM bit 3: RWCON, 1 = bus master writes to memory (device-to-memory transfer).</summary>
    public const byte CommandWriteToMemory = 0x08;
    /// <summary>BMISTA bit 0: BMIDEA, bus master active (read-only).</summary>
    public const byte StatusActive = 0x01;
    /// <summary>BMISTA bit 1: DMA error (write one to clear).</summary>
    public const byte StatusError = 0x02;
    /// <summary>BMISTA bit 2: IDEINTS, the device asserted its interrupt (write one to clear).</summary>
    public const byte StatusInterrupt = 0x04;
    /// <summary>BMISTA bit 5: drive 0 DMA capable (software scratch bit).</summary>
    public const byte StatusDrive0Dma = 0x20;
    /// <summary>BMISTA bit 6: drive 1 DMA capable (software scratch bit).</summary>
    public const byte StatusDrive1Dma = 0x40;

    /// <summary>A PRD table may not cross a 64 KiB boundary: at most 8192 entries.</summary>
    private const int MaxPrdEntries = 0x10000 / 8;

    private readonly IDmaMemory? _memory;
    private int _prdIndex;
    private uint _entryAddress;
    private uint _entryRemaining;
    private bool _entryLoaded;
    private bool _entryEot;

    internal IdeBusMaster(IDmaMemory? memory)
    {
        _memory = memory;
    }

    internal Action? StartRequested { get; set; }

    public byte Command { get; private set; }

    public byte Status { get; private set; }

    public uint PrdTableAddress { get; private set; }

    public bool Active => (Status & StatusActive) != 0;

    /// <summary>True once the entry marked EOT has been consumed completely.</summary>
    internal bool Exhausted { get; private set; }

    internal bool MemoryError { get; private set; }

    public byte ReadRegister(int offset) => offset switch
    {
        CommandOffset => Command,
        StatusOffset => Status,
        >= PrdTableOffset and < PrdTableOffset + 4 => (byte)(PrdTableAddress >> (8 * (offset - PrdTableOffset))),
        _ => 0,
    };

    public void WriteRegister(int offset, byte value)
    {
        switch (offset)
        {
            case CommandOffset:
                bool wasStarted = (Command & CommandStart) != 0;
                Command = (byte)(value & (CommandStart | CommandWriteToMemory));
                bool start = (value & CommandStart) != 0;
                if (start && !wasStarted)
                {
                    Status |= StatusActive;
                    RestartTable();
                    StartRequested?.Invoke();
                }
                else if (!start && wasStarted)
                {
                    // Stopping the engine aborts any transfer in progress (SFF-8038i).
                    Status &= unchecked((byte)~StatusActive);
                }
                break;
            case StatusOffset:
                byte keep = (byte)(Status & (StatusActive | StatusError | StatusInterrupt));
                keep = (byte)(keep & ~(value & (StatusError | StatusInterrupt)));
                Status = (byte)(keep | (value & (StatusDrive0Dma | StatusDrive1Dma)));
                break;
            case >= PrdTableOffset and < PrdTableOffset + 4:
                int shift = 8 * (offset - PrdTableOffset);
                uint v = (PrdTableAddress & ~(0xFFu << shift)) | ((uint)value << shift);
                PrdTableAddress = v & ~3u;
                break;
        }
    }

    internal void Reset()
    {
        Command = 0;
        Status = 0;
        PrdTableAddress = 0;
        RestartTable();
    }

    internal void SignalInterrupt() => Status |= StatusInterrupt;

    /// <summary>Copies device data into guest memory along the PRD table; false when the table ran out or memory failed.</summary>
    internal bool ToMemory(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (!NextChunk(data.Length, out uint address, out int n)) return false;
            if (_memory is null || !_memory.WritePhysical(address, data[..n])) return Fail();
            data = data[n..];
        }
        return true;
    }

    /// <summary>Fills <paramref name="data"/> from guest memory along the PRD table; false when the table ran out or memory failed.</summary>
    internal bool FromMemory(Span<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (!NextChunk(data.Length, out uint address, out int n)) return false;
            if (_memory is null || !_memory.ReadPhysical(address, data[..n])) return Fail();
            data = data[n..];
        }
        return true;
    }

    /// <summary>Ends a transfer: an exhausted table or a memory error clears Active, an error sets the error bit.</summary>
    internal void FinishTransfer()
    {
        if (MemoryError) Status = (byte)((Status | StatusError) & ~StatusActive);
        else if (Exhausted) Status &= unchecked((byte)~StatusActive);
    }

    internal void Save(BinaryWriter w)
    {
        w.Write(Command); w.Write(Status); w.Write(PrdTableAddress);
        w.Write(_prdIndex); w.Write(_entryAddress); w.Write(_entryRemaining); w.Write(_entryLoaded); w.Write(_entryEot);
        w.Write(Exhausted); w.Write(MemoryError);
    }

    internal void Load(BinaryReader r)
    {
        Command = (byte)(r.ReadByte() & (CommandStart | CommandWriteToMemory));
        Status = (byte)(r.ReadByte() & 0x67);
        PrdTableAddress = r.ReadUInt32() & ~3u;
        _prdIndex = r.ReadInt32();
        _entryAddress = r.ReadUInt32();
        _entryRemaining = r.ReadUInt32();
        _entryLoaded = r.ReadBoolean();
        _entryEot = r.ReadBoolean();
        Exhausted = r.ReadBoolean();
        MemoryError = r.ReadBoolean();
        if (_prdIndex is < 0 or > MaxPrdEntries || _entryRemaining > 0x10000) throw new InvalidDataException("ide bus master: bad PRD cursor");
    }

    private void RestartTable()
    {
        _prdIndex = 0;
        _entryLoaded = false;
        _entryEot = false;
        _entryRemaining = 0;
        _entryAddress = 0;
        Exhausted = false;
        MemoryError = false;
    }

    private bool NextChunk(int wanted, out uint address, out int n)
    {
        address = 0;
        n = 0;
        if (MemoryError || Exhausted) return false;
        if (!_entryLoaded || _entryRemaining == 0)
        {
            if (_entryLoaded && _entryEot)
            {
                Exhausted = true;
                return false;
            }
            if (_prdIndex >= MaxPrdEntries) return Fail();
            Span<byte> prd = stackalloc byte[8];
            ulong at = (ulong)PrdTableAddress + (ulong)_prdIndex * 8;
            if (_memory is null || !_memory.ReadPhysical(at, prd)) return Fail();
            _prdIndex++;
            _entryAddress = (uint)(prd[0] | (prd[1] << 8) | (prd[2] << 16) | (prd[3] << 24)) & ~1u;
            uint count = (uint)(prd[4] | (prd[5] << 8)) & 0xFFFE;
            _entryRemaining = count == 0 ? 0x10000u : count;
            _entryEot = (prd[7] & 0x80) != 0;
            _entryLoaded = true;
        }
        n = (int)Math.Min((uint)wanted, _entryRemaining);
        address = _entryAddress;
        _entryAddress += (uint)n;
        _entryRemaining -= (uint)n;
        if (_entryRemaining == 0 && _entryEot) Exhausted = true;
        return true;
    }

    private bool Fail()
    {
        MemoryError = true;
        return false;
    }
}
