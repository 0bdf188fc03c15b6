namespace Emulator.Devices;

/// <summary>
/// One counter of the 8254. Time is measured in input-clock ticks (CLK pulses, absolute since machine start);
/// the counting element is computed from the tick count on demand, never decremented per tick.
/// </summary>
public sealed class Pit8254Channel
{
    // Control word bits — 8254 datasheet "Control Word Format"
    internal const int RwLatch = 0;
    internal const int RwLsb = 1;
    internal const int RwMsb = 2;
    internal const int RwLsbMsb = 3;

    private enum RunState : byte
    {
        Idle = 0,      // control word written, no count yet
        Waiting = 1,   // modes 1/5: count written, waiting for a gate trigger
        Running = 2,   // counting: CE = N at tick _loadTick
        Suspended = 3, // gate low in a mode that stops counting
    }

    private int _mode;
    private bool _bcd;
    private int _rw = RwLsb;
    private RunState _state;
    private ushort _countRegister;     // CR as last written (raw, BCD or binary)
    private long _n;                   // initial count of the running segment (1..65536 / 1..10000)
    private long _loadTick;
    private long _frozen;              // Suspended: elapsed ticks (modes 0/4) or CE value (modes 2/3)
    private bool _pendingReload;       // modes 2/3: new count takes effect at the next period boundary
    private long _pendingN;
    private long _pendingTick;
    private bool _writeMsbNext;
    private byte _writeLsb;
    private bool _readMsbNext;
    private bool _countLatched;
    private ushort _latchedCount;
    private bool _latchMsbNext;
    private bool _statusLatched;
    private byte _latchedStatus;
    private bool _nullCount = true;
    private long _nullClearTick = long.MaxValue;
    private bool _gate;

    internal Pit8254Channel(int index, bool gate)
    {
        Index = index;
        Reset(gate);
    }

    public int Index { get; }

    public int Mode => _mode;

    public bool Bcd => _bcd;

    public bool Gate => _gate;

    private long Modulus => _bcd ? 10000 : 65536;

    internal void Reset(bool gate)
    {
        _mode = 0;
        _bcd = false;
        _rw = RwLsb;
        _state = RunState.Idle;
        _countRegister = 0;
        _n = 65536;
        _loadTick = 0;
        _frozen = 0;
        _pendingReload = false;
        _writeMsbNext = false;
        _readMsbNext = false;
        _countLatched = false;
        _latchMsbNext = false;
        _statusLatched = false;
        _nullCount = true;
        _nullClearTick = long.MaxValue;
        _gate = gate;
    }

    private long InitialCount()
    {
        if (_bcd)
        {
            int v = ((_countRegister >> 12) & 0xF) * 1000 + ((_countRegister >> 8) & 0xF) * 100
                    + ((_countRegister >> 4) & 0xF) * 10 + (_countRegister & 0xF);
            v %= 10000;
            return v == 0 ? 10000 : v;
        }
        return _countRegister == 0 ? 65536 : _countRegister;
    }

    private void Normalize(long tick)
    {
        if (_pendingReload && tick >= _pendingTick)
        {
            _pendingReload = false;
            _loadTick = _pendingTick;
            _n = _pendingN;
        }
    }

    private void StartCounting(long loadTick)
    {
        _state = RunState.Running;
        _n = InitialCount();
        _loadTick = loadTick;
        _pendingReload = false;
        _nullClearTick = loadTick;
    }

    // ---- control and data port ----

    internal void WriteControl(byte value, long tick)
    {
        int rw = (value >> 4) & 3;
        if (rw == RwLatch)
        {
            LatchCount(tick);
            return;
        }
        Normalize(tick);
        _rw = rw;
        _mode = (value >> 1) & 7;
        if (_mode > 5) _mode -= 4; // 6 and 7 are modes 2 and 3
        _bcd = (value & 1) != 0;
        _state = RunState.Idle;
        _pendingReload = false;
        _writeMsbNext = false;
        _readMsbNext = false;
        _countLatched = false;
        _statusLatched = false;
        _nullCount = true;
        _nullClearTick = long.MaxValue;
    }

