namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// Runs opcode files against CPUs from a factory: files in parallel, one <see cref="ISstCpu"/> per worker.
/// Per vector: Reset, write the INIT RAM, load the INIT registers (FLAGS bits 12–15 cleared), Run until HLT, compare.
/// </summary>
public static class SstRunner
{
    /// <summary>Instruction budget per vector: the instruction, at most 127 REP iterations (CX is masked to 7 bits), the HLT.</summary>
    public const int MaxInstructions = 1000;

    public static SstReport Run(SstTestData data, IEnumerable<string> files, Func<ISstCpu> factory, int? maxParallelism = null)
    {
        var list = files.ToList();
        var results = new SstOpcodeResult[list.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxParallelism ?? Environment.ProcessorCount };
        Parallel.For(
            0,
            list.Count,
            options,
            factory,
            (i, _, cpu) =>
            {
                results[i] = RunFile(data, list[i], cpu);
                return cpu;
            },
            cpu => (cpu as IDisposable)?.Dispose());
        return new SstReport(results);
    }

    public static SstOpcodeResult RunFile(SstTestData data, string file, ISstCpu cpu)
    {
        string opcode = SstTestData.OpcodeOf(file);
        var result = new SstOpcodeResult(opcode);
        ushort mask = data.DefinedFlagsMask(opcode);
        foreach (var test in MooFile.Load(file).Tests)
        {
            if (data.Revoked.Contains(test.Hash))
            {
                result.Revoked++;
                continue;
            }

            var plan = SstClassifier.Plan(opcode, test, mask);
            if (plan.FilterReason is { } reason)
            {
                result.Filtered++;
                result.FilterCounts[reason] = result.FilterCounts.GetValueOrDefault(reason) + 1;
                continue;
            }

            foreach (string a in plan.Adjustments)
            {
                result.AdjustmentCounts[a] = result.AdjustmentCounts.GetValueOrDefault(a) + 1;
            }

            string? detail = Execute(plan, cpu);
            if (detail is null)
            {
                result.Passed++;
                result.PassedHashes.Add(test.Hash);
            }
            else
            {
                result.Failed++;
                result.Failures.Add(new SstFailure(opcode, test.Index, test.Hash, test.Name, detail));
            }
        }

        return result;
    }

    /// <summary>Runs one vector; null when it passes, else what differed.</summary>
    public static string? Execute(SstVectorPlan plan, ISstCpu cpu)
    {
        try
        {
            cpu.Reset();
            foreach (var e in plan.InitialRam)
            {
                cpu.WriteByte(e.Address, e.Value);
            }

            cpu.SetRegisters(plan.Initial);
            var run = cpu.Run(MaxInstructions);
            var regs = cpu.GetRegisters();
            return SstComparer.Compare(plan, regs, cpu.ReadByte, run);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A host exception from the CPU is a failure of this vector (the emulator must never throw on guest input), not of the run.
            return $"host exception {ex.GetType().Name}: {ex.Message}";
        }
    }
}
