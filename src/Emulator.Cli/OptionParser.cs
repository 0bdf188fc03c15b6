using System.Globalization;
using Emulator.Core.Cpu;
using Emulator.Machine;

namespace Emulator.Cli;

/// <summary>Parses QEMU-compatible command lines (options may be written with one or two dashes).</summary>
public static class OptionParser
{
    /// <summary>Options that take no argument.</summary>
    private static readonly HashSet<string> Flags =
    [
        "nographic", "no-reboot", "no-shutdown", "snapshot", "S", "enable-kvm", "h", "help", "version", "no-hpet",
        "no-acpi", "nodefaults", "no-user-config", "enable-serial-commands",
    ];

    /// <summary>QEMU's keymap names (pc-bios/keymaps), for -k.</summary>
    private static readonly HashSet<string> KeyboardLayouts =
    [
        "ar", "bepo", "cz", "da", "de", "de-ch", "en-gb", "en-us", "es", "et", "fi", "fo", "fr", "fr-be", "fr-ca", "fr-ch",
        "hr", "hu", "is", "it", "ja", "lt", "lv", "mk", "nl", "no", "pl", "pt", "pt-br", "ru", "sl", "sv", "th", "tr",
    ];

    /// <summary>Options that take one argument.</summary>
    private static readonly HashSet<string> WithArgument =
    [
        "hda", "hdb", "hdc", "hdd", "cdrom", "drive", "m", "cpu", "smp", "bios", "boot", "display", "serial", "monitor",
        "qmp", "debugcon", "device", "loadvm", "net", "nic", "name", "rtc", "accel", "machine", "M", "vga",
        "kernel", "initrd", "append", "k",
    ];

