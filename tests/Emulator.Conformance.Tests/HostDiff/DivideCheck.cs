using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// Decides, before anything runs, whether DIV/IDIV raises #DE (SDM Vol. 2A "DIV"/"IDIV", Operation: divisor 0, or the quotient does not fit
/// the destination: unsigned &gt; 2^n-1, signed outside [-2^(n-1), 2^(n-1)-1]). The host must never execute a faulting divide (SIGFPE in a
/// foreign frame would kill the test process), so the generator and the native runner both consult this.
/// </summary>
public static class DivideCheck
{
    public static bool IsDivide(Mnemonic m) => m is Mnemonic.Div or Mnemonic.Idiv;

    /// <summary>True when the DIV/IDIV <paramref name="instr"/> (register operand) would raise #DE with <paramref name="regs"/>.</summary>
    public static bool WouldFault(in Instruction instr, in DiffRegisters regs)
    {
        if (!IsDivide(instr.Mnemonic)) return false;
        if (instr.Op0Kind != OpKind.Register) throw new ArgumentException("only register-operand divides are supported", nameof(instr));
        Register src = instr.Op0Register;
        int width = GuestRegisters.Width(src);
        uint divisor = GuestRegisters.Get(regs, src);
        if (divisor == 0) return true;
        bool signed = instr.Mnemonic == Mnemonic.Idiv;
        switch (width)
        {
            case 8:
            {
                uint ax = regs.Eax & 0xFFFF;
                if (!signed) return ax / divisor > 0xFF;
                long q = (long)(short)ax / (sbyte)divisor;
                return q > sbyte.MaxValue || q < sbyte.MinValue;
            }
            case 16:
            {
                uint dxax = ((regs.Edx & 0xFFFF) << 16) | (regs.Eax & 0xFFFF);
                if (!signed) return dxax / divisor > 0xFFFF;
                long q = (long)(int)dxax / (short)divisor;
                return q > short.MaxValue || q < short.MinValue;
            }
            default:
            {
                ulong edxeax = ((ulong)regs.Edx << 32) | regs.Eax;
                if (!signed) return edxeax / divisor > uint.MaxValue;
                Int128 q = (Int128)(long)edxeax / (int)divisor; // Int128: long.MinValue / -1 must not throw here
                return q > int.MaxValue || q < int.MinValue;
            }
        }
    }
}