    internal void LatchCount(long tick)
    {
        if (_countLatched) return; // a second latch before the read is ignored
        _countLatched = true;
        _latchedCount = EncodedCount(tick);
        _latchMsbNext = false;
    }

    internal void LatchStatus(long tick)
    {
        if (_statusLatched) return;
        _statusLatched = true;
        _latchedStatus = Status(tick);
    }

    /// <summary>Status byte (read-back): OUT, NULL COUNT, RW1 RW0, M2 M1 M0, BCD.</summary>
    internal byte Status(long tick)
    {
        int v = (Output(tick) ? 0x80 : 0) | (NullCount(tick) ? 0x40 : 0) | (_rw << 4) | (_mode << 1) | (_bcd ? 1 : 0);
        return (byte)v;
    }

    private bool NullCount(long tick) => _nullCount && tick < _nullClearTick;

    internal void WriteData(byte value, long tick)
    {
        Normalize(tick);
        switch (_rw)
        {
            case RwLsb:
                _countRegister = value;
                break;
            case RwMsb:
                _countRegister = (ushort)(value << 8);
                break;
            default:
                if (!_writeMsbNext)
                {
                    _writeLsb = value;
                    _writeMsbNext = true;
                    if (_mode == 0)
                    {
                        // Mode 0: writing the first byte stops the count and sets OUT low.
                        Suspend(tick);
                        _state = RunState.Idle;
                    }
                    return;
                }
                _writeMsbNext = false;
                _countRegister = (ushort)(_writeLsb | (value << 8));
                break;
        }
        CountWritten(tick);
    }

    private void CountWritten(long tick)
    {
        _nullCount = true;
        _nullClearTick = long.MaxValue;
        long next = tick + 1; // the count is loaded into CE on the next CLK pulse
        switch (_mode)
        {
            case 0:
            case 4:
                if (_gate)
                {
                    StartCounting(next);
                }
                else
                {
                    StartCounting(next);
                    _state = RunState.Suspended;
                    _frozen = -1;
                }
                break;
            case 1:
            case 5:
                if (_state == RunState.Idle) _state = RunState.Waiting;
                // The new count is used at the next trigger.
                break;
            default: // 2, 3
                if (_state == RunState.Running)
                {
                    long nextBoundary = NextPeriodBoundary(tick);
                    _pendingReload = true;
                    _pendingN = InitialCount();
                    _pendingTick = nextBoundary;
                    _nullClearTick = nextBoundary;
                }
                else if (_gate)
                {
                    StartCounting(next);
                }
                else
                {
                    _state = RunState.Suspended;
                    _n = InitialCount();
                    _frozen = _n % Modulus;
                }
                break;
        }
    }

    private long NextPeriodBoundary(long tick)
    {
        long e = tick - _loadTick;
        if (e < 0) return _loadTick;
        return _loadTick + (e / _n + 1) * _n;
    }

    internal byte ReadData(long tick)
    {
        if (_statusLatched)
        {
            _statusLatched = false;
            return _latchedStatus;
        }
        if (_countLatched)
        {
            byte b;
            if (_rw == RwMsb)
            {
                b = (byte)(_latchedCount >> 8);
                _countLatched = false;
            }
            else if (_rw == RwLsbMsb && _latchMsbNext)
            {
                b = (byte)(_latchedCount >> 8);
                _countLatched = false;
            }
            else
            {
                b = (byte)_latchedCount;
                if (_rw == RwLsbMsb) _latchMsbNext = true;
                else _countLatched = false;
            }
            return b;
        }
        ushort count = EncodedCount(tick);
        switch (_rw)
        {
            case RwMsb:
                return (byte)(count >> 8);
            case RwLsbMsb:
                _readMsbNext = !_readMsbNext;
                return _readMsbNext ? (byte)count : (byte)(count >> 8);
            default:
                return (byte)count;
        }
    }

