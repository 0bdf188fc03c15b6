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
    /// <summary>What must never appear in the kernel log (the issue's list).</summary>
    private const string BadLog = "BUG|Oops|WARNING|Call Trace|hung task|clocksource.*unstable|TSC calibration failed";

    private const string Prompt = "emu-demo:/# ";

    [Fact]
    public void Boots_from_the_s2e_disk_in_apic_mode_with_vga_console_mouse_and_bochs_drm_and_poweroff_exits_0()
    {
        string before = Sha256(demo.Disk);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var dir = new TempDirectory();
        using var guest = new LinuxGuest(c =>
        {
            c.BiosPath = demo.Bios;
            c.VgaBiosPath = demo.VgaBios;
            c.BootOrder = "c";
            c.Drives.Add(new DriveConfig { Path = demo.Disk, Index = 0 });
        });
        void Stage(string what) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s, {guest.Machine.Cpu.Retired / 1e6,8:F0} M instructions] {what}");
        try
        {
            Assert.True(guest.WaitFor("EMU-DEMO: /dev/sda1 mounted on /mnt"), "the IDE disk was not found and mounted");
            Assert.True(guest.WaitFor(Prompt), "no shell prompt");
            guest.Type("echo written-by-the-test > /mnt/state.txt; sync; echo \"READBACK=$(cat /mnt/state.txt)\"\n");
            Assert.True(guest.WaitFor("READBACK=written-by-the-test"));
            Stage("shell prompt, disk written");

            // The VGA console: vgacon keeps SeaVGABIOS's 80x25 text mode, and init's second shell runs on tty1.
            var vga = guest.Machine.Vga!;
            var screen = vga.RenderText();
            Assert.NotNull(screen);
            output.WriteLine(screen.ToText());
            Assert.Equal((80, 25), (screen.Columns, screen.Rows));
            Assert.Contains(Prompt, screen.ToText());
            string textDump = Path.Combine(dir.Path, "text.png");
            vga.SavePng(textDump);
            var textPng = PngImage.Load(textDump);
            Assert.Equal((720, 400), (textPng.Width, textPng.Height)); // mode 3: 80 × 9-dot columns, 25 × 16-line rows

            guest.Type($"echo \"IOAPIC=$(grep -c IO-APIC /proc/interrupts)\"; echo \"BOGO=$(dmesg | grep -c 'BogoMIPS (lpj=')\"; "
                + "echo \"TIMER=$(grep -E '^ *0:' /proc/interrupts | tr -s ' ' | cut -d' ' -f3)\"; dmesg | grep -E 'input: .*PS/2'; "
                + "echo \"MOUSE=$(dmesg | grep -cE 'input: .*PS/2.*/serio1/')\"; echo CHECKS-$((6 * 7))\n");
            Assert.True(guest.WaitFor("CHECKS-42")); // the typed line shows "$((6 * 7))": only the output matches
            Stage("interrupt, calibration and mouse checks");
            string text = guest.Output;
            Assert.Contains("IOAPIC=", text);
            Assert.DoesNotContain("IOAPIC=0", text); // interrupts routed through the I/O APIC
            Assert.Contains("BOGO=1", text); // the delay-loop calibration line: "... BogoMIPS (lpj=...)"
            Assert.Contains("MOUSE=1", text); // psmouse found the mouse behind the i8042's AUX port (serio1)

            // The bochs DRM driver binds to the VGA (PCI 1234:1111), sets a VBE mode and puts fb0 (and fbcon) on it.
            guest.Type("emu-load-vga; echo \"VGA-LOADED=$?\"; dmesg | grep -iE 'bochs|fb0'; "
                + "echo \"BOUND=$(cat /sys/bus/pci/drivers/bochs-drm/0000:*/vendor):$(cat /sys/bus/pci/drivers/bochs-drm/0000:*/device)\"; "
                + "echo \"INIT=$(dmesg | grep -c 'Initialized bochs-drm')\"; echo \"FB0=$(dmesg | grep -cE 'bochs-drm.*fb0')\"; "
                + "echo \"MODE=$(cat /sys/class/graphics/fb0/modes) BPP=$(cat /sys/class/graphics/fb0/bits_per_pixel) STRIDE=$(cat /sys/class/graphics/fb0/stride) END\"; "
                + "echo VGA-$((6 * 7))\n");
            Assert.True(guest.WaitFor("VGA-42"));
            Stage("bochs-drm loaded");
            text = guest.Output;
            Assert.Contains("VGA-LOADED=0", text);
            Assert.Contains("BOUND=0x1234:0x1111", text);
            Assert.Contains("INIT=1", text);
            Assert.DoesNotContain("FB0=0", text);
            var mode = System.Text.RegularExpressions.Regex.Match(text, @"MODE=\w:(\d+)x(\d+)\S* BPP=(\d+) STRIDE=(\d+) END");
            Assert.True(mode.Success, "no fb0 mode");
            int width = int.Parse(mode.Groups[1].Value), height = int.Parse(mode.Groups[2].Value);
            int bpp = int.Parse(mode.Groups[3].Value), stride = int.Parse(mode.Groups[4].Value);
            Assert.Equal(32, bpp);
            Assert.True(width >= 640 && stride % 512 == 0 && height > 64, $"mode {width}x{height} stride {stride}");

            // A known pattern through /dev/fb0 (fbcon unbound first, so it does not draw over it): rows y0..y0+31,
            // from x = 128: 256 red pixels then 256 pixels of 0x0080FF (32 bpp: bytes B, G, R, X).
            const int y0 = 40;
            guest.Type("for v in /sys/class/vtconsole/vtcon*; do grep -q 'frame buffer' $v/name && echo 0 > $v/bind; done; "
                + "printf '\\000\\000\\377\\000' > /tmp/r; printf '\\377\\200\\000\\000' > /tmp/b; "
                + "for i in 1 2 3 4 5 6 7 8; do cat /tmp/r /tmp/r > /tmp/t; mv /tmp/t /tmp/r; cat /tmp/b /tmp/b > /tmp/t; mv /tmp/t /tmp/b; done; "
                + $"cat /tmp/r /tmp/b > /tmp/row; s=$(cat /sys/class/graphics/fb0/stride); y={y0}; "
                + $"while [ $y -lt {y0 + 32} ]; do dd if=/tmp/row of=/dev/fb0 bs=512 seek=$(( (y * s + 512) / 512 )) 2>/dev/null; y=$((y + 1)); done; "
                + "sleep 1; echo \"PATTERN=$(wc -c < /tmp/row)\"; "
                + $"echo \"BADLOG=$(dmesg | grep -cE '{BadLog}')\"; echo FB-$((6 * 7))\n");
            Assert.True(guest.WaitFor("FB-42"));
            Stage("pattern written to /dev/fb0");
            text = guest.Output;
            Assert.Contains("PATTERN=2048", text);
            Assert.Contains("BADLOG=0", text); // also after the DRM driver's probe

            // The screendump shows the guest's VBE mode and the pattern where the guest put it.
            Assert.True(vga.VbeEnabled, "the driver did not enable the VBE mode");
            string dump = Path.Combine(dir.Path, "fb.png");
            vga.SavePng(dump);
            var png = PngImage.Load(dump);
            Assert.Equal((width, height), (png.Width, png.Height));
            for (int y = y0; y < y0 + 32; y += 3)
            {
                for (int x = 128; x < 128 + 256; x += 5) Assert.Equal(0xFF0000, png[x, y]);
                for (int x = 128 + 256; x < 128 + 512; x += 5) Assert.Equal(0x0080FF, png[x, y]);
            }
            Assert.Equal(0xFF0000, png[128, y0]);
            Assert.Equal(0x0080FF, png[128 + 511, y0 + 31]);

            // Blanking fb0 (DPMS off): bochs-drm clears the attribute controller's PAS bit; the screen goes black.
            guest.Type("echo 1 > /sys/class/graphics/fb0/blank; echo BLANKED-$((6 * 7))\n");
            Assert.True(guest.WaitFor("BLANKED-42"));
            string blankDump = Path.Combine(dir.Path, "blank.png");
            vga.SavePng(blankDump);
            var blank = PngImage.Load(blankDump);
            Assert.Equal((width, height), (blank.Width, blank.Height));
            for (int y = 0; y < height; y += 7)
            {
                for (int x = 0; x < width; x += 7) Assert.Equal(0, blank[x, y]);
            }

            guest.Type("poweroff\n");
            var exit = guest.RunToExit();
            Stage("powered off");
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
    public void Direct_kernel_boot_in_pic_mode_finds_the_disk_runs_the_command_line_reboots_and_powers_off()
    {
        // The command runs twice: the first boot leaves a mark on the disk (S2E mode: in the state's write map, which a
        // reset keeps, as a disk keeps its contents) and reboots; the second boot sees the mark, checks and powers off.
        const string Command = $"if [ -e /mnt/rebooted ]; then echo SECOND-BOOT-$((6 * 7)); echo BADLOG=$(dmesg | grep -v emurun | grep -cE '{BadLog}'); "
            + "grep -c XT-PIC /proc/interrupts; cat /proc/cmdline; "
            + "else echo once > /mnt/rebooted; sync; umount /mnt; echo REBOOT-$((6 * 7)); reboot -f; fi";
        using var guest = new LinuxGuest(c =>
        {
            c.BiosPath = demo.Bios;
            c.Kernel = demo.Kernel;
            c.Initrd = demo.Initrd;
            c.Append = $"console=ttyS0 noapic nolapic emurun=\"{Command}\"";
            c.Drives.Add(new DriveConfig { Path = demo.Disk, Index = 0 });
        });
        try
        {
            Assert.True(guest.WaitFor("EMU-DEMO: /dev/sda1 mounted on /mnt"), "the IDE disk was not found and mounted");
            Assert.True(guest.WaitFor("REBOOT-42"), "the first boot did not run the command");
            output.WriteLine($"first boot done after {guest.Machine.Cpu.Retired / 1e6:F0} M instructions");
            // reboot(2): the kernel's machine restart (the FADT has no reset register, so the 8042's pulse) resets the
            // machine, and direct kernel boot starts the same kernel again.
            Assert.True(guest.WaitFor("reboot: Restarting system"), "the kernel did not restart");
            Assert.True(guest.WaitFor("Linux version 6.1"), "the kernel did not boot a second time");
            Assert.Equal(1, guest.Machine.ResetCount);
            Assert.True(guest.WaitFor("EMU-DEMO: /dev/sda1 mounted on /mnt"), "the disk was not mounted after the reboot");
            Assert.True(guest.WaitFor("SECOND-BOOT-42"), "the mark written before the reboot is gone");
            Assert.True(guest.WaitFor("EMU-DEMO: command done (exit 0)"), "the command did not run");
            // Direct boot hands Linux the ACPI tables (boot_params.acpi_rsdp_addr), so `poweroff -f` reaches S5.
            Assert.Equal(MachineStopReason.PowerOff, guest.RunToExit().Reason);
            output.WriteLine($"second boot powered off after {guest.Machine.Cpu.Retired / 1e6:F0} M instructions");
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
    public void Boots_from_the_iso_with_isolinux_and_reboot_with_no_reboot_exits_0()
    {
        using var guest = new LinuxGuest(c =>
        {
            c.BiosPath = demo.Bios;
            c.BootOrder = "d";
            c.NoGraphic = true; // as -nographic: SeaBIOS mirrors the screen (and so ISOLINUX's banner) on COM1
            c.NoReboot = true; // as -no-reboot: a guest reset ends the run with exit code 0 (QEMU's semantics)
            c.Drives.Add(new DriveConfig { Path = demo.Iso, Index = 2, Media = DriveMedia.Cdrom });
        });
        try
        {
            Assert.True(guest.WaitFor("ISOLINUX"), "SeaBIOS did not start ISOLINUX from the CD");
            Assert.True(guest.WaitFor(Prompt), "no shell prompt");
            guest.Type("reboot\n"); // busybox init's shutdown, then reboot(2)
            var exit = guest.RunToExit();
            Assert.Equal(MachineStopReason.Reset, exit.Reason);
            Assert.Equal(0, exit.ExitCode);
            Assert.Contains("reboot: Restarting system", guest.Output);
            Assert.Equal(0, guest.Machine.ResetCount); // not taken: the run ended instead
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
