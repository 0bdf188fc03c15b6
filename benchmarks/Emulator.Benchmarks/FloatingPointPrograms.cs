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
}
