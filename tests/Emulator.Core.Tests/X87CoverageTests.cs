using Emulator.Core.Translation;
using Iced.Intel;
using Xunit;

namespace Emulator.Core.Tests;

/// <summary>Every x87 mnemonic of the 387 and later (the SDM's instruction set summary, §5.2) has a helper.</summary>
public class X87CoverageTests
{
    [Fact]
    public void EveryX87MnemonicIsImplemented()
    {
        string[] x87 =
        {
            "Fld", "Fst", "Fstp", "Fild", "Fist", "Fistp", "Fisttp", "Fbld", "Fbstp", "Fxch",
            "Fcmove", "Fcmovne", "Fcmovb", "Fcmovbe", "Fcmovnb", "Fcmovnbe", "Fcmovu", "Fcmovnu",
            "Fadd", "Faddp", "Fiadd", "Fsub", "Fsubp", "Fisub", "Fsubr", "Fsubrp", "Fisubr",
            "Fmul", "Fmulp", "Fimul", "Fdiv", "Fdivp", "Fidiv", "Fdivr", "Fdivrp", "Fidivr",
            "Fprem", "Fprem1", "Fabs", "Fchs", "Frndint", "Fscale", "Fsqrt", "Fxtract",
            "Fcom", "Fcomp", "Fcompp", "Fucom", "Fucomp", "Fucompp", "Ficom", "Ficomp",
            "Fcomi", "Fucomi", "Fcomip", "Fucomip", "Ftst", "Fxam",
            "Fsin", "Fcos", "Fsincos", "Fptan", "Fpatan", "F2xm1", "Fyl2x", "Fyl2xp1",
            "Fld1", "Fldz", "Fldpi", "Fldl2e", "Fldln2", "Fldl2t", "Fldlg2",
            "Fincstp", "Fdecstp", "Ffree", "Ffreep", "Finit", "Fninit", "Fclex", "Fnclex", "Fstcw", "Fnstcw", "Fldcw",
            "Fstenv", "Fnstenv", "Fldenv", "Fsave", "Fnsave", "Frstor", "Fstsw", "Fnstsw", "Fnop", "Fxsave", "Fxrstor",
        };
        var missing = x87.Where(n => !HelperTable.IsImplemented(Enum.Parse<Mnemonic>(n))).ToList();
        Assert.Empty(missing);
    }
}
