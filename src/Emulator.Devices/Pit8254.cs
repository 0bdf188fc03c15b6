using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The Intel 8254 programmable interval timer at 0x40-0x43 with a 1.193182 MHz input clock derived from the
/// <see cref="VirtualClock"/>. Counts are computed from the clock when read; the only clock events are the
/// OUT0 edges that drive IRQ0. Channel 0 and 1 gates are tied high; channel 2's gate is driven by port 0x61.
/// </summary>
public sealed class Pit8254 : IDevice, IPortHandler
{
    public const ushort Counter0Port = 0x40;
    public const ushort Counter1Port = 0x41;
    public const ushort Counter2Port = 0x42;
    public const ushort ControlPort = 0x43;
    public const long InputClockHz = 1_193_182;
    private const long NsPerSecond = 1_000_000_000;
    private const byte ReadBackCommand = 0xC0;   // SC1 SC0 = 11 (8254 "Read-Back Command")
    private const byte ReadBackNotCount = 0x20;  // 0 = latch count
    private const byte ReadBackNotStatus = 0x10; // 0 = latch status
    private const byte StateVersion = 1;

    private readonly VirtualClock _clock;
    private readonly IInterruptLine? _irq0;
    private readonly ClockTimer _timer;
    private readonly Pit8254Channel[] _channels;
    private bool _irq0Level;

    public Pit8254(VirtualClock clock, IInterruptLine? irq0)
    {
        _clock = clock;
        _irq0 = irq0;
        _timer = clock.CreateTimer(OnTimer);
        _channels = [new Pit8254Channel(0, true), new Pit8254Channel(1, true), new Pit8254Channel(2, false)];
    }

    public string Name => "pit";

    public IReadOnlyList<Pit8254Channel> Channels => _channels;

    public void RegisterPorts(PortBus bus) => bus.Register(Counter0Port, 4, this);

    /// <summary>Input-clock ticks elapsed at virtual time <paramref name="ns"/>.</summary>
    public static long TicksAt(long ns) => ns <= 0 ? 0 : (long)((Int128)ns * InputClockHz / NsPerSecond);

    /// <summary>The earliest virtual time at which <see cref="TicksAt"/> reaches <paramref name="tick"/>.</summary>
    public static long NanosecondsOf(long tick)
    {
        if (tick <= 0) return 0;
        Int128 ns = ((Int128)tick * NsPerSecond + InputClockHz - 1) / InputClockHz;
        return ns > long.MaxValue ? long.MaxValue : (long)ns;
    }

    private long Now => TicksAt(_clock.Now);

    public bool GetOutput(int channel) => (uint)channel < 3 && _channels[channel].Output(Now);

    public bool GetGate(int channel) => (uint)channel < 3 && _channels[channel].Gate;

    public void SetGate(int channel, bool high)
    {
        if ((uint)channel >= 3) return;
        long now = Now;
        _channels[channel].SetGate(high, now);
        if (channel == 0) UpdateChannel0(now);
    }

    public uint Read(ushort port, int size)
    {
        uint result = 0;
        int n = size is 2 or 4 ? size : 1;
        for (int i = 0; i < n; i++) result |= (uint)ReadByte((ushort)(port + i)) << (8 * i);
        return result;
    }

    public void Write(ushort port, int size, uint value)
    {
        int n = size is 2 or 4 ? size : 1;
        for (int i = 0; i < n; i++) WriteByte((ushort)(port + i), (byte)(value >> (8 * i)));
    }

    private byte ReadByte(ushort port)
    {
        int index = port - Counter0Port;
        if ((uint)index >= 3) return 0xFF; // the control word register cannot be read
        return _channels[index].ReadData(Now);
    }

    private void WriteByte(ushort port, byte value)
    {
        long now = Now;
        int index = port - Counter0Port;
        if ((uint)index < 3)
        {
            _channels[index].WriteData(value, now);
            if (index == 0) UpdateChannel0(now);
            return;
        }
        if (port != ControlPort) return;
        if ((value & ReadBackCommand) == ReadBackCommand)
        {
            for (int i = 0; i < 3; i++)
            {
                if ((value & (2 << i)) == 0) continue;
                // Status is latched first so that it is read before the count.
                if ((value & ReadBackNotStatus) == 0) _channels[i].LatchStatus(now);
                if ((value & ReadBackNotCount) == 0) _channels[i].LatchCount(now);
            }
            return;
        }
        int channel = value >> 6;
        _channels[channel].WriteControl(value, now);
        if (channel == 0) UpdateChannel0(now);
    }

    private void SetIrq0(bool level)
    {
        if (level == _irq0Level) return;
        _irq0Level = level;
        _irq0?.SetLevel(level);
    }

    private void UpdateChannel0(long tick)
    {
        var ch = _channels[0];
        SetIrq0(ch.Output(tick));
        long next = ch.NextOutputChange(tick);
        if (next == long.MaxValue) _timer.Disarm();
        else _timer.Arm(NanosecondsOf(next));
    }

    private void OnTimer(long deadline) => UpdateChannel0(TicksAt(deadline));

    public void Reset()
    {
        for (int i = 0; i < 3; i++) _channels[i].Reset(gate: i != 2);
        _timer.Disarm();
        SetIrq0(false);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        foreach (var ch in _channels) ch.Save(writer);
        writer.Write(_irq0Level);
    }

    public void LoadState(BinaryReader reader)
    {
        byte version = reader.ReadByte();
        if (version != StateVersion) throw new InvalidDataException($"pit: unsupported state version {version}");
        foreach (var ch in _channels) ch.Load(reader);
        _irq0Level = reader.ReadBoolean();
        UpdateChannel0(Now);
    }
}
