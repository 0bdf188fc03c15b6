using System.Reflection;
using System.Reflection.Emit;
using Emulator.Core.Cpu;
using Emulator.Core.Memory;
using Iced.Intel;
using Label = System.Reflection.Emit.Label;
using FlowControl = Iced.Intel.FlowControl;

namespace Emulator.Core.Translation;

/// <summary>
/// Decodes a guest block with Iced and emits it as IL into a <see cref="DynamicMethod"/>. A block ends at a control
/// transfer, at the end of its page (an instruction that crosses the page is a block of its own), at the CS limit,
/// or after <see cref="MaxInstructions"/> (a few more when they close a loop, <see cref="LoopTail"/>). Instructions whose semantics are not inlined call their
/// <see cref="Helpers"/> method with the decoded instruction by reference.
/// </summary>
internal sealed class BlockCompiler
{
    public const int MaxInstructions = 48;

    /// <summary>
    /// Instructions past <see cref="MaxInstructions"/> a block may take when they end with a branch back to its first
    /// instruction: a loop body a little longer than the limit then closes inside one method (an SSE2 n-body loop
    /// of gcc's is 49 instructions) instead of running as two blocks chained on every pass.
    /// </summary>
    public const int LoopTail = 16;

    private static readonly FieldInfo FRip = Field(nameof(CpuState.Rip));
    private static readonly FieldInfo FRetired = Field(nameof(CpuState.Retired));
    private static readonly MethodInfo MSuccessor = typeof(BlockCompiler).GetMethod(nameof(Successor), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo MInvoke = typeof(BlockFunction).GetMethod(nameof(BlockFunction.Invoke))!;
    private static readonly MethodInfo MHelperExit = typeof(BlockCompiler).GetMethod(nameof(HelperExit), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly byte[] _code = new byte[PhysicalMemory.PageSize + 16];

    /// <summary>Blocks decoded so far (each is interpreted or compiled from then on).</summary>
    public long Decoded { get; private set; }

    private static FieldInfo Field(string name) => typeof(CpuState).GetField(name) ?? throw new MissingFieldException(nameof(CpuState), name);

    /// <summary>Mode bit: CS, DS, ES and SS are flat (<see cref="CpuState.FlatSegments"/>).</summary>
    public const int ModeFlat = 256;

    /// <summary>
    /// Mode bits that change decoding or semantics: PE, VM, CS.D, SS.B, CPL, TF, debug breakpoints armed, flat
    /// segments. Anything that can change one of them ends its block with a dynamic exit, so the dispatcher reads
    /// the mode again (segment loads of CS, DS, ES and SS included).
    /// </summary>
    public static int ModeOf(CpuState cpu)
    {
        int m = cpu.ProtectedMode ? 1 : 0;
        if (cpu.V86Mode) m |= 2;
        if (cpu.Cs.Big) m |= 4;
        if (cpu.Ss.Big) m |= 8;
        m |= cpu.Cpl << 4;
        if ((cpu.Eflags & Eflags.TF) != 0) m |= 64;
        if (DebugBreakpoints.AnyExecution(cpu) || cpu.DataBreakpointsArmed) m |= 128;
        if (cpu.FlatSegments) m |= ModeFlat;
        return m;
    }

    /// <summary>
    /// Decodes the guest block at <paramref name="linear"/> (physical <paramref name="phys"/>) and resolves each
    /// instruction's helper; the block can run interpreted at once and be compiled by <see cref="Emit"/> later (on
    /// any thread). Null when the fetch faulted (the exception is pending on the CPU).
    /// </summary>
    public unsafe TranslatedBlock? Decode(CpuState cpu, uint eip, uint linear, ulong phys, int mode)
    {
        int bitness = (mode & 4) != 0 ? 32 : 16;
        uint ipMask = bitness == 16 ? 0xFFFFu : 0xFFFF_FFFFu;
        int max = (mode & (64 | 128)) != 0 ? 1 : MaxInstructions + LoopTail;
        int inPage = PhysicalMemory.PageSize - (int)(linear & 0xFFF);
        int available = FetchBytes(cpu, phys, _code, 0, inPage);
        ulong frame1 = ulong.MaxValue;
        var list = new List<Instruction>(16);
        var opsize16 = new List<bool>(16);
        uint limit = cpu.Cs.Limit;
        int offset = 0;
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(_code, 0, available), eip);
        while (list.Count < max)
        {
            decoder.Decode(out var ins);
            bool truncated = decoder.LastError == DecoderError.NoMoreBytes;
            if (truncated)
            {
                if (list.Count > 0) break;
                // The first instruction crosses into the next page: fetch it (may fault) and make a one-instruction block.
                uint nextLinear = (linear & ~0xFFFu) + PhysicalMemory.PageSize;
                if (!Mmu.TranslateFetch(cpu, nextLinear, out ulong phys2)) return null;
                frame1 = phys2 >> PhysicalMemory.PageShift;
                available += FetchBytes(cpu, phys2, _code, inPage, 16);
                decoder = Decoder.Create(bitness, new ByteArrayCodeReader(_code, 0, available), eip);
                decoder.Decode(out ins);
                max = 1;
            }
            uint insEip = (uint)ins.IP & ipMask;
            if (insEip + (uint)ins.Length - 1 > limit || insEip + (uint)ins.Length - 1 < insEip && bitness == 32)
            {
                if (list.Count > 0) break;
                cpu.RaiseGp(0);
                return null;
            }
            list.Add(ins);
            opsize16.Add(OperandSize16(bitness, _code, offset, ins.Length));
            offset += ins.Length;
            // A Jcc not taken falls through into the same block (its taken side is a side exit), except when blocks
            // hold one instruction (single-step, breakpoints).
            bool goesOn = ins.FlowControl == FlowControl.Next || ins.IsJccShortOrNear && max > 1;
            if (!goesOn || offset >= available || EndsBlock(ins)) break;
            if (bitness == 16 && (eip + (uint)offset) > 0xFFFF) break;
        }
        if (list.Count > MaxInstructions)
        {
            int keep = MaxInstructions;
            for (int j = list.Count - 1; j >= MaxInstructions; j--)
            {
                var b = list[j];
                if ((b.IsJccShortOrNear || b.Mnemonic == Mnemonic.Jmp && b.IsJmpShortOrNear) && ((uint)b.NearBranchTarget & ipMask) == eip)
                {
                    keep = j + 1;
                    break;
                }
            }
            list.RemoveRange(keep, list.Count - keep);
            opsize16.RemoveRange(keep, opsize16.Count - keep);
        }
        var insns = list.ToArray();
        var helpers = new nint[insns.Length];
        for (int k = 0; k < insns.Length; k++) helpers[k] = HelperTable.Lookup(insns[k], opsize16[k]).MethodHandle.GetFunctionPointer();
        Decoded++;
        var block = new TranslatedBlock(linear, phys, mode, insns, phys >> PhysicalMemory.PageShift, frame1)
        {
            OperandSize16 = opsize16.ToArray(),
            HelperFunctions = helpers,
            InterpretedExit = BlockInterpreter.ExitKind(insns[^1]),
        };
        // One link per side exit: each Jcc inside the block except those that branch to a later instruction of it.
        var joins = ForwardJoins(insns, ipMask);
        int sideExits = 0;
        int[]? sideExitOf = null;
        for (int k = 0; k < insns.Length - 1; k++)
        {
            if (!insns[k].IsJccShortOrNear || joins is not null && joins[k] >= 0) continue;
            if (sideExitOf is null)
            {
                sideExitOf = new int[insns.Length];
                Array.Fill(sideExitOf, -1);
            }
            sideExitOf[k] = sideExits++;
        }
        block.AllocateSideLinks(sideExits);
        block.SideExitOf = sideExitOf;
        block.ForwardJoins = joins;
        return block;
    }

    /// <summary>
    /// For each Jcc that is not the last instruction, the index of the later instruction of the block it targets (or
    /// −1): taken, both tiers continue there inside the block. Null when no Jcc targets a later instruction.
    /// </summary>
    private static int[]? ForwardJoins(Instruction[] insns, uint ipMask)
    {
        int[]? joins = null;
        for (int k = 0; k < insns.Length - 1; k++)
        {
            if (!insns[k].IsJccShortOrNear) continue;
            uint target = (uint)insns[k].NearBranchTarget & ipMask;
            for (int j = k + 1; j < insns.Length; j++)
            {
                if (((uint)insns[j].IP & ipMask) != target) continue;
                joins ??= Enumerable.Repeat(-1, insns.Length).ToArray();
                joins[k] = j;
                break;
            }
        }
        return joins;
    }

    /// <summary>Instructions after which nothing useful follows in the same block (they stop it or change its mode).</summary>
    internal static bool EndsBlock(in Instruction i)
    {
        switch (i.Mnemonic)
        {
            case Mnemonic.Hlt:
            case Mnemonic.In:
            case Mnemonic.Out:
            case Mnemonic.Insb: case Mnemonic.Insw: case Mnemonic.Insd:
            case Mnemonic.Outsb: case Mnemonic.Outsw: case Mnemonic.Outsd:
            case Mnemonic.Popf: case Mnemonic.Popfd:
            case Mnemonic.Sti:
            case Mnemonic.Lmsw: case Mnemonic.Clts: case Mnemonic.Wrmsr: case Mnemonic.Invlpg:
            case Mnemonic.Lss: case Mnemonic.Sysenter: case Mnemonic.Sysexit:
                return true;
            case Mnemonic.Mov:
                return i.Op0Kind == OpKind.Register && (i.Op0Register.IsSegmentRegister() || i.Op0Register.IsCR() || i.Op0Register.IsDR());
            case Mnemonic.Pop:
                return i.Op0Kind == OpKind.Register && i.Op0Register is Register.SS or Register.DS or Register.ES;
            case Mnemonic.Lds: case Mnemonic.Les:
                return true;
            default:
                return false;
        }
    }

    private static unsafe int FetchBytes(CpuState cpu, ulong phys, byte[] buffer, int at, int count)
    {
        nint p = cpu.Memory.ReadPointer(phys >> PhysicalMemory.PageShift);
        int inPage = PhysicalMemory.PageSize - (int)(phys & 0xFFF);
        count = Math.Min(count, inPage);
        if (p != 0)
        {
            new ReadOnlySpan<byte>((byte*)p + (phys & 0xFFF), count).CopyTo(buffer.AsSpan(at));
        }
        else
        {
            for (int k = 0; k < count; k++) buffer[at + k] = (byte)cpu.Memory.Read(phys + (ulong)k, 1);
        }
        return count;
    }

    /// <summary>True when the instruction's operand size is 16 bits (for helpers whose Iced code does not say it).</summary>
    private static bool OperandSize16(int bitness, byte[] code, int offset, int length)
    {
        bool has66 = false;
        for (int k = 0; k < length; k++)
        {
            byte b = code[offset + k];
            if (b == 0x66) has66 = true;
            else if (b is 0x67 or 0xF0 or 0xF2 or 0xF3 or 0x26 or 0x2E or 0x36 or 0x3E or 0x64 or 0x65) continue;
            else break;
        }
        return (bitness == 16) != has66;
    }

    /// <summary>Emits the IL of a decoded block. Reads only the block, so it may run on a background thread.</summary>
    public static BlockFunction Emit(TranslatedBlock block)
    {
        var insns = block.Instructions;
        uint ipMask = block.IpMask;
        var opsize16 = block.OperandSize16;
        var dm = new DynamicMethod($"block_{block.Linear:x8}", typeof(int), new[] { typeof(TranslatedBlock), typeof(CpuState) }, typeof(BlockCompiler).Module, skipVisibility: true);
        var il = dm.GetILGenerator();
        var status = il.DeclareLocal(typeof(int));
        var index = il.DeclareLocal(typeof(int));
        var faultExit = il.DefineLabel();
        var dynamicExit = il.DefineLabel();
        bool terminated = false;
        // A tight loop (a jump back to the first instruction) may loop inside the method; never when single-stepping
        // or with debug breakpoints armed (those blocks hold one instruction and each must return to the dispatcher).
        Label? loopStart = (block.Mode & (64 | 128)) == 0 ? il.DefineLabel() : null;
        var inline = new InlineEmitter(il, index, status, faultExit, dynamicExit, ipMask, block.Mode, block, loopStart, (uint)insns[0].IP & ipMask);
        inline.EmitEntry();
        if (loopStart.HasValue) il.MarkLabel(loopStart.Value);
        var dead = DeadFlagProducers(insns);
        for (int k = 0; k < insns.Length; k++)
        {
            ref var ins = ref insns[k];
            uint next = (uint)ins.NextIP & ipMask;
            bool last = k == insns.Length - 1;
            var handled = inline.TryEmit(k, ref ins, last, dead[k]);
            if (handled == InlineEmitter.Result.Terminated)
            {
                terminated = true;
                break;
            }
            if (handled == InlineEmitter.Result.Handled) continue;
            inline.HelperCalled(ins);
            // Helper call: RIP = next instruction, then Helpers.X(cpu, ref block.Instructions[k]).
            inline.EmitHelperCall(ref ins, k, HelperTable.Lookup(ins, opsize16[k]));
            if (last && ins.FlowControl != FlowControl.Next)
            {
                // A helper-run control transfer that fell through (e.g. a conditional one not taken).
                il.Emit(OpCodes.Ldc_I4, k);
                il.Emit(OpCodes.Stloc, index);
                il.Emit(OpCodes.Ldc_I4_2);
                il.Emit(OpCodes.Stloc, status);
                il.Emit(OpCodes.Br, dynamicExit);
                terminated = true;
            }
        }
        if (!terminated)
        {
            uint next = (uint)insns[^1].NextIP & ipMask;
            inline.FlushFlags();
            inline.EmitWriteBack();
            EmitExit(il, insns.Length, next);
            if (loopStart.HasValue) EmitChain(il, BlockExit.Static0);
            else
            {
                il.Emit(OpCodes.Ldc_I4, BlockExit.Static0);
                il.Emit(OpCodes.Ret);
            }
        }
        // Shared exits: after a helper at [index] asked to stop (status 2) or faulted (status 1).
        il.MarkLabel(dynamicExit);
        inline.EmitWriteBack();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldloc, index);
        il.Emit(OpCodes.Ldloc, status);
        il.Emit(OpCodes.Call, MHelperExit);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(faultExit);
        inline.EmitWriteBack();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldloc, index);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Call, MHelperExit);
        il.Emit(OpCodes.Ret);
        return (BlockFunction)dm.CreateDelegate(typeof(BlockFunction), block);
    }

    /// <summary>
    /// Flag producers whose six arithmetic flags are overwritten by a later register-only ALU instruction before any
    /// instruction could read them or fault (so nothing can observe them): they need not record lazy flags.
    /// </summary>
    internal static bool[] DeadFlagProducers(Instruction[] insns)
    {
        var dead = new bool[insns.Length];
        for (int k = 0; k < insns.Length; k++)
        {
            for (int j = k + 1; j < insns.Length; j++)
            {
                ref var n = ref insns[j];
                if (IsRegisterOnlyFullFlagWriter(n))
                {
                    dead[k] = true;
                    break;
                }
                // INC/DEC overwrite all but CF, and take CF from a register-only ADD/SUB/CMP/logic producer's operands
                // (InlineEmitter), so such a producer need not record its flags either.
                if (n.Mnemonic is Mnemonic.Inc or Mnemonic.Dec && RegisterOnly(n) && n.Op0Register.IsGPR() && IsRegisterOnlyFullFlagWriter(insns[k])
                    && insns[k].Mnemonic is Mnemonic.Add or Mnemonic.Sub or Mnemonic.Cmp or Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Test)
                {
                    dead[k] = true;
                    break;
                }
                bool harmless = n.Mnemonic is Mnemonic.Mov or Mnemonic.Lea or Mnemonic.Nop or Mnemonic.Movzx or Mnemonic.Movsx or Mnemonic.Not
                    && RegisterOnly(n) && (n.Mnemonic != Mnemonic.Mov || !n.Op0Register.IsSegmentRegister() && !n.Op0Register.IsCR() && !n.Op0Register.IsDR() && !n.Op1Register.IsCR() && !n.Op1Register.IsDR())
                    || n.Mnemonic == Mnemonic.Lea;
                if (!harmless) break;
            }
        }
        return dead;
    }

    private static bool RegisterOnly(in Instruction i)
    {
        for (int op = 0; op < i.OpCount; op++)
        {
            var k = i.GetOpKind(op);
            if (k != OpKind.Register && k is not (OpKind.Immediate8 or OpKind.Immediate16 or OpKind.Immediate32 or OpKind.Immediate8to16 or OpKind.Immediate8to32)) return false;
        }
        return true;
    }

    /// <summary>
    /// A register-only instruction that cannot fault and sets all six arithmetic flags without reading them: the
    /// ALU operations, SHL/SHR/SAR by a non-zero constant and the two- and three-operand IMUL (whose SF/ZF/PF/AF the
    /// SDM leaves undefined; both tiers define them from the result the same way, <see cref="LazyFlags.KindResult"/>).
    /// </summary>
    private static bool IsRegisterOnlyFullFlagWriter(in Instruction i)
    {
        if (i.HasLockPrefix || !RegisterOnly(i) || i.OpCount == 0 || i.Op0Kind != OpKind.Register || !i.Op0Register.IsGPR()) return false;
        switch (i.Mnemonic)
        {
            case Mnemonic.Add: case Mnemonic.Sub: case Mnemonic.Cmp: case Mnemonic.And: case Mnemonic.Or: case Mnemonic.Xor: case Mnemonic.Test:
                return true;
            case Mnemonic.Shl: case Mnemonic.Shr: case Mnemonic.Sar:
                return i.OpCount < 2 || i.Op1Kind == OpKind.Immediate8 && (i.Immediate8 & 0x1F) != 0;
            case Mnemonic.Imul:
                return i.OpCount >= 2;
            default:
                return false;
        }
    }

    /// <summary>
    /// The common block exit after instruction <paramref name="index"/>: a fault (status 1) leaves RIP at that
    /// instruction and retires the ones before it; a stop (status 2) retires it too and keeps the RIP the helper set.
    /// </summary>
    internal static int HelperExit(TranslatedBlock block, CpuState cpu, int index, int status)
    {
        if (status == Helpers.Fault)
        {
            ref var ins = ref block.Instructions[index];
            uint mask = (block.Mode & 4) != 0 ? 0xFFFF_FFFFu : 0xFFFFu;
            cpu.Rip = (uint)ins.IP & mask;
            cpu.Retired += index;
            return BlockExit.Exception;
        }
        cpu.Retired += index + 1;
        return BlockExit.Dynamic;
    }

    internal static void EmitRetire(ILGenerator il, int count)
    {
        if (count == 0) return;
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Ldfld, FRetired);
        il.Emit(OpCodes.Ldc_I8, (long)count);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stfld, FRetired);
    }

    private static void EmitExit(ILGenerator il, int retired, uint rip)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, (int)rip);
        il.Emit(OpCodes.Conv_U8);
        il.Emit(OpCodes.Stfld, FRip);
        EmitRetire(il, retired);
    }

    /// <summary>
    /// The end of a static exit (RIP and the retired count already stored): when <see cref="Successor"/> finds a
    /// linked successor it may continue into, the block tail-calls it directly — the dispatcher chain loop's checks
    /// without the return to it and its shared, badly predicted indirect call. Otherwise it returns
    /// <paramref name="exit"/>.
    /// </summary>
    internal static void EmitChain(ILGenerator il, int exit)
    {
        var leave = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, exit);
        il.Emit(OpCodes.Call, MSuccessor);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Brfalse, leave);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Tailcall);
        il.Emit(OpCodes.Callvirt, MInvoke);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(leave);
        il.Emit(OpCodes.Pop);
        il.Emit(OpCodes.Ldc_I4, exit);
        il.Emit(OpCodes.Ret);
    }

    /// <summary>
    /// The successor a compiled block continues into after static exit <paramref name="exit"/>, or null (then the
    /// block, recorded in <see cref="CpuState.ChainTail"/>, returns to the dispatcher). Out of line on purpose: the
    /// JIT's time per block is what cold code pays, and every exit of every block would otherwise carry these checks
    /// (measured: emitting them inline cost 25 % more JIT time per block for no measurable gain in the blocks).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal static BlockFunction? Successor(TranslatedBlock block, CpuState cpu, int exit)
    {
        if (cpu.Retired < cpu.LoopLimit && !cpu.InterruptCheck && block.Linked(exit, cpu.TranslationEpoch) is { } next) return next.Run;
        cpu.ChainTail = block;
        return null;
    }
}
