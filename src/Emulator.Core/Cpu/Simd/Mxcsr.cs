namespace Emulator.Core.Cpu.Simd;

/// <summary>MXCSR bits (SDM Vol. 1 §10.2.3, Figure 10-3).</summary>
public static class Mxcsr
{
    public const uint IE = 1u << 0;
    public const uint DE = 1u << 1;
    public const uint ZE = 1u << 2;
    public const uint OE = 1u << 3;
    public const uint UE = 1u << 4;
    public const uint PE = 1u << 5;
    public const uint DAZ = 1u << 6;
    public const uint IM = 1u << 7;
    public const uint DM = 1u << 8;
    public const uint ZM = 1u << 9;
    public const uint OM = 1u << 10;
    public const uint UM = 1u << 11;
    public const uint PM = 1u << 12;
    public const int RcShift = 13;
    public const uint RC = 3u << RcShift;
    public const uint FZ = 1u << 15;

    /// <summary>All six exception flags.</summary>
    public const uint Flags = 0x3F;

    /// <summary>Pre-computation exceptions (SDM Vol. 1 §11.5.2): reported alone when one of them is unmasked.</summary>
    public const uint PreComputation = IE | DE | ZE;

    /// <summary>Power-on value: all exceptions masked, round to nearest.</summary>
    public const uint Default = 0x1F80;

    /// <summary>Writable bits (DAZ supported); setting any other bit with LDMXCSR/FXRSTOR is #GP(0).</summary>
    public const uint Mask = 0x0000_FFFF;

    /// <summary>Rounding control: 0 nearest, 1 down, 2 up, 3 toward zero.</summary>
    public static int Rounding(uint mxcsr) => (int)((mxcsr >> RcShift) & 3);
}
