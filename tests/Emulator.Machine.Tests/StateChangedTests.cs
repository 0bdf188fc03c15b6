using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary><see cref="PcMachine.StateChanged"/>: raised at once on stop/cont, guest resets and -no-shutdown power-offs (QMP pushes its events from it).</summary>
public sealed class StateChangedTests
{
    [Fact]
    public void A_guest_reset_and_a_no_shutdown_power_off_raise_the_event_on_the_machine_thread()
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "rom.bin");
        // First boot: 0000:0500 = 0 → set it, reset through port 92h. Second boot: ACPI S5 (SLP_EN, SLP_TYP 0).
        File.WriteAllBytes(bios, MiniBios.Rom(a =>
        {
            var second = a.CreateLabel();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.cmp(__byte_ptr[0x500], 0);
            a.jne(second);
            a.mov(__byte_ptr[0x500], 1);
            a.mov(al, 0x01);
            a.@out(0x92, al);
            a.hlt();
            a.Label(ref second);
            a.mov(dx, 0x604);
            a.mov(ax, 0x2000);
            a.@out(dx, ax);
            a.hlt();
        }));
        using var m = new PcMachine(new MachineConfig { RamSize = 16ul << 20, BiosPath = bios, NoShutdown = true });
        var seen = new List<(string Status, int Resets, int Thread)>();
        m.StateChanged += () =>
        {
            seen.Add((m.Status, m.ResetCount, Environment.CurrentManagedThreadId));
            if (m.Status == "shutdown") m.Quit(); // a paused machine would wait for a monitor
        };
        Assert.Equal(MachineStopReason.Quit, m.RunUntilStop(1_000_000).Reason);
        int me = Environment.CurrentManagedThreadId;
        Assert.Equal([("running", 1, me), ("shutdown", 1, me)], seen);
        m.Continue();
        m.Paused = true;
        m.Paused = true; // no change, no event
        m.Paused = false;
        Assert.Equal(["running", "paused", "running"], seen.Skip(2).Select(s => s.Status));
    }
}
