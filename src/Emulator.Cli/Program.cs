using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Emulator.Devices;
using Emulator.Machine;

namespace Emulator.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, Console.In, Console.Out, Console.Error);

    /// <summary>The whole of <c>emu</c>: parses, builds the machine, runs it; returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var disposables = new List<IDisposable>();
        try
        {
            var options = OptionParser.Parse(args);
            if (options.ShowHelp)
            {
                stdout.Write(Usage);
                return 0;
            }
            if (options.ShowVersion)
            {
                stdout.WriteLine("emu version 0.1 (QEMU-compatible options), Copyright the Emulator authors");
                return 0;
            }
            return RunMachine(options, stdin, stdout, stderr, disposables);
        }
        catch (EmulatorException e)
        {
            stderr.WriteLine("emu: " + OneLine(e.Message));
            return 1;
        }
        finally
        {
            foreach (var d in disposables) d.Dispose();
            stdout.Flush();
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    private static int RunMachine(EmuOptions options, TextReader stdin, TextWriter stdout, TextWriter stderr, List<IDisposable> disposables)
    {
        var config = options.ToMachineConfig();
        if (config.BiosPath is null)
        {
            string candidate = Path.Combine(AppContext.BaseDirectory, "bios-256k.bin");
            if (File.Exists(candidate)) config.BiosPath = candidate;
        }
        if (options.Vga == "std" && config.BiosPath is not null)
        {
            // Like QEMU's pc machine: a standard VGA, with SeaVGABIOS from the BIOS's folder (firmware/fetch-seabios.sh puts both there).
            string vgaBios = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(config.BiosPath)) ?? ".", "vgabios-stdvga.bin");
            if (File.Exists(vgaBios)) config.VgaBiosPath = vgaBios;
        }
        // A person at a terminal: keep an idle guest from spinning a host core (virtual time stays deterministic).
        config.PaceToHostTime = !Console.IsInputRedirected;
        string serial = options.Serial ?? (options.NoGraphic ? "mon:stdio" : "null");
        bool monitorOnStdio = options.Monitor == "stdio";
        bool qmpOnStdio = options.Qmp == "stdio";
        if (monitorOnStdio && qmpOnStdio) throw new EmulatorException("-monitor stdio and -qmp stdio cannot share stdio");
        if (qmpOnStdio && options.Serial is "stdio" or "mon:stdio") throw new EmulatorException("-serial stdio and -qmp stdio cannot share stdio");
        monitorOnStdio |= qmpOnStdio;
        bool serialOnStdio = serial is "stdio" or "mon:stdio";
        bool debugconOnStdio = options.DebugCon == "stdio";
        if (monitorOnStdio && serialOnStdio && options.Serial is not null)
            throw new EmulatorException("-serial stdio and -monitor stdio cannot share stdio");
        if (monitorOnStdio && serialOnStdio) serial = "null"; // -nographic's default serial yields stdio to the monitor
        bool curses = options.Display == "curses";
        if (curses)
        {
            // The terminal belongs to the display: no other stdio user (QEMU refuses such clashes too).
            string? clash = options.Monitor == "stdio" ? "-monitor stdio" : qmpOnStdio ? "-qmp stdio"
                : serialOnStdio ? "-serial " + serial : debugconOnStdio ? "-debugcon stdio" : null;
            if (clash is not null) throw new EmulatorException($"-display curses and {clash} cannot share stdio");
            if (!CursesDisplay.CanDraw)
                throw new EmulatorException($"-display curses: stdout is not a terminal (set {CursesDisplay.ForceVariable}=1 to draw anyway)");
        }
        config.Serial = CreateSerial(serial, stdout, disposables);
        PcMachine? commandTarget = null; // set once the machine exists; serial commands only arrive while it runs
        if (options.SerialCommands)
        {
            config.Serial = new SerialCommandFilter(
                config.Serial,
                save: name => commandTarget?.Post(() => SaveAndExit(commandTarget, name, stderr)),
                kill: status => commandTarget?.Post(() => commandTarget.Quit(status)));
        }

        if (options.DebugCon is { } debugcon && debugcon is not ("null" or "none"))
        {
            Stream stream = debugcon == "stdio" ? Console.OpenStandardOutput() : OpenFile(debugcon["file:".Length..], "-debugcon");
            var buffered = new BufferedStream(stream, 4096);
            disposables.Add(buffered);
            config.DebugConsole = b =>
            {
                try
                {
                    buffered.WriteByte(b);
                    if (debugconOnStdio && b == (byte)'\n') buffered.Flush();
                }
                catch (IOException)
                {
                }
            };
        }

        using var machine = new PcMachine(config);
        commandTarget = machine;
        // A savevm killed mid-write (by SIGKILL, a crash, a power cut) leaves a hidden temporary beside the image: swept
        // here, only when no live writer holds its lock (Storage's SnapshotFile.RemoveStaleTemporaries).
        if (machine.SnapshotImagePath is { } snapshotImage) Emulator.Storage.SnapshotFile.RemoveStaleTemporaries(snapshotImage);
        if (options.LoadVm is { } tag) machine.LoadVm(tag);
        machine.Paused = options.StartPaused;
        var hmp = new HmpMonitor(machine);
        QmpMonitor? qmp = null;
        if (options.Qmp is { } qmpSpec)
        {
            qmp = new QmpMonitor(machine, hmp);
            if (qmpOnStdio) qmp.Start(stdin, stdout);
            else disposables.Add(MonitorSocketServer.Listen("-qmp", qmpSpec, qmp.Serve));
            machine.MonitorAttached = true;
        }
        if (options.Monitor == "stdio") hmp.Start(stdin, stdout);
        else if (options.Monitor is { } monitorSpec && monitorSpec != "none")
        {
            disposables.Add(MonitorSocketServer.Listen("-monitor", monitorSpec, stream =>
            {
                using var reader = new StreamReader(stream, leaveOpen: true);
                using var writer = new StreamWriter(stream, leaveOpen: true) { NewLine = "\r\n" };
                hmp.Serve(reader, writer);
            }));
            machine.MonitorAttached = true;
        }

        // Ctrl-C / SIGINT: stop at the next slice and flush the output files, like QEMU's clean exit on a signal.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            machine.Post(machine.Quit);
        };
        Console.CancelKeyPress += onCancel;
        CursesDisplay? display = null;
        PosixSignalRegistration? onTerm = null;
        PosixSignalRegistration? onQuit = null;
        EventHandler? onExit = null;
        UnhandledExceptionEventHandler? onCrash = null;
        if (curses)
        {
            display = new CursesDisplay(machine, stdout, ReferenceEquals(stdin, Console.In) ? Console.OpenStandardInput() : null,
                sizeFromConsole: !Console.IsOutputRedirected);
            // The terminal is restored however emu ends: a normal stop (finally), SIGTERM (a clean quit), process exit, a crash.
            onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                machine.Post(machine.Quit);
            });
            onQuit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, ctx => // Ctrl-\ (ISIG stays on): a clean stop too
            {
                ctx.Cancel = true;
                machine.Post(machine.Quit);
            });
            onExit = (_, _) => display.RestoreTerminal();
            onCrash = (_, _) => display.RestoreTerminal();
            AppDomain.CurrentDomain.ProcessExit += onExit;
            AppDomain.CurrentDomain.UnhandledException += onCrash;
            machine.MonitorAttached = true; // keys may arrive at any time: an idle guest waits for them
            display.Start();
        }
        MachineExit exit;
        try
        {
            exit = machine.RunUntilStop();
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            if (display is not null)
            {
                display.RestoreTerminal();
                onTerm!.Dispose();
                onQuit!.Dispose();
                AppDomain.CurrentDomain.ProcessExit -= onExit;
                AppDomain.CurrentDomain.UnhandledException -= onCrash;
            }
            hmp.MachineStopped();
        }
        qmp?.MachineEnded(exit);
        switch (exit.Reason)
        {
            case MachineStopReason.HaltedForever:
                stderr.WriteLine("emu: the guest halted with interrupts disabled");
                break;
            case MachineStopReason.Idle:
                stderr.WriteLine("emu: the guest is idle with nothing left that could wake it");
                break;
        }
        return exit.ExitCode;
    }

    /// <summary>The serial command <c>?!?MAGIC?!?s NAME </c>: savevm NAME, then exit (status 1 and one line when saving fails).</summary>
    private static void SaveAndExit(PcMachine machine, string name, TextWriter stderr)
    {
        try
        {
            machine.SaveVm(name);
            machine.Quit(0);
        }
        catch (EmulatorException e)
        {
            stderr.WriteLine("emu: serial command savevm: " + OneLine(e.Message));
            machine.Quit(1);
        }
    }

    private static FileStream OpenFile(string path, string option)
    {
        if (path.Length == 0) throw new EmulatorException($"{option}: file: needs a path");
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new EmulatorException($"{option}: could not open '{path}': {e.Message}", e);
        }
    }

    /// <summary>-serial tcp:HOST:PORT (no <c>server</c>): connects out at start-up, as QEMU does; a refused connection is an error.</summary>
    private static ISerialBackend ConnectSerial(string host, int port)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            if (!client.ConnectAsync(host, port).Wait(TimeSpan.FromSeconds(10)))
                throw new EmulatorException($"-serial: timed out connecting to {host}:{port}");
            var stream = client.GetStream();
            return new SerialStreamBackend(stream, stream, ownsStreams: true, flushEachByte: false);
        }
        catch (AggregateException e) when (e.InnerException is SocketException se)
        {
            client.Dispose();
            throw new EmulatorException($"-serial: could not connect to {host}:{port}: {se.Message}", se);
        }
        catch (EmulatorException)
        {
            client.Dispose();
            throw;
        }
    }

    private static ISerialBackend CreateSerial(string spec, TextWriter stdout, List<IDisposable> disposables)
    {
        switch (spec)
        {
            case "null":
            case "none":
                return new SerialNullBackend();
            case "stdio":
            case "mon:stdio":
                return new SerialStdioBackend(withInput: true);
        }
        if (spec.StartsWith("file:", StringComparison.Ordinal))
        {
            string path = spec["file:".Length..];
            try
            {
                return new SerialFileBackend(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new EmulatorException($"-serial: could not open '{path}': {e.Message}", e);
            }
        }
        var (host, port, server) = OptionParser.ParseSerialTcp("-serial", spec);
        if (!server) return ConnectSerial(host ?? "localhost", port);
        IPAddress? address = null;
        if (host is not null && !IPAddress.TryParse(host, out address))
        {
            try
            {
                address = Dns.GetHostAddresses(host).FirstOrDefault()
                    ?? throw new EmulatorException($"-serial: host '{host}' has no address");
            }
            catch (SocketException e)
            {
                throw new EmulatorException($"-serial: unknown host '{host}': {e.Message}", e);
            }
        }
        try
        {
            return new SerialTcpServerBackend(port, address);
        }
        catch (SocketException e)
        {
            throw new EmulatorException($"-serial: could not listen on {host ?? "127.0.0.1"}:{port}: {e.Message}", e);
        }
    }

    private const string Usage =
        "usage: emu [options] [disk_image]\n" +
        "QEMU-compatible PC emulator (i440FX, one IA-32 CPU)\n\n" +
        "  -hda/-hdb/-hdc/-hdd FILE  IDE disk image        -cdrom FILE  IDE CD-ROM image (secondary master)\n" +
        "  -drive file=F[,format=raw|s2e][,if=ide][,index=N][,media=disk|cdrom][,snapshot=on][,readonly=on]\n" +
        "  -m SIZE                   RAM (MiB, or with K/M/G suffix; default 128M)\n" +
        "  -cpu qemu32|core2duo|pentium     -smp 1     -bios FILE (SeaBIOS bios-256k.bin)\n" +
        "  -boot [order=]DRIVES      boot order (c disk, d CD-ROM, a floppy, n network)\n" +
        "  -nographic | -display none|curses   (curses: the VGA text screen on this terminal, keys to the guest's keyboard;\n" +
        "                            not with -monitor/-qmp/-serial stdio; quit by the guest, a tcp/unix monitor or Ctrl-C)\n" +
        "  -serial stdio|file:PATH|tcp:[HOST]:PORT[,server]|null|mon:stdio (tcp without server connects out)\n" +
        "  -monitor stdio|none|tcp:HOST:PORT,server,nowait|unix:PATH,server,nowait   -debugcon file:PATH|stdio\n" +
        "  -qmp stdio|tcp:HOST:PORT,server,nowait|unix:PATH,server,nowait\n" +
        "  -device isa-debug-exit[,iobase=0xf4][,iosize=0x04]   (exit code (value << 1) | 1)\n" +
        "  -no-reboot  -no-shutdown  -snapshot  -loadvm NAME  -S  -k LAYOUT\n" +
        "  -enable-serial-commands   guest writes '?!?MAGIC?!?s NAME ' on COM1: savevm NAME and exit; '?!?MAGIC?!?k N ': exit N\n" +
        "  -rtc base=utc|localtime|YYYY-MM-DDTHH:MM:SS   -name NAME   -net none   -nic none\n";
}
