namespace Emulator.Core.Cpu;

/// <summary>
/// The last flag-setting operation, for lazy EFLAGS. Value = kind × 3 + size index (8, 16, 32 bits) + 1.
/// ADC/SBB record a carry-in of 1 (with a carry-in of 0 they are ADD/SUB); INC/DEC keep CF in EFLAGS.
/// </summary>
public enum LazyFlagOp
{
    None = 0,
    Add8 = 1, Add16, Add32,
    Adc8, Adc16, Adc32,
    Sub8, Sub16, Sub32,
    Sbb8, Sbb16, Sbb32,
    Logic8, Logic16, Logic32,
    Inc8, Inc16, Inc32,
    Dec8, Dec16, Dec32,
    /// <summary>ZF/SF/PF of LazyR; CF, OF and AF as given in LazyB (MUL, IMUL, SHL/SHR/SAR).</summary>
    Result8, Result16, Result32,
}
