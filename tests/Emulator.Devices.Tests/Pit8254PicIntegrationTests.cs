using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>The PIT's OUT0 wired to the PIC's IRQ0 and the RTC to IRQ8, serviced like a CPU would.</summary>
public sealed class Pit8254PicIntegrationTests
{
    [Fact]
    public void TimerTicksReachTheCpuAt18Point2Hz()
    {
        var clock = new VirtualClock();
        var bus = new PortBus();
        var pic = new DualPic8259();
        var pit = new Pit8254(clock, pic.IrqLines[0]);
        pic.RegisterPorts(bus);
        pit.RegisterPorts(bus);
        bus.Write(0x20, 1, 0x11);
        bus.Write(0x21, 1, 0x08);
        bus.Write(0x21, 1, 0x04);
        bus.Write(0x21, 1, 0x01);
        bus.Write(0x43, 1, 0x34);  // BIOS: counter 0 mode 2, count 0 = 65536
        bus.Write(0x40, 1, 0);
        bus.Write(0x40, 1, 0);
        int ticks = 0;
        // One virtual second, the CPU taking interrupts between "instructions" of 10 us.
        while (clock.Now < 1_000_000_000)
        {
            clock.AdvanceInstructions(10_000);
            clock.RunDueTimers();
            if (pic.InterruptPending)
            {
                Assert.Equal(0x08, pic.Acknowledge());
                bus.Write(0x20, 1, 0x20);
                ticks++;
            }
        }
        // 1193182 / 65536 = 18.2 Hz, plus the edge when the control word sets OUT0 high.
        Assert.Equal(19, ticks);
    }

    [Fact]
    public void RtcPeriodicInterruptArrivesOnIrq8ThroughTheSlave()
    {
        var clock = new VirtualClock();
        var bus = new PortBus();
        var pic = new DualPic8259();
        var rtc = new RtcMc146818(clock, pic.IrqLines[8], new DateTime(2020, 1, 1));
        pic.RegisterPorts(bus);
        rtc.RegisterPorts(bus);
        bus.Write(0x20, 1, 0x11);
        bus.Write(0x21, 1, 0x08);
        bus.Write(0x21, 1, 0x04);
        bus.Write(0x21, 1, 0x01);
        bus.Write(0xA0, 1, 0x11);
        bus.Write(0xA1, 1, 0x70);
        bus.Write(0xA1, 1, 0x02);
        bus.Write(0xA1, 1, 0x01);
        bus.Write(0x70, 1, 0x0A);
        bus.Write(0x71, 1, 0x2F); // 2 Hz
        bus.Write(0x70, 1, 0x0B);
        bus.Write(0x71, 1, 0x42); // PIE
        int count = 0;
        while (clock.Now < 2_000_000_000)
        {
            clock.AdvanceTo(Math.Min(clock.NextDeadline, 2_000_000_000));
            clock.RunDueTimers();
            if (!pic.InterruptPending) continue;
            Assert.Equal(0x70, pic.Acknowledge());
            bus.Write(0x70, 1, 0x0C);
            bus.Read(0x71, 1);     // acknowledge at the RTC
            bus.Write(0xA0, 1, 0x20);
            bus.Write(0x20, 1, 0x20);
            count++;
        }
        Assert.Equal(4, count);
    }
}
