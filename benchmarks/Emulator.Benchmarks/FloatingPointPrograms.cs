using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Benchmarks;

/// <summary>
/// Mandelbrot kernels (z ← z² + c for a fixed iteration count per point, no escape test, so the instruction count
/// follows from the text) written once with the x87 stack and once with SSE2 scalar doubles, as a compiler would
/// emit them for -mfpmath=387 and -mfpmath=sse. The points lie inside |c| &lt; 0.25 (the main cardioid) so the
/// iterates stay finite and normal.
/// </summary>
public static class FloatingPointPrograms
{
    public const int Points = 64;
    public const int Iterations = 2_000;

    /// <summary>mov esi, mov edx, per point (4 loads, mov ecx, 14 per iteration, fninit, add, dec, jnz), hlt.</summary>
    public const int X87Instructions = 2 + Points * (4 + 1 + 14 * Iterations + 4) + 1;

    /// <summary>mov esi, mov edx, per point (2 loads, 2 xorpd, mov ecx, 12 per iteration, add, dec, jnz), hlt.</summary>
    public const int Sse2Instructions = 2 + Points * (4 + 1 + 12 * Iterations + 3) + 1;

    /// <summary>The points (cr, ci) as pairs of doubles.</summary>
    public static byte[] PointTable()
    {
        var t = new byte[Points * 16];
        for (int k = 0; k < Points; k++)
        {
            double cr = -0.15 + 0.3 * ((k % 8) + 0.5) / 8, ci = -0.15 + 0.3 * ((k / 8) + 0.5) / 8;
            BitConverter.GetBytes(cr).CopyTo(t, 16 * k);
            BitConverter.GetBytes(ci).CopyTo(t, 16 * k + 8);
        }
        return t;
    }

    public static void X87(Assembler a, uint table)
    {
        var point = a.CreateLabel();
        var iter = a.CreateLabel();
        a.mov(esi, table);
        a.mov(edx, Points);
        a.Label(ref point);
        a.fld(__qword_ptr[esi + 8]);
        a.fld(__qword_ptr[esi]);
        a.fldz();
        a.fldz();
        a.mov(ecx, Iterations);
        a.Label(ref iter);
        a.fld(st0);
        a.fmul(st0, st0);
        a.fld(st2);
        a.fmul(st0, st0);
        a.fsubp(st1, st0);
        a.fadd(st0, st3);
        a.fxch(st0, st1);
        a.fmulp(st2, st0);
        a.fxch(st0, st1);
        a.fadd(st0, st0);
        a.fadd(st0, st3);
        a.fxch(st0, st1);
        a.dec(ecx);
        a.jnz(iter);
        a.fninit();
        a.add(esi, 16);
        a.dec(edx);
        a.jnz(point);
        a.hlt();
    }

    public static void Sse2(Assembler a, uint table)
    {
        var point = a.CreateLabel();
        var iter = a.CreateLabel();
        a.mov(esi, table);
        a.mov(edx, Points);
        a.Label(ref point);
        a.movsd(xmm6, __qword_ptr[esi]);
        a.movsd(xmm7, __qword_ptr[esi + 8]);
        a.xorpd(xmm0, xmm0);
        a.xorpd(xmm1, xmm1);
        a.mov(ecx, Iterations);
        a.Label(ref iter);
        a.movapd(xmm2, xmm0);
        a.mulsd(xmm2, xmm0);
        a.movapd(xmm3, xmm1);
        a.mulsd(xmm3, xmm1);
        a.mulsd(xmm1, xmm0);
        a.addsd(xmm1, xmm1);
        a.addsd(xmm1, xmm7);
        a.subsd(xmm2, xmm3);
        a.addsd(xmm2, xmm6);
        a.movapd(xmm0, xmm2);
        a.dec(ecx);
        a.jnz(iter);
        a.add(esi, 16);
        a.dec(edx);
        a.jnz(point);
        a.hlt();
    }

    public const int NbodyIterations = 4_000;

    /// <summary>mov esi/edi/edx/ecx, fninit, per iteration 47 x87 + dec/jnz, hlt.</summary>
    public const int NbodyX87Instructions = 5 + NbodyIterations * (47 + 2) + 1;

