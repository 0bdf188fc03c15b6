using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// An 82093AA-style I/O APIC (datasheet §3) with 24 interrupt input pins: IOREGSEL at +0x00 and IOWIN at +0x10 of
/// its page (0xFEC00000 on a PC), the ID, version and arbitration registers, and 24 redirection-table entries
/// (vector, delivery mode, destination mode and destination, polarity, trigger mode, remote IRR, mask). It reports
/// version 0x20 as QEMU's does, with the EOI register at +0x40 that such I/O APICs have. Edge-triggered pins deliver on
/// an assertion while unmasked (assertions while masked are lost); level-triggered pins deliver while asserted, set
/// remote IRR when accepted and wait for the EOI message (from a local APIC's EOI or the EOI register) before
/// delivering again.
/// </summary>
public sealed class IoApic : IDevice, IMmioHandler
{
    public const ulong DefaultBase = 0xFEC0_0000;
    public const ulong MmioSize = 0x1000;

    // Memory-mapped registers (82093AA §3.1, Table 1).
    public const int IoRegSelOffset = 0x00;  // I/O Register Select (index, bits 7:0)
    public const int IoWinOffset = 0x10;     // I/O Window (data of the selected register)
    public const int EoiOffset = 0x40;       // EOI (version 20h I/O APICs): clears remote IRR of entries with this vector

    // Indirect registers (§3.2, Table 2).
    public const int IdIndex = 0x00;               // IOAPICID: ID in bits 27:24
    public const int VersionIndex = 0x01;          // IOAPICVER: maximum redirection entry 23:16, version 7:0 (read-only)
    public const int ArbitrationIndex = 0x02;      // IOAPICARB: arbitration ID in bits 27:24 (read-only)
    public const int RedirectionTableIndex = 0x10; // IOREDTBL0-23: two registers each (low dword, high dword)

    public const int PinCount = 24;
    public const byte Version = 0x20;
    public const uint VersionValue = ((PinCount - 1) << 16) | Version;

    // Redirection-table entry bits (§3.2.4).
    public const uint DestinationLogical = 1u << 11;
    public const uint DeliveryStatus = 1u << 12;
    public const uint PolarityLow = 1u << 13;
    public const uint RemoteIrr = 1u << 14;
    public const uint TriggerLevel = 1u << 15;
    public const uint Masked = 1u << 16;
    private const uint LowWritable = 0x0001_AFFF;  // all but delivery status and remote IRR; 31:17 reserved
    private const uint HighWritable = 0xFF00_0000; // destination field, bits 63:56

    private const byte StateVersion = 1;

    private readonly IApicInterruptSink _sink;
    private readonly byte _initialId;
    private readonly uint[] _low = new uint[PinCount];
    private readonly uint[] _high = new uint[PinCount];
    private readonly IInterruptLine[] _pins = new IInterruptLine[PinCount];
    private uint _levels; // the wires as driven, before polarity
    private byte _id;
    private byte _regSel;

    /// <param name="sink">Where interrupt messages go (the local APIC of a one-processor machine).</param>
    /// <param name="initialId">The APIC ID after reset (the ID the firmware's MADT gives this I/O APIC).</param>
    public IoApic(IApicInterruptSink sink, byte initialId = 0)
    {
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _initialId = (byte)(initialId & 0xF);
        for (int i = 0; i < PinCount; i++) _pins[i] = new Pin(this, i);
        Reset();
    }

    public string Name => "ioapic";

    /// <summary>Interrupt input pins INTIN0-23.</summary>
    public IReadOnlyList<IInterruptLine> Pins => _pins;

    /// <summary>Redirection-table entry <paramref name="pin"/> as the guest reads it (for tests and the monitor).</summary>
    public ulong GetRedirectionEntry(int pin) => (uint)pin < PinCount ? ((ulong)_high[pin] << 32) | _low[pin] : 0;

    public void SetPin(int pin, bool high)
    {
        if ((uint)pin >= PinCount) return;
        bool was = Asserted(pin);
        if (high) _levels |= 1u << pin;
        else _levels &= ~(1u << pin);
        bool now = Asserted(pin);
        if ((_low[pin] & TriggerLevel) != 0)
        {
            if (now) ServiceLevel(pin);
        }
        else if (now && !was && (_low[pin] & Masked) == 0)
        {
            Send(pin);
        }
    }

    /// <summary>The EOI message for <paramref name="vector"/>: clears remote IRR of matching level entries; a pin still asserted delivers again.</summary>
    public void EndOfInterrupt(byte vector)
    {
        for (int pin = 0; pin < PinCount; pin++)
        {
            if ((byte)_low[pin] != vector || (_low[pin] & RemoteIrr) == 0) continue;
            _low[pin] &= ~RemoteIrr;
            if ((_low[pin] & TriggerLevel) != 0 && Asserted(pin)) ServiceLevel(pin);
        }
    }

