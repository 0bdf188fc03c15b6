using Emulator.Core.Bus;
using Xunit;

namespace Emulator.Devices.Tests;

public class AcpiPmTests
{
    private const ushort Base = AcpiPm.DefaultBase;

    [Fact]
    public void TimerCountsAt3579545HzAndWrapsAt24Bits()
    {
        var clock = new VirtualClock();
        var pm = new AcpiPm(clock, null, () => { });
        Assert.Equal(0u, pm.Read(Base + 8, 4));
        clock.AdvanceTo(1_000_000_000); // one second
        Assert.Equal(3_579_545u & 0xFF_FFFF, pm.Read(Base + 8, 4));
        clock.AdvanceTo(10_000_000_000); // 35,795,450 ticks → wraps past 2^24 twice
        Assert.Equal(35_795_450u & 0xFF_FFFFu, pm.Read(Base + 8, 4));
        Assert.Equal(0u, pm.Read(Base + 8, 4) >> 24);
    }

    [Fact]
    public void TimerOverflowSetsStatusAndRaisesSciWhenEnabled()
    {
        var clock = new VirtualClock();
        var sci = new FakeLine();
        var pm = new AcpiPm(clock, sci, () => { });
        pm.Write(Base + 2, 2, AcpiPm.TmrEn);
        Assert.Equal(0u, pm.Read(Base, 2) & AcpiPm.TmrSts);
        // bit 23 toggles after 2^23 ticks ≈ 2.343 s
        long toggle = (long)Math.Ceiling((1L << 23) * 1e9 / AcpiPm.TimerFrequency);
        clock.AdvanceTo(toggle - 1000);
        clock.RunDueTimers();
        Assert.False(sci.Level);
        clock.AdvanceTo(toggle + 1);
        clock.RunDueTimers();
        Assert.True(sci.Level);
        Assert.Equal((uint)AcpiPm.TmrSts, pm.Read(Base, 2) & AcpiPm.TmrSts);
        pm.Write(Base, 2, AcpiPm.TmrSts); // write one to clear
        Assert.False(sci.Level);
        Assert.Equal(0u, pm.Read(Base, 2) & AcpiPm.TmrSts);
    }

    [Fact]
    public void SleepTypeS5WithSlpEnPowersOff()
    {
        int offs = 0;
        var sleeps = new List<int>();
        var pm = new AcpiPm(new VirtualClock(), null, () => offs++);
        pm.SleepRequested += sleeps.Add;
        pm.Write(Base + 4, 2, (1 << AcpiPm.SlpTypShift) | AcpiPm.SciEn); // SLP_TYP without SLP_EN: nothing
        Assert.Equal(0, offs);
        Assert.Equal((ushort)((1 << AcpiPm.SlpTypShift) | AcpiPm.SciEn), (ushort)pm.Read(Base + 4, 2));
        pm.Write(Base + 4, 2, (1 << AcpiPm.SlpTypShift) | AcpiPm.SlpEn);
        Assert.Equal([1], sleeps);
        Assert.Equal(0, offs);
        pm.Write(Base + 4, 2, (AcpiPm.DefaultS5SleepType << AcpiPm.SlpTypShift) | AcpiPm.SlpEn);
        Assert.Equal(1, offs);
        Assert.Equal(0u, pm.Read(Base + 4, 2) & AcpiPm.SlpEn); // SLP_EN is write-only
    }

    [Fact]
    public void PowerButtonRaisesSciOnlyWhenEnabled()
    {
        var sci = new FakeLine();
        var pm = new AcpiPm(new VirtualClock(), sci, () => { });
        Assert.Equal(AcpiPm.SciEn, (ushort)pm.Read(Base + 4, 2));
        pm.PressPowerButton();
        Assert.False(sci.Level);
        Assert.Equal(AcpiPm.PwrBtnSts, (ushort)pm.Read(Base, 2));
        pm.Write(Base + 3, 1, AcpiPm.PwrBtnEn >> 8);
        Assert.True(sci.Level);
        pm.Write(Base + 1, 1, AcpiPm.PwrBtnSts >> 8);
        Assert.False(sci.Level);
    }
}