    public static EmuOptions Parse(IReadOnlyList<string> args)
    {
        var o = new EmuOptions();
        var usedIndices = new HashSet<int>();
        var pendingDrives = new List<DriveConfig>(); // -drive without index=: placed after the explicit ones
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.Length < 2 || arg[0] != '-')
            {
                if (arg.Length == 0) throw new EmulatorException("empty argument");
                AddDrive(o, usedIndices, new DriveConfig { Path = arg, Index = 0 }, "hda");
                continue;
            }
            string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            string? value = null;
            if (WithArgument.Contains(name))
            {
                if (i + 1 >= args.Count) throw new EmulatorException($"{arg}: requires an argument");
                value = args[++i];
            }
            else if (!Flags.Contains(name))
            {
                throw new EmulatorException($"{arg}: invalid option");
            }
            string option = "-" + name;
            switch (name)
            {
                case "h":
                case "help":
                    o.ShowHelp = true;
                    break;
                case "version":
                    o.ShowVersion = true;
                    break;
                case "hda":
                case "hdb":
                case "hdc":
                case "hdd":
                    AddDrive(o, usedIndices, new DriveConfig { Path = value, Index = name[2] - 'a' }, name);
                    break;
                case "cdrom":
                    AddDrive(o, usedIndices, new DriveConfig { Path = value, Index = 2, Media = DriveMedia.Cdrom }, name);
                    break;
                case "drive":
                    ParseDrive(o, usedIndices, pendingDrives, value!);
                    break;
                case "m":
                    o.RamSize = ParseMemory(value!);
                    break;
                case "cpu":
                    ParseCpu(o, value!);
                    break;
                case "smp":
                    ParseSmp(value!);
                    break;
                case "bios":
                    o.BiosPath = value;
                    break;
                case "kernel":
                    o.Kernel = value;
                    break;
                case "initrd":
                    o.Initrd = value;
                    break;
                case "append":
                    o.Append = value;
                    break;
                case "boot":
                    ParseBoot(o, value!);
                    break;
                case "nographic":
                    o.NoGraphic = true;
                    break;
                case "display":
                    {
                        var l = OptionList.Parse(option, value!, "type");
                        string? type = l.Get("type");
                        if (type is not ("none" or "curses")) throw new EmulatorException($"-display: display '{type}' is not available (only 'none' or 'curses')");
                        l.CheckKeys("type");
                        o.Display = type;
                        break;
                    }
                case "vga":
                    if (value is not ("none" or "std")) throw new EmulatorException($"-vga: '{value}' is not available (only 'std' or 'none')");
                    o.Vga = value;
                    break;
                case "serial":
                    CheckCharDev(option, value!, allowMonitorMux: true);
                    o.Serial = value;
                    break;
                case "monitor":
                    if (value is not ("stdio" or "none")) ParseMonitorSocket(option, value!);
                    o.Monitor = value;
                    break;
                case "qmp":
                    if (value is not "stdio") ParseMonitorSocket(option, value!);
                    o.Qmp = value;
                    break;
                case "debugcon":
                    CheckCharDev(option, value!, allowMonitorMux: false);
                    if (value!.StartsWith("tcp:", StringComparison.Ordinal)) throw new EmulatorException("-debugcon: tcp is not supported (stdio, file:PATH or null)");
                    o.DebugCon = value;
                    break;
                case "device":
                    ParseDevice(o, value!);
                    break;
                case "loadvm":
                    if (value!.Length == 0) throw new EmulatorException("-loadvm: empty snapshot name");
                    o.LoadVm = value;
                    break;
                case "net":
                case "nic":
                    if (value != "none") throw new EmulatorException($"{option}: networking is not available yet (only '{option} none')");
                    break;
                case "name":
                    o.Name = OptionList.Parse(option, value!, "guest").Get("guest");
                    break;
                case "rtc":
                    ParseRtc(o, value!);
                    break;
                case "S":
                    o.StartPaused = true;
                    break;
                case "enable-serial-commands":
                    o.SerialCommands = true;
                    break;
                case "k":
                    if (!KeyboardLayouts.Contains(value!))
                        throw new EmulatorException($"-k: unknown keyboard layout '{value}' (e.g. en-us, en-gb, de, fr)");
                    o.KeyboardLayout = value;
                    break;
                case "no-reboot":
                    o.NoReboot = true;
                    break;
                case "no-shutdown":
                    o.NoShutdown = true;
                    break;
                case "snapshot":
                    o.Snapshot = true;
                    break;
                case "enable-kvm":
                    throw new EmulatorException("KVM acceleration is not available yet");
                case "accel":
                    {
                        var l = OptionList.Parse(option, value!, "accel");
                        string accel = l.Get("accel") ?? "";
                        if (accel != "tcg") throw Unavailable(accel);
                        break;
                    }
                case "machine":
                case "M":
                    ParseMachine(option, value!);
                    break;
                case "no-hpet":
                case "no-acpi":
                case "nodefaults":
                case "no-user-config":
                    break;
            }
        }
        foreach (var d in pendingDrives)
        {
            int index = Enumerable.Range(0, 4).FirstOrDefault(n => !usedIndices.Contains(n), -1);
            if (index < 0) throw new EmulatorException("-drive: no free IDE slot (at most 4 drives)");
            AddDrive(o, usedIndices, d with { Index = index }, "drive");
        }
        if (o.NoGraphic && o.Display == "curses") throw new EmulatorException("-nographic cannot be used with -display curses");
        return o;
    }

    private static EmulatorException Unavailable(string accel) => accel == "kvm"
        ? new EmulatorException("KVM acceleration is not available yet")
        : new EmulatorException($"-accel: accelerator '{accel}' is not available (only tcg)");

    private static void AddDrive(EmuOptions o, HashSet<int> used, DriveConfig drive, string what)
    {
        if (drive.Path is { Length: 0 }) throw new EmulatorException($"-{what}: empty file name");
        if (!used.Add(drive.Index))
            throw new EmulatorException($"-{what}: IDE slot {drive.Index} ({SlotName(drive.Index)}) is already in use");
        o.Drives.Add(drive);
    }

    private static string SlotName(int index) => (index >> 1 == 0 ? "primary " : "secondary ") + ((index & 1) == 0 ? "master" : "slave");

    private static void ParseDrive(EmuOptions o, HashSet<int> used, List<DriveConfig> pending, string value)
    {
        var l = OptionList.Parse("-drive", value, null);
        l.CheckKeys("file", "format", "if", "index", "media", "snapshot", "readonly", "cache", "id", "bus", "unit");
        string? file = l.Get("file");
        string? format = l.Get("format");
        if (format is not null and not "raw" and not "s2e") throw new EmulatorException($"-drive: format '{format}' is not supported (raw or s2e)");
        string iface = l.Get("if") ?? "ide";
        if (iface != "ide") throw new EmulatorException($"-drive: interface '{iface}' is not supported (only if=ide)");
        var media = l.Get("media") switch
        {
            null or "disk" => DriveMedia.Disk,
            "cdrom" => DriveMedia.Cdrom,
            var m => throw new EmulatorException($"-drive: media '{m}' is not supported (disk or cdrom)"),
        };
        if (file is null && media == DriveMedia.Disk) throw new EmulatorException("-drive: a disk needs file=");
        int? index = null;
        if (l.Get("index") is { } idx) index = ParseIndex(idx, 3, "index");
        if (l.Get("bus") is not null || l.Get("unit") is not null)
        {
            int bus = l.Get("bus") is { } b ? ParseIndex(b, 1, "bus") : 0;
            int unit = l.Get("unit") is { } u ? ParseIndex(u, 1, "unit") : 0;
            if (index is not null && index != bus * 2 + unit) throw new EmulatorException("-drive: index= contradicts bus=/unit=");
            index = bus * 2 + unit;
        }
        var drive = new DriveConfig
        {
            Path = file,
            Format = format,
            Media = media,
            Snapshot = l.GetBool("snapshot") ?? false,
            ReadOnly = l.GetBool("readonly") ?? false,
            Index = index ?? 0,
        };
        if (index is null) pending.Add(drive);
        else AddDrive(o, used, drive, "drive");
    }

    private static int ParseIndex(string text, int max, string key)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v > max)
            throw new EmulatorException($"-drive: {key}={text} is out of range (0-{max})");
        return v;
    }

    /// <summary>-m: a size in MiB by default, or with a suffix B, K, M, G, T; also "size=…".</summary>
    public static ulong ParseMemory(string value)
    {
        var l = OptionList.Parse("-m", value, "size");
        l.CheckKeys("size", "slots", "maxmem");
        string text = l.Get("size") ?? throw new EmulatorException("-m: missing size");
        ulong bytes = ParseSize(text, 1ul << 20) ?? throw new EmulatorException($"-m: invalid RAM size '{text}'");
        bytes = (bytes + 0xFFFul) & ~0xFFFul;
        if (bytes < 2ul << 20) throw new EmulatorException($"-m: RAM size '{text}' is too small (at least 2 MiB)");
        if (bytes > MachineConfig.MaxRamSize) throw new EmulatorException($"-m: RAM size '{text}' is too large (at most {MachineConfig.MaxRamSize >> 20} MiB on this machine)");
        return bytes;
    }

    /// <summary>A number with an optional binary suffix; null when malformed or overflowing.</summary>
    public static ulong? ParseSize(string text, ulong defaultUnit)
    {
        if (text.Length == 0) return null;
        ulong unit = defaultUnit;
        char last = char.ToUpperInvariant(text[^1]);
        int shift = last switch { 'B' => 0, 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => -1 };
        string number = text;
        if (shift >= 0)
        {
            unit = 1ul << shift;
            number = text[..^1];
        }
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal n) || n < 0) return null;
        try
        {
            decimal bytes = n * unit;
            if (bytes != decimal.Floor(bytes) || bytes > ulong.MaxValue) return null;
            return (ulong)bytes;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static void ParseCpu(EmuOptions o, string value)
    {
        int comma = value.IndexOf(',');
        string model = comma < 0 ? value : value[..comma];
        if (model == "help" || model == "?")
            throw new EmulatorException("available CPU models: " + string.Join(", ", CpuModel.All.Select(m => m.Name)));
        if (CpuModel.Find(model) is null)
            throw new EmulatorException($"-cpu: unknown CPU model '{model}' (available: {string.Join(", ", CpuModel.All.Select(m => m.Name))})");
        if (comma >= 0) throw new EmulatorException($"-cpu: CPU feature flags are not supported ('{value[(comma + 1)..]}')");
        o.CpuModel = model.ToLowerInvariant();
    }

    private static void ParseSmp(string value)
    {
        var l = OptionList.Parse("-smp", value, "cpus");
        l.CheckKeys("cpus", "cores", "threads", "sockets", "maxcpus", "dies");
        foreach (var (key, v) in l.Items)
        {
            if (v != "1") throw new EmulatorException($"-smp: only one CPU is supported ({key}={v})");
        }
    }

    private static void ParseBoot(EmuOptions o, string value)
    {
        var l = OptionList.Parse("-boot", value, "order");
        l.CheckKeys("order", "once", "menu", "strict", "splash-time", "reboot-timeout", "splash");
        string? order = l.Get("once") ?? l.Get("order");
        if (order is not null)
        {
            if (order.Length == 0 || order.Any(c => c is not ('a' or 'b' or 'c' or 'd' or 'n' or 'p')) || order.Distinct().Count() != order.Length)
                throw new EmulatorException($"-boot: invalid boot device sequence '{order}' (letters a, c, d, n)");
            o.BootOrder = order;
        }
        if (l.GetBool("menu") == true) throw new EmulatorException("-boot: menu=on is not supported (no display)");
    }

    private static void CheckCharDev(string option, string value, bool allowMonitorMux)
    {
        if (value is "stdio" or "null" or "none") return;
        if (value == "mon:stdio" && allowMonitorMux) return;
        if (value.StartsWith("file:", StringComparison.Ordinal))
        {
            if (value.Length == 5) throw new EmulatorException($"{option}: file: needs a path");
            return;
        }
        if (value.StartsWith("tcp:", StringComparison.Ordinal))
        {
            ParseSerialTcp(option, value);
            return;
        }
        throw new EmulatorException($"{option}: character device '{value}' is not supported (stdio, file:PATH, tcp:HOST:PORT[,server], null{(allowMonitorMux ? ", mon:stdio" : "")})");
    }

    /// <summary>
    /// A listening monitor socket: tcp:[HOST]:PORT,server[,nowait] or unix:PATH,server[,nowait]. Returns the TCP host
    /// (null = loopback) and port, or the socket path (Port = -1).
    /// </summary>
    public static (string? Host, int Port, string? UnixPath) ParseMonitorSocket(string option, string value)
    {
        if (value.StartsWith("tcp:", StringComparison.Ordinal))
        {
            var (host, port) = ParseTcp(option, value);
            return (host, port, null);
        }
        if (value.StartsWith("unix:", StringComparison.Ordinal))
        {
            var l = OptionList.Parse(option, value["unix:".Length..], "path");
            l.CheckKeys("path", "server", "nowait", "wait");
            string path = l.Get("path") ?? "";
            if (path.Length == 0) throw new EmulatorException($"{option}: unix: needs a path");
            if (l.GetBool("server") != true) throw new EmulatorException($"{option}: only server mode is supported (add ',server')");
            return (null, -1, path);
        }
        throw new EmulatorException($"{option}: '{value}' is not supported (stdio, none, tcp:HOST:PORT,server,nowait or unix:PATH,server,nowait)");
    }

    /// <summary>tcp:[HOST]:PORT,server[,nowait|,wait=off]: the host address (null = loopback) and port.</summary>
    public static (string? Host, int Port) ParseTcp(string option, string value)
    {
        var (host, port, server) = ParseSerialTcp(option, value);
        if (!server) throw new EmulatorException($"{option}: only TCP server mode is supported (add ',server')");
        return (host, port);
    }

    /// <summary>
    /// A TCP character device as QEMU reads it: <c>tcp:[HOST]:PORT,server[,nowait]</c> listens; without <c>server</c>
    /// it is a client that connects out to HOST:PORT (HOST empty = localhost; the port must not be 0).
    /// </summary>
    public static (string? Host, int Port, bool Server) ParseSerialTcp(string option, string value)
    {
        var l = OptionList.Parse(option, value["tcp:".Length..], "address");
        l.CheckKeys("address", "server", "nowait", "wait", "telnet", "nodelay");
        string address = l.Get("address") ?? "";
        int colon = address.LastIndexOf(':');
        if (colon < 0) throw new EmulatorException($"{option}: tcp: needs HOST:PORT ('{value}')");
        string host = address[..colon];
        if (!int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new EmulatorException($"{option}: invalid TCP port in '{value}'");
        bool server = l.GetBool("server") == true;
        if (l.GetBool("telnet") == true) throw new EmulatorException($"{option}: telnet mode is not supported");
        if (!server && port == 0) throw new EmulatorException($"{option}: a TCP client needs a port other than 0 ('{value}')");
        return (host.Length == 0 ? null : host, port, server);
    }

    private static void ParseDevice(EmuOptions o, string value)
    {
        var l = OptionList.Parse("-device", value, "driver");
        string driver = l.Get("driver") ?? "";
        if (driver != "isa-debug-exit") throw new EmulatorException($"-device: device '{driver}' is not supported (only isa-debug-exit)");
        l.CheckKeys("driver", "iobase", "iosize", "id");
        ushort iobase = 0x501;
        int iosize = 2;
        if (l.Get("iobase") is { } b)
        {
            uint v = ParseNumber(b, "-device isa-debug-exit: iobase");
            if (v > 0xFFFF) throw new EmulatorException($"-device isa-debug-exit: iobase {b} is out of range");
            iobase = (ushort)v;
        }
        if (l.Get("iosize") is { } s)
        {
            uint v = ParseNumber(s, "-device isa-debug-exit: iosize");
            if (v is < 1 or > 4) throw new EmulatorException($"-device isa-debug-exit: iosize {s} is out of range (1-4)");
            iosize = (int)v;
        }
        if (iobase + iosize > 0x10000) throw new EmulatorException("-device isa-debug-exit: the ports run past 0xFFFF");
        if (o.IsaDebugExit is not null) throw new EmulatorException("-device isa-debug-exit: only one is supported");
        o.IsaDebugExit = (iobase, iosize);
    }

    private static uint ParseNumber(string text, string what)
    {
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v)
            : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok) throw new EmulatorException($"{what}: '{text}' is not a number");
        return v;
    }

    private static void ParseRtc(EmuOptions o, string value)
    {
        var l = OptionList.Parse("-rtc", value, null);
        l.CheckKeys("base", "clock", "driftfix");
        if (l.Get("clock") is { } clock && clock is not ("host" or "rt" or "vm")) throw new EmulatorException($"-rtc: invalid clock '{clock}'");
        if (l.Get("driftfix") is { } fix && fix is not ("slew" or "none")) throw new EmulatorException($"-rtc: invalid driftfix '{fix}'");
        string? b = l.Get("base");
        if (b is null or "utc") o.RtcStart = null;
        else if (b == "localtime") o.RtcStart = DateTime.SpecifyKind(DateTime.Now, DateTimeKind.Utc);
        else if (DateTime.TryParseExact(b, ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"], CultureInfo.InvariantCulture,
                     DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
            o.RtcStart = DateTime.SpecifyKind(date, DateTimeKind.Utc);
        else throw new EmulatorException($"-rtc: invalid base '{b}' (utc, localtime or a date like 2006-06-17T16:01:21)");
    }

    private static void ParseMachine(string option, string value)
    {
        var l = OptionList.Parse(option, value, "type");
        l.CheckKeys("type", "accel", "usb", "vmport", "smm");
        if (l.Get("accel") is { } accel)
        {
            foreach (var a in accel.Split(':'))
            {
                if (a == "tcg") break;
                throw Unavailable(a);
            }
        }
        string? type = l.Get("type");
        if (type is not null && type != "pc" && !type.StartsWith("pc-i440fx", StringComparison.Ordinal))
            throw new EmulatorException($"{option}: machine type '{type}' is not available (only pc)");
    }
}
