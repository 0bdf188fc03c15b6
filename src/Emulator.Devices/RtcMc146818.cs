using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The Motorola MC146818 real-time clock with 128 bytes of CMOS RAM at ports 0x70 (index, bit 7 = NMI mask)
/// and 0x71 (data). Time starts at the constructor's base and advances with the <see cref="VirtualClock"/>.
/// Flags (PF, AF, UF) are computed from the clock when looked at; clock events are used only while an
/// enabled interrupt needs IRQ8 raised on time. Byte 0x32 holds the century (PC convention).
/// </summary>
public sealed class RtcMc146818 : IDevice, IPortHandler
{
    public const ushort IndexPort = 0x70;
    public const ushort DataPort = 0x71;
    public const byte NmiDisable = 0x80;          // port 0x70 bit 7

    // Register map — MC146818A datasheet "Address map"
    public const int RegSeconds = 0x00;
    public const int RegSecondsAlarm = 0x01;
    public const int RegMinutes = 0x02;
    public const int RegMinutesAlarm = 0x03;
    public const int RegHours = 0x04;
    public const int RegHoursAlarm = 0x05;
    public const int RegDayOfWeek = 0x06;
    public const int RegDayOfMonth = 0x07;
    public const int RegMonth = 0x08;
    public const int RegYear = 0x09;
    public const int RegA = 0x0A;
    public const int RegB = 0x0B;
    public const int RegC = 0x0C;
    public const int RegD = 0x0D;
    public const int RegCentury = 0x32;           // IBM PC/AT CMOS map

    // Register A
    public const byte AUip = 0x80;                // update in progress (read-only)
    public const byte ADividerMask = 0x70;        // DV2-DV0
    public const byte ADivider32k = 0x20;         // 010 = 32.768 kHz time base, running
    public const byte ARateMask = 0x0F;           // RS3-RS0
    // Register B
    public const byte BSet = 0x80;
    public const byte BPie = 0x40;
    public const byte BAie = 0x20;
    public const byte BUie = 0x10;
    public const byte BSqwe = 0x08;
    public const byte BDmBinary = 0x04;
    public const byte B24Hour = 0x02;
    public const byte BDse = 0x01;
    // Register C
    public const byte CIrqf = 0x80;
    public const byte CPf = 0x40;
    public const byte CAf = 0x20;
    public const byte CUf = 0x10;
    // Register D
    public const byte DVrt = 0x80;

    private const long NsPerSecond = 1_000_000_000;
    private const long UipWindowNs = 244_000;     // tBUC: UIP is set this long before each update
    private const long TimeBaseHz = 32_768;
    private const long MaxCatchUpSeconds = 86_401;
    private const byte StateVersion = 1;

    private readonly VirtualClock _clock;
    private readonly IInterruptLine? _irq8;
    private readonly ClockTimer _timer;
    private readonly byte[] _ram = new byte[128];
    private byte _index;
    private bool _nmiMasked = true;

    // Time keeping: while running, second number _baseSecond began at virtual time _baseNs.
    private long _baseSecond;                     // seconds since 0001-01-01 00:00:00
    private long _baseNs;
    private bool _running;
    private long _processedSecond;                // updates up to this second have set UF/AF
    private long _periodicAnchorNs;               // periodic ticks are counted from here
    private long _processedPeriodic;              // periodic ticks up to this index have set PF
    private byte _flags;                          // register C bits PF, AF, UF
    private bool _irqLevel;

    public RtcMc146818(VirtualClock clock, IInterruptLine? irq8, DateTime start)
    {
        _clock = clock;
        _irq8 = irq8;
        _timer = clock.CreateTimer(OnTimer);
        _ram[RegA] = ADivider32k | 0x06;
        _ram[RegB] = B24Hour;
        _ram[RegD] = DVrt;
        SetTime(start);
    }

    public string Name => "rtc";

    /// <summary>Port 0x70 bit 7: NMI disabled.</summary>
    public bool NmiMasked => _nmiMasked;

    public void RegisterPorts(PortBus bus) => bus.Register(IndexPort, 2, this);

    /// <summary>Sets the current date and time (guest-visible at once).</summary>
    public void SetTime(DateTime time)
    {
        long now = _clock.Now;
        _baseSecond = time.Ticks / TimeSpan.TicksPerSecond;
        _baseNs = now;
        _processedSecond = _baseSecond;
        _running = DividerRunning && (_ram[RegB] & BSet) == 0;
        WriteTimeRegisters(_baseSecond);
    }

