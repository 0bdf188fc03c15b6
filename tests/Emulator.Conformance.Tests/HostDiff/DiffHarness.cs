using System.Diagnostics;
using System.Text;
using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// Drives the comparison: generate a batch of cases, run the non-faulting ones on the host (<see cref="HostCpu"/>), run every case on the
/// emulator adapter, and compare what the SDM defines (per-case flag mask and undefined destination; ESP must never change; a #DE case
/// must report vector 0 and leave all state as it was).
/// </summary>
public sealed class DiffHarness(HostCpu host, IDiffCpu cpu)
{
    private readonly NasmFormatter _formatter = new();

    public DiffReport Run(ulong seed, long caseCount, int maxReportedFailures = 20)
    {
        var generator = new CaseGenerator(seed);
        var report = new DiffReport(maxReportedFailures);
        var batch = new DiffCase[HostCpu.SlotCount];
        var hostCode = new byte[HostCpu.SlotCount][];
        var hostRegs = new DiffRegisters[HostCpu.SlotCount];
        var hostIndex = new int[HostCpu.SlotCount];
        TimeSpan generate = default, hostTime = default, emulator = default;

        for (long done = 0; done < caseCount;)
        {
            int n = (int)Math.Min(HostCpu.SlotCount, caseCount - done);
            long t = Stopwatch.GetTimestamp();
            int runnable = 0;
            for (int i = 0; i < n; i++)
            {
                DiffCase c = batch[i] = generator.Next();
                if (c.ExpectedVector >= 0) { hostIndex[i] = -1; continue; }
                hostIndex[i] = runnable;
                hostCode[runnable] = c.Code64;
                hostRegs[runnable++] = c.Input;
            }
            generate += DiffReport.Since(t);

            t = Stopwatch.GetTimestamp();
            host.Run(hostCode.AsSpan(0, runnable), hostRegs.AsSpan(0, runnable));
            hostTime += DiffReport.Since(t);
            report.HostCases += runnable;
            report.FaultCases += n - runnable;

            for (int i = 0; i < n; i++)
            {
                DiffCase c = batch[i];
                DiffRegisters expected = hostIndex[i] < 0 ? c.Input : hostRegs[hostIndex[i]];
                expected.Esp = c.Input.Esp;
                expected.Eflags = (expected.Eflags & EFlags.Comparable) | EFlags.Reserved1;
                t = Stopwatch.GetTimestamp();
                DiffResult actual;
                string? error = null;
                try
                {
                    actual = cpu.Execute(c.Code32, c.Input);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // An adapter exception is a failed case (reported with its message), never a pass.
                    actual = new DiffResult(default, int.MinValue);
                    error = $"{e.GetType().Name}: {e.Message}";
                }
                emulator += DiffReport.Since(t);
                string? difference = error ?? Compare(c, expected, actual);
                report.Add(c.Family, difference == null ? null : Describe(c, expected, actual, difference, report.Failed + 1));
            }
            done += n;
        }
        report.GenerateTime = generate;
        report.HostTime = hostTime;
        report.EmulatorTime = emulator;
        return report;
    }

    /// <summary>Null when <paramref name="actual"/> matches <paramref name="expected"/> on everything the SDM defines for <paramref name="c"/>.</summary>
    public static string? Compare(DiffCase c, in DiffRegisters expected, in DiffResult actual)
    {
        if (actual.ExceptionVector != c.ExpectedVector)
            return $"exception vector {Vector(actual.ExceptionVector)}, expected {Vector(c.ExpectedVector)}";
        StringBuilder? s = null;
        for (int n = 0; n < 8; n++)
        {
            if (((expected[n] ^ actual.Regs[n]) & c.DefinedBits(n)) == 0) continue;
            s ??= new StringBuilder();
            s.Append(RegisterName(n)).Append(' ');
        }
        uint flags = (expected.Eflags ^ actual.Regs.Eflags) & c.FlagMask;
        if (flags != 0) (s ??= new StringBuilder()).Append("flags ").Append(FlagNames(flags));
        return s?.ToString().TrimEnd();
    }

    private string Describe(DiffCase c, in DiffRegisters expected, in DiffResult actual, string difference, long number)
    {
        var output = new StringOutput();
        _formatter.Format(c.Guest, output);
        var s = new StringBuilder();
        s.AppendLine($"FAIL #{number} {c.Family}: {output.ToStringAndReset()}    code32 {Convert.ToHexString(c.Code32)}  host code64 {Convert.ToHexString(c.Code64)}");
        s.AppendLine($"  input    {c.Input}");
        s.AppendLine($"  expected {expected}  vector {Vector(c.ExpectedVector)}");
        s.AppendLine($"  actual   {actual.Regs}  vector {Vector(actual.ExceptionVector)}");
        string undefinedRegister = c.UndefinedRegister == Register.None ? "" : $"; {c.UndefinedRegister} undefined";
        s.AppendLine($"  differs: {difference}   (compared flags: {FlagNames(c.FlagMask)}{undefinedRegister})");
        return s.ToString();
    }

    private static string RegisterName(int n) => n switch
    {
        0 => "EAX", 1 => "ECX", 2 => "EDX", 3 => "EBX", 4 => "ESP", 5 => "EBP", 6 => "ESI", _ => "EDI",
    };

    private static string Vector(int v) => v switch { -1 => "none", 0 => "#DE(0)", int.MinValue => "adapter threw", _ => v.ToString() };

    public static string FlagNames(uint flags)
    {
        var names = new List<string>();
        if ((flags & EFlags.OF) != 0) names.Add("OF");
        if ((flags & EFlags.DF) != 0) names.Add("DF");
        if ((flags & EFlags.SF) != 0) names.Add("SF");
        if ((flags & EFlags.ZF) != 0) names.Add("ZF");
        if ((flags & EFlags.AF) != 0) names.Add("AF");
        if ((flags & EFlags.PF) != 0) names.Add("PF");
        if ((flags & EFlags.CF) != 0) names.Add("CF");
        return names.Count == 0 ? "none" : string.Join(' ', names);
    }
}
