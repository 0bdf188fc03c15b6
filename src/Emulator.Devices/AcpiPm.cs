using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// PIIX4-style ACPI power management I/O registers (82371AB §7, ACPI spec §4.8): PM1a event block (status and
/// enable), PM1a control, the 24-bit ACPI PM timer at 3.579545 MHz driven by the <see cref="VirtualClock"/>,
/// and a 4-byte GPE0 block. Writing SLP_EN with SLP_TYP = S5 calls the power-off callback. The SCI is level
/// triggered. Register the handler at <see cref="DefaultBase"/> (0x600, as QEMU's PIIX4 PM) for 16 ports.
/// </summary>
public sealed class AcpiPm : IPortHandler, IDevice
{
    public const ushort DefaultBase = 0x600;
    public const int RegisterBlockSize = 16;
    public const byte DefaultS5SleepType = 0;

    /// <summary>ACPI §4.8.3.1: PM1_STS (16-bit, write one to clear).</summary>
    public const int Pm1StatusOffset = 0x00;
    /// <summary>ACPI §4.8.3.1: PM1_EN (16-bit).</summary>
    public const int Pm1EnableOffset = 0x02;
    /// <summary>ACPI §4.8.3.2: PM1_CNT (16-bit).</summary>
    public const int Pm1ControlOffset = 0x04;
    /// <summary>ACPI §4.8.3.3: PM_TMR (32-bit read, 24 bits implemented).</summary>
    public const int PmTimerOffset = 0x08;
    /// <summary>82371AB: GPSTS, general purpose event 0 status (16-bit, write one to clear).</summary>
    public const int Gpe0StatusOffset = 0x0C;
    /// <summary>82371AB: GPEN, general purpose event 0 enable (16-bit).</summary>
    public const int Gpe0EnableOffset = 0x0E;

    public const ushort TmrSts = 0x0001;
    public const ushort BmSts = 0x0010;
    public const ushort GblSts = 0x0020;
    public const ushort PwrBtnSts = 0x0100;
    public const ushort SlpBtnSts = 0x0200;
    public const ushort RtcSts = 0x0400;
    public const ushort WakSts = 0x8000;
    public const ushort TmrEn = 0x0001;
    public const ushort GblEn = 0x0020;
    public const ushort PwrBtnEn = 0x0100;
    public const ushort SlpBtnEn = 0x0200;
    public const ushort RtcEn = 0x0400;
    public const ushort SciEn = 0x0001;
    public const ushort BmRld = 0x0002;
    public const ushort GblRls = 0x0004;
    public const ushort SlpEn = 0x2000;
    public const int SlpTypShift = 10;

    /// <summary>ACPI §4.8.3.3: the PM timer runs at 3.579545 MHz.</summary>
    public const long TimerFrequency = 3_579_545;

    private const ushort StatusWritableMask = TmrSts | BmSts | GblSts | PwrBtnSts | SlpBtnSts | RtcSts | WakSts;
    private const ushort EnableMask = TmrEn | GblEn | PwrBtnEn | SlpBtnEn | RtcEn;
    private const ushort SciSources = TmrSts | GblSts | PwrBtnSts | SlpBtnSts | RtcSts;
    private const ushort ControlStoredMask = SciEn | BmRld | (7 << SlpTypShift);
    private const byte StateVersion = 1;

    private readonly VirtualClock _clock;
    private readonly IInterruptLine? _sci;
    private readonly Action _powerOff;
    private readonly ClockTimer _timer;
    private readonly bool _sciEnabledAtReset;
    private ushort _status;
    private ushort _enable;
    private ushort _control;
    private ushort _gpeStatus;
    private ushort _gpeEnable;
    private long _timerEpoch;
    private bool _sciLevel;

    /// <param name="clock">The machine clock the PM timer counts.</param>
    /// <param name="sci">The SCI line (ISA IRQ 9 on the PC).</param>
    /// <param name="powerOff">Called when the guest enters S5.</param>
    /// <param name="s5SleepType">SLP_TYP value meaning soft-off (must match the DSDT's \_S5).</param>
    /// <param name="sciEnabledAtReset">SCI_EN after reset; true when the FADT has no SMI_CMD (ACPI-only system).</param>
    public AcpiPm(VirtualClock clock, IInterruptLine? sci, Action powerOff, byte s5SleepType = DefaultS5SleepType, bool sciEnabledAtReset = true)
    {
        _clock = clock;
        _sci = sci;
        _powerOff = powerOff;
        S5SleepType = (byte)(s5SleepType & 7);
        _sciEnabledAtReset = sciEnabledAtReset;
        _timer = clock.CreateTimer(OnTimerOverflow);
        Reset();
    }

    public string Name => "acpi-pm";

    public byte S5SleepType { get; }

    /// <summary>Called with SLP_TYP for sleep states other than S5 (the machine may ignore them).</summary>
    public event Action<int>? SleepRequested;

    public ushort Pm1Status
    {
        get
        {
            SampleTimer();
            return _status;
        }
    }

    public ushort Pm1Enable => _enable;

    public ushort Pm1Control => _control;

    /// <summary>The 24-bit PM timer value now.</summary>
    public uint TimerValue => (uint)(Ticks(_clock.Now) & 0xFF_FFFF);

    /// <summary>The host's power button: sets PWRBTN_STS (an SCI if enabled).</summary>
    public void PressPowerButton()
    {
        _status |= PwrBtnSts;
        UpdateSci();
    }

    /// <summary>Sets general purpose event status bits (e.g. a hot-plug event).</summary>
    public void RaiseGpe(ushort bits)
    {
        _gpeStatus |= bits;
        UpdateSci();
    }

