namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>EFLAGS bits used by the harness (SDM Vol. 1 §3.4.3, Figure 3-8).</summary>
public static class EFlags
{
    public const uint CF = 1u << 0;   // carry
    public const uint Reserved1 = 1u << 1; // always 1
    public const uint PF = 1u << 2;   // parity (low byte of the result)
    public const uint AF = 1u << 4;   // auxiliary carry (bit 3)
    public const uint ZF = 1u << 6;   // zero
    public const uint SF = 1u << 7;   // sign
    public const uint DF = 1u << 10;  // direction
    public const uint OF = 1u << 11;  // overflow

    /// <summary>The six status flags.</summary>
    public const uint Status = CF | PF | AF | ZF | SF | OF;

    /// <summary>Everything the harness can compare: the status flags and DF (which none of the tested instructions change).</summary>
    public const uint Comparable = Status | DF;

    public static string Describe(uint eflags)
    {
        Span<char> s = stackalloc char[6 * 3];
        int n = 0;
        Put(ref n, s, eflags, OF, 'O');
        Put(ref n, s, eflags, SF, 'S');
        Put(ref n, s, eflags, ZF, 'Z');
        Put(ref n, s, eflags, AF, 'A');
        Put(ref n, s, eflags, PF, 'P');
        Put(ref n, s, eflags, CF, 'C');
        return new string(s[..(n - 1)]);

        static void Put(ref int n, Span<char> s, uint eflags, uint bit, char name)
        {
            s[n++] = name;
            s[n++] = (eflags & bit) != 0 ? '1' : '0';
            s[n++] = ' ';
        }
    }
}
