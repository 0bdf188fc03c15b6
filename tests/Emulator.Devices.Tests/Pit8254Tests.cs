using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

public sealed class Pit8254Tests
{
    private sealed class Line : IInterruptLine
    {
        public bool Level;
        public int Rises;
        public readonly List<long> RiseTimes = new();
        public Func<long>? Clock;

        public void SetLevel(bool high)
        {
            if (high && !Level)
            {
                Rises++;
                RiseTimes.Add(Clock?.Invoke() ?? 0);
            }
            Level = high;
        }
    }

    private readonly VirtualClock _clock = new();
    private readonly Line _irq0 = new();
    private readonly Pit8254 _pit;
    private readonly SystemControlPortB _portB;

    public Pit8254Tests()
    {
        _irq0.Clock = () => _clock.Now;
        _pit = new Pit8254(_clock, _irq0);
        _portB = new SystemControlPortB(_pit, _clock);
    }

    /// <summary>Virtual time of input-clock tick <paramref name="tick"/> (1.193182 MHz), rounded up.</summary>
    private static long NsOfTick(long tick) => (long)Math.Ceiling(tick * 1e9 / 1_193_182.0);

    private void RunTo(long ns)
    {
        // Advance in steps like a CPU would, firing timers as their deadlines pass.
        while (_clock.Now < ns)
        {
            long next = Math.Min(ns, Math.Min(_clock.NextDeadline, _clock.Now + 50_000));
            _clock.AdvanceTo(next);
            _clock.RunDueTimers();
        }
    }

    private void RunToTick(long tick) => RunTo(NsOfTick(tick));

    private int ReadCount16(ushort port) => (int)_pit.Read(port, 1) | ((int)_pit.Read(port, 1) << 8);

    private byte ReadBackStatus(int channel)
    {
        _pit.Write(0x43, 1, (uint)(0xE0 | (2 << channel))); // read-back: latch status only
        return (byte)_pit.Read((ushort)(0x40 + channel), 1);
    }

    [Fact]
    public void Mode2RateGeneratorRaisesIrq0OncePerPeriod()
    {
        _pit.Write(0x43, 1, 0x34); // counter 0, LSB then MSB, mode 2, binary
        _pit.Write(0x40, 1, 1193 & 0xFF);
        _pit.Write(0x40, 1, 1193 >> 8);
        // Loaded on the first CLK pulse after the write (tick 1), OUT falls when the count reaches 1 and rises
        // at the reload: rising edges at ticks 1 + 1193k.
        // OUT goes high when the mode 2 control word is written: that is the first rising edge.
        RunToTick(1 + 1193 * 10);
        Assert.Equal(11, _irq0.Rises);
        Assert.Equal(0, _irq0.RiseTimes[0]);
        Assert.Equal(NsOfTick(1 + 1193), _irq0.RiseTimes[1]);
        Assert.Equal(NsOfTick(1 + 1193 * 10), _irq0.RiseTimes[10]);
    }

    [Fact]
    public void CounterLatchFreezesTheReadValue()
    {
        _pit.Write(0x43, 1, 0x34);
        _pit.Write(0x40, 1, 1000 & 0xFF);
        _pit.Write(0x40, 1, 1000 >> 8);
        RunToTick(1 + 250);                 // 250 decrements since the load at tick 1
        _pit.Write(0x43, 1, 0x00);          // counter latch, counter 0
        RunToTick(1 + 400);
        _pit.Write(0x43, 1, 0x00);          // ignored: the first latch has not been read yet
        Assert.Equal(750, ReadCount16(0x40));
        _pit.Write(0x43, 1, 0x00);
        Assert.Equal(600, ReadCount16(0x40));
        RunToTick(1 + 1000 + 10);           // wrapped: reload to 1000, then 10 more
        _pit.Write(0x43, 1, 0x00);
        Assert.Equal(990, ReadCount16(0x40));
    }

