namespace Emulator.Core.Cpu.Fpu;

/// <summary>
/// Rounding environment and accumulated exception flags of one x87 operation. Flag bits are the status-word bits
/// (SDM Vol. 1 §8.1.3): IE DE ZE OE UE PE, plus <see cref="C1"/> for "rounded up".
/// </summary>
public struct FpEnv
{
    public const int IE = 1 << 0, DE = 1 << 1, ZE = 1 << 2, OE = 1 << 3, UE = 1 << 4, PE = 1 << 5;
    public const int C1 = 1 << 9;

    /// <summary>Rounding control (SDM Vol. 1 Table 4-8): 0 nearest, 1 down, 2 up, 3 toward zero.</summary>
    public int Rounding;

    /// <summary>Significand bits of results for the precision-controlled operations: 24, 53 or 64.</summary>
    public int Precision;

    /// <summary>Exception mask bits (control-word bits 0-5); OE/UE unmasked change the delivered result.</summary>
    public int Masks;

    public int Flags;

    public FpEnv(int rounding, int precision, int masks = 0x3F)
    {
        Rounding = rounding;
        Precision = precision;
        Masks = masks;
        Flags = 0;
    }

    /// <summary>Environment from an x87 control word (SDM Vol. 1 §8.1.5).</summary>
    public static FpEnv FromControl(ushort cw)
    {
        int pc = (cw >> 8) & 3;
        return new FpEnv((cw >> 10) & 3, pc == 0 ? 24 : pc == 2 ? 53 : 64, cw & 0x3F);
    }
}
