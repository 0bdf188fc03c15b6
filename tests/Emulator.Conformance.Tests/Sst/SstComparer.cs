using System.Text;

namespace Emulator.Conformance.Tests.Sst;

/// <summary>Judges a CPU's final state against an <see cref="SstVectorPlan"/>.</summary>
public static class SstComparer
{
    /// <summary>Null when everything matches; otherwise a one-line description of every difference.</summary>
    public static string? Compare(SstVectorPlan plan, in SstRegisters actual, Func<uint, byte> readByte, SstRunResult run)
    {
        var sb = new StringBuilder();
        if (!run.Halted)
        {
            sb.Append("did not reach HLT; ");
        }

        for (var r = MooRegister.Ax; r <= MooRegister.Flags; r++)
        {
            if ((plan.RegisterCompareMask & (1 << (int)r)) == 0)
            {
                continue;
            }

            ushort want = plan.Expected.Get(r), got = actual.Get(r);
            if (r == MooRegister.Flags)
            {
                if (((want ^ got) & plan.FlagsMask) != 0)
                {
                    sb.Append($"flags: expected {want:X4} got {got:X4} (mask {plan.FlagsMask:X4}, diff {(want ^ got) & plan.FlagsMask:X4}); ");
                }
            }
            else if (want != got)
            {
                sb.Append($"{r.ToString().ToLowerInvariant()}: expected {want:X4} got {got:X4}; ");
            }
        }

        int ramDiffs = 0;
        foreach (var c in plan.RamChecks)
        {
            byte got = readByte(c.Address);
            if (((got ^ c.Expected) & c.Mask) != 0)
            {
                if (ramDiffs++ < 8)
                {
                    sb.Append($"[{c.Address:X6}]: expected {c.Expected:X2} got {got:X2}; ");
                }
            }
        }

        if (ramDiffs > 8)
        {
            sb.Append($"(+{ramDiffs - 8} more RAM bytes); ");
        }

        if (!plan.ExpectedExceptions.SequenceEqual(run.Exceptions))
        {
            sb.Append($"exceptions: expected [{string.Join(",", plan.ExpectedExceptions)}] got [{string.Join(",", run.Exceptions)}]; ");
        }

        return sb.Length == 0 ? null : sb.ToString(0, sb.Length - 2);
    }
}
