using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The National Semiconductor PC16550D UART (16550A register set) with 16-byte FIFOs. Transmission is immediate (the
/// byte reaches the back end during the THR write, so THR and the transmitter are empty right after); reception goes
/// through the receive FIFO with the datasheet's trigger levels and a character timeout of four character times.
/// Standard PC ports: COM1 0x3F8/IRQ4, COM2 0x2F8/IRQ3, COM3 0x3E8/IRQ4, COM4 0x2E8/IRQ3.
/// </summary>
public sealed class Uart16550 : IDevice, IPortHandler
{
    public const ushort Com1Port = 0x3F8;
    public const ushort Com2Port = 0x2F8;
    public const ushort Com3Port = 0x3E8;
    public const ushort Com4Port = 0x2E8;

    // Register offsets — PC16550D datasheet table II
    public const int RegRbrThrDll = 0;
    public const int RegIerDlm = 1;
    public const int RegIirFcr = 2;
    public const int RegLcr = 3;
    public const int RegMcr = 4;
    public const int RegLsr = 5;
    public const int RegMsr = 6;
    public const int RegScr = 7;

    // IER
    public const byte IerErbfi = 0x01;  // received data available
    public const byte IerEtbei = 0x02;  // transmitter holding register empty
    public const byte IerElsi = 0x04;   // receiver line status
    public const byte IerEdssi = 0x08;  // modem status
    // IIR
    public const byte IirNoInterrupt = 0x01;
    public const byte IirLineStatus = 0x06;
    public const byte IirRxData = 0x04;
    public const byte IirTimeout = 0x0C;
    public const byte IirThre = 0x02;
    public const byte IirModemStatus = 0x00;
    public const byte IirFifosEnabled = 0xC0;
    // FCR
    public const byte FcrEnable = 0x01;
    public const byte FcrRxReset = 0x02;
    public const byte FcrTxReset = 0x04;
    public const byte FcrDmaMode = 0x08;
    public const byte FcrTriggerMask = 0xC0;
    // LCR
    public const byte LcrDlab = 0x80;
    // MCR
    public const byte McrDtr = 0x01;
    public const byte McrRts = 0x02;
    public const byte McrOut1 = 0x04;
    public const byte McrOut2 = 0x08;
    public const byte McrLoop = 0x10;
    // LSR
    public const byte LsrDr = 0x01;
    public const byte LsrOe = 0x02;
    public const byte LsrPe = 0x04;
    public const byte LsrFe = 0x08;
    public const byte LsrBi = 0x10;
    public const byte LsrThre = 0x20;
    public const byte LsrTemt = 0x40;
    public const byte LsrRxFifoError = 0x80;
    // MSR
    public const byte MsrDcts = 0x01;
    public const byte MsrDdsr = 0x02;
    public const byte MsrTeri = 0x04;
    public const byte MsrDdcd = 0x08;
    public const byte MsrCts = 0x10;
    public const byte MsrDsr = 0x20;
    public const byte MsrRi = 0x40;
    public const byte MsrDcd = 0x80;

    public const int FifoSize = 16;
    private const long UartClockHz = 1_843_200;
    private const long PollIntervalNs = 1_000_000;
    private const byte StateVersion = 1;

    private readonly VirtualClock _clock;
    private readonly ushort _base;
    private readonly IInterruptLine? _irq;
    private readonly ISerialBackend _backend;
    private readonly ClockTimer _timeoutTimer;
    private readonly ClockTimer _pollTimer;

    private readonly byte[] _rxFifo = new byte[FifoSize];
    private int _rxHead;
    private int _rxCount;
    private byte _ier;
    private byte _fcr;
    private byte _lcr;
    private byte _mcr;
    private byte _lsrErrors;   // OE, PE, FE, BI (cleared by reading LSR)
    private byte _msrDeltas;   // DCTS, DDSR, TERI, DDCD (cleared by reading MSR)
    private byte _msrLines;    // CTS, DSR, RI, DCD
    private byte _scr;
    private ushort _divisor = 12;
    private bool _thrIpending;
    private bool _timeoutPending;
    private bool _irqLevel;

    public Uart16550(VirtualClock clock, ushort basePort, IInterruptLine? irq, ISerialBackend? backend = null)
    {
        _clock = clock;
        _base = basePort;
        _irq = irq;
        _backend = backend ?? new SerialNullBackend();
        _timeoutTimer = clock.CreateTimer(_ => OnTimeout());
        _pollTimer = clock.CreateTimer(_ => OnPoll());
        Reset();
    }

    public string Name => $"serial@{_base:x3}";

    public ushort BasePort => _base;

    public ISerialBackend Backend => _backend;

    /// <summary>
    /// PC wiring: the IRQ reaches the PIC only while MCR.OUT2 is set (and not in loopback, where OUT2 is held inactive).
    /// Set false for a board that wires INTR straight through.
    /// </summary>
    public bool IrqGatedByOut2 { get; set; } = true;

    public void RegisterPorts(PortBus bus) => bus.Register(_base, 8, this);

    private bool FifoEnabled => (_fcr & FcrEnable) != 0;

    private bool Loopback => (_mcr & McrLoop) != 0;

    private int RxCapacity => FifoEnabled ? FifoSize : 1;

    private int TriggerLevel => (_fcr >> 6) switch { 0 => 1, 1 => 4, 2 => 8, _ => 14 };

    /// <summary>True while the receiver can take another byte without an overrun.</summary>
    public bool CanReceive => _rxCount < RxCapacity;

    /// <summary>A byte arrives on the line. Returns false (and sets OE) if it overran the receiver.</summary>
    public bool Receive(byte value)
    {
        bool ok = true;
        if (_rxCount < RxCapacity)
        {
            _rxFifo[(_rxHead + _rxCount) % FifoSize] = value;
            _rxCount++;
        }
        else if (!FifoEnabled)
        {
            _rxFifo[_rxHead] = value; // the holding register is overwritten
            _lsrErrors |= LsrOe;
            ok = false;
        }
        else
        {
            _lsrErrors |= LsrOe;      // the character in the shift register is lost; the FIFO keeps its data
            ok = false;
        }
        RestartTimeout();
        UpdateIrq();
        return ok;
    }

    /// <summary>Pulls waiting host input into the receiver (as much as fits).</summary>
    public void PollBackend()
    {
        if (!_backend.SupportsInput || Loopback) return;
        bool any = false;
        while (CanReceive && _backend.TryRead(out byte b))
        {
            _rxFifo[(_rxHead + _rxCount) % FifoSize] = b;
            _rxCount++;
            any = true;
        }
        if (any)
        {
            RestartTimeout();
            UpdateIrq();
        }
    }

    private void OnPoll()
    {
        PollBackend();
        ArmPoll();
    }

    private void ArmPoll()
    {
        if (_backend.SupportsInput) _pollTimer.Arm(_clock.Now + PollIntervalNs);
    }

    private long CharacterTimeNs
    {
        get
        {
            // start + 5..8 data + parity + 1..2 stop bits; 16 UART clocks per bit
            int bits = 1 + 5 + (_lcr & 3) + ((_lcr & 0x08) != 0 ? 1 : 0) + ((_lcr & 0x04) != 0 ? 2 : 1);
            long divisor = _divisor == 0 ? 65536 : _divisor;
            return bits * divisor * 16 * 1_000_000_000L / UartClockHz;
        }
    }

    private void RestartTimeout()
    {
        if (FifoEnabled && _rxCount > 0) _timeoutTimer.Arm(_clock.Now + 4 * CharacterTimeNs);
        else _timeoutTimer.Disarm();
    }

    private void OnTimeout()
    {
        if (FifoEnabled && _rxCount > 0)
        {
            _timeoutPending = true;
            UpdateIrq();
        }
    }

    /// <summary>The interrupt identification, highest priority first (datasheet table IV).</summary>
    private byte InterruptId()
    {
        if ((_ier & IerElsi) != 0 && (_lsrErrors & (LsrOe | LsrPe | LsrFe | LsrBi)) != 0) return IirLineStatus;
        if ((_ier & IerErbfi) != 0)
        {
            if (FifoEnabled)
            {
                if (_rxCount >= TriggerLevel) return IirRxData;
                if (_timeoutPending && _rxCount > 0) return IirTimeout;
            }
            else if (_rxCount > 0)
            {
                return IirRxData;
            }
        }
        if ((_ier & IerEtbei) != 0 && _thrIpending) return IirThre;
        if ((_ier & IerEdssi) != 0 && (_msrDeltas & 0x0F) != 0) return IirModemStatus;
        return IirNoInterrupt;
    }

    private void UpdateIrq()
    {
        bool pending = InterruptId() != IirNoInterrupt;
        bool level = pending && (!IrqGatedByOut2 || ((_mcr & McrOut2) != 0 && !Loopback));
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq?.SetLevel(level);
    }

    private byte ModemLines()
    {
        if (!Loopback) return MsrCts | MsrDsr | MsrDcd; // a connected host: CTS, DSR, DCD asserted
        int v = 0;
        if ((_mcr & McrRts) != 0) v |= MsrCts;
        if ((_mcr & McrDtr) != 0) v |= MsrDsr;
        if ((_mcr & McrOut1) != 0) v |= MsrRi;
        if ((_mcr & McrOut2) != 0) v |= MsrDcd;
        return (byte)v;
    }

    private void UpdateModemLines()
    {
        byte lines = ModemLines();
        byte changed = (byte)(lines ^ _msrLines);
        if ((changed & MsrCts) != 0) _msrDeltas |= MsrDcts;
        if ((changed & MsrDsr) != 0) _msrDeltas |= MsrDdsr;
        if ((changed & MsrDcd) != 0) _msrDeltas |= MsrDdcd;
        if ((_msrLines & MsrRi) != 0 && (lines & MsrRi) == 0) _msrDeltas |= MsrTeri; // trailing edge only
        _msrLines = lines;
    }

    public uint Read(ushort port, int size)
    {
        uint result = 0;
        int n = size is 2 or 4 ? size : 1;
        for (int i = 0; i < n; i++) result |= (uint)ReadByte(port + i - _base) << (8 * i);
        return result;
    }

    public void Write(ushort port, int size, uint value)
    {
        int n = size is 2 or 4 ? size : 1;
        for (int i = 0; i < n; i++) WriteByte(port + i - _base, (byte)(value >> (8 * i)));
    }

    private byte ReadByte(int offset)
    {
        switch (offset)
        {
            case RegRbrThrDll:
            {
                if ((_lcr & LcrDlab) != 0) return (byte)_divisor;
                byte v = 0;
                if (_rxCount > 0)
                {
                    v = _rxFifo[_rxHead];
                    _rxHead = (_rxHead + 1) % FifoSize;
                    _rxCount--;
                }
                _timeoutPending = false;
                PollBackend();
                RestartTimeout();
                UpdateIrq();
                return v;
            }
            case RegIerDlm:
                return (_lcr & LcrDlab) != 0 ? (byte)(_divisor >> 8) : _ier;
            case RegIirFcr:
            {
                byte id = InterruptId();
                if (id == IirThre)
                {
                    _thrIpending = false; // reading IIR with THRE as the source clears it
                    UpdateIrq();
                }
                return (byte)(id | (FifoEnabled ? IirFifosEnabled : 0));
            }
            case RegLcr:
                return _lcr;
            case RegMcr:
                return _mcr;
            case RegLsr:
            {
                PollBackend();
                byte v = (byte)(_lsrErrors | LsrThre | LsrTemt | (_rxCount > 0 ? LsrDr : 0));
                _lsrErrors = 0;
                UpdateIrq();
                return v;
            }
            case RegMsr:
            {
                byte v = (byte)(_msrLines | _msrDeltas);
                _msrDeltas = 0;
                UpdateIrq();
                return v;
            }
            case RegScr:
                return _scr;
            default:
                return 0xFF;
        }
    }

    private void WriteByte(int offset, byte value)
    {
        switch (offset)
        {
            case RegRbrThrDll:
                if ((_lcr & LcrDlab) != 0)
                {
                    _divisor = (ushort)((_divisor & 0xFF00) | value);
                    return;
                }
                Transmit(value);
                break;
            case RegIerDlm:
                if ((_lcr & LcrDlab) != 0)
                {
                    _divisor = (ushort)((_divisor & 0x00FF) | (value << 8));
                    return;
                }
                byte old = _ier;
                _ier = (byte)(value & 0x0F);
                // Enabling ETBEI while THR is empty raises a THRE interrupt.
                if ((old & IerEtbei) == 0 && (_ier & IerEtbei) != 0) _thrIpending = true;
                break;
            case RegIirFcr:
                WriteFcr(value);
                break;
            case RegLcr:
                _lcr = value;
                break;
            case RegMcr:
                _mcr = (byte)(value & 0x1F);
                UpdateModemLines();
                break;
            case RegScr:
                _scr = value;
                return;
            default:
                return; // LSR and MSR are read-only (factory test writes ignored)
        }
        UpdateIrq();
    }

    private void Transmit(byte value)
    {
        _thrIpending = false; // writing THR clears the THRE interrupt ...
        if (Loopback)
        {
            Receive(value);
        }
        else
        {
            _backend.Write(value);
        }
        _thrIpending = true;  // ... and the immediate transmission empties THR again
    }

    private void WriteFcr(byte value)
    {
        bool enable = (value & FcrEnable) != 0;
        if (enable != FifoEnabled)
        {
            ClearRx();
        }
        if (!enable)
        {
            _fcr = 0;
            RestartTimeout();
            return;
        }
        if ((value & FcrRxReset) != 0) ClearRx();
        // FcrTxReset: the transmit FIFO is always empty here.
        _fcr = (byte)(value & (FcrEnable | FcrDmaMode | FcrTriggerMask));
        RestartTimeout();
    }

    private void ClearRx()
    {
        _rxHead = 0;
        _rxCount = 0;
        _timeoutPending = false;
    }

    public void Reset()
    {
        // Master reset values (datasheet table III).
        ClearRx();
        _ier = 0;
        _fcr = 0;
        _lcr = 0;
        _mcr = 0;
        _lsrErrors = 0;
        _msrDeltas = 0;
        _msrLines = ModemLines();
        _scr = 0;
        _divisor = 12;
        _thrIpending = false;
        _timeoutTimer.Disarm();
        UpdateIrqForce();
        ArmPoll();
    }

    private void UpdateIrqForce()
    {
        bool level = InterruptId() != IirNoInterrupt && (!IrqGatedByOut2 || ((_mcr & McrOut2) != 0 && !Loopback));
        _irqLevel = level;
        _irq?.SetLevel(level);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_rxFifo);
        writer.Write((byte)_rxHead);
        writer.Write((byte)_rxCount);
        writer.Write(_ier);
        writer.Write(_fcr);
        writer.Write(_lcr);
        writer.Write(_mcr);
        writer.Write(_lsrErrors);
        writer.Write(_msrDeltas);
        writer.Write(_msrLines);
        writer.Write(_scr);
        writer.Write(_divisor);
        writer.Write(_thrIpending);
        writer.Write(_timeoutPending);
        writer.Write(IrqGatedByOut2);
        writer.Write(_timeoutTimer.Armed ? _timeoutTimer.Deadline : -1L);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"serial: unsupported state version {version}");
        byte[] fifo = reader.ReadBytes(FifoSize);
        if (fifo.Length != FifoSize) throw new InvalidDataException("serial: truncated state");
        int head = reader.ReadByte();
        int count = reader.ReadByte();
        if (head >= FifoSize || count > FifoSize) throw new InvalidDataException("serial: bad FIFO state");
        fifo.CopyTo(_rxFifo, 0);
        _rxHead = head;
        _rxCount = count;
        _ier = (byte)(reader.ReadByte() & 0x0F);
        _fcr = reader.ReadByte();
        _lcr = reader.ReadByte();
        _mcr = (byte)(reader.ReadByte() & 0x1F);
        _lsrErrors = reader.ReadByte();
        _msrDeltas = reader.ReadByte();
        _msrLines = reader.ReadByte();
        _scr = reader.ReadByte();
        _divisor = reader.ReadUInt16();
        _thrIpending = reader.ReadBoolean();
        _timeoutPending = reader.ReadBoolean();
        IrqGatedByOut2 = reader.ReadBoolean();
        long timeout = reader.ReadInt64();
        if (timeout >= 0) _timeoutTimer.Arm(timeout);
        else _timeoutTimer.Disarm();
        if (_rxCount > RxCapacity) _rxCount = RxCapacity;
        UpdateIrqForce();
        ArmPoll();
    }
}
