using System.Globalization;
using System.Text.Json;
using Emulator.Storage;

namespace Emulator.Img;

/// <summary>
/// <c>emu-img</c>: qemu-img's spelling for the images this emulator uses (raw, and raw named <c>.s2e</c>).
/// Every failure is one line <c>emu-img: message</c> on stderr and exit code 1.
/// </summary>
public static class Program
{
    private const string Usage = """
        emu-img: disk image utility for the emulator (qemu-img spelling; raw images only)
        usage: emu-img [--help | --version] COMMAND [options]

        Commands:
          create [-q] [-f raw] FILENAME SIZE   create a sparse raw image of SIZE bytes
          info [-f raw] [--output=human|json] FILENAME
                                               show format, virtual size, disk size and snapshot files
          snapshot -l FILENAME                 list the snapshot files beside the image (FILENAME.NAME)
          snapshot -d NAME FILENAME            delete snapshot NAME
          check [-f raw] FILENAME              check the image and its snapshot files

        SIZE is a number of bytes, optionally with a suffix: k or K (KiB), M (MiB), G (GiB), T (TiB),
        P (PiB), E (EiB); it is rounded up to a whole number of 512-byte sectors.
        A '.s2e' image is a raw image used in S2E mode (never written; snapshots are FILENAME.NAME).
        Exit codes: 0 success, 1 error, 2 (check) damaged snapshot files found.
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs one command with the given output writers; returns the exit code.</summary>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            if (args.Length == 0)
            {
                throw new ImgException("missing command (try 'emu-img --help')");
            }

            var rest = args[1..];
            switch (args[0])
            {
                case "--help" or "-h" or "help":
                    stdout.WriteLine(Usage);
                    return 0;
                case "--version" or "-V":
                    stdout.WriteLine("emu-img version 0.1 (raw and S2E images)");
                    return 0;
                case "create":
                    return Create(rest, stdout);
                case "info":
                    return Info(rest, stdout);
                case "snapshot":
                    return Snapshot(rest, stdout);
                case "check":
                    return Check(rest, stdout);
                default:
                    throw new ImgException($"command '{args[0]}' is not supported (try 'emu-img --help')");
            }
        }
        catch (Exception ex) when (ex is ImgException or StorageException)
        {
            stderr.WriteLine("emu-img: " + ex.Message);
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            stderr.WriteLine("emu-img: " + ex.Message);
            return 1;
        }
        catch (Exception ex)
        {
            // A bug of ours, still reported as one line: a user never sees a stack trace.
            stderr.WriteLine($"emu-img: internal error ({ex.GetType().Name}): {ex.Message}");
            return 1;
        }
    }

    private static int Create(string[] args, TextWriter stdout)
    {
        var quiet = false;
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "-q")
            {
                quiet = true;
            }
            else if (a == "-f")
            {
                CheckFormat(Value(args, ref i, a));
            }
            else if (a.StartsWith("-f", StringComparison.Ordinal) && a.Length > 2)
            {
                CheckFormat(a[2..]);
            }
            else
            {
                positional.Add(NotAnOption(a));
            }
        }

        if (positional.Count == 0)
        {
            throw new ImgException("expecting image file name");
        }

        if (positional.Count == 1)
        {
            throw new ImgException("create: the image size must be given (backing files are not supported)");
        }

        if (positional.Count > 2)
        {
            throw new ImgException($"unexpected argument '{positional[2]}'");
        }

        var file = positional[0];
        var size = SizeText.Parse(positional[1])
            ?? throw new ImgException($"invalid image size '{positional[1]}'; you may use k, M, G, T, P or E suffixes for kibibytes, mebibytes, gibibytes, tebibytes, pebibytes and exbibytes");
        if (size < 0)
        {
            throw new ImgException("image size must be less than 8 EiB");
        }

        var rounded = (size + 511) / 512 * 512;
        if (rounded < size)
        {
            throw new ImgException("image size must be less than 8 EiB");
        }

        if (!quiet)
        {
            stdout.WriteLine($"Formatting '{file}', fmt=raw size={rounded}");
        }

        RawImage.Create(file, rounded);
        return 0;
    }

    private static int Info(string[] args, TextWriter stdout)
    {
        var json = false;
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "-f")
            {
                CheckFormat(Value(args, ref i, a));
            }
            else if (a == "--output" || a.StartsWith("--output=", StringComparison.Ordinal))
            {
                var value = a == "--output" ? Value(args, ref i, a) : a["--output=".Length..];
                json = value switch
                {
                    "json" => true,
                    "human" => false,
                    _ => throw new ImgException($"--output must be human or json, not '{value}'"),
                };
            }
            else
            {
                positional.Add(NotAnOption(a));
            }
        }

        var file = OneFile(positional);
        long virtualSize;
        long allocated;
        using (var image = OpenImage(file))
        {
            virtualSize = image.Length;
            allocated = image.AllocatedBytes();
        }

        var snapshots = SnapshotFile.List(file);
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteNumber("virtual-size", virtualSize);
                w.WriteString("filename", file);
                w.WriteString("format", "raw");
                w.WriteNumber("actual-size", allocated);
                w.WriteBoolean("dirty-flag", false);
                w.WriteStartArray("snapshot-files");
                foreach (var s in snapshots)
                {
                    w.WriteStartObject();
                    w.WriteString("name", s.Name);
                    w.WriteString("filename", s.Path);
                    w.WriteNumber("file-size", s.FileSize);
                    w.WriteNumber("date-sec", s.Created.ToUnixTimeSeconds());
                    w.WriteNumber("vm-clock-nsec", s.VmClockNs);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }

        stdout.WriteLine($"image: {file}");
        stdout.WriteLine("file format: raw");
        stdout.WriteLine($"virtual size: {SizeText.Format(virtualSize)} ({virtualSize} bytes)");
        stdout.WriteLine($"disk size: {SizeText.Format(allocated)}");
        if (snapshots.Count > 0)
        {
            stdout.WriteLine("Snapshot list:");
            WriteSnapshotTable(snapshots, stdout);
        }

        return 0;
    }

    private static int Snapshot(string[] args, TextWriter stdout)
    {
        string? action = null;
        string? name = null;
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            switch (a)
            {
                case "-l":
                    SetAction(ref action, a);
                    break;
                case "-d":
                    SetAction(ref action, a);
                    name = Value(args, ref i, a);
                    break;
                case "-c" or "-a":
                    throw new ImgException($"snapshot {a}: snapshots are taken and applied by the running emulator (savevm/loadvm); emu-img can only list (-l) and delete (-d) them");
                case "-f":
                    CheckFormat(Value(args, ref i, a));
                    break;
                case "-q":
                    break;
                default:
                    positional.Add(NotAnOption(a));
                    break;
            }
        }

        var file = OneFile(positional);
        if (action is null)
        {
            throw new ImgException("snapshot: one of -l or -d NAME is required");
        }

        if (!File.Exists(file))
        {
            throw new ImgException($"could not open '{file}': no such file");
        }

        if (action == "-d")
        {
            if (!SnapshotFile.Delete(file, name!))
            {
                throw new ImgException($"could not delete snapshot '{name}': no snapshot file '{SnapshotFile.PathFor(file, name!)}'");
            }

            return 0;
        }

        var snapshots = SnapshotFile.List(file);
        if (snapshots.Count > 0)
        {
            stdout.WriteLine("Snapshot list:");
            WriteSnapshotTable(snapshots, stdout);
        }

        return 0;
    }

    private static int Check(string[] args, TextWriter stdout)
    {
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "-f")
            {
                CheckFormat(Value(args, ref i, a));
            }
            else if (a == "-q")
            {
                continue;
            }
            else
            {
                positional.Add(NotAnOption(a));
            }
        }

        var file = OneFile(positional);
        ImageFingerprint fingerprint;
        using (var image = OpenImage(file))
        {
            fingerprint = image.ComputeFingerprint();
        }

        foreach (var stale in SnapshotFile.RemoveStaleTemporaries(file))
        {
            stdout.WriteLine($"Removed '{Path.GetFileName(stale)}', the temporary file of a savevm that was interrupted.");
        }

        var errors = 0;
        foreach (var path in SnapshotFile.FindFiles(file))
        {
            var name = Path.GetFileName(path)[(Path.GetFileName(Path.GetFullPath(file)).Length + 1)..];
            try
            {
                using var reader = SnapshotReader.Open(path);
                foreach (var section in reader.Sections)
                {
                    using var stream = reader.OpenSection(section.Name);
                    stream.CopyTo(Stream.Null);
                }

                if (reader.Info.BaseImage?.Describe(fingerprint, FingerprintCheck.Strict) is { } difference)
                {
                    throw new StorageException($"the image has changed since it was taken: {difference}");
                }
            }
            catch (StorageException ex)
            {
                stdout.WriteLine($"ERROR snapshot '{name}': {ex.Message}");
                errors++;
            }
        }

        if (errors == 0)
        {
            stdout.WriteLine("No errors were found on the image.");
            return 0;
        }

        stdout.WriteLine();
        stdout.WriteLine(errors == 1 ? "1 error was found on the image." : $"{errors} errors were found on the image.");
        return 2;
    }

    private static RawImage OpenImage(string file)
    {
        var image = RawImage.Open(file, writable: false);
        var foreign = image.DetectForeignFormat();
        if (foreign is not null)
        {
            image.Dispose();
            throw new ImgException($"'{file}' is a {foreign} image; only raw images are supported");
        }

        return image;
    }

    private static void WriteSnapshotTable(IReadOnlyList<SnapshotInfo> snapshots, TextWriter stdout)
    {
        stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-20}{1,12}{2,21}{3,15}", "TAG", "FILE SIZE", "DATE", "VM CLOCK"));
        foreach (var s in snapshots)
        {
            var clock = TimeSpan.FromTicks(Math.Max(0, s.VmClockNs) / 100);
            var clockText = string.Format(CultureInfo.InvariantCulture, "{0:D4}:{1:D2}:{2:D2}.{3:D3}", (long)clock.TotalHours, clock.Minutes, clock.Seconds, clock.Milliseconds);
            var date = s.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-20}{1,12}{2,21}{3,15}", s.Name, SizeText.Format(s.FileSize), date, clockText));
        }
    }

    private static void CheckFormat(string format)
    {
        if (format is not "raw" and not "s2e")
        {
            throw new ImgException($"format '{format}' is not supported (only raw)");
        }
    }

    private static void SetAction(ref string? action, string option)
    {
        if (action is not null)
        {
            throw new ImgException("snapshot: cannot mix -l and -d");
        }

        action = option;
    }

    private static string Value(string[] args, ref int i, string option)
    {
        if (i + 1 >= args.Length)
        {
            throw new ImgException($"option '{option}' needs an argument");
        }

        return args[++i];
    }

    private static string NotAnOption(string arg)
    {
        if (arg.Length > 1 && arg[0] == '-' && !char.IsAsciiDigit(arg[1]))
        {
            throw new ImgException($"unknown option '{arg}' (try 'emu-img --help')");
        }

        return arg;
    }

    private static string OneFile(List<string> positional)
    {
        if (positional.Count == 0)
        {
            throw new ImgException("expecting image file name");
        }

        if (positional.Count > 1)
        {
            throw new ImgException($"unexpected argument '{positional[1]}'");
        }

        return positional[0];
    }
}
