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

    private void Check(string name, long expected, Action run)
    {
        long before = M.Cpu.Retired;
        run();
        long retired = M.Cpu.Retired - before;
        Console.WriteLine($"// {name}: retired {retired:N0} guest instructions per invocation (declared {expected:N0})");
        if (retired != expected) throw new InvalidOperationException($"{name}: retired {retired}, declared {expected}");
    }
}