    private bool Asserted(int pin) => (((_levels >> pin) & 1) != 0) != ((_low[pin] & PolarityLow) != 0);

    private void ServiceLevel(int pin)
    {
        if ((_low[pin] & (Masked | RemoteIrr)) != 0) return;
        var mode = (ApicDeliveryMode)((_low[pin] >> 8) & 7);
        if (Send(pin) && mode is ApicDeliveryMode.Fixed or ApicDeliveryMode.LowestPriority) _low[pin] |= RemoteIrr;
    }

    /// <summary>Sends the entry's message; true when a local APIC accepted it.</summary>
    private bool Send(int pin)
    {
        uint low = _low[pin];
        var mode = (ApicDeliveryMode)((low >> 8) & 7);
        if (mode is not (ApicDeliveryMode.Fixed or ApicDeliveryMode.LowestPriority or ApicDeliveryMode.Smi
            or ApicDeliveryMode.Nmi or ApicDeliveryMode.Init or ApicDeliveryMode.ExtInt)) return false; // 011b, 110b reserved
        return _sink.AcceptMessage(mode, (byte)low, (low & TriggerLevel) != 0, (byte)(_high[pin] >> 24), (low & DestinationLogical) != 0);
    }

    // ---- MMIO ----

    public ulong Read(ulong offset, int size)
    {
        uint v;
        if (offset < IoRegSelOffset + 4) v = _regSel;
        else if (offset is >= IoWinOffset and < IoWinOffset + 4) v = ReadIndirect(_regSel);
        else return 0;
        v >>= 8 * (int)(offset & 3);
        return size switch { 1 => v & 0xFF, 2 => v & 0xFFFF, _ => v };
    }

    public void Write(ulong offset, int size, ulong value)
    {
        switch (offset)
        {
            case IoRegSelOffset:
                _regSel = (byte)value;
                break;
            case IoWinOffset when size >= 4:
                WriteIndirect(_regSel, (uint)value);
                break;
            case EoiOffset:
                EndOfInterrupt((byte)value);
                break;
        }
    }

    private uint ReadIndirect(byte index)
    {
        switch (index)
        {
            case IdIndex:
            case ArbitrationIndex:
                return (uint)_id << 24;
            case VersionIndex:
                return VersionValue;
            case >= RedirectionTableIndex and < RedirectionTableIndex + 2 * PinCount:
                {
                    int pin = (index - RedirectionTableIndex) >> 1;
                    return (index & 1) == 0 ? _low[pin] : _high[pin];
                }
            default:
                return 0;
        }
    }

    private void WriteIndirect(byte index, uint value)
    {
        switch (index)
        {
            case IdIndex:
                _id = (byte)((value >> 24) & 0xF);
                break;
            case >= RedirectionTableIndex and < RedirectionTableIndex + 2 * PinCount:
                {
                    int pin = (index - RedirectionTableIndex) >> 1;
                    if ((index & 1) != 0)
                    {
                        _high[pin] = value & HighWritable;
                        break;
                    }
                    uint low = (value & LowWritable) | (_low[pin] & RemoteIrr);
                    if ((low & TriggerLevel) == 0) low &= ~RemoteIrr; // remote IRR means nothing for edge entries
                    _low[pin] = low;
                    if ((low & TriggerLevel) != 0 && Asserted(pin)) ServiceLevel(pin);
                    break;
                }
        }
    }

    // ---- reset and state ----

    public void Reset()
    {
        _id = _initialId;
        _regSel = 0;
        _levels = 0;
        Array.Fill(_low, Masked);
        Array.Clear(_high);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_id);
        writer.Write(_regSel);
        writer.Write(_levels);
        for (int i = 0; i < PinCount; i++)
        {
            writer.Write(_low[i]);
            writer.Write(_high[i]);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"ioapic: unsupported state version {version}");
        _id = (byte)(reader.ReadByte() & 0xF);
        _regSel = reader.ReadByte();
        _levels = reader.ReadUInt32() & ((1u << PinCount) - 1);
        for (int i = 0; i < PinCount; i++)
        {
            _low[i] = reader.ReadUInt32() & (LowWritable | RemoteIrr);
            _high[i] = reader.ReadUInt32() & HighWritable;
        }
    }

    private sealed class Pin(IoApic owner, int pin) : IInterruptLine
    {
        public void SetLevel(bool high) => owner.SetPin(pin, high);
    }
}
