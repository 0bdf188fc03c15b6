using System.Reflection;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// The one opcode → semantics table: every Iced <see cref="Mnemonic"/> maps to the <see cref="Helpers"/> method of
/// the same name (or a family method: Jcc, Setcc, Cmovcc, FloatingPoint). Unmapped mnemonics raise #UD.
/// </summary>
public static class HelperTable
{
    private static readonly MethodInfo?[] ByMnemonic = Build();

    private static MethodInfo?[] Build()
    {
        var table = new MethodInfo?[Enum.GetValues<Mnemonic>().Length + 1];
        var methods = typeof(Helpers).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(int) && m.GetParameters().Length == 2 && m.GetParameters()[1].ParameterType.IsByRef)
            .ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var mn in Enum.GetValues<Mnemonic>())
        {
            if (methods.TryGetValue(mn.ToString(), out var m)) table[(int)mn] = m;
        }
        return table;
    }

    public static MethodInfo Lookup(in Instruction i, bool operandSize16)
    {
        if (i.IsJccShortOrNear) return Method(nameof(Helpers.Jcc));
        string name = i.Mnemonic.ToString();
        if (name.StartsWith("Cmov", StringComparison.Ordinal)) return Method(nameof(Helpers.Cmovcc));
        if (name.StartsWith("Set", StringComparison.Ordinal) && i.ConditionCode != ConditionCode.None) return Method(nameof(Helpers.Setcc));
        switch (i.Mnemonic)
        {
            case Mnemonic.Lgdt when operandSize16: return Method(nameof(Helpers.Lgdt16));
            case Mnemonic.Lidt when operandSize16: return Method(nameof(Helpers.Lidt16));
        }
        var found = ByMnemonic[(int)i.Mnemonic];
        if (found is not null) return found;
        if (IsFloatingPoint(i)) return Method(nameof(Helpers.FloatingPoint));
        return Method(nameof(Helpers.Invalid));
    }

    public static bool IsImplemented(Mnemonic m) => ByMnemonic[(int)m] is not null;

    private static bool IsFloatingPoint(in Instruction i)
    {
        var enc = i.Encoding;
        if (enc != EncodingKind.Legacy) return true;
        string name = i.Mnemonic.ToString();
        if (name.Length > 1 && name[0] == 'F') return true;
        for (int k = 0; k < i.OpCount; k++)
        {
            if (i.GetOpKind(k) == OpKind.Register)
            {
                var r = i.GetOpRegister(k);
                if (r.IsXMM() || r.IsMM() || r.IsST()) return true;
            }
        }
        return false;
    }

    private static MethodInfo Method(string name) => typeof(Helpers).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
}
