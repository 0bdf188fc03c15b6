using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    /// <summary>
    /// Runs <paramref name="block"/> once. A block that ran to its end leaves as the compiled tier's would:
    /// <see cref="BlockExit.Static0"/> after a fall-through, a direct near JMP or CALL or a Jcc not taken,
    /// <see cref="BlockExit.Static1"/> after a Jcc taken, <see cref="BlockExit.Indirect"/> after a near RET or an
    /// indirect near JMP or CALL — so the dispatcher links and chains interpreted blocks too — and
    /// <see cref="BlockExit.Dynamic"/> otherwise.
    /// </summary>
    public static unsafe int Run(TranslatedBlock block, CpuState cpu)
    {
        var insns = block.Instructions;
        var helpers = block.HelperFunctions;
        if (helpers.Length < insns.Length) throw new InvalidOperationException("a helper per instruction");
        // One indirect call per instruction: no bounds checks in the loop (the lengths were checked above).
        ref Instruction first = ref MemoryMarshal.GetArrayDataReference(insns);
        ref nint fn = ref MemoryMarshal.GetArrayDataReference(helpers);
        uint mask = block.IpMask;
        for (int k = 0; k < insns.Length; k++)
        {
            ref var ins = ref Unsafe.Add(ref first, k);
            cpu.Rip = (uint)ins.NextIP & mask;
            int status = ((delegate*<CpuState, ref Instruction, int>)Unsafe.Add(ref fn, k))(cpu, ref ins);
            if (status == Helpers.Continue) continue;
            if (status == Helpers.EndBlock)
            {
                if (block.ForwardJoins is { } joins && joins[k] > k && cpu.Rip == ((uint)insns[joins[k]].IP & mask))
                {
                    // A Jcc taken to a later instruction of this block goes on there, as the compiled block does (the
                    // same block boundaries in both tiers keep interrupt delivery independent of when a block is
                    // compiled); the skipped instructions are not retired.
                    cpu.Retired -= joins[k] - (k + 1);
                    k = joins[k] - 1;
                    continue;
                }
                if (block.SideExitOf is { } sides && sides[k] >= 0)
                {
                    // A Jcc taken inside the block: its own side exit, as in the compiled tier.
                    cpu.Retired += k + 1;
                    return BlockExit.FirstSide + sides[k];
                }
                // The block's last instruction branched (near, so the mode is unchanged): leave as the compiled block
                // does, through a static or indirect exit the dispatcher can link and chain, not the dynamic exit.
                if (k == insns.Length - 1 && ins.FlowControl != FlowControl.Next && block.InterpretedExit != TranslatedBlock.ExitDynamic) break;
            }
            return BlockCompiler.HelperExit(block, cpu, k, status);
        }
        cpu.Retired += insns.Length;
        switch (block.InterpretedExit)
        {
            case TranslatedBlock.ExitStatic:
                return BlockExit.Static0;
            case TranslatedBlock.ExitConditional:
                return cpu.Rip == ((uint)insns[^1].NextIP & mask) ? BlockExit.Static0 : BlockExit.Static1;
            case TranslatedBlock.ExitReturn:
                return BlockExit.Indirect;
            default:
                return BlockExit.Dynamic;
        }
    }

    /// <summary>How a block that ran to its end leaves, by its last instruction (see <see cref="Run"/>).</summary>
    public static int ExitKind(in Instruction last)
    {
        // Instructions that end a block because they may change the mode or the interrupt state leave the dispatcher to
        // re-read the mode (their helpers stop the block when they do).
        if (last.FlowControl == FlowControl.Next && !BlockCompiler.EndsBlock(last)) return TranslatedBlock.ExitStatic;
        if (last.Mnemonic == Mnemonic.Jmp && last.IsJmpShortOrNear) return TranslatedBlock.ExitStatic;
        if (last.Mnemonic == Mnemonic.Call && last.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32) return TranslatedBlock.ExitStatic;
        if (last.IsJccShortOrNear) return TranslatedBlock.ExitConditional;
        if (last.Code is Code.Retnd or Code.Retnw or Code.Retnd_imm16 or Code.Retnw_imm16) return TranslatedBlock.ExitReturn;
        if (IsNearIndirectBranch(last)) return TranslatedBlock.ExitReturn;
        return TranslatedBlock.ExitDynamic;
    }

    /// <summary>JMP or CALL r/m near: the target is computed at run time, the mode cannot change.</summary>
    public static bool IsNearIndirectBranch(in Instruction i) =>
        i.Mnemonic is Mnemonic.Jmp or Mnemonic.Call && i.Op0Kind is OpKind.Register or OpKind.Memory && !i.IsJmpFarIndirect && !i.IsCallFarIndirect;
}
