namespace Emulator.Devices;

/// <summary>
/// One Intel 8259A programmable interrupt controller (register model, x86 mode). Two of them form the PC's
/// interrupt controller pair, <see cref="DualPic8259"/>, which owns the port decoding and the cascade.
/// </summary>
/// <remarks>
/// Request model (8259A datasheet, "Interrupt sequence" and "Edge/level triggered mode"): an edge-triggered input sets
/// its IRR bit on a low-to-high transition; a level-triggered input's IRR bit follows the input. In both modes the
/// request must still be present at INTA: if it has gone, the chip answers with IR7's vector (a spurious interrupt)
/// and sets no ISR bit.
/// </remarks>
public sealed class Pic8259
{
    // ICW1 (A0=0, D4=1) — datasheet "Initialization command words"
    internal const byte Icw1Ic4 = 0x01;   // ICW4 needed
    internal const byte Icw1Sngl = 0x02;  // single (no ICW3)
    internal const byte Icw1Ltim = 0x08;  // level-triggered mode for all inputs
    internal const byte Icw1Marker = 0x10;
    // ICW4
    internal const byte Icw4Aeoi = 0x02;  // automatic end of interrupt
    internal const byte Icw4Sfnm = 0x10;  // special fully nested mode
    // OCW3 (A0=0, D4=0, D3=1)
    internal const byte Ocw3Marker = 0x08;
    internal const byte Ocw3Poll = 0x04;
    internal const byte Ocw3Rr = 0x02;    // read register command
    internal const byte Ocw3Ris = 0x01;   // 1 = ISR, 0 = IRR
    internal const byte Ocw3Esmm = 0x40;  // enable special mask mode change
    internal const byte Ocw3Smm = 0x20;   // special mask mode

    private enum InitStep : byte { Ready = 0, Icw2 = 1, Icw3 = 2, Icw4 = 3 }

    private readonly bool _isMaster;

    private byte _edgeIrr;        // latched edge requests
    private byte _inputLevel;     // current level of the IR inputs
    private byte _isr;
    private byte _imr;
    private byte _vectorBase;     // ICW2 T7-T3
    private byte _icw1;
    private byte _icw3;
    private byte _icw4;
    private InitStep _init;
    private byte _lowestPriority = 7;
    private bool _readIsr;
    private bool _pollPending;
    private bool _specialMask;
    private bool _rotateOnAeoi;

    internal Pic8259(bool isMaster)
    {
        _isMaster = isMaster;
    }

    /// <summary>Per-input level-triggered selection from the ELCR (set by the owner).</summary>
    internal byte Elcr { get; set; }

    internal byte LevelMask => (_icw1 & Icw1Ltim) != 0 ? (byte)0xFF : Elcr;

    /// <summary>The interrupt request register as the guest reads it.</summary>
    public byte Irr => (byte)((_edgeIrr & ~LevelMask) | (_inputLevel & LevelMask));

    public byte Isr => _isr;

    public byte Imr => _imr;

    public byte VectorBase => _vectorBase;

    public bool AutoEoi => (_icw4 & Icw4Aeoi) != 0;

    public bool SpecialMaskMode => _specialMask;

    public byte LowestPriority => _lowestPriority;

    internal byte Icw3 => _icw3;

    internal bool SingleMode => (_icw1 & Icw1Sngl) != 0;

    internal void Reset()
    {
        _edgeIrr = 0;
        _inputLevel = 0;
        _isr = 0;
        _imr = 0;
        _vectorBase = 0;
        _icw1 = 0;
        _icw3 = 0;
        _icw4 = 0;
        _init = InitStep.Ready;
        _lowestPriority = 7;
        _readIsr = false;
        _pollPending = false;
        _specialMask = false;
        _rotateOnAeoi = false;
        Elcr = 0;
    }

    /// <summary>Drives IR input <paramref name="irq"/> (0-7).</summary>
    internal void SetInput(int irq, bool high)
    {
        byte bit = (byte)(1 << (irq & 7));
        bool wasHigh = (_inputLevel & bit) != 0;
        if (high)
        {
            if (!wasHigh) _edgeIrr |= bit;
            _inputLevel |= bit;
        }
        else
        {
            // The request is gone: an edge request not yet acknowledged vanishes with it.
            _edgeIrr &= (byte)~bit;
            _inputLevel &= (byte)~bit;
        }
    }

    private int PriorityOf(int irq) => (irq - _lowestPriority - 1) & 7; // 0 = highest

    /// <summary>The highest-priority set bit of <paramref name="mask"/>, or -1.</summary>
    private int Highest(byte mask)
    {
        if (mask == 0) return -1;
        for (int p = 0; p < 8; p++)
        {
            int irq = (_lowestPriority + 1 + p) & 7;
            if ((mask & (1 << irq)) != 0) return irq;
        }
        return -1;
    }

    /// <summary>The IR level INT would be asserted for, or -1 (datasheet "Priority resolver").</summary>
    internal int PendingIrq()
    {
        int req = Highest((byte)(Irr & ~_imr));
        if (req < 0) return -1;
        byte inService = _isr;
        if (_specialMask) inService &= (byte)~_imr;
        if (_isMaster && (_icw4 & Icw4Sfnm) != 0) inService &= (byte)~_icw3;
        int cur = Highest(inService);
        if (cur >= 0 && PriorityOf(cur) <= PriorityOf(req)) return -1;
        return req;
    }

    /// <summary>The INT output.</summary>
    internal bool Int => PendingIrq() >= 0;

