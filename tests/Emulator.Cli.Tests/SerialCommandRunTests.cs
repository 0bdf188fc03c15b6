using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests;

/// <summary>-enable-serial-commands end to end (in-process emu): the guest saves a snapshot and exits, or exits with a status.</summary>
public sealed class SerialCommandRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emu-serialcmd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A ROM that prints <paramref name="text"/> on COM1, then spins forever (only a serial command ends it).</summary>
    private string Rom(string text)
    {
        var a = new Assembler(16);
        var spin = a.CreateLabel();
        a.mov(dx, 0x3F8);
        foreach (char c in text)
        {
            a.mov(al, (byte)c);
            a.@out(dx, al);
        }
        a.Label(ref spin);
        a.jmp(spin);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0xF0000);
        var rom = new byte[0x10000];
        stream.ToArray().CopyTo(rom, 0);
        new byte[] { 0xEA, 0x00, 0x00, 0x00, 0xF0 }.CopyTo(rom, 0xFFF0); // F000:FFF0: JMP FAR F000:0000
        string path = Path.Combine(_dir, "rom.bin");
        File.WriteAllBytes(path, rom);
        return path;
    }

    private (int Code, string Stderr) Run(params string[] args)
    {
        var e = new StringWriter();
        int code = Program.Run(args, new StringReader(""), new StringWriter(), e);
        return (code, e.ToString());
    }

    [Fact]
    public void Magic_save_writes_the_snapshot_beside_the_image_and_exits_with_zero()
    {
        string image = Path.Combine(_dir, "disk.raw.s2e");
        File.WriteAllBytes(image, new byte[64 * 512]);
        string serial = Path.Combine(_dir, "serial.txt");
        var (code, stderr) = Run("-bios", Rom("up\n?!?MAGIC?!?s ready "), "-enable-serial-commands", "-serial", "file:" + serial, "-display", "none", image);
        Assert.Equal((0, ""), (code, stderr));
        Assert.True(File.Exists(image + ".ready"));
        Assert.Equal("up\n?!?MAGIC?!?s ready ", File.ReadAllText(serial));
    }

    [Fact]
    public void Magic_kill_exits_with_the_first_status_given()
    {
        string rom = Rom("?!?MAGIC?!?k 7 ?!?MAGIC?!?k 9 ");
        Assert.Equal(7, Run("-bios", rom, "-enable-serial-commands", "-display", "none").Code);
    }
}
