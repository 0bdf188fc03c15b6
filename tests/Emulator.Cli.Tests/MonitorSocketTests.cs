using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>-monitor and -qmp on unix and TCP sockets, emu run in-process on a background thread.</summary>
public sealed class MonitorSocketTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-mon-" + Guid.NewGuid().ToString("N")[..12]);

    public MonitorSocketTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Running
    {
        public Thread Thread { get; init; } = null!;

        public int Code { get; set; } = -1;
    }

    private Running RunEmu(params string[] extra)
    {
        string[] args = ["-bios", EmuProcess.SpinBios(_dir), "-display", "none", "-m", "16", .. extra];
        Running? r = null;
        var t = new Thread(() => r!.Code = Program.Run(args, new StringReader(""), TextWriter.Null, TextWriter.Null)) { IsBackground = true };
        r = new Running { Thread = t };
        t.Start();
        return r;
    }

    private static Socket ConnectUnix(string path)
    {
        for (int i = 0; ; i++)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                s.Connect(new UnixDomainSocketEndPoint(path));
                s.ReceiveTimeout = 10_000;
                return s;
            }
            catch (SocketException) when (i < 200)
            {
                s.Dispose();
                Thread.Sleep(50);
            }
        }
    }

    private static string ReadUntilPrompt(StreamReader r)
    {
        var sb = new StringBuilder();
        while (!sb.ToString().EndsWith("(qemu) ", StringComparison.Ordinal))
        {
            int c = r.Read();
            if (c < 0) break;
            sb.Append((char)c);
        }
        return sb.ToString();
    }

    [Fact]
    public void Hmp_on_a_unix_socket_serves_one_client_after_another()
    {
        string path = Path.Combine(_dir, "m.sock");
        var run = RunEmu("-monitor", $"unix:{path},server,nowait");
        for (int client = 0; client < 2; client++)
        {
            using var s = ConnectUnix(path);
            using var stream = new NetworkStream(s);
            var r = new StreamReader(stream);
            var w = new StreamWriter(stream) { AutoFlush = true };
            Assert.Contains("monitor", ReadUntilPrompt(r));
            w.Write("info status\n");
            Assert.Equal("VM status: running\r\n(qemu) ", ReadUntilPrompt(r).ReplaceLineEndings("\r\n"));
            w.Write("info cpus\n");
            Assert.StartsWith("* CPU #0: pc=0x000f000", ReadUntilPrompt(r)); // spinning at F000:0000 or :0002
            if (client == 1) w.Write("quit\n");
        }
        Assert.True(run.Thread.Join(10_000));
        Assert.Equal(0, run.Code);
        Assert.False(File.Exists(path)); // the socket file is removed on exit
    }

    [Fact]
    public void Hmp_on_tcp_and_qmp_on_a_unix_socket_with_reset_and_powerdown_events()
    {
        int port = EmuProcess.FreePort();
        string qmpPath = Path.Combine(_dir, "q.sock");
        var run = RunEmu("-monitor", $"tcp:127.0.0.1:{port},server,nowait", "-qmp", $"unix:{qmpPath},server,nowait");
        using var q = ConnectUnix(qmpPath);
        using var qs = new NetworkStream(q);
        var qr = new StreamReader(qs);
        var qw = new StreamWriter(qs) { AutoFlush = true };
        Assert.NotNull(JsonNode.Parse(qr.ReadLine()!)!["QMP"]);
        qw.Write("{\"execute\": \"qmp_capabilities\"}\n");
        Assert.NotNull(JsonNode.Parse(qr.ReadLine()!)!["return"]);

        using var tcp = EmuProcess.Connect(port, null);
        var hr = new StreamReader(tcp.GetStream());
        var hw = new StreamWriter(tcp.GetStream()) { AutoFlush = true };
        ReadUntilPrompt(hr);
        hw.Write("system_reset\n");
        ReadUntilPrompt(hr);
        hw.Write("stop\n");
        ReadUntilPrompt(hr);
        // Events caused by the HMP client reach the QMP client.
        var events = new List<string>();
        while (!events.Contains("STOP") || !events.Contains("RESET"))
        {
            var o = JsonNode.Parse(qr.ReadLine()!)!;
            events.Add(o["event"]!.GetValue<string>());
        }
        qw.Write("{\"execute\": \"system_powerdown\", \"id\": 3}\n");
        var reply = JsonNode.Parse(qr.ReadLine()!)!;
        while (reply["event"] is not null) reply = JsonNode.Parse(qr.ReadLine()!)!;
        Assert.Equal(3, reply["id"]!.GetValue<int>());
        hw.Write("quit\n");
        Assert.True(run.Thread.Join(10_000));
        Assert.Equal(0, run.Code);
    }

    [Fact]
    public void Qmp_on_stdio_answers_in_order_and_ends_with_shutdown()
    {
        string input = """
            {"execute": "qmp_capabilities", "id": 1}
            {"execute": "query-status", "id": 2}
            {"execute": "human-monitor-command", "arguments": {}, "id": 3}
            [1, 2]
            {"execute": "quit", "id": 4}

            """;
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(["-bios", EmuProcess.SpinBios(_dir), "-display", "none", "-m", "16", "-S", "-qmp", "stdio"], new StringReader(input), o, e);
        Assert.Equal(0, code);
        Assert.Equal("", e.ToString());
        var lines = o.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.NotNull(lines[0]["QMP"]);
        Assert.Equal(1, lines[1]["id"]!.GetValue<int>());
        Assert.Equal("paused", lines[2]["return"]!["status"]!.GetValue<string>()); // -S
        Assert.Equal("GenericError", lines[3]["error"]!["class"]!.GetValue<string>());
        Assert.Equal(3, lines[3]["id"]!.GetValue<int>());
        Assert.Equal("GenericError", lines[4]["error"]!["class"]!.GetValue<string>());
        Assert.Equal(4, lines[5]["id"]!.GetValue<int>());
        Assert.Equal("SHUTDOWN", lines[6]["event"]!.GetValue<string>());
        Assert.Equal("host-qmp-quit", lines[6]["data"]!["reason"]!.GetValue<string>());
        Assert.Equal(7, lines.Count);
    }

    [Fact]
    public void Qmp_and_monitor_cannot_both_take_stdio()
    {
        var e = new StringWriter();
        int code = Program.Run(["-bios", EmuProcess.SpinBios(_dir), "-qmp", "stdio", "-monitor", "stdio"], new StringReader(""), TextWriter.Null, e);
        Assert.Equal(1, code);
        Assert.Equal("emu: -monitor stdio and -qmp stdio cannot share stdio", e.ToString().Trim());
    }
}
