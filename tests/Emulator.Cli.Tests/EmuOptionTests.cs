using Emulator.Machine;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>QEMU-compatible option parsing, in-process.</summary>
public sealed class EmuOptionTests
{
    private static EmuOptions Parse(params string[] args) => OptionParser.Parse(args);

    private static string Error(params string[] args) => Assert.Throws<EmulatorException>(() => OptionParser.Parse(args)).Message;

    [Fact]
    public void A_positional_image_is_the_primary_master_disk()
    {
        var o = Parse("disk.img");
        var d = Assert.Single(o.Drives);
        Assert.Equal(("disk.img", 0, DriveMedia.Disk), (d.Path, d.Index, d.Media));
    }

    [Fact]
    public void Hd_options_and_cdrom_take_their_qemu_slots()
    {
        var o = Parse("-hda", "a.img", "-hdb", "b.img", "-cdrom", "cd.iso", "-hdd", "d.img");
        Assert.Equal(
            new[] { ("a.img", 0, DriveMedia.Disk), ("b.img", 1, DriveMedia.Disk), ("cd.iso", 2, DriveMedia.Cdrom), ("d.img", 3, DriveMedia.Disk) },
            o.Drives.Select(d => (d.Path!, d.Index, d.Media)));
    }

    [Fact]
    public void Drive_parses_every_supported_key()
    {
        var o = Parse("-drive", "file=x.raw.s2e,format=s2e,if=ide,index=1,media=disk,snapshot=on,readonly=off");
        var d = Assert.Single(o.Drives);
        Assert.Equal("x.raw.s2e", d.Path);
        Assert.Equal("s2e", d.Format);
        Assert.Equal(1, d.Index);
        Assert.True(d.Snapshot);
        Assert.False(d.ReadOnly);
    }

    [Fact]
    public void Drive_without_index_takes_the_first_free_slot_and_commas_can_be_doubled()
    {
        var o = Parse("-hda", "a.img", "-drive", "file=my,,disk.img,media=cdrom");
        Assert.Equal(new[] { ("a.img", 0), ("my,disk.img", 1) }, o.Drives.Select(d => (d.Path!, d.Index)));
        Assert.Equal(DriveMedia.Cdrom, o.Drives[1].Media);
    }

    [Theory]
    [InlineData(new[] { "-hda", "a", "-drive", "file=b,index=0" }, "IDE slot 0 (primary master) is already in use")]
    [InlineData(new[] { "-drive", "file=b,if=virtio" }, "interface 'virtio' is not supported")]
    [InlineData(new[] { "-drive", "file=b,format=qcow2" }, "format 'qcow2' is not supported")]
    [InlineData(new[] { "-drive", "file=b,index=4" }, "index=4 is out of range")]
    [InlineData(new[] { "-drive", "file=b,bogus=1" }, "invalid parameter 'bogus'")]
    [InlineData(new[] { "-drive", "file=b,snapshot=maybe" }, "expects 'on' or 'off'")]
    public void Bad_drives_are_refused(string[] args, string message) => Assert.Contains(message, Error(args));

    [Theory]
    [InlineData("256", 256ul << 20)]
    [InlineData("1G", 1ul << 30)]
    [InlineData("512M", 512ul << 20)]
    [InlineData("size=64M", 64ul << 20)]
    [InlineData("1.5G", 3ul << 29)]
    [InlineData("4096k", 4ul << 20)]
    public void Memory_sizes_default_to_mebibytes(string text, ulong bytes) => Assert.Equal(bytes, Parse("-m", text).RamSize);

    [Theory]
    [InlineData("12Q", "-m: invalid RAM size '12Q'")]
    [InlineData("1", "-m: RAM size '1' is too small")]
    [InlineData("8G", "-m: RAM size '8G' is too large")]
    [InlineData("-5", "-m: invalid RAM size '-5'")]
    public void Bad_memory_sizes_are_refused(string text, string message) => Assert.Contains(message, Error("-m", text));

    [Theory]
    [InlineData("core2duo")]
    [InlineData("qemu32")]
    [InlineData("pentium")]
    public void Known_cpu_models_are_accepted(string model) => Assert.Equal(model, Parse("-cpu", model).CpuModel);

    [Fact]
    public void Unknown_cpu_models_and_feature_flags_are_refused()
    {
        Assert.Equal("-cpu: unknown CPU model '486' (available: core2duo, qemu32, pentium)", Error("-cpu", "486"));
        Assert.Contains("feature flags are not supported", Error("-cpu", "qemu32,+sse2"));
    }

    [Fact]
    public void Only_one_cpu()
    {
        Parse("-smp", "1");
        Parse("-smp", "cpus=1");
        Assert.Equal("-smp: only one CPU is supported (cpus=2)", Error("-smp", "2"));
    }

    [Theory]
    [InlineData("order=dc", "dc")]
    [InlineData("c", "c")]
    [InlineData("d", "d")]
    [InlineData("order=cd,menu=off", "cd")]
    public void Boot_order(string value, string order) => Assert.Equal(order, Parse("-boot", value).BootOrder);

