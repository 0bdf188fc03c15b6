namespace Emulator.Core.Translation;

/// <summary>What a translated block returns. RIP and the retired-instruction count are up to date in every case.</summary>
public static class BlockExit
{
    /// <summary>Left through its static exit 0 (fall-through, or the direct jump target): chainable.</summary>
    public const int Static0 = 0;

    /// <summary>Left through static exit 1 (a conditional branch taken): chainable.</summary>
    public const int Static1 = 1;

    /// <summary>Left with a RIP computed at run time, or after an instruction that may change mode or interrupt state.</summary>
    public const int Dynamic = 2;

    /// <summary>Left through an indirect near branch (RET, JMP r/m): RIP set at run time, mode unchanged.</summary>
    public const int Indirect = 4;

    /// <summary>An exception is pending on the CPU; RIP is the faulting instruction.</summary>
    public const int Exception = 3;

    /// <summary>
    /// Left through side exit n (a conditional branch taken in the middle of the block: blocks go on past a Jcc not
    /// taken) as <c>FirstSide + n</c>: chainable, each with its own link.
    /// </summary>
    public const int FirstSide = 8;

    /// <summary>True for the chainable exits: <see cref="Static0"/>, <see cref="Static1"/> and the side exits.</summary>
    public static bool IsStatic(int exit) => exit <= Static1 || exit >= FirstSide;
}
