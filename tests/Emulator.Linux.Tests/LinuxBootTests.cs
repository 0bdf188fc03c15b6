using System.Security.Cryptography;
using Emulator.Machine;
using Xunit;
using Xunit.Abstractions;

namespace Emulator.Linux.Tests;

/// <summary>
/// Debian 12's 32-bit Linux (the demo guest) under the whole machine: SeaBIOS, SYSLINUX or ISOLINUX or direct kernel
/// boot, the kernel's own drivers for the PIC/APIC/IO-APIC, PIT, TSC, RTC, 16550, i8042, PIIX3 IDE and ACPI. The
/// assertions are Linux's own verdicts: its log, /proc, the file it wrote, and its ACPI power-off.
/// </summary>
public sealed class LinuxBootTests(DemoImage demo, ITestOutputHelper output) : IClassFixture<DemoImage>
{
    /// <summary>What must never appear in the kernel log (the list).</summary>
    private const string BadLog = "BUG|Oops|WARNING|Call Trace|hung task|clocksource.*unstable|TSC calibration failed";

    private const string Prompt = "emu-demo:/# ";

    [Fact]
    public void Boots_from_the_s2e_disk_in_apic_mode_writes_stay_in_the_state_and_poweroff_exits_0()
    {
        string before = Sha256(demo.Disk);
        using var guest = new LinuxGuest(c =>
        {
            c.BiosPath = demo.Bios;
            c.VgaBiosPath = demo.VgaBios;
            c.BootOrder = "c";
            c.Drives.Add(new DriveConfig { Path = demo.Disk, Index = 0 });
        });
        try
        {
            Assert.True(guest.WaitFor("EMU-DEMO: /dev/sda1 mounted on /mnt"), "the IDE disk was not found and mounted");
            Assert.True(guest.WaitFor(Prompt), "no shell prompt");
            guest.Type("echo written-by-the-test > /mnt/state.txt; sync; echo \"READBACK=$(cat /mnt/state.txt)\"\n");
            Assert.True(guest.WaitFor("READBACK=written-by-the-test"));
            guest.Type($"echo \"BADLOG=$(dmesg | grep -cE '{BadLog}')\"; echo \"IOAPIC=$(grep -c IO-APIC /proc/interrupts)\"; "
                + "echo \"BOGO=$(dmesg | grep -c 'BogoMIPS (lpj=')\"; echo \"TIMER=$(grep -E '^ *0:' /proc/interrupts | tr -s ' ' | cut -d' ' -f3)\"; echo CHECKS-$((6 * 7))\n");
            Assert.True(guest.WaitFor("CHECKS-42")); // the typed line shows "$((6 * 7))": only the output matches
            string text = guest.Output;
            Assert.Contains("BADLOG=0", text);
            Assert.Contains("IOAPIC=", text);
            Assert.DoesNotContain("IOAPIC=0", text); // interrupts routed through the I/O APIC
            Assert.Contains("BOGO=1", text); // the delay-loop calibration line: "... BogoMIPS (lpj=...)"
            guest.Type("poweroff\n");
            var exit = guest.RunToExit();
            Assert.Equal(MachineStopReason.PowerOff, exit.Reason);
            Assert.Equal(0, exit.ExitCode);
        }
        finally
        {
            output.WriteLine(guest.Output);
        }
        Assert.Equal(before, Sha256(demo.Disk)); // S2E mode: the base image is never written
    }

    [Fact]
    public void Direct_kernel_boot_in_pic_mode_finds_the_disk_runs_the_command_line_and_powers_off()
    {
        using var guest = new LinuxGuest(c =>
        {
            c.BiosPath = demo.Bios;
            c.Kernel = demo.Kernel;
            c.Initrd = demo.Initrd;
            c.Append = $"console=ttyS0 noapic nolapic emurun=\"echo BADLOG=$(dmesg | grep -v emurun | grep -cE '{BadLog}'); grep -c XT-PIC /proc/interrupts; cat /proc/cmdline\"";
            c.Drives.Add(new DriveConfig { Path = demo.Disk, Index = 0 });
        });
        try
        {
            Assert.True(guest.WaitFor("EMU-DEMO: /dev/sda1 mounted on /mnt"), "the IDE disk was not found and mounted");
            Assert.True(guest.WaitFor("EMU-DEMO: command done (exit 0)"), "the command did not run");
            // Direct boot hands Linux the ACPI tables (boot_params.acpi_rsdp_addr), so `poweroff -f` reaches S5.
            Assert.Equal(MachineStopReason.PowerOff, guest.RunToExit().Reason);
            string text = guest.Output;
            Assert.Contains("BADLOG=0", text);
            Assert.Contains("APIC: disable apic facility", text);
        }
        finally
        {
            output.WriteLine(guest.Output);
        }
    }

    [Fact]
    public void Boots_from_the_iso_with_isolinux()
    {
        using var guest = new LinuxGuest(c =>
        {
            c.BiosPath = demo.Bios;
            c.BootOrder = "d";
            c.NoGraphic = true; // as -nographic: SeaBIOS mirrors the screen (and so ISOLINUX's banner) on COM1
            c.Drives.Add(new DriveConfig { Path = demo.Iso, Index = 2, Media = DriveMedia.Cdrom });
        });
        try
        {
            Assert.True(guest.WaitFor("ISOLINUX"), "SeaBIOS did not start ISOLINUX from the CD");
            Assert.True(guest.WaitFor(Prompt), "no shell prompt");
            guest.Type("poweroff\n");
            Assert.Equal(MachineStopReason.PowerOff, guest.RunToExit().Reason);
        }
        finally
        {
            output.WriteLine(guest.Output);
        }
    }

    [Fact]
    public void Savevm_at_the_prompt_then_loadvm_twice_resumes_identically_and_never_writes_the_base()
    {
        using var dir = new TempDirectory();
        string image = Path.Combine(dir.Path, "demo.raw.s2e");
        File.Copy(demo.Disk, image);
        string before = Sha256(image);
        void Configure(MachineConfig c)
        {
            c.BiosPath = demo.Bios;
            c.BootOrder = "c";
            c.Drives.Add(new DriveConfig { Path = image, Index = 0 });
        }

        using (var guest = new LinuxGuest(Configure))
        {
            Assert.True(guest.WaitFor(Prompt), "no shell prompt");
            guest.Type("echo before-savevm > /mnt/saved.txt; sync; echo SAVED-$((6 * 7))\n");
            Assert.True(guest.WaitFor("SAVED-42"));
            Assert.True(guest.WaitFor(Prompt));
            guest.Machine.SaveVm("ready");
        }
        Assert.True(File.Exists(image + ".ready"));

        string Resume()
        {
            using var guest = new LinuxGuest(Configure);
            guest.Machine.LoadVm("ready");
            guest.Type("cat /mnt/saved.txt; echo resumed > /mnt/after.txt; ls /mnt; cat /proc/uptime; grep -E '^ *0:' /proc/interrupts; echo RESUMED-$((6 * 7))\n");
            Assert.True(guest.WaitFor("RESUMED-42"), "the resumed guest did not run the command");
            return guest.Output;
        }

        string first = Resume();
        string second = Resume();
        output.WriteLine(first);
        Assert.Contains("before-savevm", first); // the write map travelled in the snapshot
        Assert.Contains("after.txt", first);
        Assert.Equal(first, second); // deterministic virtual time: the same serial output, uptime included
        Assert.Equal(before, Sha256(image));
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("emu-linux-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s));
    }
}