    public uint Read(ushort port, int size)
    {
        int off = port & (RegisterBlockSize - 1);
        uint v = 0;
        for (int i = 0; i < size; i++) v |= (uint)ReadByte(off + i) << (8 * i);
        return v;
    }

    public void Write(ushort port, int size, uint value)
    {
        int off = port & (RegisterBlockSize - 1);
        for (int i = 0; i < size; i++) WriteByte(off + i, (byte)(value >> (8 * i)));
    }

    public void Reset()
    {
        _status = 0;
        _enable = 0;
        _control = _sciEnabledAtReset ? SciEn : (ushort)0;
        _gpeStatus = 0;
        _gpeEnable = 0;
        _timerEpoch = Ticks(_clock.Now) >> 23;
        _timer.Disarm();
        UpdateSci();
    }

    public void SaveState(BinaryWriter writer)
    {
        SampleTimer();
        writer.Write(StateVersion);
        writer.Write(_status);
        writer.Write(_enable);
        writer.Write(_control);
        writer.Write(_gpeStatus);
        writer.Write(_gpeEnable);
        writer.Write(_timerEpoch);
    }

    public void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException(Name + ": unsupported state version");
        _status = (ushort)(reader.ReadUInt16() & StatusWritableMask);
        _enable = (ushort)(reader.ReadUInt16() & EnableMask);
        _control = (ushort)(reader.ReadUInt16() & ControlStoredMask);
        _gpeStatus = reader.ReadUInt16();
        _gpeEnable = reader.ReadUInt16();
        _timerEpoch = reader.ReadInt64();
        ArmTimer();
        UpdateSci();
    }

    private static long Ticks(long nanoseconds) => (long)((Int128)Math.Max(0, nanoseconds) * TimerFrequency / 1_000_000_000);

    private byte ReadByte(int off)
    {
        switch (off)
        {
            case Pm1StatusOffset: return (byte)Pm1Status;
            case Pm1StatusOffset + 1: return (byte)(Pm1Status >> 8);
            case Pm1EnableOffset: return (byte)_enable;
            case Pm1EnableOffset + 1: return (byte)(_enable >> 8);
            case Pm1ControlOffset: return (byte)_control;
            case Pm1ControlOffset + 1: return (byte)(_control >> 8); // SLP_EN reads as zero
            case >= PmTimerOffset and < PmTimerOffset + 4: return (byte)(TimerValue >> (8 * (off - PmTimerOffset)));
            case Gpe0StatusOffset: return (byte)_gpeStatus;
            case Gpe0StatusOffset + 1: return (byte)(_gpeStatus >> 8);
            case Gpe0EnableOffset: return (byte)_gpeEnable;
            case Gpe0EnableOffset + 1: return (byte)(_gpeEnable >> 8);
            default: return 0;
        }
    }

    private void WriteByte(int off, byte v)
    {
        switch (off)
        {
            case Pm1StatusOffset or Pm1StatusOffset + 1:
                SampleTimer();
                ushort clear = (ushort)((off == Pm1StatusOffset ? v : v << 8) & StatusWritableMask);
                _status &= (ushort)~clear;
                break;
            case Pm1EnableOffset or Pm1EnableOffset + 1:
                ushort en = off == Pm1EnableOffset ? (ushort)((_enable & 0xFF00) | v) : (ushort)((_enable & 0x00FF) | (v << 8));
                _enable = (ushort)(en & EnableMask);
                ArmTimer();
                break;
            case Pm1ControlOffset:
                _control = (ushort)(((_control & 0xFF00) | v) & ControlStoredMask);
                if ((v & GblRls) != 0) _status |= GblSts; // releasing the global lock signals the BIOS (no SMM here)
                break;
            case Pm1ControlOffset + 1:
                ushort full = (ushort)((_control & 0x00FF) | (v << 8));
                _control = (ushort)(full & ControlStoredMask);
                if ((full & SlpEn) != 0)
                {
                    int type = (full >> SlpTypShift) & 7;
                    if (type == S5SleepType) _powerOff();
                    else SleepRequested?.Invoke(type);
                }
                break;
            case Gpe0StatusOffset: _gpeStatus &= (ushort)~v; break;
            case Gpe0StatusOffset + 1: _gpeStatus &= (ushort)~(v << 8); break;
            case Gpe0EnableOffset: _gpeEnable = (ushort)((_gpeEnable & 0xFF00) | v); break;
            case Gpe0EnableOffset + 1: _gpeEnable = (ushort)((_gpeEnable & 0x00FF) | (v << 8)); break;
        }
        UpdateSci();
    }

    /// <summary>TMR_STS is set whenever bit 23 of the timer toggles (ACPI §4.8.3.3).</summary>
    private void SampleTimer()
    {
        long epoch = Ticks(_clock.Now) >> 23;
        if (epoch != _timerEpoch)
        {
            _timerEpoch = epoch;
            _status |= TmrSts;
        }
    }

    private void ArmTimer()
    {
        if ((_enable & TmrEn) == 0)
        {
            _timer.Disarm();
            return;
        }
        SampleTimer();
        Int128 nextTick = (Int128)(_timerEpoch + 1) << 23;
        long when = (long)((nextTick * 1_000_000_000 + TimerFrequency - 1) / TimerFrequency);
        _timer.Arm(when);
    }

    private void OnTimerOverflow(long deadline)
    {
        _ = deadline;
        SampleTimer();
        UpdateSci();
        ArmTimer();
    }

    private void UpdateSci()
    {
        bool level = (_control & SciEn) != 0 && ((_status & _enable & SciSources) != 0 || (_gpeStatus & _gpeEnable) != 0);
        if (level == _sciLevel) return;
        _sciLevel = level;
        _sci?.SetLevel(level);
    }
}