    /// <summary>The clock's current date and time.</summary>
    public DateTime CurrentTime
    {
        get
        {
            long s = CurrentSecond(_clock.Now);
            return new DateTime(Math.Clamp(s, 0, DateTime.MaxValue.Ticks / TimeSpan.TicksPerSecond) * TimeSpan.TicksPerSecond);
        }
    }

    /// <summary>Sets a CMOS RAM byte (the machine fills memory sizes, boot order, ...). Index 0-127.</summary>
    public void SetCmosByte(int index, byte value)
    {
        if ((uint)index >= 128) throw new ArgumentOutOfRangeException(nameof(index));
        CatchUp(_clock.Now);
        WriteRegister(index, value);
    }

    public byte GetCmosByte(int index)
    {
        if ((uint)index >= 128) throw new ArgumentOutOfRangeException(nameof(index));
        return ReadRegister(index, clearFlags: false);
    }

    private bool DividerRunning => (_ram[RegA] & ADividerMask) == ADivider32k;

    private long CurrentSecond(long now)
    {
        if (!_running) return _baseSecond;
        long elapsed = now - _baseNs;
        return _baseSecond + (elapsed <= 0 ? 0 : elapsed / NsPerSecond);
    }

    /// <summary>Periodic interrupt period in 32.768 kHz cycles for RS3-RS0, or 0 when off (datasheet table 4).</summary>
    private int PeriodicCycles
    {
        get
        {
            int rs = _ram[RegA] & ARateMask;
            if (rs == 0) return 0;
            if (rs <= 2) rs += 7;       // rates 1 and 2 repeat 8 and 9 for the 32.768 kHz time base
            return 1 << (rs - 1);
        }
    }

    private long PeriodicIndex(long now)
    {
        int cycles = PeriodicCycles;
        if (cycles == 0 || !DividerRunning || now <= _periodicAnchorNs) return 0;
        return (long)((Int128)(now - _periodicAnchorNs) * TimeBaseHz / NsPerSecond / cycles);
    }

    private long PeriodicTime(long index)
    {
        Int128 ns = (Int128)index * PeriodicCycles * NsPerSecond;
        ns = (ns + TimeBaseHz - 1) / TimeBaseHz + _periodicAnchorNs;
        return ns > long.MaxValue ? long.MaxValue : (long)ns;
    }

    private void RestartPeriodic(long now)
    {
        _periodicAnchorNs = now;
        _processedPeriodic = 0;
    }

    /// <summary>Applies every update and periodic tick that happened up to <paramref name="now"/>.</summary>
    private void CatchUp(long now)
    {
        if (_running)
        {
            long current = CurrentSecond(now);
            if (current > _processedSecond)
            {
                _flags |= CUf;
                long from = Math.Max(_processedSecond + 1, current - MaxCatchUpSeconds);
                if ((_ram[RegB] & BAie) != 0 || (_flags & CAf) == 0)
                {
                    for (long s = from; s <= current && (_flags & CAf) == 0; s++)
                    {
                        if (AlarmMatches(s)) _flags |= CAf;
                    }
                }
                _processedSecond = current;
                WriteTimeRegisters(current);
            }
        }
        long p = PeriodicIndex(now);
        if (p > _processedPeriodic)
        {
            _flags |= CPf;
            _processedPeriodic = p;
        }
        UpdateIrq();
    }

    private byte IrqFlags => (byte)(_flags & (_ram[RegB] & (BPie | BAie | BUie)));

    private void UpdateIrq()
    {
        bool level = IrqFlags != 0;
        if (level != _irqLevel)
        {
            _irqLevel = level;
            _irq8?.SetLevel(level);
        }
        Reschedule();
    }

    private void Reschedule()
    {
        long now = _clock.Now;
        long next = long.MaxValue;
        byte b = _ram[RegB];
        if ((b & (BAie | BUie)) != 0 && _running)
        {
            long nextSecond = Math.Max(_processedSecond, CurrentSecond(now)) + 1;
            Int128 t = (Int128)(nextSecond - _baseSecond) * NsPerSecond + _baseNs;
            if (t < long.MaxValue) next = (long)t;
        }
        if ((b & BPie) != 0 && PeriodicCycles != 0 && DividerRunning)
        {
            long t = PeriodicTime(Math.Max(_processedPeriodic, PeriodicIndex(now)) + 1);
            if (t < next) next = t;
        }
        if (next == long.MaxValue) _timer.Disarm();
        else if (!_timer.Armed || _timer.Deadline != next) _timer.Arm(next);
    }

    private void OnTimer(long deadline) => CatchUp(Math.Max(deadline, _clock.Now));

