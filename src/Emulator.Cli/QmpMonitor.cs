using System.Text.Json;
using System.Text.Json.Nodes;
using Emulator.Machine;

namespace Emulator.Cli;

/// <summary>
/// QEMU Machine Protocol: a greeting, capabilities negotiation, then one JSON command per line with "id" echoed;
/// asynchronous events (STOP, RESUME, RESET, SHUTDOWN, POWERDOWN) go to every negotiated client. Commands run on
/// the machine thread through <see cref="HmpMonitor.OnMachine{T}"/>.
/// </summary>
public sealed class QmpMonitor
{
    private readonly PcMachine _machine;
    private readonly HmpMonitor _hmp;
    private readonly List<Client> _clients = new();
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _ended = new(false);
    private string _lastStatus;
    private int _lastResets;

    private sealed class Client(TextWriter writer)
    {
        public TextWriter Writer { get; } = writer;

        public bool Negotiated { get; set; }
    }

    public QmpMonitor(PcMachine machine, HmpMonitor hmp)
    {
        _machine = machine;
        _hmp = hmp;
        _lastStatus = machine.Status;
        _lastResets = machine.ResetCount;
        // Events are pushed the moment the machine changes state (on the thread that changed it: the machine thread
        // for guest resets and power-offs, the monitor's command for stop/cont), never found by polling.
        machine.StateChanged += CheckState;
        var previous = hmp.AfterCommand;
        hmp.AfterCommand = () =>
        {
            previous?.Invoke();
            CheckState();
        };
    }

    /// <summary>
    /// Compares the machine's state with what clients last heard and sends STOP/RESUME/RESET/SHUTDOWN; called from
    /// <see cref="PcMachine.StateChanged"/> and after each command (idempotent).
    /// </summary>
    public void CheckState()
    {
        lock (_stateGate) CheckStateLocked();
    }

    private readonly object _stateGate = new();

