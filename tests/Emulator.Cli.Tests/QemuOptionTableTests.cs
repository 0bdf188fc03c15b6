using Emulator.Machine;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>
/// Every option the list names, in QEMU's own spelling (as a QEMU command line or an S2E launch script writes
/// it), is accepted by the parser; and the S2E serial commands are recognised in a byte stream.
/// </summary>
public sealed class QemuOptionTableTests
{
    [Theory]
    [InlineData("disk.raw")]
    [InlineData("-hda", "a.raw", "-hdb", "b.raw", "-hdc", "c.raw", "-hdd", "d.raw")]
    [InlineData("-cdrom", "cd.iso")]
    [InlineData("-drive", "file=disk.raw.s2e,format=s2e,if=ide,cache=writeback,index=0,media=disk")]
    [InlineData("-drive", "file=disk.raw,format=raw,if=ide,index=1,snapshot=on,readonly=on")]
    [InlineData("-drive", "file=cd.iso,media=cdrom,index=2")]
    [InlineData("-m", "256")]
    [InlineData("-m", "1G")]
    [InlineData("-cpu", "core2duo")]
    [InlineData("-cpu", "qemu32")]
    [InlineData("-cpu", "pentium")]
    [InlineData("-smp", "1")]
    [InlineData("-bios", "bios-256k.bin")]
    [InlineData("-boot", "order=dc")]
    [InlineData("-boot", "c")]
    [InlineData("-boot", "d")]
    [InlineData("-nographic")]
    [InlineData("-display", "none")]
    [InlineData("-serial", "stdio")]
    [InlineData("-serial", "file:serial.txt")]
    [InlineData("-serial", "tcp:127.0.0.1:4555,server,nowait")]
    [InlineData("-serial", "null")]
    [InlineData("-serial", "mon:stdio")]
    [InlineData("-monitor", "stdio")]
    [InlineData("-monitor", "tcp:127.0.0.1:4444,server,nowait")]
    [InlineData("-monitor", "unix:/tmp/emu-monitor.sock,server,nowait")]
    [InlineData("-monitor", "none")]
    [InlineData("-qmp", "tcp:127.0.0.1:4445,server,nowait")]
    [InlineData("-debugcon", "file:debug.log")]
    [InlineData("-loadvm", "ready")]
    [InlineData("-snapshot")]
    [InlineData("-net", "none")]
    [InlineData("-nic", "none")]
    [InlineData("-k", "en-us")]
    [InlineData("-k", "de")]
    [InlineData("-no-reboot")]
    [InlineData("-no-shutdown")]
    [InlineData("-S")]
    [InlineData("-name", "guest1")]
    [InlineData("-rtc", "base=utc")]
    [InlineData("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")]
    [InlineData("-kernel", "bzImage", "-initrd", "initrd.img", "-append", "console=ttyS0")]
    [InlineData("-enable-serial-commands")]
    public void Qemu_spelling_is_accepted(params string[] args) => OptionParser.Parse(args);

    [Fact]
    public void Keyboard_layout_and_serial_commands_are_recorded()
    {
        var o = OptionParser.Parse(["-k", "fr", "-enable-serial-commands"]);
        Assert.Equal("fr", o.KeyboardLayout);
        Assert.True(o.SerialCommands);
        Assert.False(OptionParser.Parse(["disk.raw"]).SerialCommands);
        Assert.Equal("-k: unknown keyboard layout 'xx' (e.g. en-us, en-gb, de, fr)",
            Assert.Throws<EmulatorException>(() => OptionParser.Parse(["-k", "xx"])).Message);
    }

    [Fact]
    public void Serial_commands_are_found_in_the_byte_stream_and_every_byte_still_reaches_the_back_end()
    {
        var sink = new MemorySerial();
        var saved = new List<string>();
        var killed = new List<int>();
        var filter = new SerialCommandFilter(sink, saved.Add, killed.Add);
        // S2E's exact strings (s2e.md): "?!?MAGIC?!?s NAME " and "?!?MAGIC?!?k 0 ". Around them: a false start that
        // restarts inside the magic, a broken command, an unknown letter, an argument with a newline.
        string text = "boot ok\n?!??!?MAGIC?!?s ready \nlater ?!?MAGIC?!?x 1 ?!?MAGIC?!?sready ?!?MAGIC?!?s bad\nname ?!?MAGIC?!?k 3 ";
        foreach (char c in text) filter.Write((byte)c);
        Assert.Equal(["ready"], saved);
        Assert.Equal([3], killed);
        Assert.Equal(text, System.Text.Encoding.ASCII.GetString(sink.Written.ToArray()));
    }

    private sealed class MemorySerial : Emulator.Devices.ISerialBackend
    {
        public List<byte> Written { get; } = [];

        public bool SupportsInput => false;

        public void Write(byte value) => Written.Add(value);

        public bool TryRead(out byte value)
        {
            value = 0;
            return false;
        }

        public void Dispose()
        {
        }
    }
}
