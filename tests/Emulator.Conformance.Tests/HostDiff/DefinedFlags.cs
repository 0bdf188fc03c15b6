using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// What the SDM defines after one instruction (Vol. 2 "Flags Affected" of each instruction; flags an instruction does not affect are
/// defined too: they must keep their value). Static facts agree with Iced's <c>Instruction.RflagsUndefined</c>; the count- and
/// value-dependent rules below refine it (see <c>HarnessSelfTests.Defined_flags_agree_with_iced</c>).
/// </summary>
public static class DefinedFlags
{
    /// <summary>The result of one instruction that the SDM defines.</summary>
    /// <param name="FlagMask">EFLAGS bits to compare (subset of <see cref="EFlags.Comparable"/>).</param>
    /// <param name="UndefinedRegister">A destination whose value is undefined (BSF/BSR with a zero source, SHLD/SHRD count &gt; size), else None.</param>
    public readonly record struct Definition(uint FlagMask, Register UndefinedRegister);

    /// <summary>The flags and registers the SDM defines after <paramref name="instr"/> (32-bit form) runs on <paramref name="input"/>.</summary>
    public static Definition For(in Instruction instr, in DiffRegisters input)
    {
        const uint all = EFlags.Comparable;
        switch (instr.Mnemonic)
        {
            case Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Test:
                return new(all & ~EFlags.AF, Register.None);                          // OF, CF cleared; SF ZF PF by result; AF undefined
            case Mnemonic.Mul or Mnemonic.Imul:
                return new(all & ~(EFlags.SF | EFlags.ZF | EFlags.AF | EFlags.PF), Register.None); // only CF and OF defined
            case Mnemonic.Div or Mnemonic.Idiv:
                // All six undefined; a #DE is a fault, so then nothing at all may change (SDM Vol. 3A §6.5).
                return new(DivideCheck.WouldFault(instr, input) ? all : EFlags.DF, Register.None);
            case Mnemonic.Bsf or Mnemonic.Bsr:
            {
                // ZF defined, CF OF SF AF PF undefined; the destination is undefined when the source is 0.
                uint source = GuestRegisters.Get(input, instr.Op1Register);
                return new(EFlags.ZF | EFlags.DF, source == 0 ? instr.Op0Register : Register.None);
            }
            case Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc:
                return new(all & ~(EFlags.OF | EFlags.SF | EFlags.AF | EFlags.PF), Register.None); // CF = the bit; ZF unaffected
            case Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar:
            {
                uint count = Count(instr, input) & 0x1F;
                if (count == 0) return new(all, Register.None);                        // "If the count is 0, the flags are not affected."
                uint mask = all & ~EFlags.AF;                                           // "For a non-zero count, the AF flag is undefined."
                if (count != 1) mask &= ~EFlags.OF;                                     // OF only for 1-bit shifts
                if (instr.Mnemonic != Mnemonic.Sar && count >= OperandBits(instr)) mask &= ~EFlags.CF; // CF undefined for SHL/SHR when count >= size
                return new(mask, Register.None);
            }
            case Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr:
            {
                uint count = Count(instr, input) & 0x1F;
                if (count == 0) return new(all, Register.None);                         // masked count 0: flags not affected
                return new(count == 1 ? all : all & ~EFlags.OF, Register.None);         // CF defined; OF only for 1-bit rotates; SF ZF AF PF unaffected
            }
            case Mnemonic.Shld or Mnemonic.Shrd:
            {
                uint count = Count(instr, input) & 0x1F;
                if (count == 0) return new(all, Register.None);
                if (count > OperandBits(instr)) return new(EFlags.DF, instr.Op0Register); // "Bad parameters": DEST and all flags undefined
                uint mask = all & ~EFlags.AF;
                if (count != 1) mask &= ~EFlags.OF;
                return new(mask, Register.None);
            }
            default:
                // ADD ADC SUB SBB CMP NEG XADD CMPXCHG: all six by result. INC/DEC: CF unaffected. SAHF: OF unaffected. CMC/CLC/STC: only CF.
                // NOT, CMOVcc, SETcc, BSWAP, MOVZX/MOVSX, LEA, XCHG, CBW/CWDE/CWD/CDQ, LAHF: no flag affected.
                return new(all, Register.None);
        }
    }

    /// <summary>True for the instructions whose defined flags depend on a shift count.</summary>
    public static bool IsCountDependent(Mnemonic m) =>
        m is Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr or Mnemonic.Shld or Mnemonic.Shrd;

    /// <summary>The unmasked count operand: 1 for the "by 1" forms, CL, or the immediate.</summary>
    public static uint Count(in Instruction instr, in DiffRegisters input)
    {
        int countOp = instr.OpCount - 1;
        return instr.GetOpKind(countOp) == OpKind.Register
            ? GuestRegisters.Get(input, instr.GetOpRegister(countOp))
            : (uint)instr.GetImmediate(countOp);
    }

    public static int OperandBits(in Instruction instr) => GuestRegisters.Width(instr.Op0Register);

    /// <summary>Iced's RFLAGS bits as EFLAGS bits.</summary>
    public static uint ToEflags(RflagsBits bits)
    {
        uint r = 0;
        if ((bits & RflagsBits.OF) != 0) r |= EFlags.OF;
        if ((bits & RflagsBits.SF) != 0) r |= EFlags.SF;
        if ((bits & RflagsBits.ZF) != 0) r |= EFlags.ZF;
        if ((bits & RflagsBits.AF) != 0) r |= EFlags.AF;
        if ((bits & RflagsBits.CF) != 0) r |= EFlags.CF;
        if ((bits & RflagsBits.PF) != 0) r |= EFlags.PF;
        if ((bits & RflagsBits.DF) != 0) r |= EFlags.DF;
        return r;
    }
}
