using System.Numerics;
using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The local APIC of one processor in xAPIC mode (SDM Vol. 3A ch. 11): 4 KiB of registers at IA32_APIC_BASE
/// (default 0xFEE00000, relocatable, globally enabled by bit 11), IRR/ISR/TMR, task and processor priority, EOI
/// (broadcast to the I/O APICs for level-triggered vectors), the spurious-interrupt vector register, the error status
/// register, six LVT entries (timer, thermal, performance counters, LINT0, LINT1, error), the timer (one-shot and
/// periodic, counting at <see cref="BusFrequencyHz"/> / divide configuration on the virtual clock; TSC-deadline mode is
/// not implemented and so not advertised) and the ICR (fixed and NMI IPIs to itself, the "self" and "all including
/// self" shorthands; with one processor INIT and start-up IPIs reach nobody and complete at once).
/// It is the CPU's interrupt controller: fixed interrupts by priority, then ExtINT from the 8259 through LINT0 in
/// virtual-wire mode. While the APIC is globally or software disabled, LINT0 and LINT1 pass straight through as the
/// processor's INTR and NMI pins (the PC's power-up wiring that the BIOS and PIC-mode operating systems rely on).
/// </summary>
public sealed class LocalApic : IDevice, IMmioHandler, IInterruptController, ICpuLocalApic, IApicInterruptSink
{
    // Register offsets (SDM Vol. 3A §11.4.1, Table 11-1 "Local APIC Register Address Map").
    public const int IdRegister = 0x020;           // Local APIC ID
    public const int VersionRegister = 0x030;      // Local APIC Version (read-only)
    public const int TprRegister = 0x080;          // Task Priority Register (§11.8.3.1)
    public const int AprRegister = 0x090;          // Arbitration Priority Register (read-only)
    public const int PprRegister = 0x0A0;          // Processor Priority Register (read-only, §11.8.3.1)
    public const int EoiRegister = 0x0B0;          // EOI Register (write-only, §11.8.5)
    public const int RrdRegister = 0x0C0;          // Remote Read Register (read-only)
    public const int LdrRegister = 0x0D0;          // Logical Destination Register (§11.6.2.2)
    public const int DfrRegister = 0x0E0;          // Destination Format Register (§11.6.2.2)
    public const int SvrRegister = 0x0F0;          // Spurious Interrupt Vector Register (§11.9)
    public const int IsrBase = 0x100;              // In-Service Register, 0x100-0x170 (read-only)
    public const int TmrBase = 0x180;              // Trigger Mode Register, 0x180-0x1F0 (read-only)
    public const int IrrBase = 0x200;              // Interrupt Request Register, 0x200-0x270 (read-only)
    public const int EsrRegister = 0x280;          // Error Status Register (§11.5.3)
    public const int IcrLowRegister = 0x300;       // Interrupt Command Register bits 0-31 (§11.6.1)
    public const int IcrHighRegister = 0x310;      // Interrupt Command Register bits 32-63
    public const int LvtTimerRegister = 0x320;     // LVT Timer (§11.5.1)
    public const int LvtThermalRegister = 0x330;   // LVT Thermal Sensor
    public const int LvtPerfRegister = 0x340;      // LVT Performance Monitoring Counters
    public const int LvtLint0Register = 0x350;     // LVT LINT0
    public const int LvtLint1Register = 0x360;     // LVT LINT1
    public const int LvtErrorRegister = 0x370;     // LVT Error
    public const int InitialCountRegister = 0x380; // Initial Count Register, timer (§11.5.4)
    public const int CurrentCountRegister = 0x390; // Current Count Register, timer (read-only)
    public const int DivideConfigRegister = 0x3E0; // Divide Configuration Register, timer

    public const ulong DefaultBase = 0xFEE0_0000;
    public const ulong MmioSize = 0x1000;

    // IA32_APIC_BASE (§11.4.4, Figure 11-5), for a processor with MAXPHYADDR = 36 and no x2APIC.
    public const ulong BaseBsp = 1ul << 8;
    public const ulong BaseGlobalEnable = 1ul << 11;
    public const ulong BaseAddressMask = 0xF_FFFF_F000ul;

