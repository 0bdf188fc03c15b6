using System.Net;
using System.Net.Sockets;
using System.Text;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests;

/// <summary><c>-serial tcp:HOST:PORT</c> without <c>server</c>: emu connects out (QEMU's client mode).</summary>
public sealed class SerialTcpClientTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-sercli-" + Guid.NewGuid().ToString("N")[..12]);

    public SerialTcpClientTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>ROM: prints "HELLO\n" on COM1, then echoes received bytes (polling LSR.DR) until it gets 'q', then exits 0x21 via isa-debug-exit.</summary>
    private string EchoRom()
    {
        var a = new Assembler(16);
        var wait = a.CreateLabel();
        var halt = a.CreateLabel();
        foreach (char c in "HELLO\n")
        {
            a.mov(dx, 0x3F8);
            a.mov(al, (byte)c);
            a.@out(dx, al);
        }
        a.Label(ref wait);
        a.mov(dx, 0x3FD); // LSR
        a.@in(al, dx);
        a.test(al, 0x01); // data ready
        a.jz(wait);
        a.mov(dx, 0x3F8);
        a.@in(al, dx);
        a.cmp(al, (byte)'q');
        a.je(halt);
        a.@out(dx, al);
        a.jmp(wait);
        a.Label(ref halt);
        a.mov(al, 0x10);
        a.@out(0xF4, al);
        a.cli();
        a.hlt();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0xF0000);
        var rom = new byte[0x10000];
        stream.ToArray().CopyTo(rom, 0);
        new byte[] { 0xEA, 0x00, 0x00, 0x00, 0xF0 }.CopyTo(rom, 0xFFF0);
        string path = Path.Combine(_dir, "echo.bin");
        File.WriteAllBytes(path, rom);
        return path;
    }

    [Fact]
    public void Emu_connects_out_and_the_guest_talks_over_the_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string[] args = ["-bios", EchoRom(), "-display", "none", "-m", "16", "-serial", $"tcp:127.0.0.1:{port}",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"];
        int code = -1;
        var t = new Thread(() => code = Program.Run(args, new StringReader(""), TextWriter.Null, TextWriter.Null)) { IsBackground = true };
        t.Start();

        listener.Server.ReceiveTimeout = 20_000;
        Assert.True(listener.Server.Poll(TimeSpan.FromSeconds(20), SelectMode.SelectRead), "emu did not connect");
        using var client = listener.AcceptTcpClient();
        client.ReceiveTimeout = 20_000;
        var s = client.GetStream();
        string ReadText(int n)
        {
            var buf = new byte[n];
            s.ReadExactly(buf);
            return Encoding.ASCII.GetString(buf);
        }
        Assert.Equal("HELLO\n", ReadText(6));
        s.Write("ping"u8);
        Assert.Equal("ping", ReadText(4));
        s.Write("q"u8);
        Assert.True(t.Join(20_000));
        Assert.Equal((0x10 << 1) | 1, code);
    }

    [Fact]
    public void A_refused_connection_is_a_one_line_error()
    {
        // A port nobody listens on: bind one, note it, close it.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var err = new StringWriter();
        int code = Program.Run(["-bios", EchoRom(), "-display", "none", "-m", "16", "-serial", $"tcp:127.0.0.1:{port}"], new StringReader(""), TextWriter.Null, err);
        Assert.Equal(1, code);
        Assert.Contains($"-serial: could not connect to 127.0.0.1:{port}", err.ToString());
        Assert.Single(err.ToString().TrimEnd().Split('\n'));
    }
}