    private ushort EncodedCount(long tick)
    {
        long ce = CountingElement(tick);
        if (!_bcd) return (ushort)ce;
        int v = (int)(ce % 10000);
        return (ushort)((v / 1000 << 12) | (v / 100 % 10 << 8) | (v / 10 % 10 << 4) | (v % 10));
    }

    /// <summary>The counting element CE at <paramref name="tick"/> (0..modulus-1).</summary>
    internal long CountingElement(long tick)
    {
        Normalize(tick);
        long m = Modulus;
        switch (_state)
        {
            case RunState.Idle:
            case RunState.Waiting:
                return _n % m;
            case RunState.Suspended:
                if (_mode is 2 or 3) return _frozen % m;
                return _frozen < 0 ? _n % m : Mod(_n - _frozen, m);
        }
        long e = tick - _loadTick;
        if (e < 0) return _n % m; // not loaded yet: reads are undefined on the chip; show the count
        switch (_mode)
        {
            case 2:
            {
                long p = e % _n;
                return (_n - p) % m;
            }
            case 3:
            {
                long even = _n & ~1L;
                long h = (_n + 1) / 2;
                long p = e % _n;
                long q = p < h ? p : p - h;
                return Mod(even - 2 * q, m);
            }
            default:
                return Mod(_n - e, m);
        }
    }

    private static long Mod(long a, long m)
    {
        long r = a % m;
        return r < 0 ? r + m : r;
    }

    /// <summary>The OUT pin at <paramref name="tick"/>.</summary>
    internal bool Output(long tick)
    {
        Normalize(tick);
        switch (_state)
        {
            case RunState.Idle:
                return _mode != 0;
            case RunState.Waiting:
                return true;
            case RunState.Suspended:
                return _mode switch
                {
                    0 => _frozen >= _n,
                    4 => _frozen != _n,
                    _ => true,
                };
        }
        long e = tick - _loadTick;
        switch (_mode)
        {
            case 0:
                return e >= _n;
            case 1:
                return e < 0 || e >= _n;
            case 2:
                if (e < 0 || _n < 2) return true;
                return e % _n != _n - 1;
            case 3:
            {
                if (e < 0) return true;
                long h = (_n + 1) / 2;
                return e % _n < h;
            }
            default: // 4, 5
                return e != _n;
        }
    }

    /// <summary>The first tick after <paramref name="tick"/> at which OUT changes, or <see cref="long.MaxValue"/>.</summary>
    internal long NextOutputChange(long tick)
    {
        Normalize(tick);
        if (_state != RunState.Running) return long.MaxValue;
        long edge = NextEdgeInSegment(tick, _loadTick, _n);
        if (_pendingReload && edge > _pendingTick)
        {
            edge = NextEdgeInSegment(Math.Max(tick, _pendingTick), _pendingTick, _pendingN);
        }
        return edge;
    }

    private long NextEdgeInSegment(long tick, long load, long n)
    {
        long e = tick - load;
        switch (_mode)
        {
            case 0:
                return e < n ? load + n : long.MaxValue;
            case 1:
                if (e < 0) return load;
                return e < n ? load + n : long.MaxValue;
            case 2:
            {
                if (n < 2) return long.MaxValue;
                if (e < 0) return load + n - 1;
                long p = e % n;
                long periodStart = tick - p;
                return p < n - 1 ? periodStart + n - 1 : periodStart + n;
            }
            case 3:
            {
                long h = (n + 1) / 2;
                if (n - h == 0) return long.MaxValue;
                if (e < 0) return load + h;
                long p = e % n;
                long periodStart = tick - p;
                return p < h ? periodStart + h : periodStart + n;
            }
            default: // 4, 5
                if (e < n) return load + n;
                if (e == n) return load + n + 1;
                return long.MaxValue;
        }
    }

