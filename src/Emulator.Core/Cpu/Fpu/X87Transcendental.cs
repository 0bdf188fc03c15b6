namespace Emulator.Core.Cpu.Fpu;

/// <summary>x87 transcendental instructions (SDM Vol. 2A F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS).</summary>
public static class X87Transcendental
{
    public static void F2xm1(FpuState f) { }
    public static void Fyl2x(FpuState f, bool plusOne) { }
    public static void Fptan(FpuState f) { }
    public static void Fpatan(FpuState f) { }
    public static void Fsin(FpuState f) { }
    public static void Fcos(FpuState f) { }
    public static void Fsincos(FpuState f) { }
}