    private bool UpdateInProgress(long now)
    {
        if (!_running) return false;
        long intoSecond = (now - _baseNs) % NsPerSecond;
        if (intoSecond < 0) intoSecond += NsPerSecond;
        return intoSecond >= NsPerSecond - UipWindowNs;
    }

    // ---- encoding ----

    private bool Binary => (_ram[RegB] & BDmBinary) != 0;

    private byte Encode(int value) => Binary ? (byte)value : (byte)(((value / 10 % 10) << 4) | (value % 10));

    private int Decode(byte value) => Binary ? value : ((value >> 4) & 0xF) * 10 + (value & 0xF);

    private byte EncodeHour(int hour)
    {
        if ((_ram[RegB] & B24Hour) != 0) return Encode(hour);
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(Encode(h12) | (hour >= 12 ? 0x80 : 0));
    }

    private int DecodeHour(byte value)
    {
        if ((_ram[RegB] & B24Hour) != 0) return Decode(value);
        int h = Decode((byte)(value & 0x7F)) % 12;
        return (value & 0x80) != 0 ? h + 12 : h;
    }

    private static DateTime SecondToDate(long second)
    {
        long max = DateTime.MaxValue.Ticks / TimeSpan.TicksPerSecond;
        return new DateTime(Math.Clamp(second, 0, max) * TimeSpan.TicksPerSecond);
    }

    private void WriteTimeRegisters(long second)
    {
        var t = SecondToDate(second);
        _ram[RegSeconds] = Encode(t.Second);
        _ram[RegMinutes] = Encode(t.Minute);
        _ram[RegHours] = EncodeHour(t.Hour);
        _ram[RegDayOfWeek] = Encode((int)t.DayOfWeek + 1);
        _ram[RegDayOfMonth] = Encode(t.Day);
        _ram[RegMonth] = Encode(t.Month);
        _ram[RegYear] = Encode(t.Year % 100);
        _ram[RegCentury] = Encode(t.Year / 100);
    }

    /// <summary>The time the guest wrote into the registers, made valid where it is not.</summary>
    private long ReadTimeRegisters()
    {
        int century = Decode(_ram[RegCentury]);
        if (century is < 19 or > 99) century = 20;
        int year = Math.Clamp(century * 100 + Decode(_ram[RegYear]) % 100, 1, 9999);
        int month = Math.Clamp(Decode(_ram[RegMonth]), 1, 12);
        int day = Math.Clamp(Decode(_ram[RegDayOfMonth]), 1, DateTime.DaysInMonth(year, month));
        int hour = Math.Clamp(DecodeHour(_ram[RegHours]), 0, 23);
        int minute = Math.Clamp(Decode(_ram[RegMinutes]), 0, 59);
        int sec = Math.Clamp(Decode(_ram[RegSeconds]), 0, 59);
        return new DateTime(year, month, day, hour, minute, sec).Ticks / TimeSpan.TicksPerSecond;
    }

    private bool AlarmMatches(long second)
    {
        var t = SecondToDate(second);
        return AlarmField(_ram[RegSecondsAlarm], Encode(t.Second))
               && AlarmField(_ram[RegMinutesAlarm], Encode(t.Minute))
               && AlarmField(_ram[RegHoursAlarm], EncodeHour(t.Hour));
    }

    // An alarm byte with both top bits set is "don't care" (datasheet "Alarm").
    private static bool AlarmField(byte alarm, byte value) => (alarm & 0xC0) == 0xC0 || alarm == value;

    // ---- register access ----

    private byte ReadRegister(int index, bool clearFlags)
    {
        long now = _clock.Now;
        CatchUp(now);
        switch (index)
        {
            case RegA:
                return (byte)((_ram[RegA] & ~AUip) | (UpdateInProgress(now) ? AUip : 0));
            case RegC:
            {
                byte irqf = IrqFlags != 0 ? CIrqf : (byte)0;
                byte v = (byte)(irqf | _flags);
                if (clearFlags)
                {
                    _flags = 0;
                    UpdateIrq();
                }
                return v;
            }
            case RegD:
                return DVrt;
            default:
                return _ram[index & 0x7F];
        }
    }