    [Fact]
    public void Bad_boot_orders_are_refused()
    {
        Assert.Contains("invalid boot device sequence 'xz'", Error("-boot", "order=xz"));
        Assert.Contains("invalid boot device sequence 'cc'", Error("-boot", "cc"));
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("null")]
    [InlineData("mon:stdio")]
    [InlineData("file:/tmp/serial.log")]
    [InlineData("tcp::4444,server,nowait")]
    [InlineData("tcp:127.0.0.1:4444,server=on,wait=off")]
    [InlineData("tcp::4444")]
    [InlineData("tcp:example.org:4444")]
    public void Serial_back_ends(string spec) => Assert.Equal(spec, Parse("-serial", spec).Serial);

    [Theory]
    [InlineData("tcp::0", "a TCP client needs a port other than 0")]
    [InlineData("tcp:4444,server", "tcp: needs HOST:PORT")]
    [InlineData("tcp::99999,server", "invalid TCP port")]
    [InlineData("pty", "character device 'pty' is not supported")]
    [InlineData("file:", "file: needs a path")]
    public void Bad_serial_back_ends(string spec, string message) => Assert.Contains(message, Error("-serial", spec));

    [Fact]
    public void Isa_debug_exit_takes_iobase_and_iosize()
    {
        Assert.Equal(((ushort)0xF4, 4), Parse("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04").IsaDebugExit);
        Assert.Equal(((ushort)0x501, 2), Parse("-device", "isa-debug-exit").IsaDebugExit);
        Assert.Contains("iosize 9 is out of range", Error("-device", "isa-debug-exit,iosize=9"));
        Assert.Equal("-device: device 'e1000' is not supported (only isa-debug-exit)", Error("-device", "e1000"));
    }

    [Theory]
    [InlineData("-enable-kvm")]
    [InlineData("-accel kvm")]
    [InlineData("-machine accel=kvm")]
    [InlineData("-M pc,accel=kvm")]
    public void Kvm_is_not_available_yet(string line) => Assert.Equal("KVM acceleration is not available yet", Error(line.Split(' ')));

    [Fact]
    public void Flags_and_simple_options()
    {
        var o = Parse("-nographic", "-no-reboot", "-no-shutdown", "-snapshot", "-S", "-loadvm", "ready", "-name", "guest1",
            "-net", "none", "-nic", "none", "-display", "none", "-monitor", "stdio", "-debugcon", "file:d.log", "--bios", "b.bin",
            "-accel", "tcg", "-machine", "pc");
        Assert.True(o.NoGraphic && o.NoReboot && o.NoShutdown && o.Snapshot && o.StartPaused);
        Assert.Equal(("ready", "guest1", "stdio", "file:d.log", "b.bin"), (o.LoadVm, o.Name, o.Monitor, o.DebugCon, o.BiosPath));
    }

    [Fact]
    public void Rtc_base_accepts_utc_localtime_and_dates()
    {
        Assert.Null(Parse("-rtc", "base=utc").RtcStart);
        Assert.NotNull(Parse("-rtc", "base=localtime,clock=vm").RtcStart);
        Assert.Equal(new DateTime(2006, 6, 17, 16, 1, 21, DateTimeKind.Utc), Parse("-rtc", "base=2006-06-17T16:01:21").RtcStart);
        Assert.Contains("invalid base 'yesterday'", Error("-rtc", "base=yesterday"));
    }

    [Theory]
    [InlineData(new[] { "-foo" }, "-foo: invalid option")]
    [InlineData(new[] { "-m" }, "-m: requires an argument")]
    [InlineData(new[] { "-net", "user" }, "-net: networking is not available yet (only '-net none')")]
    [InlineData(new[] { "-display", "gtk" }, "-display: display 'gtk' is not available (only 'none' or 'curses')")]
    [InlineData(new[] { "-monitor", "vc" }, "-monitor: 'vc' is not supported (stdio, none, tcp:HOST:PORT,server,nowait or unix:PATH,server,nowait)")]
    [InlineData(new[] { "-qmp", "tcp::4444" }, "-qmp: only TCP server mode is supported (add ',server')")]
    [InlineData(new[] { "-M", "q35" }, "-M: machine type 'q35' is not available (only pc)")]
    public void Other_errors(string[] args, string message) => Assert.Equal(message, Error(args));

    [Fact]
    public void Monitor_and_qmp_sockets_parse()
    {
        Assert.Equal("tcp:127.0.0.1:4444,server,nowait", Parse("-monitor", "tcp:127.0.0.1:4444,server,nowait").Monitor);
        Assert.Equal("unix:/tmp/q.sock,server,nowait", Parse("-qmp", "unix:/tmp/q.sock,server,nowait").Qmp);
        Assert.Equal("stdio", Parse("-qmp", "stdio").Qmp);
        Assert.Equal((null, -1, "/tmp/m.sock"), OptionParser.ParseMonitorSocket("-monitor", "unix:/tmp/m.sock,server,nowait"));
        Assert.Equal(("127.0.0.1", 4444, null), OptionParser.ParseMonitorSocket("-qmp", "tcp:127.0.0.1:4444,server,nowait"));
    }
}