    // ---- gate ----

    internal void SetGate(bool high, long tick)
    {
        Normalize(tick);
        bool rising = high && !_gate;
        bool falling = !high && _gate;
        _gate = high;
        switch (_mode)
        {
            case 0:
            case 4:
                if (falling && _state == RunState.Running) Suspend(tick);
                else if (rising && _state == RunState.Suspended) Resume(tick);
                break;
            case 1:
            case 5:
                if (rising && _state != RunState.Idle) StartCounting(tick + 1);
                break;
            default: // 2, 3: gate low forces OUT high and stops; a rising gate reloads the count
                if (falling && _state == RunState.Running)
                {
                    _frozen = CountingElement(tick);
                    _state = RunState.Suspended;
                }
                else if (rising && _state == RunState.Suspended)
                {
                    StartCounting(tick + 1);
                }
                break;
        }
    }

    private void Suspend(long tick)
    {
        if (_state != RunState.Running) return;
        long e = tick - _loadTick;
        _frozen = e < 0 ? -1 : e;
        _state = RunState.Suspended;
    }

    private void Resume(long tick)
    {
        _state = RunState.Running;
        _loadTick = _frozen < 0 ? tick + 1 : tick - _frozen;
        if (_nullClearTick > tick + 1) _nullClearTick = tick + 1;
    }

    // ---- state ----

    internal void Save(BinaryWriter w)
    {
        w.Write((byte)_mode);
        w.Write(_bcd);
        w.Write((byte)_rw);
        w.Write((byte)_state);
        w.Write(_countRegister);
        w.Write(_n);
        w.Write(_loadTick);
        w.Write(_frozen);
        w.Write(_pendingReload);
        w.Write(_pendingN);
        w.Write(_pendingTick);
        w.Write(_writeMsbNext);
        w.Write(_writeLsb);
        w.Write(_readMsbNext);
        w.Write(_countLatched);
        w.Write(_latchedCount);
        w.Write(_latchMsbNext);
        w.Write(_statusLatched);
        w.Write(_latchedStatus);
        w.Write(_nullCount);
        w.Write(_nullClearTick);
        w.Write(_gate);
    }

    internal void Load(BinaryReader r)
    {
        int mode = r.ReadByte();
        bool bcd = r.ReadBoolean();
        int rw = r.ReadByte();
        int state = r.ReadByte();
        ushort cr = r.ReadUInt16();
        long n = r.ReadInt64();
        long load = r.ReadInt64();
        long frozen = r.ReadInt64();
        bool pending = r.ReadBoolean();
        long pendingN = r.ReadInt64();
        long pendingTick = r.ReadInt64();
        if (mode > 5 || rw is < 1 or > 3 || state > (int)RunState.Suspended || n is < 1 or > 65536
            || (pending && pendingN is < 1 or > 65536))
        {
            throw new InvalidDataException($"pit: bad channel {Index} state");
        }
        _mode = mode;
        _bcd = bcd;
        _rw = rw;
        _state = (RunState)state;
        _countRegister = cr;
        _n = n;
        _loadTick = load;
        _frozen = frozen;
        _pendingReload = pending;
        _pendingN = pendingN;
        _pendingTick = pendingTick;
        _writeMsbNext = r.ReadBoolean();
        _writeLsb = r.ReadByte();
        _readMsbNext = r.ReadBoolean();
        _countLatched = r.ReadBoolean();
        _latchedCount = r.ReadUInt16();
        _latchMsbNext = r.ReadBoolean();
        _statusLatched = r.ReadBoolean();
        _latchedStatus = r.ReadByte();
        _nullCount = r.ReadBoolean();
        _nullClearTick = r.ReadInt64();
        _gate = r.ReadBoolean();
    }
}
