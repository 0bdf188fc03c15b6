using BenchmarkDotNet.Attributes;
using P = Emulator.Benchmarks.GuestCodePrograms;

namespace Emulator.Benchmarks;

/// <summary>
/// Translation cost: each invocation flushes the translation cache and runs a chain of 2,000 distinct 8-instruction
/// blocks at distinct addresses once, so every block is decoded and compiled; Op/s is blocks compiled per second
/// (including their single execution). Setup checks with TranslationCache.BlocksCompiled that exactly 2,000 compiles happened.
/// </summary>
[OperationsPerSecond]
public class CpuTranslationBenchmarks
{
    private GuestCodeMachine? _machine;

    private GuestCodeMachine M => _machine ?? throw new InvalidOperationException("no setup ran");

    [GlobalSetup]
    public void Setup()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        for (int k = 0; k < P.CompileBlocks; k++)
        {
            int index = k;
            ulong address = P.CodeBase + (ulong)k * P.CompileBlockStride;
            M.Load(32, address, a => P.CompileBlock(a, index));
        }
        long compiled = M.Core.Cache.BlocksCompiled;
        long retired = M.Cpu.Retired;
        CompileBlocks();
        compiled = M.Core.Cache.BlocksCompiled - compiled;
        retired = M.Cpu.Retired - retired;
        Console.WriteLine($"// translation: {compiled:N0} blocks compiled, {retired:N0} guest instructions retired per invocation (declared {P.CompileBlocks:N0} / {P.CompileInstructions:N0})");
        if (compiled != P.CompileBlocks || retired != P.CompileInstructions) throw new InvalidOperationException("translation benchmark did not compile/run every block once");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _machine?.Dispose();
        _machine = null;
    }

    /// <summary>(f) Flush, then compile and run 2,000 distinct blocks; Op/s = blocks compiled per second.</summary>
    [Benchmark(OperationsPerInvoke = P.CompileBlocks)]
    public void CompileBlocks()
    {
        M.Core.Cache.Flush();
        M.Cpu.Rip = P.CodeBase;
        M.RunToHalt();
    }
}
