using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

public sealed class RtcMc146818Tests
{
    private sealed class Line : IInterruptLine
    {
        public bool Level;
        public int Rises;

        public void SetLevel(bool high)
        {
            if (high && !Level) Rises++;
            Level = high;
        }
    }

    private const long Second = 1_000_000_000;
    private readonly VirtualClock _clock = new();
    private readonly Line _irq8 = new();
    private readonly RtcMc146818 _rtc;

    public RtcMc146818Tests()
    {
        _rtc = new RtcMc146818(_clock, _irq8, new DateTime(2024, 2, 29, 23, 59, 58));
    }

    private byte Get(int reg)
    {
        _rtc.Write(0x70, 1, (uint)reg);
        return (byte)_rtc.Read(0x71, 1);
    }

    private void Set(int reg, byte value)
    {
        _rtc.Write(0x70, 1, (uint)reg);
        _rtc.Write(0x71, 1, value);
    }

    private void RunTo(long ns)
    {
        while (_clock.Now < ns)
        {
            _clock.AdvanceTo(Math.Min(ns, _clock.NextDeadline));
            _clock.RunDueTimers();
        }
    }

    [Fact]
    public void TimeRegistersAreBcdAndAdvanceAcrossLeapDay()
    {
        Assert.Equal(0x58, Get(0x00));
        Assert.Equal(0x59, Get(0x02));
        Assert.Equal(0x23, Get(0x04));
        Assert.Equal(0x05, Get(0x06)); // Thursday (Sunday = 1)
        Assert.Equal(0x29, Get(0x07));
        Assert.Equal(0x02, Get(0x08));
        Assert.Equal(0x24, Get(0x09));
        Assert.Equal(0x20, Get(0x32));
        RunTo(2 * Second);
        Assert.Equal(0x00, Get(0x00));
        Assert.Equal(0x00, Get(0x02));
        Assert.Equal(0x00, Get(0x04));
        Assert.Equal(0x01, Get(0x07));
        Assert.Equal(0x03, Get(0x08));
        Assert.Equal(0x06, Get(0x06)); // Friday
    }

    [Fact]
    public void BinaryAnd12HourModes()
    {
        Set(0x0B, 0x04);               // binary, 12-hour
        Assert.Equal(58, Get(0x00));
        Assert.Equal(59, Get(0x02));
        Assert.Equal(0x80 | 11, Get(0x04)); // 11 PM
        Set(0x0B, 0x00);               // BCD, 12-hour
        Assert.Equal(0x91, Get(0x04));
        RunTo(2 * Second);
        Assert.Equal(0x12, Get(0x04)); // midnight is 12 AM
    }

    [Fact]
    public void UpdateInProgressIsSetJustBeforeEachUpdate()
    {
        RunTo(Second / 2);
        Assert.Equal(0, Get(0x0A) & 0x80);
        RunTo(Second - 200_000);       // within 244 us of the update
        Assert.Equal(0x80, Get(0x0A) & 0x80);
        Assert.Equal(0x58, Get(0x00)); // not yet updated
        RunTo(Second + 1000);
        Assert.Equal(0, Get(0x0A) & 0x80);
        Assert.Equal(0x59, Get(0x00));
    }

    [Fact]
    public void RegisterAResetValueAndWritableBits()
    {
        Assert.Equal(0x26, Get(0x0A) & 0x7F);
        Assert.Equal(0x80, Get(0x0D)); // VRT
        Set(0x0D, 0x00);
        Assert.Equal(0x80, Get(0x0D));
    }

    [Fact]
    public void PeriodicInterruptAt1024Hz()
    {
        Set(0x0A, 0x26);               // 32.768 kHz, rate 6 = 976.5625 us
        Set(0x0B, 0x42);               // PIE, 24-hour
        int interrupts = 0;
        while (_clock.Now < Second)
        {
            _clock.AdvanceTo(Math.Min(Second, _clock.NextDeadline));
            _clock.RunDueTimers();
            if (_irq8.Level)
            {
                byte c = Get(0x0C);
                Assert.Equal(0xC0, c & 0xC0); // IRQF | PF
                Assert.False(_irq8.Level);    // reading C clears the flags and the request
                interrupts++;
            }
        }
        Assert.InRange(interrupts, 1023, 1024);
    }

    [Fact]
    public void PeriodicFlagIsSetEvenWithoutPie()
    {
        Set(0x0A, 0x2F);               // rate 15 = 500 ms
        Get(0x0C);
        RunTo(Second / 2 + 1000);
        byte c = Get(0x0C);
        Assert.Equal(0x40, c & 0xC0);  // PF without IRQF
        Assert.False(_irq8.Level);
        Assert.Equal(0, Get(0x0C) & 0x40);
    }

    [Fact]
    public void UpdateEndedInterruptOncePerSecond()
    {
        Set(0x0B, 0x12);               // UIE
        RunTo(3 * Second + 1000);
        Assert.True(_irq8.Level);
        Assert.Equal(0x90, Get(0x0C) & 0x90); // IRQF and UF (PF, and AF at 00:00:00, may be set too)
        Assert.False(_irq8.Level);
        RunTo(4 * Second + 1000);
        Assert.True(_irq8.Level);
    }