    /// <summary>Two bodies (x, y, z, vx, vy, vz, m) and dt, then an 8-byte scratch slot.</summary>
    public static byte[] NbodyTable()
    {
        double[] v = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 39.47, 4.84, -1.16, -0.10, 0.606, 2.81, -0.025, 0.0377, 0.01, 0.0];
        var t = new byte[v.Length * 8];
        for (int k = 0; k < v.Length; k++) BitConverter.GetBytes(v[k]).CopyTo(t, 8 * k);
        return t;
    }

    /// <summary>
    /// The pair update of guest-tools/bench/fpkernel.h's n-body step as gcc -O2 -mfpmath=387 emits it (FLD/FSUB m64,
    /// FMUL, FSQRT, FST/FSTP m64, FSUBR/FADD m64, FXCH), on one pair for a fixed count.
    /// </summary>
    public static void NbodyX87(Assembler a, uint table)
    {
        var iter = a.CreateLabel();
        a.mov(esi, table);
        a.mov(edi, table + 56);
        a.mov(edx, table + 112);
        a.mov(ecx, NbodyIterations);
        a.fninit();
        a.Label(ref iter);
        a.fld(__qword_ptr[esi]); a.fsub(__qword_ptr[edi]);
        a.fld(__qword_ptr[esi + 8]); a.fsub(__qword_ptr[edi + 8]);
        a.fld(__qword_ptr[esi + 16]); a.fsub(__qword_ptr[edi + 16]);
        a.fld(st2); a.fmul(st0, st3); a.fld(st2); a.fmul(st0, st3); a.faddp(st1, st0);
        a.fld(st1); a.fmul(st0, st2); a.faddp(st1, st0);
        a.fld(st0); a.fsqrt(); a.fmulp(st1, st0);
        a.fld(__qword_ptr[edx]); a.fst(__qword_ptr[edx + 8]); a.fdivp(st1, st0);
        a.fld(__qword_ptr[esi + 48]); a.fmul(st0, st1); a.fxch(st0, st1); a.fmul(__qword_ptr[edi + 48]);
        a.fld(st4); a.fmul(st0, st1); a.fsubr(__qword_ptr[esi + 24]); a.fstp(__qword_ptr[esi + 24]);
        a.fld(st3); a.fmul(st0, st1); a.fsubr(__qword_ptr[esi + 32]); a.fstp(__qword_ptr[esi + 32]);
        a.fmul(st0, st2); a.fsubr(__qword_ptr[esi + 40]); a.fstp(__qword_ptr[esi + 40]);
        a.fmul(st3, st0); a.fld(__qword_ptr[edi + 24]); a.faddp(st4, st0); a.fxch(st0, st3); a.fstp(__qword_ptr[edi + 24]);
        a.fxch(st0, st1); a.fmul(st0, st2); a.fadd(__qword_ptr[edi + 32]); a.fstp(__qword_ptr[edi + 32]);
        a.fmulp(st1, st0); a.fadd(__qword_ptr[edi + 40]); a.fstp(__qword_ptr[edi + 40]);
        a.dec(ecx);
        a.jnz(iter);
        a.hlt();
    }

    public const int ConvertIterations = 4_000;

    /// <summary>mov esi/ecx, fninit, per iteration 13 + dec/jnz, hlt.</summary>
    public const int ConvertX87Instructions = 3 + ConvertIterations * (13 + 2) + 1;

    /// <summary>
    /// int ↔ double conversions as gcc -mfpmath=387 emits them: FILD m32, FMUL m64, FSQRT, FCHS, FABS, then the
    /// (int) cast (FNSTCW, MOVZX, OR AH 0Ch, MOV, FLDCW, FISTP m32, FLDCW). The table is one double (1.5)
    /// followed by scratch words.
    /// </summary>
    public static void ConvertX87(Assembler a, uint table)
    {
        var iter = a.CreateLabel();
        a.mov(esi, table);
        a.mov(ecx, ConvertIterations);
        a.fninit();
        a.Label(ref iter);
        a.mov(__dword_ptr[esi + 8], ecx);
        a.fild(__dword_ptr[esi + 8]);
        a.fmul(__qword_ptr[esi]);
        a.fsqrt();
        a.fchs();
        a.fabs();
        a.fnstcw(__word_ptr[esi + 16]);
        a.movzx(eax, __word_ptr[esi + 16]);
        a.or(ah, 0x0C);
        a.mov(__word_ptr[esi + 18], ax);
        a.fldcw(__word_ptr[esi + 18]);
        a.fistp(__dword_ptr[esi + 12]);
        a.fldcw(__word_ptr[esi + 16]);
        a.dec(ecx);
        a.jnz(iter);
        a.hlt();
    }
}
