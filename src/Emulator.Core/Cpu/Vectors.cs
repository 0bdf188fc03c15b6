namespace Emulator.Core.Cpu;

/// <summary>Exception vectors (SDM Vol. 3A §6.3, Table 6-1).</summary>
public static class Vectors
{
    public const int DE = 0;
    public const int DB = 1;
    public const int NMI = 2;
    public const int BP = 3;
    public const int OF = 4;
    public const int BR = 5;
    public const int UD = 6;
    public const int NM = 7;
    public const int DF = 8;
    public const int TS = 10;
    public const int NP = 11;
    public const int SS = 12;
    public const int GP = 13;
    public const int PF = 14;
    public const int MF = 16;
    public const int AC = 17;
    public const int MC = 18;
    public const int XM = 19;

    /// <summary>Contributory exceptions for the double-fault rules (SDM Vol. 3A Table 6-4).</summary>
    public static bool IsContributory(int vector) => vector is DE or TS or NP or SS or GP;

    public static bool HasErrorCode(int vector) => vector is DF or TS or NP or SS or GP or PF or AC;
}
