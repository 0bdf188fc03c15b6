using BenchmarkDotNet.Attributes;
using Emulator.Core.Cpu;
using F = Emulator.Benchmarks.FloatingPointPrograms;
using P = Emulator.Benchmarks.GuestCodePrograms;

namespace Emulator.Benchmarks;

/// <summary>
/// Guest floating-point throughput: the Mandelbrot kernel on the x87 and with SSE2 scalar doubles (flat 32-bit,
/// CR4.OSFXSR set). Op/s is guest instructions per second; setup checks the retired count and that the SSE2 run
/// leaves finite values.
/// </summary>
[OperationsPerSecond]
public class FloatingPointBenchmarks
{
    private GuestCodeMachine? _machine;

    private GuestCodeMachine M => _machine ?? throw new InvalidOperationException("no setup ran");

    private void Setup(Action<Iced.Intel.Assembler, uint> program)
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.Cpu.Cr4 |= Cr.CR4_OSFXSR;
        M.Memory.WritePhysical(P.DataBase, F.PointTable());
        M.Load(32, P.CodeBase, a => program(a, P.DataBase));
    }

    [GlobalSetup(Target = nameof(MandelbrotX87))]
    public void SetupX87()
    {
        Setup(F.X87);
        Check("Mandelbrot x87", F.X87Instructions, MandelbrotX87);
    }

    [GlobalSetup(Target = nameof(MandelbrotSse2))]
    public void SetupSse2()
    {
        Setup(F.Sse2);
        Check("Mandelbrot SSE2", F.Sse2Instructions, MandelbrotSse2);
        double zr = BitConverter.UInt64BitsToDouble(M.Cpu.Fpu.Xmm[0]);
        if (!double.IsFinite(zr) || zr == 0) throw new InvalidOperationException($"SSE2 kernel left zr = {zr}");
    }

    [GlobalSetup(Target = nameof(NbodyX87))]
    public void SetupNbody()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.Load(32, P.CodeBase, a => F.NbodyX87(a, P.DataBase));
        ResetNbody();
        Check("n-body x87", F.NbodyX87Instructions, NbodyX87);
    }

    private void ResetNbody() => M.Memory.WritePhysical(P.DataBase, F.NbodyTable());

    [GlobalSetup(Target = nameof(ConvertX87))]
    public void SetupConvert()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.Memory.WritePhysical(P.DataBase, BitConverter.GetBytes(1.5));
        M.Load(32, P.CodeBase, a => F.ConvertX87(a, P.DataBase));
        Check("int/double conversions x87", F.ConvertX87Instructions, ConvertX87);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _machine?.Dispose();
        _machine = null;
    }

    [Benchmark(OperationsPerInvoke = F.X87Instructions)]
    public void MandelbrotX87()
    {
        M.Cpu.Rip = P.CodeBase;
        M.RunToHalt();
    }

    [Benchmark(OperationsPerInvoke = F.Sse2Instructions)]
    public void MandelbrotSse2()
    {
        M.Cpu.Rip = P.CodeBase;
        M.RunToHalt();
    }

    /// <summary>The gcc n-body pair update (FSTP m64, FSQRT, m64 arithmetic); the bodies are reset each run.</summary>
    [Benchmark(OperationsPerInvoke = F.NbodyX87Instructions)]
    public void NbodyX87()
    {
        ResetNbody();
        M.Cpu.Fpu.Tag = 0xFFFF;
        M.Cpu.Fpu.Status = 0;
        M.Cpu.Rip = P.CodeBase;
        M.RunToHalt();
    }

    /// <summary>FILD, FSQRT, FCHS/FABS and gcc's (int) cast sequence (FNSTCW/FLDCW/FISTP).</summary>
    [Benchmark(OperationsPerInvoke = F.ConvertX87Instructions)]
    public void ConvertX87()
    {
        M.Cpu.Rip = P.CodeBase;
        M.RunToHalt();
    }

    /// <summary>
    /// CPU-time figures for a loaded machine (wall-clock is noisy there): each kernel run for about
    /// <paramref name="seconds"/> of process CPU time after a warm-up, printed as CPU ns per guest instruction.
    /// </summary>
    public static void CpuTime(double seconds)
    {
        var b = new FloatingPointBenchmarks();
        (string Name, Action Setup, Action Run, long Ops)[] kernels =
        [
            ("MandelbrotX87", b.SetupX87, b.MandelbrotX87, F.X87Instructions),
            ("NbodyX87", b.SetupNbody, b.NbodyX87, F.NbodyX87Instructions),
            ("ConvertX87", b.SetupConvert, b.ConvertX87, F.ConvertX87Instructions),
            ("MandelbrotSse2", b.SetupSse2, b.MandelbrotSse2, F.Sse2Instructions),
        ];
        var proc = System.Diagnostics.Process.GetCurrentProcess();
        foreach (var (name, setup, run, ops) in kernels)
        {
            setup();
            for (int k = 0; k < 20; k++) run();
            proc.Refresh();
            var start = proc.TotalProcessorTime;
            long runs = 0;
            double best = double.MaxValue;
            while ((proc.TotalProcessorTime - start).TotalSeconds < seconds)
            {
                var t0 = proc.TotalProcessorTime;
                for (int k = 0; k < 5; k++) run();
                proc.Refresh();
                runs += 5;
                best = Math.Min(best, (proc.TotalProcessorTime - t0).TotalNanoseconds / (5.0 * ops));
            }
            proc.Refresh();
            double mean = (proc.TotalProcessorTime - start).TotalNanoseconds / ((double)runs * ops);
            var cache = b.M.Core.Cache;
            Console.WriteLine($"{name,-16} CPU ns/guest instruction: mean {mean:F2}, best-of-5 {best:F2} ({runs} runs; blocks compiled {cache.BlocksCompiled}, failures {cache.CompileFailures} {cache.LastCompileError})");
            b.Cleanup();
        }
    }

    private void Check(string name, long expected, Action run)
    {
        long before = M.Cpu.Retired;
        run();
        long retired = M.Cpu.Retired - before;
        Console.WriteLine($"// {name}: retired {retired:N0} guest instructions per invocation (declared {expected:N0})");
        if (retired != expected) throw new InvalidOperationException($"{name}: retired {retired}, declared {expected}");
    }
}
