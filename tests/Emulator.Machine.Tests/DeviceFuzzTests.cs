using System.Buffers.Binary;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Emulator.Machine.Tests;

/// <summary>
/// Issue 4's fuzz test: a guest drives 1,000,000 random port, MMIO and DMA operations at every device of the PC and no
/// host exception may escape; resets and power-offs the guest causes are taken (the ROM resumes after them), and
/// the machine is still usable at the end.
/// </summary>
public sealed class DeviceFuzzTests(ITestOutputHelper output)
{
    private const uint Operations = 1_000_000;
    private const long Slice = 20_000_000;
    private const long InstructionBudget = 2_000_000_000;

    private static uint ReadU32(PcMachine m, uint address)
    {
        Span<byte> b = stackalloc byte[4];
        Assert.True(m.Memory.ReadPhysical(address, b));
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private sealed record FuzzResult(uint Ops, uint Resumes, int Resets, int PowerOffs, int Watchdog, long Retired, TimeSpan Elapsed, string SelfCheck, int PortCount);

    private static FuzzResult RunFuzz(uint operations)
    {
        using var dir = new TempDir();
        string disk = BootSector.WriteImage(dir.Path, new byte[512], sectors: 8192);
        string cd = Path.Combine(dir.Path, "cd.iso");
        File.WriteAllBytes(cd, new IsoImageBuilder().SetBootImage(new byte[2048]).AddFile("DATA.BIN", new byte[64 * 1024]).Build());
        string vgaRom = Path.Combine(dir.Path, "vgabios.bin");
        File.WriteAllBytes(vgaRom, new byte[512]);
        string rom = Path.Combine(dir.Path, "fuzz.rom");

        var serial = new CaptureSerial();
        var config = new MachineConfig
        {
            RamSize = 16ul << 20,
            BiosPath = rom,
            VgaBiosPath = vgaRom,
            Serial = serial,
            DebugConsole = _ => { },
            Snapshot = true, // disk writes go to the S2E write map
            RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        config.Drives.Add(new DriveConfig { Path = disk, Index = 0 });
        config.Drives.Add(new DriveConfig { Path = cd, Index = 2, Media = DriveMedia.Cdrom });

        // Every port some device claims, found from the machine itself (plus the bus-master block the ROM maps at C000h).
        var ports = new List<ushort>();
        File.WriteAllBytes(rom, new byte[DeviceFuzzRom.RomSize]);
        using (var probe = new PcMachine(config))
        {
            for (int p = 0; p < 0x10000; p++)
                if (probe.Ports.HandlerAt((ushort)p) is not null) ports.Add((ushort)p);
        }
        for (int i = 0; i < 16; i++) ports.Add((ushort)(DeviceFuzzRom.BusMasterBase + i));
        File.WriteAllBytes(rom, DeviceFuzzRom.Build(ports, operations));

        using var machine = new PcMachine(config);
        var sw = Stopwatch.StartNew();
        int powerOffs = 0, watchdog = 0;
        uint lastOps = uint.MaxValue;
        while (true)
        {
            Assert.True(machine.Cpu.Retired < InstructionBudget, $"the fuzz did not finish within {InstructionBudget} instructions (ops {ReadU32(machine, DeviceFuzzRom.OpsAddress)})");
            var exit = machine.RunUntilStop(Slice);
            uint ops = ReadU32(machine, DeviceFuzzRom.OpsAddress);
            bool done = ReadU32(machine, DeviceFuzzRom.DoneAddress) == DeviceFuzzRom.DoneMagic;
            if (done) break;
            switch (exit.Reason)
            {
                case MachineStopReason.PowerOff: // ACPI S5 from a random PM1a_CNT write: power-cycle and go on
                    powerOffs++;
                    machine.SystemReset();
                    break;
                case MachineStopReason.InstructionLimit when ops != lastOps:
                    break;
                default: // the guest wedged itself (halted, or ran off into garbage without progress): reset
                    watchdog++;
                    machine.SystemReset();
                    break;
            }
            lastOps = ops;
        }
        sw.Stop();
        uint doneOps = ReadU32(machine, DeviceFuzzRom.OpsAddress);
        uint resumes = ReadU32(machine, DeviceFuzzRom.ResumeCountAddress);
        int resets = machine.ResetCount;
        long retired = machine.Cpu.Retired;

        // Usable afterwards: a reset runs the ROM's self-check (COM1 output, fw_cfg signature).
        int before = serial.Text.Length;
        machine.SystemReset();
        var final = machine.RunUntilStop(Slice);
        Assert.Equal(MachineStopReason.HaltedForever, final.Reason);
        return new FuzzResult(doneOps, resumes, resets, powerOffs, watchdog, retired, sw.Elapsed, serial.Text[before..], ports.Count);
    }

    [Fact]
    [Trait("Category", "Fuzz")]
    public void A_million_random_device_operations_from_the_guest_never_crash_the_host()
    {
        var r = RunFuzz(Operations);
        output.WriteLine($"{r.Ops} operations over {r.PortCount} ports in {r.Elapsed.TotalSeconds:F2} s ({r.Retired} instructions, " +
                         $"{r.Resets} resets, {r.PowerOffs} power-offs, {r.Resumes} resumes, {r.Watchdog} watchdog resets)");
        Assert.True(r.Ops >= Operations);
        Assert.Contains("ALIVE", r.SelfCheck);
        Assert.Contains("FWCFG OK", r.SelfCheck);
    }
}
