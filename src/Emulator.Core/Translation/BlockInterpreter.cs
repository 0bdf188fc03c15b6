using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// The first tier: runs a decoded block by calling each instruction's <see cref="Helpers"/> method in turn — the same
/// semantics the compiled tier calls for every instruction it does not inline, with the same RIP, retirement and
/// fault contract (<see cref="BlockCompiler.HelperExit"/>). Cold code (run a few times, as most boot code is) never
/// pays the JIT's latency; hot blocks are compiled (see <see cref="TranslationCache.TierUpThreshold"/>).
/// </summary>
internal static class BlockInterpreter
{
    /// <summary>Runs <paramref name="block"/> once; always returns a non-chaining exit (the dispatcher re-reads the mode).</summary>
    public static unsafe int Run(TranslatedBlock block, CpuState cpu)
    {
        var insns = block.Instructions;
        var helpers = block.HelperFunctions;
        uint mask = block.IpMask;
        for (int k = 0; k < insns.Length; k++)
        {
            ref var ins = ref insns[k];
            cpu.Rip = (uint)ins.NextIP & mask;
            int status = ((delegate*<CpuState, ref Instruction, int>)helpers[k])(cpu, ref ins);
            if (status != Helpers.Continue) return BlockCompiler.HelperExit(block, cpu, k, status);
        }
        cpu.Retired += insns.Length;
        return BlockExit.Dynamic;
    }
}