    /// <summary>Version register: integrated APIC version 14h, max LVT entry 5 (six LVT entries), no EOI-broadcast suppression.</summary>
    public const uint VersionValue = 0x0005_0014;

    /// <summary>The timer's input clock (the "bus clock", §11.5.4): 1 GHz, one tick per virtual nanosecond.</summary>
    public const long BusFrequencyHz = 1_000_000_000;

    // LVT bits (§11.5.1, Figure 11-8).
    public const uint LvtMasked = 1u << 16;
    public const uint LvtDeliveryStatus = 1u << 12;
    public const uint LvtRemoteIrr = 1u << 14;
    public const uint LvtLevelTriggered = 1u << 15;
    public const uint LvtTimerPeriodic = 1u << 17;

    // Spurious-interrupt vector register (§11.9, Figure 11-23).
    public const uint SvrApicEnable = 1u << 8;
    private const uint SvrWritable = 0x3FF;        // vector, APIC software enable, focus processor checking

    // Error status register bits (§11.5.3, Figure 11-9).
    public const uint EsrSendIllegalVector = 1u << 5;
    public const uint EsrReceiveIllegalVector = 1u << 6;
    public const uint EsrIllegalRegisterAddress = 1u << 7;

    // ICR (§11.6.1, Figure 11-12): vector, delivery mode, destination mode, level, trigger mode, shorthand.
    private const uint IcrLowWritable = 0x000C_CFFF;
    private const uint IcrLogical = 1u << 11;
    public const int ShorthandNone = 0, ShorthandSelf = 1, ShorthandAllIncludingSelf = 2, ShorthandAllExcludingSelf = 3;

    private const int LvtTimer = 0, LvtThermal = 1, LvtPerf = 2, LvtLint0 = 3, LvtLint1 = 4, LvtError = 5, LvtCount = 6;

    /// <summary>Writable bits of each LVT entry: timer (vector, mask, periodic), thermal and PMC (vector, delivery mode, mask),
    /// LINT0/1 (vector, delivery mode, polarity, trigger mode, mask), error (vector, mask).</summary>
    private static readonly uint[] LvtWritable = [0x0002_00FF | LvtMasked, 0x0001_07FF, 0x0001_07FF, 0x0001_A7FF, 0x0001_A7FF, 0x0001_00FF];

    private const byte StateVersion = 1;

    private readonly VirtualClock _clock;
    private readonly ClockTimer _timer;
    private readonly byte _initialApicId;
    private readonly bool _bsp;
    private readonly uint[] _irr = new uint[8];
    private readonly uint[] _isr = new uint[8];
    private readonly uint[] _tmr = new uint[8];
    private readonly uint[] _lvt = new uint[LvtCount];
    private ulong _apicBase;
    private uint _id, _tpr, _ldr, _dfr, _svr, _esr, _esrPending, _icrLow, _icrHigh;
    private uint _initialCount, _divideConfig;
    private long _timerStart;   // virtual time at which the count was last (re)loaded
    private bool _oneShotDone;  // a one-shot count has reached zero
    private bool _lint0, _lint1;
    private bool _signalingError;