    /// <summary>
    /// The INTA sequence on this chip: returns the IR level being serviced, or 7 with <paramref name="spurious"/>
    /// set when no request is present any more.
    /// </summary>
    internal int Acknowledge(out bool spurious)
    {
        int irq = PendingIrq();
        if (irq < 0)
        {
            spurious = true;
            return 7;
        }
        spurious = false;
        byte bit = (byte)(1 << irq);
        _edgeIrr &= (byte)~bit;
        if (AutoEoi)
        {
            if (_rotateOnAeoi) _lowestPriority = (byte)irq;
        }
        else
        {
            _isr |= bit;
        }
        return irq;
    }

    internal byte Vector(int irq) => (byte)((_vectorBase & 0xF8) | (irq & 7));

    internal byte Read(bool a0)
    {
        if (_pollPending)
        {
            // Poll command: the read acts as an interrupt acknowledge (datasheet "The poll command").
            _pollPending = false;
            int irq = PendingIrq();
            if (irq < 0) return 0x00;
            Acknowledge(out _);
            return (byte)(0x80 | irq);
        }
        if (a0) return _imr;
        return _readIsr ? _isr : Irr;
    }

    internal void Write(bool a0, byte value)
    {
        if (!a0)
        {
            if ((value & Icw1Marker) != 0)
            {
                WriteIcw1(value);
            }
            else if ((value & Ocw3Marker) != 0)
            {
                WriteOcw3(value);
            }
            else
            {
                WriteOcw2(value);
            }
            return;
        }
        switch (_init)
        {
            case InitStep.Icw2:
                _vectorBase = (byte)(value & 0xF8);
                _init = SingleMode ? ((_icw1 & Icw1Ic4) != 0 ? InitStep.Icw4 : InitStep.Ready) : InitStep.Icw3;
                break;
            case InitStep.Icw3:
                _icw3 = value;
                _init = (_icw1 & Icw1Ic4) != 0 ? InitStep.Icw4 : InitStep.Ready;
                break;
            case InitStep.Icw4:
                _icw4 = value;
                _init = InitStep.Ready;
                break;
            default:
                _imr = value; // OCW1
                break;
        }
    }

    private void WriteIcw1(byte value)
    {
        // ICW1 resets: edge sense latches, IMR, ISR, priority (IR7 lowest), special mask mode, read register = IRR.
        _icw1 = value;
        _edgeIrr = 0;
        _imr = 0;
        _isr = 0;
        _lowestPriority = 7;
        _specialMask = false;
        _readIsr = false;
        _pollPending = false;
        _rotateOnAeoi = false;
        _icw4 = 0; // no ICW4: all its functions zero
        _init = InitStep.Icw2;
    }

    private void WriteOcw2(byte value)
    {
        int level = value & 7;
        switch (value >> 5)
        {
            case 0b001: // non-specific EOI
                NonSpecificEoi(rotate: false);
                break;
            case 0b011: // specific EOI
                _isr &= (byte)~(1 << level);
                break;
            case 0b101: // rotate on non-specific EOI
                NonSpecificEoi(rotate: true);
                break;
            case 0b100: // rotate in automatic EOI mode (set)
                _rotateOnAeoi = true;
                break;
            case 0b000: // rotate in automatic EOI mode (clear)
                _rotateOnAeoi = false;
                break;
            case 0b111: // rotate on specific EOI
                _isr &= (byte)~(1 << level);
                _lowestPriority = (byte)level;
                break;
            case 0b110: // set priority
                _lowestPriority = (byte)level;
                break;
            default: // 0b010: no operation
                break;
        }
    }

    private void NonSpecificEoi(bool rotate)
    {
        byte inService = _isr;
        if (_specialMask) inService &= (byte)~_imr;
        int irq = Highest(inService);
        if (irq < 0) return;
        _isr &= (byte)~(1 << irq);
        if (rotate) _lowestPriority = (byte)irq;
    }

    private void WriteOcw3(byte value)
    {
        if ((value & Ocw3Esmm) != 0) _specialMask = (value & Ocw3Smm) != 0;
        if ((value & Ocw3Poll) != 0) _pollPending = true;
        if ((value & Ocw3Rr) != 0) _readIsr = (value & Ocw3Ris) != 0;
    }

    internal void Save(BinaryWriter w)
    {
        w.Write(_edgeIrr);
        w.Write(_inputLevel);
        w.Write(_isr);
        w.Write(_imr);
        w.Write(_vectorBase);
        w.Write(_icw1);
        w.Write(_icw3);
        w.Write(_icw4);
        w.Write((byte)_init);
        w.Write(_lowestPriority);
        w.Write(_readIsr);
        w.Write(_pollPending);
        w.Write(_specialMask);
        w.Write(_rotateOnAeoi);
        w.Write(Elcr);
    }

    internal void Load(BinaryReader r)
    {
        _edgeIrr = r.ReadByte();
        _inputLevel = r.ReadByte();
        _isr = r.ReadByte();
        _imr = r.ReadByte();
        _vectorBase = r.ReadByte();
        _icw1 = r.ReadByte();
        _icw3 = r.ReadByte();
        _icw4 = r.ReadByte();
        byte init = r.ReadByte();
        if (init > (byte)InitStep.Icw4) throw new InvalidDataException("PIC: bad initialization step");
        _init = (InitStep)init;
        _lowestPriority = (byte)(r.ReadByte() & 7);
        _readIsr = r.ReadBoolean();
        _pollPending = r.ReadBoolean();
        _specialMask = r.ReadBoolean();
        _rotateOnAeoi = r.ReadBoolean();
        Elcr = r.ReadByte();
    }
}
