using BenchmarkDotNet.Attributes;
using Iced.Intel;
using P = Emulator.Benchmarks.GuestCodePrograms;

namespace Emulator.Benchmarks;

/// <summary>
/// Guest instruction throughput of the CPU core. Each benchmark runs one guest program to its HLT per invocation;
/// OperationsPerInvoke is the number of guest instructions that run retires, so BenchmarkDotNet's Op/s column is guest
/// instructions per second (for REP MOVSD: dword iterations or bytes per second). Global setup runs the program once,
/// prints the retired count and fails unless it equals the declared count.
/// </summary>
[OperationsPerSecond]
public class CpuExecutionBenchmarks
{
    /// <summary>Times the REP MOVSD instruction is retired: once per resumption chunk of the core, and for the rest of the program.</summary>
    private const int RepMovsdRetired = 4 + 64 + 1;

    private GuestCodeMachine? _machine;

    private GuestCodeMachine M => _machine ?? throw new InvalidOperationException("no setup ran");

    [GlobalSetup(Target = nameof(AluLoop32))]
    public void SetupAlu32()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.Load(32, P.CodeBase, P.Alu32);
        Check("ALU loop (32-bit flat)", P.AluInstructions, AluLoop32);
        if ((uint)M.Cpu.Rcx != 0) throw new InvalidOperationException("ALU loop did not count down");
    }

    [GlobalSetup(Target = nameof(MulAdcLoop32))]
    public void SetupMulAdc32()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.Load(32, P.CodeBase, P.MulAdc32);
        Check("MUL/ADC loop (32-bit flat)", P.MulInstructions, MulAdcLoop32);
    }

    [GlobalSetup(Target = nameof(AluLoop16Real))]
    public void SetupAlu16()
    {
        _machine = new GuestCodeMachine();
        M.EnterReal(0, P.RealModeIp);
        M.Load(16, P.RealModeIp, P.Alu16);
        Check("ALU loop (16-bit real mode)", P.RealAluInstructions, AluLoop16Real);
    }

    [GlobalSetup(Target = nameof(MemoryLoopPaged))]
    public void SetupMemory()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.EnablePaging();
        M.Load(32, P.CodeBase, P.MemoryRmw);
        var before = new byte[16];
        M.Memory.ReadPhysical(P.DataBase + (1 << 20) - 16, before);
        Check("memory RMW loop (paging on)", P.MemoryInstructions, MemoryLoopPaged);
        var after = new byte[16];
        M.Memory.ReadPhysical(P.DataBase + (1 << 20) - 16, after);
        if (BitConverter.ToUInt32(after, 12) != BitConverter.ToUInt32(before, 12) + 7) throw new InvalidOperationException("last dword was not updated");
    }

    [GlobalSetup(Targets = [nameof(RepMovsdIterations), nameof(RepMovsdBytes), nameof(RepMovsdWhole)])]
    public void SetupRepMovsd()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.Load(32, P.CodeBase, P.RepMovsd);
        var source = new byte[1 << 20];
        new Random(3).NextBytes(source);
        M.Memory.WritePhysical(P.DataBase, source);
        Check("REP MOVSD 1 MiB", RepMovsdRetired, RepMovsdIterations);
        var copy = new byte[1 << 20];
        M.Memory.ReadPhysical(P.DataBase2, copy);
        if (!copy.AsSpan().SequenceEqual(source)) throw new InvalidOperationException("REP MOVSD did not copy the buffer");
        Console.WriteLine($"// REP MOVSD: {P.MemoryDwords} dword iterations ({1 << 20} bytes) per invocation");
    }

    [GlobalSetup(Target = nameof(CallRetLoop))]
    public void SetupCallRet()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        M.Load(32, P.CodeBase, P.CallRet);
        Check("CALL/RET loop", P.CallInstructions, CallRetLoop);
        if ((uint)M.Cpu.Rsp != P.StackTop) throw new InvalidOperationException("stack not balanced");
    }

    [GlobalSetup(Target = nameof(SelfModifyingLoop))]
    public void SetupSelfModifying()
    {
        _machine = new GuestCodeMachine();
        M.EnterFlat32();
        // Pass 1 finds the patched instruction; its encoding length does not depend on the address stored into.
        var probe = new Assembler(32);
        var patch = probe.CreateLabel();
        P.SelfModifying(probe, 0, ref patch);
        var layout = probe.Assemble(new StreamCodeWriter(new MemoryStream()), P.CodeBase, BlockEncoderOptions.ReturnNewInstructionOffsets);
        uint immediate = (uint)layout.GetLabelRIP(patch) + 1; // B8+r imm32
        var result = M.Load(32, P.CodeBase, a =>
        {
            var l = a.CreateLabel();
            P.SelfModifying(a, immediate, ref l);
        });
        long compiled = M.Core.Cache.BlocksCompiled;
        Check("self-modifying loop", P.SmcInstructions, SelfModifyingLoop);
        const long sum = (long)P.SmcIterations * (P.SmcIterations + 1) / 2;
        if ((uint)M.Cpu.Rbx != (uint)sum) throw new InvalidOperationException($"SMC not honoured: EBX {(uint)M.Cpu.Rbx} != {sum}");
        Console.WriteLine($"// self-modifying loop: {M.Core.Cache.BlocksCompiled - compiled} blocks compiled per invocation");
        _ = result;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _machine?.Dispose();
        _machine = null;
    }

    /// <summary>(a) ADD/XOR/SUB/CMP/DEC/JNE, 1,000,000 iterations, flat 32-bit protected mode, paging off.</summary>
    [Benchmark(OperationsPerInvoke = P.AluInstructions)]
    public void AluLoop32()
    {
        var cpu = M.Cpu;
        cpu.Rip = P.CodeBase;
        cpu.Rax = 1;
        cpu.Rbx = 0x9E37_79B9;
        cpu.Rdx = cpu.Rsi = 0;
        M.RunToHalt();
    }

    /// <summary>MUL/ADC/IMUL/shift/SETcc/CMOVcc loop (mpihelp_addmul_1-like), 1,000,000 iterations, flat 32-bit.</summary>
    [Benchmark(OperationsPerInvoke = P.MulInstructions)]
    public void MulAdcLoop32()
    {
        var cpu = M.Cpu;
        cpu.Rip = P.CodeBase;
        cpu.Rbx = 0x9E37_79B9;
        cpu.Rsi = P.DataBase;
        cpu.Rdi = P.DataBase2;
        cpu.Rbp = 0;
        M.RunToHalt();
    }

    /// <summary>(g) The ALU loop with 16-bit registers in real mode, 16 × 65,536 iterations.</summary>
    [Benchmark(OperationsPerInvoke = P.RealAluInstructions)]
    public void AluLoop16Real()
    {
        var cpu = M.Cpu;
        cpu.Rip = P.RealModeIp;
        cpu.Rax = 1;
        cpu.Rbx = 0x79B9;
        cpu.Rdx = cpu.Rsi = 0;
        M.RunToHalt();
    }

    /// <summary>(b) MOV load, ADD, MOV store over every dword of 1 MiB, 4 KiB paging on.</summary>
    [Benchmark(OperationsPerInvoke = P.MemoryInstructions)]
    public void MemoryLoopPaged()
    {
        var cpu = M.Cpu;
        cpu.Rip = P.CodeBase;
        cpu.Rbx = 7;
        M.RunToHalt();
    }

    /// <summary>(c) REP MOVSD of 1 MiB; Op/s = dword iterations (ECX count) per second.</summary>
    [Benchmark(OperationsPerInvoke = P.MemoryDwords)]
    public void RepMovsdIterations() => RunRepMovsd();

    /// <summary>(c) The same REP MOVSD of 1 MiB; Op/s = bytes copied per second.</summary>
    [Benchmark(OperationsPerInvoke = 1 << 20)]
    public void RepMovsdBytes() => RunRepMovsd();

    /// <summary>(c) The same REP MOVSD of 1 MiB; Mean = wall time of the whole 1 MiB copy.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public void RepMovsdWhole() => RunRepMovsd();

    /// <summary>(d) CALL + ADD + RET + DEC/JNE, 1,000,000 iterations.</summary>
    [Benchmark(OperationsPerInvoke = P.CallInstructions)]
    public void CallRetLoop()
    {
        var cpu = M.Cpu;
        cpu.Rip = P.CodeBase;
        cpu.Rsp = P.StackTop;
        M.RunToHalt();
    }

    /// <summary>(e) 2,000 iterations that each patch an immediate in the loop's own code page (forcing retranslation).</summary>
    [Benchmark(OperationsPerInvoke = P.SmcInstructions)]
    public void SelfModifyingLoop()
    {
        var cpu = M.Cpu;
        cpu.Rip = P.CodeBase;
        cpu.Rbx = 0;
        M.RunToHalt();
    }

    private void RunRepMovsd()
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
