namespace Emulator.Storage;

/// <summary>
/// Compares two machine-configuration strings. When both are whitespace-separated words, words of the form
/// <c>key=value</c> are compared by key and only the differing ones are named ("ram=256M" vs "ram=128M");
/// otherwise the whole strings are quoted.
/// </summary>
internal static class ConfigDifference
{
    public static (string Then, string Now)? Describe(string then, string now)
    {
        if (string.Equals(then, now, StringComparison.Ordinal))
        {
            return null;
        }

        var a = Parse(then);
        var b = Parse(now);
        if (a is null || b is null)
        {
            return ($"configuration '{then}'", $"'{now}'");
        }

        var thenParts = new List<string>();
        var nowParts = new List<string>();
        foreach (var key in a.Keys.Concat(b.Keys).Distinct(StringComparer.Ordinal))
        {
            var x = a.GetValueOrDefault(key);
            var y = b.GetValueOrDefault(key);
            if (!string.Equals(x, y, StringComparison.Ordinal))
            {
                thenParts.Add(Show(key, x));
                nowParts.Add(Show(key, y));
            }
        }

        if (thenParts.Count == 0)
        {
            // Same settings in another order or spacing: nothing a user would call a difference.
            return null;
        }

        return (string.Join(' ', thenParts), string.Join(' ', nowParts));
    }

    private static string Show(string key, string? value) => value is null ? $"no {key}" : value.Length == 0 ? key : $"{key}={value}";

    /// <summary>key → value (a word without '=' is its own key with an empty value); null if a key repeats.</summary>
    private static Dictionary<string, string>? Parse(string config)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in config.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = word.IndexOf('=');
            var (key, value) = eq < 0 ? (word, string.Empty) : (word[..eq], word[(eq + 1)..]);
            if (!result.TryAdd(key, value))
            {
                return null;
            }
        }

        return result;
    }
}