    [Fact]
    public void AlarmInterrupt()
    {
        Set(0x0B, 0x22);               // AIE
        Set(0x01, 0x03);               // 00:00:03
        Set(0x03, 0x00);
        Set(0x05, 0x00);
        RunTo(4 * Second + 1000);      // 23:59:58 + 4 s = 00:00:02
        Assert.False(_irq8.Level);
        RunTo(5 * Second + 1000);
        Assert.True(_irq8.Level);
        Assert.Equal(0xB0, Get(0x0C) & 0xB0); // IRQF, AF, and UF (set at every update regardless of UIE)
    }

    [Fact]
    public void DontCareAlarmMatchesEverySecond()
    {
        Set(0x01, 0xFF);
        Set(0x03, 0xC0);
        Set(0x05, 0xC5);
        Set(0x0B, 0x22);
        for (int i = 1; i <= 3; i++)
        {
            RunTo(i * Second + 1000);
            Assert.True(_irq8.Level);
            Assert.Equal(0xA0, Get(0x0C) & 0xA0);
        }
    }

    [Fact]
    public void SetBitStopsUpdatesAndLoadsWrittenTime()
    {
        Set(0x0B, 0x82);               // SET
        Set(0x00, 0x30);
        Set(0x02, 0x15);
        Set(0x04, 0x10);
        Set(0x07, 0x01);
        Set(0x08, 0x07);
        Set(0x09, 0x99);
        Set(0x32, 0x19);
        RunTo(5 * Second);
        Assert.Equal(0x30, Get(0x00)); // frozen while SET
        Assert.Equal(0, Get(0x0A) & 0x80);
        Set(0x0B, 0x02);
        RunTo(7 * Second + 1000);
        Assert.Equal(0x32, Get(0x00));
        Assert.Equal(new DateTime(1999, 7, 1, 10, 15, 32), _rtc.CurrentTime);
    }

    [Fact]
    public void DividerResetHoldsTimeAndFirstUpdateComesHalfASecondLater()
    {
        Set(0x0A, 0x76);               // DV = 111: divider chain held in reset
        RunTo(5 * Second);
        Assert.Equal(0x58, Get(0x00));
        Assert.Equal(0, Get(0x0A) & 0x80);
        Set(0x0A, 0x26);               // release
        RunTo(5 * Second + Second / 2 - 1000);
        Assert.Equal(0x58, Get(0x00));
        RunTo(5 * Second + Second / 2 + 1000);
        Assert.Equal(0x59, Get(0x00));
    }

    [Fact]
    public void SetBitClearsUie()
    {
        Set(0x0B, 0x12);
        Set(0x0B, 0x92);
        Assert.Equal(0x82, Get(0x0B));
    }

    [Fact]
    public void NvramAndNmiMask()
    {
        for (int i = 0x0E; i < 0x80; i++)
        {
            if (i == 0x32) continue;
            Set(i, (byte)(i ^ 0x5A));
        }
        for (int i = 0x0E; i < 0x80; i++)
        {
            if (i == 0x32) continue;
            Assert.Equal((byte)(i ^ 0x5A), Get(i));
        }
        _rtc.SetCmosByte(0x15, 0x80);
        Assert.Equal(0x80, _rtc.GetCmosByte(0x15));
        Assert.Throws<ArgumentOutOfRangeException>(() => _rtc.SetCmosByte(128, 0));
        _rtc.Write(0x70, 1, 0x8F);
        Assert.True(_rtc.NmiMasked);
        _rtc.Write(0x70, 1, 0x0F);
        Assert.False(_rtc.NmiMasked);
        Assert.Equal(0x0F ^ 0x5A, Get(0x8F)); // index is 7 bits
    }

    [Fact]
    public void SaveAndLoadKeepTimeAndRam()
    {
        _rtc.SetCmosByte(0x40, 0x77);
        RunTo(10 * Second);
        var ms = new MemoryStream();
        _rtc.SaveState(new BinaryWriter(ms));
        var copy = new RtcMc146818(_clock, null, new DateTime(2000, 1, 1));
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        Assert.Equal(_rtc.CurrentTime, copy.CurrentTime);
        Assert.Equal(0x77, copy.GetCmosByte(0x40));
        ms.Position = 0;
        ms.WriteByte(0);
        ms.Position = 0;
        Assert.Throws<InvalidDataException>(() => copy.LoadState(new BinaryReader(ms)));
    }

    [Fact]
    public void FuzzedPortAccessNeverThrows()
    {
        var rng = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = (ushort)(0x70 + rng.Next(3));
            int size = 1 << rng.Next(3);
            if (rng.Next(2) == 0) _rtc.Read(port, size);
            else _rtc.Write(port, size, (uint)rng.Next());
            if (rng.Next(16) == 0)
            {
                _clock.AdvanceInstructions(rng.Next(2_000_000));
                _clock.RunDueTimers();
            }
        }
        _ = _rtc.CurrentTime;
    }
}
