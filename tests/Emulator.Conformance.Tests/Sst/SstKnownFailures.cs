namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// tests/Emulator.Conformance.Tests/known-failures-sst80286.txt: one vector per line, its SHA-1 hash then the reason;
/// blank lines and lines starting with '#' are ignored.
/// </summary>
public static class SstKnownFailures
{
    public const string FileName = "known-failures-sst80286.txt";

    public static Dictionary<string, string> Parse(IEnumerable<string> lines)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int n = 0;
        foreach (string raw in lines)
        {
            n++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int space = line.IndexOfAny([' ', '\t']);
            string hash = space < 0 ? line : line[..space];
            if (hash.Length != 40 || !hash.All(Uri.IsHexDigit))
            {
                throw new FormatException($"{FileName} line {n}: '{hash}' is not a 40-digit SHA-1 hash");
            }

            if (space < 0)
            {
                throw new FormatException($"{FileName} line {n}: a reason must follow the hash");
            }

            map[hash.ToLowerInvariant()] = line[(space + 1)..].Trim();
        }

        return map;
    }

    /// <summary>The file in the source tree (beside the project file), found from the repository root.</summary>
    public static string Locate(string? start = null)
    {
        var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Emulator.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new DirectoryNotFoundException("no Emulator.sln above the test assembly");
        }

        return Path.Combine(dir.FullName, "tests", "Emulator.Conformance.Tests", FileName);
    }
}
