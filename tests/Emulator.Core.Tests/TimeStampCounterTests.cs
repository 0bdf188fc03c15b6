using Emulator.Core.Bus;
using Emulator.Core.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// The TSC and the virtual clock agree: across HLT (the TSC keeps counting while the processor is halted,
/// SDM Vol. 3B §18.17) and for a device read in the middle of a block (the clock includes instructions not yet synced).
/// Linux's clocksource watchdog compares the TSC against the ACPI PM timer and the PIT and rejects a skew of a few
/// hundred microseconds.
/// </summary>
public sealed class TimeStampCounterTests
{
    private sealed class ClockPort(VirtualClock clock) : IPortHandler
    {
        public long LastRead;

        public uint Read(ushort port, int size)
        {
            LastRead = clock.Now;
            return 0;
        }

        public void Write(ushort port, int size, uint value)
        {
        }
    }

    [Fact]
    public void TscCountsTheTimeSkippedInHlt()
    {
        using var t = new TestCpu();
        // NMI handler: IRET. The timer raises NMI 1 ms after start, waking the HLT.
        t.Load(16, 0x500, a => a.iret());
        t.Memory.WritePhysical(2 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 });
        t.Load(16, 0x7C00, a =>
        {
            a.mov(sp, 0x7000);
            a.rdtsc();
            a.mov(esi, eax);
            a.hlt();
            a.rdtsc();
            a.sub(eax, esi);
            a.cli();
            a.hlt();
        });
        var timer = t.Clock.CreateTimer(_ => t.Cpu.NmiPending = true);
        timer.Arm(1_000_000);
        t.StartReal(0, 0x7C00);
        Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
        long tscDelta = (uint)t.Cpu.Rax;
        // The halt lasted about 1 ms of virtual time; at one TSC tick per instruction time (1 ns) the TSC saw it.
        Assert.InRange(tscDelta, 999_000, 1_001_000);
        Assert.Equal(t.Clock.Now / t.Clock.NanosecondsPerInstruction, (long)t.Cpu.ReadTsc());
    }

    [Fact]
    public void HltWithInterruptsOffReturnsEvenWhileATimerKeepsFiring()
    {
        using var t = new TestCpu();
        t.Load(16, 0x7C00, a =>
        {
            a.cli();
            a.hlt();
        });
        // A periodic timer (as the PIT in Linux's halt loop): it must not keep the run skipping through ticks forever.
        ClockTimer? tick = null;
        tick = t.Clock.CreateTimer(at => tick!.Arm(at + 4_000_000));
        tick.Arm(4_000_000);
        t.StartReal(0, 0x7C00);
        Assert.Equal(StopReason.HaltedForever, t.Core.Run(1_000_000));
    }

    [Fact]
    public void DeviceReadInsideABlockSeesTheSameTimeAsTheTsc()
    {
        using var t = new TestCpu();
        var port = new ClockPort(t.Clock);
        t.Ports.Register(0x80, 1, port);
        t.Load(16, 0x7C00, a =>
        {
            // Twice: the second time the block with RDTSC/IN is reached through a chained link, with no clock sync
            // since the 5,000-iteration loop started.
            var outer = a.CreateLabel();
            var loop = a.CreateLabel();
            a.mov(dx, 2);
            a.Label(ref outer);
            a.mov(cx, 5000);
            a.Label(ref loop);
            a.dec(cx);
            a.jnz(loop);
            a.rdtsc();
            a.mov(esi, eax);
            a.@in(al, 0x80);
            a.dec(dx);
            a.jnz(outer);
            a.cli();
            a.hlt();
        });
        t.StartReal(0, 0x7C00);
        t.RunToHalt();
        // RDTSC and IN are two instructions apart (1 ns each).
        Assert.InRange(port.LastRead - (uint)t.Cpu.Rsi, 0, 4);
    }
}
