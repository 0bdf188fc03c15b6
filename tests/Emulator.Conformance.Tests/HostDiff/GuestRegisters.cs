using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>Reads and writes the legacy 8/16/32-bit register names (AL…BH, AX…DI, EAX…EDI) in a <see cref="DiffRegisters"/> block.</summary>
public static class GuestRegisters
{
    /// <summary>Register number 0..7 of a legacy GPR (for AH..BH: the number of the 32-bit register that holds it).</summary>
    public static int Number(Register r)
    {
        if (r >= Register.EAX && r <= Register.EDI) return r - Register.EAX;
        if (r >= Register.AX && r <= Register.DI) return r - Register.AX;
        if (r >= Register.AL && r <= Register.BL) return r - Register.AL;
        if (r >= Register.AH && r <= Register.BH) return r - Register.AH;
        throw new ArgumentOutOfRangeException(nameof(r), r, "not a legacy 8/16/32-bit GPR");
    }

    public static bool IsLegacyGpr(Register r) =>
        (r >= Register.EAX && r <= Register.EDI) || (r >= Register.AX && r <= Register.DI) ||
        (r >= Register.AL && r <= Register.BL) || (r >= Register.AH && r <= Register.BH);

    public static bool IsStackPointer(Register r) => r is Register.ESP or Register.SP or Register.RSP or Register.SPL;

    public static int Width(Register r) =>
        r >= Register.EAX && r <= Register.EDI ? 32 : r >= Register.AX && r <= Register.DI ? 16 : 8;

    public static uint Get(in DiffRegisters regs, Register r)
    {
        if (r >= Register.AH && r <= Register.BH) return (regs[r - Register.AH] >> 8) & 0xFF;
        uint v = regs[Number(r)];
        return Width(r) switch { 32 => v, 16 => v & 0xFFFF, _ => v & 0xFF };
    }

    public static void Set(ref DiffRegisters regs, Register r, uint value)
    {
        if (r >= Register.AH && r <= Register.BH)
        {
            int n = r - Register.AH;
            regs[n] = (regs[n] & 0xFFFF00FF) | ((value & 0xFF) << 8);
            return;
        }
        int i = Number(r);
        regs[i] = Width(r) switch
        {
            32 => value,
            16 => (regs[i] & 0xFFFF0000) | (value & 0xFFFF),
            _ => (regs[i] & 0xFFFFFF00) | (value & 0xFF),
        };
    }
}