    [Fact]
    public void Mode0InterruptOnTerminalCount()
    {
        _pit.Write(0x43, 1, 0x30); // counter 0, LSB/MSB, mode 0
        Assert.Equal(0x00, ReadBackStatus(0) & 0x80); // OUT low after the control word
        _pit.Write(0x40, 1, 100);
        _pit.Write(0x40, 1, 0);
        // OUT goes high N + 1 CLK pulses after the count is written.
        RunToTick(100);
        Assert.False(_irq0.Level);
        RunToTick(101);
        Assert.True(_irq0.Level);
        Assert.Equal(1, _irq0.Rises);
        RunToTick(5000);
        Assert.Equal(1, _irq0.Rises); // stays high, no reload
        Assert.Equal(0x80, ReadBackStatus(0) & 0x80);
    }

    [Fact]
    public void ReadBackStatusReportsModeAccessBcdAndNullCount()
    {
        _pit.Write(0x43, 1, 0xB5); // counter 2, LSB/MSB, mode 2, BCD
        byte status = ReadBackStatus(2);
        Assert.Equal(0x40, status & 0x40);        // null count until a count is loaded
        Assert.Equal(0x35, status & 0x3F);        // RW=11, M=010, BCD=1
        _portB.Write(0x61, 1, 0x01);              // gate 2 high
        _pit.Write(0x42, 1, 0x00);
        _pit.Write(0x42, 1, 0x10);                // BCD 1000
        Assert.Equal(0x40, ReadBackStatus(2) & 0x40); // not yet transferred to CE
        RunToTick(2);
        Assert.Equal(0x00, ReadBackStatus(2) & 0x40);
    }

    [Fact]
    public void ReadBackLatchesStatusThenCount()
    {
        _portB.Write(0x61, 1, 0x01);
        _pit.Write(0x43, 1, 0xB4);                // counter 2, mode 2, binary
        _pit.Write(0x42, 1, 0x00);
        _pit.Write(0x42, 1, 0x20);                // 0x2000
        RunToTick(1 + 0x100);
        _pit.Write(0x43, 1, 0xC8);                // read-back counter 2: count and status
        Assert.Equal(0xB4 & 0x3F | 0x80, (int)_pit.Read(0x42, 1)); // OUT high, mode bits
        Assert.Equal(0x1F00, ReadCount16(0x42));
    }

    [Fact]
    public void BcdCountingDecrementsInDecimal()
    {
        _pit.Write(0x43, 1, 0x31); // counter 0, LSB/MSB, mode 0, BCD
        _pit.Write(0x40, 1, 0x00);
        _pit.Write(0x40, 1, 0x10); // 1000 decimal
        RunToTick(2);              // loaded at tick 1, one decrement
        _pit.Write(0x43, 1, 0x00);
        Assert.Equal(0x0999, ReadCount16(0x40));
        RunToTick(1 + 1000);
        Assert.True(_irq0.Level);
    }

    [Fact]
    public void MsbOnlyAccessMode()
    {
        _pit.Write(0x43, 1, 0x24); // counter 0, MSB only, mode 2
        _pit.Write(0x40, 1, 0x12); // count 0x1200
        RunToTick(1);
        Assert.Equal(0x12u, _pit.Read(0x40, 1)); // reads return the MSB only
        _pit.Write(0x43, 1, 0x14); // LSB only, mode 2
        _pit.Write(0x40, 1, 0x80);
        RunToTick(1 + 1 + 0x10);
        Assert.Equal((uint)(0x80 - 0x10), _pit.Read(0x40, 1));
    }

    [Fact]
    public void Channel2GateAndOutputThroughPort61()
    {
        _pit.Write(0x43, 1, 0xB0); // counter 2, mode 0
        _pit.Write(0x42, 1, 50);
        _pit.Write(0x42, 1, 0);
        RunToTick(500);
        Assert.Equal(0u, _portB.Read(0x61, 1) & 0x20); // gate low: not counting, OUT2 low
        long start = Pit8254.TicksAt(_clock.Now);
        _portB.Write(0x61, 1, 0x01);
        Assert.Equal(0x01u, _portB.Read(0x61, 1) & 0x0F);
        RunToTick(start + 40);
        Assert.Equal(0u, _portB.Read(0x61, 1) & 0x20);
        RunToTick(start + 52);
        Assert.Equal(0x20u, _portB.Read(0x61, 1) & 0x20);
    }

