using Emulator.Machine;

namespace Emulator.Cli;

/// <summary>
/// QEMU's "key=value,key=value" option syntax. A leading word without '=' is the value of the implied key (e.g.
/// <c>-boot cd</c> = <c>-boot order=cd</c>). A doubled comma ",," is a literal comma inside a value.
/// </summary>
public sealed class OptionList
{
    private readonly List<(string Key, string Value)> _items = new();

    private OptionList(string option)
    {
        Option = option;
    }

    public string Option { get; }

    public IReadOnlyList<(string Key, string Value)> Items => _items;

    public static OptionList Parse(string option, string text, string? impliedKey)
    {
        var list = new OptionList(option);
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == ',')
            {
                if (i + 1 < text.Length && text[i + 1] == ',')
                {
                    current.Append(',');
                    i++;
                    continue;
                }
                parts.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(text[i]);
        }
        parts.Add(current.ToString());
        for (int i = 0; i < parts.Count; i++)
        {
            string p = parts[i];
            int eq = p.IndexOf('=');
            if (eq < 0)
            {
                if (i == 0 && impliedKey is not null && p.Length > 0)
                {
                    list._items.Add((impliedKey, p));
                    continue;
                }
                if (p.Length == 0) throw new EmulatorException($"{option}: empty parameter in '{text}'");
                list._items.Add((p, "on")); // a bare flag, e.g. "server" or "nowait"
                continue;
            }
            string key = p[..eq];
            if (key.Length == 0) throw new EmulatorException($"{option}: missing parameter name in '{text}'");
            list._items.Add((key, p[(eq + 1)..]));
        }
        return list;
    }

    /// <summary>Throws for any key not in <paramref name="known"/>.</summary>
    public void CheckKeys(params string[] known)
    {
        foreach (var (k, _) in _items)
        {
            if (!known.Contains(k)) throw new EmulatorException($"{Option}: invalid parameter '{k}'");
        }
        var dup = _items.GroupBy(i => i.Key).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new EmulatorException($"{Option}: parameter '{dup.Key}' given twice");
    }

    public string? Get(string key) => _items.LastOrDefault(i => i.Key == key).Value;

    /// <summary>on/off (also yes/no, true/false); null when absent.</summary>
    public bool? GetBool(string key)
    {
        string? v = Get(key);
        return v switch
        {
            null => null,
            "on" or "yes" or "true" => true,
            "off" or "no" or "false" => false,
            _ => throw new EmulatorException($"{Option}: parameter '{key}' expects 'on' or 'off', not '{v}'"),
        };
    }
}
