using System.Text.Json;

namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// The SingleStepTests 80286 data folder: the opcode files, metadata.json (undefined-flag masks) and revocation_list.txt.
/// Found relative to the repository: walk up from the test assembly to the folder holding Emulator.sln, then
/// ../shared/testdata/sst80286 (CI clones the repository with shared/ beside it).
/// </summary>
public sealed class SstTestData
{
    private readonly Dictionary<string, ushort> flagMasks;

    private SstTestData(string directory, Dictionary<string, ushort> flagMasks, HashSet<string> revoked)
    {
        Directory = directory;
        this.flagMasks = flagMasks;
        Revoked = revoked;
    }

    public string Directory { get; }

    /// <summary>Lower-case SHA-1 hex strings of tests known to be wrong.</summary>
    public IReadOnlySet<string> Revoked { get; }

    public static string LocateDirectory(string? start = null)
    {
        var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Emulator.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new DirectoryNotFoundException($"no Emulator.sln above {start ?? AppContext.BaseDirectory}");
        }

        string data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "testdata", "sst80286"));
        if (!System.IO.Directory.Exists(data))
        {
            throw new DirectoryNotFoundException($"SingleStepTests 80286 data not found at {data} (expected shared/ beside the repository)");
        }

        return data;
    }

    public static SstTestData Open(string? directory = null)
    {
        directory ??= LocateDirectory();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "metadata.json")));
        var masks = new Dictionary<string, ushort>(StringComparer.OrdinalIgnoreCase);
        foreach (var op in json.RootElement.GetProperty("opcodes").EnumerateObject())
        {
            if (TryMask(op.Value, out ushort m))
            {
                masks[op.Name] = m;
            }

            if (op.Value.TryGetProperty("reg", out var regs))
            {
                foreach (var reg in regs.EnumerateObject())
                {
                    if (TryMask(reg.Value, out ushort rm))
                    {
                        masks[op.Name + "." + reg.Name] = rm;
                    }
                }
            }
        }

        var revoked = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in File.ReadLines(Path.Combine(directory, "revocation_list.txt")))
        {
            string t = line.Trim();
            if (t.Length > 0 && !t.StartsWith('#'))
            {
                revoked.Add(t.ToLowerInvariant());
            }
        }

        return new SstTestData(directory, masks, revoked);
    }

    /// <summary>Opcode files, e.g. "00.MOO.gz", "F6.7.MOO.gz", sorted by name.</summary>
    public IReadOnlyList<string> Files() =>
        System.IO.Directory.GetFiles(Directory, "*.MOO.gz").OrderBy(f => f, StringComparer.Ordinal).ToList();

    /// <summary>"F6.7.MOO.gz" → "F6.7" (also the metadata key, opcode and /reg joined by a dot).</summary>
    public static string OpcodeOf(string file) => Path.GetFileName(file).Split(".MOO", 2)[0];

    /// <summary>AND-mask of the flags the 286 leaves defined for this opcode ("flags-mask"); 0xFFFF when none are undefined.</summary>
    public ushort DefinedFlagsMask(string opcode) => flagMasks.TryGetValue(opcode, out ushort m) ? m : (ushort)0xFFFF;

    private static bool TryMask(JsonElement e, out ushort mask)
    {
        mask = 0xFFFF;
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("flags-mask", out var m))
        {
            mask = checked((ushort)m.GetInt32());
            return true;
        }

        return false;
    }
}