    private void CheckStateLocked()
    {
        if (_machine.ResetCount != _lastResets)
        {
            _lastResets = _machine.ResetCount;
            SendEvent("RESET", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-system-reset" });
        }
        string status = _machine.Status;
        if (status == _lastStatus) return;
        if (status == "shutdown") SendEvent("SHUTDOWN", new JsonObject { ["guest"] = true, ["reason"] = "guest-shutdown" });
        if (status == "running") SendEvent("RESUME", null);
        else if (_lastStatus == "running") SendEvent("STOP", null);
        _lastStatus = status;
    }

    /// <summary>The machine stopped with <paramref name="exit"/>: SHUTDOWN for power-off and quit (QEMU's reasons).</summary>
    public void MachineEnded(MachineExit exit)
    {
        _hmp.MachineStopped();
        switch (exit.Reason)
        {
            case MachineStopReason.PowerOff:
                SendEvent("SHUTDOWN", new JsonObject { ["guest"] = true, ["reason"] = "guest-shutdown" });
                break;
            case MachineStopReason.Quit:
                SendEvent("SHUTDOWN", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-quit" });
                break;
            case MachineStopReason.Reset:
                SendEvent("SHUTDOWN", new JsonObject { ["guest"] = true, ["reason"] = "guest-reset" });
                break;
            default:
                SendEvent("SHUTDOWN", new JsonObject { ["guest"] = true, ["reason"] = "guest-panic" });
                break;
        }
        _ended.Set();
    }

    private void SendEvent(string name, JsonObject? data)
    {
        long us = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var ev = new JsonObject
        {
            ["event"] = name,
            ["timestamp"] = new JsonObject { ["seconds"] = us / 1_000_000, ["microseconds"] = us % 1_000_000 },
        };
        if (data is not null) ev["data"] = data;
        string text = ev.ToJsonString();
        lock (_gate)
        {
            foreach (var c in _clients)
            {
                if (c.Negotiated) Write(c, text);
            }
        }
    }

    private void Write(Client c, string text)
    {
        lock (_gate)
        {
            try
            {
                c.Writer.Write(text + "\r\n");
                c.Writer.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Serves QMP on stdio on a background thread.</summary>
    public Thread Start(TextReader input, TextWriter output)
    {
        _machine.MonitorAttached = true;
        var thread = new Thread(() => Serve(input, output)) { IsBackground = true, Name = "qmp" };
        thread.Start();
        return thread;
    }

    /// <summary>One QMP session over a socket stream.</summary>
    public void Serve(Stream stream)
    {
        using var reader = new StreamReader(stream, leaveOpen: true);
        using var writer = new StreamWriter(stream, leaveOpen: true) { NewLine = "\r\n" };
        Serve(reader, writer);
    }

    public void Serve(TextReader input, TextWriter output)
    {
        var client = new Client(output);
        lock (_gate) _clients.Add(client);
        try
        {
            Write(client, """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 8}, "package": "emu"}, "capabilities": []}}""");
            string? line;
            while ((line = input.ReadLine()) is not null)
            {
                if (line.Trim().Length == 0) continue;
                bool quit = Handle(client, line);
                if (quit)
                {
                    _ended.Wait(5000); // keep the connection until SHUTDOWN has been sent, as QEMU does
                    break;
                }
            }
        }
        finally
        {
            lock (_gate) _clients.Remove(client);
        }
    }

    private static JsonObject Error(string cls, string desc) => new() { ["error"] = new JsonObject { ["class"] = cls, ["desc"] = desc } };

    /// <summary>Handles one command line; true after quit.</summary>
    private bool Handle(Client client, string line)
    {
        JsonNode? id = null;
        JsonObject reply;
        bool quit = false;
        try
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                Write(client, Error("GenericError", "JSON parse error, " + e.Message.ReplaceLineEndings(" ")).ToJsonString());
                return false;
            }
            if (node is not JsonObject obj)
            {
                Write(client, Error("GenericError", "QMP input must be a JSON object").ToJsonString());
                return false;
            }
            id = obj["id"]?.DeepClone();
            string? command = obj["execute"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
            var args = obj["arguments"] as JsonObject;
            if (command is null) reply = Error("GenericError", "QMP input lacks member 'execute'");
            else if (obj["arguments"] is not null and not JsonObject) reply = Error("GenericError", "QMP input member 'arguments' must be an object");
            else if (!client.Negotiated && command != "qmp_capabilities")
                reply = Error("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
            else (reply, quit) = Run(client, command, args);
        }
        catch (InvalidOperationException e)
        {
            reply = Error("GenericError", e.Message);
        }
        if (id is not null) reply["id"] = id;
        Write(client, reply.ToJsonString());
        if (quit) _hmp.OnMachine(() => { _machine.Quit(); return true; });
        return quit;
    }

    private static JsonObject Return(JsonNode? value = null) => new() { ["return"] = value ?? new JsonObject() };

    private (JsonObject Reply, bool Quit) Run(Client client, string command, JsonObject? args)
    {
        switch (command)
        {
            case "qmp_capabilities":
                if (client.Negotiated) return (Error("CommandNotFound", "Capabilities negotiation is already complete, command ignored"), false);
                client.Negotiated = true;
                return (Return(), false);
            case "query-status":
                {
                    string status = _hmp.OnMachine(() => _machine.Status) ?? "shutdown";
                    return (Return(new JsonObject { ["status"] = status, ["running"] = status == "running", ["singlestep"] = false }), false);
                }
            case "query-commands":
                {
                    var list = new JsonArray();
                    foreach (var name in Commands) list.Add(new JsonObject { ["name"] = name });
                    return (Return(list), false);
                }
            case "stop":
                _hmp.OnMachine(() => { _machine.Paused = true; return true; });
                return (Return(), false);
            case "cont":
                _hmp.OnMachine(() => { _machine.Continue(); return true; });
                return (Return(), false);
            case "system_reset":
                _hmp.OnMachine(() => { _machine.SystemReset(); return true; });
                return (Return(), false);
            case "system_powerdown":
                _hmp.OnMachine(() => { _machine.AcpiPm.PressPowerButton(); return true; });
                SendEvent("POWERDOWN", null);
                return (Return(), false);
            case "quit":
                return (Return(), true);
            case "human-monitor-command":
                {
                    string? line = args?["command-line"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
                    if (line is null) return (Error("GenericError", "Parameter 'command-line' is missing"), false);
                    if (line.Trim() is "quit" or "q") return (Return(JsonValue.Create("")), true);
                    return (Return(JsonValue.Create(_hmp.ExecuteOnMachine(line))), false);
                }
            default:
                return (Error("CommandNotFound", $"The command {command} has not been found"), false);
        }
    }

    private static readonly string[] Commands =
        ["qmp_capabilities", "query-status", "query-commands", "stop", "cont", "system_reset", "system_powerdown", "quit", "human-monitor-command"];
}
