using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>QMP over TCP against a real emu process, in the order a QEMU client (libvirt, qmp-shell) talks.</summary>
public sealed class QmpProcessTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-qmp-" + Guid.NewGuid().ToString("N")[..12]);

    public QmpProcessTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Session(StreamReader reader, StreamWriter writer)
    {
        public List<string> Events { get; } = new();

        public JsonObject Read() => JsonNode.Parse(reader.ReadLine() ?? throw new EndOfStreamException("QMP connection closed"))!.AsObject();

        /// <summary>Sends a command and reads up to its reply; events on the way are collected.</summary>
        public JsonObject Execute(string json)
        {
            writer.Write(json + "\r\n");
            writer.Flush();
            while (true)
            {
                var o = Read();
                if (o["event"] is { } e) Events.Add(e.GetValue<string>());
                else return o;
            }
        }

        /// <summary>Reads until the event <paramref name="name"/> has arrived (it may have come already).</summary>
        public void WaitEvent(string name)
        {
            while (!Events.Contains(name))
            {
                var o = Read();
                Assert.NotNull(o["event"]);
                Assert.NotNull(o["timestamp"]?["seconds"]);
                Events.Add(o["event"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public void Qmp_over_tcp_status_stop_cont_hmp_and_quit()
    {
        int port = EmuProcess.FreePort();
        using var p = EmuProcess.Start("-bios", EmuProcess.SpinBios(_dir), "-display", "none", "-m", "16",
            "-qmp", $"tcp:127.0.0.1:{port},server,nowait");
        try
        {
            using var client = EmuProcess.Connect(port, p);
            using var stream = client.GetStream();
            var s = new Session(new StreamReader(stream, Encoding.UTF8), new StreamWriter(stream, new UTF8Encoding(false)));
            var greeting = s.Read();
            Assert.IsType<JsonArray>(greeting["QMP"]?["capabilities"]);
            Assert.NotNull(greeting["QMP"]?["version"]?["qemu"]?["major"]);

            var early = s.Execute("""{"execute": "query-status"}""");
            Assert.Equal("CommandNotFound", early["error"]?["class"]?.GetValue<string>());

            var caps = s.Execute("""{"execute": "qmp_capabilities", "id": 1}""");
            Assert.NotNull(caps["return"]);
            Assert.Equal(1, caps["id"]!.GetValue<int>());

            var status = s.Execute("""{"execute": "query-status", "id": "a"}""");
            Assert.Equal("running", status["return"]?["status"]?.GetValue<string>());
            Assert.True(status["return"]!["running"]!.GetValue<bool>());
            Assert.Equal("a", status["id"]!.GetValue<string>());

            Assert.NotNull(s.Execute("""{"execute": "stop"}""")["return"]);
            s.WaitEvent("STOP");
            var paused = s.Execute("""{"execute": "query-status"}""");
            Assert.Equal("paused", paused["return"]?["status"]?.GetValue<string>());
            Assert.False(paused["return"]!["running"]!.GetValue<bool>());

            Assert.NotNull(s.Execute("""{"execute": "cont"}""")["return"]);
            s.WaitEvent("RESUME");

            var hmp = s.Execute("""{"execute": "human-monitor-command", "arguments": {"command-line": "info status"}, "id": 7}""");
            Assert.Equal("VM status: running\n", hmp["return"]?.GetValue<string>().ReplaceLineEndings("\n"));
            Assert.Equal(7, hmp["id"]!.GetValue<int>());

            var bad = s.Execute("""{"execute": "no-such-command"}""");
            Assert.Equal("CommandNotFound", bad["error"]?["class"]?.GetValue<string>());
            var notJson = s.Execute("""{"execute": """);
            Assert.Equal("GenericError", notJson["error"]?["class"]?.GetValue<string>());

            Assert.NotNull(s.Execute("""{"execute": "quit"}""")["return"]);
            s.WaitEvent("SHUTDOWN");
            Assert.True(p.WaitForExit(10_000), "emu did not exit after quit");
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            EmuProcess.Kill(p);
        }
    }
}