    public LocalApic(VirtualClock clock, byte initialApicId = 0, bool bootstrapProcessor = true)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _timer = clock.CreateTimer(OnTimer);
        _initialApicId = initialApicId;
        _bsp = bootstrapProcessor;
        Lint0 = new Pin(this, LvtLint0);
        Lint1 = new Pin(this, LvtLint1);
        Reset();
    }

    public string Name => "lapic";

    /// <summary>The 8259 that answers the interrupt-acknowledge cycle for ExtINT (LINT0 in virtual-wire mode, or pass-through).</summary>
    public IInterruptController? ExtIntController { get; set; }

    /// <summary>The LINT0 pin (the 8259's INTR on a PC).</summary>
    public IInterruptLine Lint0 { get; }

    /// <summary>The LINT1 pin (the PC's NMI sources).</summary>
    public IInterruptLine Lint1 { get; }

    /// <summary>Raised when INTR may have become asserted (the CPU should look at <see cref="InterruptPending"/>).</summary>
    public event Action? InterruptRequested;

    /// <summary>Raised when the APIC delivers an NMI to its processor.</summary>
    public event Action? NmiRequested;

    /// <summary>Raised by an EOI for a level-triggered vector: the EOI message to the I/O APICs (vector).</summary>
    public event Action<byte>? EoiBroadcast;

    /// <summary>Raised when <see cref="MmioBase"/> or <see cref="GloballyEnabled"/> changed (the register page moves or (dis)appears).</summary>
    public event Action? BaseChanged;

    public ulong ApicBase => _apicBase;

    public byte InitialApicId => _initialApicId;

    /// <summary>Physical address of the register page.</summary>
    public ulong MmioBase => _apicBase & BaseAddressMask;

    /// <summary>IA32_APIC_BASE[11].</summary>
    public bool GloballyEnabled => (_apicBase & BaseGlobalEnable) != 0;

    /// <summary>SVR[8].</summary>
    public bool SoftwareEnabled => (_svr & SvrApicEnable) != 0;

    private bool Enabled => GloballyEnabled && SoftwareEnabled;

    private bool Periodic => (_lvt[LvtTimer] & LvtTimerPeriodic) != 0;

    /// <summary>Timer divisor from the divide configuration register bits 0, 1 and 3 (§11.5.4, Figure 11-10).</summary>
    private long Divisor
    {
        get
        {
            int code = (int)(((_divideConfig >> 1) & 4) | (_divideConfig & 3));
            return code == 7 ? 1 : 2L << code;
        }
    }

    // ---- IA32_APIC_BASE ----

    public bool WriteApicBase(ulong value)
    {
        if ((value & ~(BaseAddressMask | BaseGlobalEnable | BaseBsp)) != 0) return false; // reserved bits, x2APIC enable
        ulong old = _apicBase;
        _apicBase = (value & (BaseAddressMask | BaseGlobalEnable)) | (old & BaseBsp); // BSP is read-only
        // Clearing the global enable loses the APIC's state: it comes back in its power-up state (§11.4.3).
        if ((old & BaseGlobalEnable) != 0 && !GloballyEnabled) ResetRegisters();
        if (old != _apicBase)
        {
            BaseChanged?.Invoke();
            Notify();
        }
        return true;
    }

    // ---- the CPU's INTR ----

    public bool InterruptPending => (Enabled && HighestDeliverable() >= 0) || ExtIntPending;

    public byte Acknowledge()
    {
        if (Enabled)
        {
            int v = HighestDeliverable();
            if (v >= 0)
            {
                Clear(_irr, v);
                Set(_isr, v);
                return (byte)v;
            }
        }
        if (ExtIntPending) return ExtIntController!.Acknowledge();
        return (byte)_svr; // nothing to deliver any more: the spurious vector, ISR untouched (§11.9)
    }

    /// <summary>The 8259's request reaches INTR: pass-through while disabled, else LINT0 unmasked in ExtINT mode.</summary>
    private bool ExtIntPending => ExtIntController is { } pic && Lint0PassesExtInt && pic.InterruptPending;

    private bool Lint0PassesExtInt =>
        !Enabled || (_lvt[LvtLint0] & (LvtMasked | 0x700)) == (uint)ApicDeliveryMode.ExtInt << 8;

    private int HighestDeliverable()
    {
        int v = Highest(_irr);
        return v >= 0 && (v & 0xF0) > (Ppr() & 0xF0) ? v : -1;
    }

    /// <summary>PPR (§11.8.3.1): TPR if its class is at least the highest in-service class, else that class.</summary>
    private uint Ppr()
    {
        int isrv = Math.Max(Highest(_isr), 0);
        return (_tpr >> 4) >= (uint)(isrv >> 4) ? _tpr : (uint)(isrv & 0xF0);
    }

    /// <summary>APR: TPR when it is at least the highest request class and above the in-service class, else the highest class.</summary>
    private uint Apr()
    {
        uint irrv = (uint)Math.Max(Highest(_irr), 0), isrv = (uint)Math.Max(Highest(_isr), 0);
        if ((_tpr >> 4) >= (irrv >> 4) && (_tpr >> 4) > (isrv >> 4)) return _tpr;
        return Math.Max(_tpr >> 4, Math.Max(isrv >> 4, irrv >> 4)) << 4;
    }

    // ---- interrupt acceptance ----

    public bool AcceptMessage(ApicDeliveryMode mode, byte vector, bool levelTriggered, byte destination, bool logicalDestination)
    {
        if (!GloballyEnabled || !MatchesDestination(destination, logicalDestination)) return false;
        Receive(mode, vector, levelTriggered);
        return true;
    }

    private void Receive(ApicDeliveryMode mode, byte vector, bool levelTriggered)
    {
        switch (mode)
        {
            case ApicDeliveryMode.Fixed:
            case ApicDeliveryMode.LowestPriority:
                // A software-disabled APIC only responds to NMI, SMI, INIT and start-up messages (§11.4.7.2).
                if (SoftwareEnabled) AcceptFixed(vector, levelTriggered);
                break;
            case ApicDeliveryMode.Nmi:
                NmiRequested?.Invoke();
                break;
            default:
                // SMI, INIT, start-up and ExtINT messages: no SMM, one processor that is never re-initialised, and
                // the 8259 reaches INTR through LINT0.
                break;
        }
    }

    private bool MatchesDestination(byte destination, bool logical)
    {
        if (destination == 0xFF) return true; // broadcast, physical and logical
        if (!logical) return destination == (byte)(_id >> 24);
        byte ldr = (byte)(_ldr >> 24);
        if ((_dfr >> 28) == 0xF) return (ldr & destination) != 0; // flat model: a bit per APIC
        int cluster = destination >> 4;                            // cluster model: cluster ID and member bits
        return (cluster == 0xF || cluster == ldr >> 4) && (destination & ldr & 0xF) != 0;
    }

    private void AcceptFixed(byte vector, bool levelTriggered)
    {
        if (vector < 16)
        {
            SignalError(EsrReceiveIllegalVector); // vectors 0-15 are reserved (§11.5.2)
            return;
        }
        Set(_irr, vector);
        if (levelTriggered) Set(_tmr, vector);
        else Clear(_tmr, vector);
        Notify();
    }

    /// <summary>A local interrupt source fires through its LVT entry.</summary>
    private void DeliverLocal(int lvt)
    {
        uint entry = _lvt[lvt];
        if ((entry & LvtMasked) != 0) return;
        var mode = lvt is LvtTimer or LvtError ? ApicDeliveryMode.Fixed : (ApicDeliveryMode)((entry >> 8) & 7);
        switch (mode)
        {
            case ApicDeliveryMode.Fixed:
                AcceptFixed((byte)entry, false);
                break;
            case ApicDeliveryMode.Nmi:
                NmiRequested?.Invoke();
                break;
            case ApicDeliveryMode.ExtInt:
                Notify(); // the 8259's INTR, acknowledged through ExtIntController
                break;
        }
    }

    private void SignalError(uint bit)
    {
        _esrPending |= bit;
        if (_signalingError) return; // an error interrupt with an illegal vector does not recurse
        _signalingError = true;
        DeliverLocal(LvtError);
        _signalingError = false;
    }

    private void SetLint(int lvt, bool high)
    {
        ref bool level = ref lvt == LvtLint0 ? ref _lint0 : ref _lint1;
        bool rising = high && !level;
        level = high;
        if (!Enabled)
        {
            // Pass-through: LINT0 is INTR (read through ExtIntController), LINT1 is NMI.
            if (lvt == LvtLint1 && rising) NmiRequested?.Invoke();
            if (lvt == LvtLint0) Notify();
            return;
        }
        if (lvt == LvtLint0) Notify();
        if (rising && ((_lvt[lvt] >> 8) & 7) != (uint)ApicDeliveryMode.ExtInt) DeliverLocal(lvt);
    }

    // ---- EOI and IPIs ----

    private void EndOfInterrupt()
    {
        int v = Highest(_isr);
        if (v < 0) return;
        Clear(_isr, v);
        if (Test(_tmr, v)) EoiBroadcast?.Invoke((byte)v);
        Notify();
    }

    private void SendIpi()
    {
        byte vector = (byte)_icrLow;
        var mode = (ApicDeliveryMode)((_icrLow >> 8) & 7);
        int shorthand = (int)(_icrLow >> 18) & 3;
        bool toSelf = shorthand switch
        {
            ShorthandNone => MatchesDestination((byte)(_icrHigh >> 24), (_icrLow & IcrLogical) != 0),
            ShorthandSelf or ShorthandAllIncludingSelf => true,
            _ => false,
        };
        if (mode is ApicDeliveryMode.Fixed or ApicDeliveryMode.LowestPriority && vector < 16)
        {
            SignalError(EsrSendIllegalVector);
            return;
        }
        // The message is sent at once: the delivery status bit (12) reads idle. IPIs are edge-triggered (the trigger
        // mode bit only qualifies INIT level de-assert).
        if (toSelf) Receive(mode, vector, false);
    }

    // ---- timer ----

    private uint CurrentCount()
    {
        if (_initialCount == 0) return 0;
        long ticks = Math.Max(0, _clock.Now - _timerStart) / Divisor;
        if (Periodic) return (uint)(_initialCount - ticks % _initialCount);
        return ticks >= _initialCount ? 0 : (uint)(_initialCount - ticks);
    }

    /// <summary>Arms the clock timer for the next time the count reaches zero while the timer LVT is unmasked.</summary>
    private void ScheduleTimer(bool restart = false)
    {
        if (restart) _timer.Disarm();
        if (_initialCount == 0 || (_lvt[LvtTimer] & LvtMasked) != 0 || !GloballyEnabled || (!Periodic && _oneShotDone))
        {
            _timer.Disarm();
            return;
        }
        long now = _clock.Now;
        if (_timer.Armed && _timer.Deadline <= now) return; // an expiry is due: let it fire
        long period = _initialCount * Divisor;
        long next;
        if (Periodic)
        {
            next = _timerStart + ((Math.Max(0, now - _timerStart) / period) + 1) * period;
        }
        else
        {
            next = _timerStart + period;
            if (next <= now)
            {
                _oneShotDone = true; // it reached zero while masked: no interrupt
                _timer.Disarm();
                return;
            }
        }
        _timer.Arm(next);
    }

    private void OnTimer(long deadline)
    {
        if (_initialCount == 0) return;
        if (Periodic) _timerStart = deadline; // reload from the initial count
        else _oneShotDone = true;
        DeliverLocal(LvtTimer);
        ScheduleTimer();
    }

    private void WriteDivide(uint value)
    {
        long now = _clock.Now;
        long ticks = Math.Max(0, now - _timerStart) / Divisor;
        _divideConfig = value & 0xB;
        _timerStart = now - ticks * Divisor; // the count goes on from where it was, at the new rate
        ScheduleTimer();
    }

    // ---- MMIO ----

    public ulong Read(ulong offset, int size)
    {
        if (offset >= MmioSize) return 0;
        int within = (int)(offset & 0xF);
        if (within >= 4) return 0; // bytes 4-15 of each 16-byte slot are reserved
        ulong v = ReadRegister((int)(offset & 0xFF0)) >> (8 * within);
        return size switch { 1 => v & 0xFF, 2 => v & 0xFFFF, _ => v };
    }

    public void Write(ulong offset, int size, ulong value)
    {
        // Registers are written with aligned 32-bit stores (§11.4.1); narrower or misaligned stores do nothing.
        if (offset >= MmioSize || (offset & 0xF) != 0 || size < 4) return;
        WriteRegister((int)offset, (uint)value);
    }

    private uint ReadRegister(int reg)
    {
        switch (reg)
        {
            case IdRegister: return _id;
            case VersionRegister: return VersionValue;
            case TprRegister: return _tpr;
            case AprRegister: return Apr();
            case PprRegister: return Ppr();
            case EoiRegister: return 0;
            case RrdRegister: return 0;
            case LdrRegister: return _ldr;
            case DfrRegister: return _dfr | 0x0FFF_FFFF;
            case SvrRegister: return _svr;
            case EsrRegister: return _esr;
            case IcrLowRegister: return _icrLow;
            case IcrHighRegister: return _icrHigh;
            case >= LvtTimerRegister and <= LvtErrorRegister: return _lvt[(reg - LvtTimerRegister) >> 4];
            case InitialCountRegister: return _initialCount;
            case CurrentCountRegister: return CurrentCount();
            case DivideConfigRegister: return _divideConfig;
            case >= IsrBase and < TmrBase: return _isr[(reg - IsrBase) >> 4];
            case >= TmrBase and < IrrBase: return _tmr[(reg - TmrBase) >> 4];
            case >= IrrBase and < EsrRegister: return _irr[(reg - IrrBase) >> 4];
            default:
                SignalError(EsrIllegalRegisterAddress);
                return 0;
        }
    }

    private void WriteRegister(int reg, uint value)
    {
        switch (reg)
        {
            case IdRegister:
                _id = value & 0xFF00_0000;
                break;
            case TprRegister:
                _tpr = value & 0xFF;
                Notify();
                break;
            case EoiRegister:
                EndOfInterrupt();
                break;
            case LdrRegister:
                _ldr = value & 0xFF00_0000;
                break;
            case DfrRegister:
                _dfr = (value & 0xF000_0000) | 0x0FFF_FFFF;
                break;
            case SvrRegister:
                _svr = value & SvrWritable;
                if (!SoftwareEnabled)
                {
                    for (int i = 0; i < LvtCount; i++) _lvt[i] |= LvtMasked; // §11.4.7.2
                }
                ScheduleTimer();
                Notify();
                break;
            case EsrRegister:
                _esr = _esrPending; // a write latches the errors seen since the previous write (§11.5.3)
                _esrPending = 0;
                break;
            case IcrLowRegister:
                _icrLow = value & IcrLowWritable;
                SendIpi();
                break;
            case IcrHighRegister:
                _icrHigh = value & 0xFF00_0000;
                break;
            case >= LvtTimerRegister and <= LvtErrorRegister:
                WriteLvt((reg - LvtTimerRegister) >> 4, value);
                break;
            case InitialCountRegister:
                _initialCount = value;
                _timerStart = _clock.Now;
                _oneShotDone = false;
                ScheduleTimer(restart: true);
                break;
            case DivideConfigRegister:
                WriteDivide(value);
                break;
            case VersionRegister:
            case AprRegister:
            case PprRegister:
            case RrdRegister:
            case CurrentCountRegister:
            case >= IsrBase and < EsrRegister:
                break; // read-only
            default:
                SignalError(EsrIllegalRegisterAddress);
                break;
        }
    }

    private void WriteLvt(int lvt, uint value)
    {
        uint v = (value & LvtWritable[lvt]) | (_lvt[lvt] & LvtRemoteIrr);
        if (!SoftwareEnabled) v |= LvtMasked; // the mask cannot be cleared while software-disabled
        _lvt[lvt] = v;
        if (lvt == LvtTimer) ScheduleTimer();
        if (lvt == LvtLint0) Notify();
    }

    // ---- reset and state ----

    public void Reset()
    {
        _apicBase = DefaultBase | BaseGlobalEnable | (_bsp ? BaseBsp : 0);
        ResetRegisters();
        BaseChanged?.Invoke();
    }

    /// <summary>The power-up state of the registers (§11.4.7.1).</summary>
    private void ResetRegisters()
    {
        _id = (uint)_initialApicId << 24;
        _tpr = _ldr = _esr = _esrPending = _icrLow = _icrHigh = 0;
        _dfr = 0xFFFF_FFFF;
        _svr = 0xFF;
        Array.Clear(_irr);
        Array.Clear(_isr);
        Array.Clear(_tmr);
        Array.Fill(_lvt, LvtMasked);
        _initialCount = _divideConfig = 0;
        _timerStart = _clock.Now;
        _oneShotDone = true;
        _timer.Disarm();
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_apicBase);
        foreach (uint v in new uint[] { _id, _tpr, _ldr, _dfr, _svr, _esr, _esrPending, _icrLow, _icrHigh, _initialCount, _divideConfig }) writer.Write(v);
        foreach (var a in new[] { _irr, _isr, _tmr, _lvt })
        {
            foreach (uint v in a) writer.Write(v);
        }
        writer.Write(_timerStart);
        writer.Write(_oneShotDone);
        writer.Write(_lint0);
        writer.Write(_lint1);
        writer.Write(_timer.Armed);
        writer.Write(_timer.Deadline);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"lapic: unsupported state version {version}");
        ulong apicBase = reader.ReadUInt64();
        if ((apicBase & ~(BaseAddressMask | BaseGlobalEnable | BaseBsp)) != 0) throw new InvalidDataException("lapic: reserved IA32_APIC_BASE bits set");
        _apicBase = apicBase;
        _id = reader.ReadUInt32() & 0xFF00_0000;
        _tpr = reader.ReadUInt32() & 0xFF;
        _ldr = reader.ReadUInt32() & 0xFF00_0000;
        _dfr = reader.ReadUInt32() | 0x0FFF_FFFF;
        _svr = reader.ReadUInt32() & SvrWritable;
        _esr = reader.ReadUInt32() & 0xFF;
        _esrPending = reader.ReadUInt32() & 0xFF;
        _icrLow = reader.ReadUInt32() & IcrLowWritable;
        _icrHigh = reader.ReadUInt32() & 0xFF00_0000;
        _initialCount = reader.ReadUInt32();
        _divideConfig = reader.ReadUInt32() & 0xB;
        foreach (var a in new[] { _irr, _isr, _tmr })
        {
            for (int i = 0; i < 8; i++) a[i] = reader.ReadUInt32();
            a[0] &= 0xFFFF_0000; // vectors 0-15 never reach the registers
        }
        for (int i = 0; i < LvtCount; i++) _lvt[i] = reader.ReadUInt32() & (LvtWritable[i] | LvtRemoteIrr);
        _timerStart = reader.ReadInt64();
        _oneShotDone = reader.ReadBoolean();
        _lint0 = reader.ReadBoolean();
        _lint1 = reader.ReadBoolean();
        bool armed = reader.ReadBoolean();
        long deadline = reader.ReadInt64();
        if (_timerStart < 0 || deadline < 0) throw new InvalidDataException("lapic: negative timer time");
        if (armed) _timer.Arm(deadline);
        else _timer.Disarm();
        BaseChanged?.Invoke();
        Notify();
    }

    private void Notify() => InterruptRequested?.Invoke();

    private static int Highest(uint[] bits)
    {
        for (int i = 7; i >= 0; i--)
        {
            if (bits[i] != 0) return i * 32 + 31 - BitOperations.LeadingZeroCount(bits[i]);
        }
        return -1;
    }

    private static void Set(uint[] bits, int v) => bits[v >> 5] |= 1u << (v & 31);

    private static void Clear(uint[] bits, int v) => bits[v >> 5] &= ~(1u << (v & 31));

    private static bool Test(uint[] bits, int v) => (bits[v >> 5] & (1u << (v & 31))) != 0;

    private sealed class Pin(LocalApic owner, int lvt) : IInterruptLine
    {
        public void SetLevel(bool high) => owner.SetLint(lvt, high);
    }
}