    [Fact]
    public void Port61RefreshBitToggles()
    {
        var seen = new HashSet<uint>();
        for (int i = 0; i < 20; i++)
        {
            RunTo(_clock.Now + 7_000);
            seen.Add(_portB.Read(0x61, 1) & 0x10);
        }
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void Mode3SquareWaveHasHalfPeriods()
    {
        _portB.Write(0x61, 1, 0x01);
        _pit.Write(0x43, 1, 0xB6); // counter 2, mode 3
        _pit.Write(0x42, 1, 100);
        _pit.Write(0x42, 1, 0);
        long load = Pit8254.TicksAt(_clock.Now) + 1;
        int high = 0, low = 0;
        for (long t = load; t < load + 1000; t++)
        {
            RunToTick(t);
            if ((_portB.Read(0x61, 1) & 0x20) != 0) high++;
            else low++;
        }
        Assert.Equal(500, high); // even count: N/2 high and N/2 low per period
        Assert.Equal(500, low);
    }

    [Fact]
    public void Mode3OddCountIsHighOneClockLonger()
    {
        _portB.Write(0x61, 1, 0x01);
        _pit.Write(0x43, 1, 0xB6);
        _pit.Write(0x42, 1, 5);
        _pit.Write(0x42, 1, 0);
        long load = Pit8254.TicksAt(_clock.Now) + 1;
        int high = 0;
        for (long t = load; t < load + 50; t++)
        {
            RunToTick(t);
            if ((_portB.Read(0x61, 1) & 0x20) != 0) high++;
        }
        Assert.Equal(30, high); // (N + 1) / 2 = 3 of every 5 clocks
    }

    [Fact]
    public void Mode3CountDecrementsByTwo()
    {
        _portB.Write(0x61, 1, 0x01);
        _pit.Write(0x43, 1, 0xB6); // counter 2, mode 3
        _pit.Write(0x42, 1, 10);
        _pit.Write(0x42, 1, 0);
        long load = Pit8254.TicksAt(_clock.Now) + 1;
        RunToTick(load + 2);
        _pit.Write(0x43, 1, 0x80); // latch counter 2
        Assert.Equal(6, ReadCount16(0x42));
        RunToTick(load + 6);        // second half-cycle: reloaded with 10 at load + 5
        _pit.Write(0x43, 1, 0x80);
        Assert.Equal(8, ReadCount16(0x42));
        Assert.Equal(0u, _portB.Read(0x61, 1) & 0x20);
    }

    [Fact]
    public void Mode5HardwareTriggeredStrobe()
    {
        _pit.Write(0x43, 1, 0xBA); // counter 2, mode 5
        _pit.Write(0x42, 1, 8);
        _pit.Write(0x42, 1, 0);
        RunToTick(50);
        Assert.Equal(0x20u, _portB.Read(0x61, 1) & 0x20);
        _portB.Write(0x61, 1, 0x01);
        long trigger = Pit8254.TicksAt(_clock.Now);
        RunToTick(trigger + 8);
        Assert.Equal(0x20u, _portB.Read(0x61, 1) & 0x20);
        RunToTick(trigger + 9);     // loaded at trigger + 1, reaches 0 eight clocks later
        Assert.Equal(0u, _portB.Read(0x61, 1) & 0x20);
        RunToTick(trigger + 10);
        Assert.Equal(0x20u, _portB.Read(0x61, 1) & 0x20);
    }

    [Fact]
    public void Mode1OneShotIsTriggeredByGate()
    {
        _pit.Write(0x43, 1, 0xB2); // counter 2, mode 1
        _pit.Write(0x42, 1, 20);
        _pit.Write(0x42, 1, 0);
        RunToTick(100);
        Assert.Equal(0x20u, _portB.Read(0x61, 1) & 0x20); // OUT high until triggered
        _portB.Write(0x61, 1, 0x01);                       // rising gate edge triggers
        long trigger = Pit8254.TicksAt(_clock.Now);
        RunToTick(trigger + 1);
        Assert.Equal(0u, _portB.Read(0x61, 1) & 0x20);     // low from the next CLK
        RunToTick(trigger + 20);
        Assert.Equal(0u, _portB.Read(0x61, 1) & 0x20);
        RunToTick(trigger + 21);
        Assert.Equal(0x20u, _portB.Read(0x61, 1) & 0x20);  // high when the count reaches 0
    }

    [Fact]
    public void Mode4StrobeIsLowForOneClock()
    {
        _pit.Write(0x43, 1, 0x38); // counter 0, mode 4
        _pit.Write(0x40, 1, 10);
        _pit.Write(0x40, 1, 0);
        Assert.True(_irq0.Level);  // OUT high after the control word in mode 4
        RunToTick(10);
        Assert.True(_irq0.Level);
        RunToTick(11);              // count reaches 0: strobe
        Assert.False(_irq0.Level);
        RunToTick(12);
        Assert.True(_irq0.Level);
        RunToTick(100_000);
        Assert.Equal(2, _irq0.Rises); // once after the control word, once after the strobe
    }

    [Fact]
    public void Mode2NewCountTakesEffectAtNextPeriod()
    {
        _pit.Write(0x43, 1, 0x34);
        _pit.Write(0x40, 1, 100);
        _pit.Write(0x40, 1, 0);
        RunToTick(1 + 50);
        _pit.Write(0x40, 1, 200);
        _pit.Write(0x40, 1, 0);
        RunToTick(1 + 100 + 200 * 3);
        Assert.Equal(0, _irq0.RiseTimes[0]); // control word: OUT high
        Assert.Equal(NsOfTick(1 + 100), _irq0.RiseTimes[1]);
        Assert.Equal(NsOfTick(1 + 100 + 200), _irq0.RiseTimes[2]);
        Assert.Equal(5, _irq0.Rises);
    }

    [Fact]
    public void SystemControlPortACallbacks()
    {
        var a20 = new List<bool>();
        int resets = 0;
        var port = new SystemControlPortA(a20.Add, () => resets++);
        port.Write(0x92, 1, 0x02);
        Assert.Equal(new[] { true }, a20);
        Assert.Equal(0x02u, port.Read(0x92, 1));
        port.Write(0x92, 1, 0x03);
        Assert.Equal(1, resets);
        port.Write(0x92, 1, 0x03);   // no new 0 -> 1 transition
        Assert.Equal(1, resets);
        port.Write(0x92, 1, 0x00);
        Assert.Equal(new[] { true, false }, a20);
    }

    [Fact]
    public void SaveAndLoadKeepCounting()
    {
        _pit.Write(0x43, 1, 0x34);
        _pit.Write(0x40, 1, 0x00);
        _pit.Write(0x40, 1, 0x10);
        RunToTick(1 + 0x100);
        var ms = new MemoryStream();
        _pit.SaveState(new BinaryWriter(ms));
        var copy = new Pit8254(_clock, null);
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        copy.Write(0x43, 1, 0x00);
        Assert.Equal(0x1000 - 0x100, (int)copy.Read(0x40, 1) | ((int)copy.Read(0x40, 1) << 8));
        ms.Position = 0;
        ms.WriteByte(7);
        ms.Position = 0;
        Assert.Throws<InvalidDataException>(() => copy.LoadState(new BinaryReader(ms)));
    }

    [Fact]
    public void FuzzedPortAccessNeverThrows()
    {
        var rng = new Random(99);
        ushort[] ports = [0x40, 0x41, 0x42, 0x43, 0x61, 0x44];
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = ports[rng.Next(ports.Length)];
            int size = 1 << rng.Next(3);
            IPortHandler h = port == 0x61 ? _portB : _pit;
            if (rng.Next(2) == 0) h.Read(port, size);
            else h.Write(port, size, (uint)rng.Next());
            if (rng.Next(8) == 0)
            {
                _clock.AdvanceInstructions(rng.Next(5000));
                _clock.RunDueTimers();
            }
        }
    }
}