    private void WriteRegister(int index, byte value)
    {
        long now = _clock.Now;
        switch (index)
        {
            case RegA:
            {
                bool wasRunning = DividerRunning;
                int oldRate = _ram[RegA] & ARateMask;
                _ram[RegA] = (byte)(value & ~AUip);
                if (!wasRunning && DividerRunning)
                {
                    // Leaving divider reset: the first update comes 500 ms later.
                    RestartTime(now - NsPerSecond / 2);
                    RestartPeriodic(now);
                }
                else if (wasRunning && !DividerRunning)
                {
                    StopTime(now);
                }
                else if (oldRate != (value & ARateMask))
                {
                    RestartPeriodic(now);
                }
                break;
            }
            case RegB:
            {
                byte old = _ram[RegB];
                if ((value & BSet) != 0) value &= unchecked((byte)~BUie); // SET clears UIE
                if (((old ^ value) & (BDmBinary | B24Hour)) != 0)
                {
                    // Data mode change: re-encode the time (the chip leaves the guest to rewrite it).
                    long s = (old & BSet) != 0 || !_running ? ReadTimeRegisters() : CurrentSecond(now);
                    _ram[RegB] = value;
                    WriteTimeRegisters(s);
                }
                _ram[RegB] = value;
                if ((old & BSet) == 0 && (value & BSet) != 0)
                {
                    StopTime(now);
                }
                else if ((old & BSet) != 0 && (value & BSet) == 0 && DividerRunning)
                {
                    RestartTime(now);
                }
                break;
            }
            case RegC:
            case RegD:
                break; // read-only
            case RegSeconds:
            case RegMinutes:
            case RegHours:
            case RegDayOfWeek:
            case RegDayOfMonth:
            case RegMonth:
            case RegYear:
            case RegCentury:
                _ram[index] = value;
                if (_running)
                {
                    // A write while the clock runs restarts the count from the new time, keeping the phase.
                    long phaseStart = _baseNs + (CurrentSecond(now) - _baseSecond) * NsPerSecond;
                    _baseSecond = ReadTimeRegisters();
                    _baseNs = phaseStart;
                    _processedSecond = _baseSecond;
                    if (index != RegDayOfWeek) WriteTimeRegisters(_baseSecond);
                }
                break;
            default:
                _ram[index & 0x7F] = value;
                break;
        }
        UpdateIrq();
    }

    private void StopTime(long now)
    {
        if (!_running) return;
        CatchUp(now);
        _baseSecond = CurrentSecond(now);
        _running = false;
    }

    private void RestartTime(long startNs)
    {
        _baseSecond = ReadTimeRegisters();
        _baseNs = startNs;
        _processedSecond = _baseSecond;
        _running = DividerRunning && (_ram[RegB] & BSet) == 0;
    }

    public uint Read(ushort port, int size)
    {
        if (port == DataPort) return ReadRegister(_index, clearFlags: true);
        return 0xFF; // the index register is write-only
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port == IndexPort)
        {
            _index = (byte)(value & 0x7F);
            _nmiMasked = (value & NmiDisable) != 0;
        }
        else if (port == DataPort)
        {
            CatchUp(_clock.Now);
            WriteRegister(_index, (byte)value);
        }
    }

    /// <summary>The RESET pin: clears PIE, AIE, UIE, SQWE and the interrupt flags; time and RAM are kept.</summary>
    public void Reset()
    {
        CatchUp(_clock.Now);
        _ram[RegB] &= unchecked((byte)~(BPie | BAie | BUie | BSqwe));
        _flags = 0;
        _index = 0;
        _nmiMasked = true;
        UpdateIrq();
    }

    public void SaveState(BinaryWriter writer)
    {
        CatchUp(_clock.Now);
        writer.Write(StateVersion);
        writer.Write(_ram);
        writer.Write(_index);
        writer.Write(_nmiMasked);
        writer.Write(_baseSecond);
        writer.Write(_baseNs);
        writer.Write(_running);
        writer.Write(_processedSecond);
        writer.Write(_periodicAnchorNs);
        writer.Write(_processedPeriodic);
        writer.Write(_flags);
        writer.Write(_irqLevel);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"rtc: unsupported state version {version}");
        byte[] ram = reader.ReadBytes(128);
        if (ram.Length != 128) throw new InvalidDataException("rtc: truncated state");
        ram.CopyTo(_ram, 0);
        _index = (byte)(reader.ReadByte() & 0x7F);
        _nmiMasked = reader.ReadBoolean();
        _baseSecond = reader.ReadInt64();
        _baseNs = reader.ReadInt64();
        _running = reader.ReadBoolean();
        _processedSecond = reader.ReadInt64();
        _periodicAnchorNs = reader.ReadInt64();
        _processedPeriodic = reader.ReadInt64();
        _flags = (byte)(reader.ReadByte() & (CPf | CAf | CUf));
        _irqLevel = reader.ReadBoolean();
        Reschedule();
    }
}
