using System.Reflection;
using System.Reflection.Emit;
using Emulator.Core.Cpu;
using Emulator.Core.Memory;
using Iced.Intel;
using Label = System.Reflection.Emit.Label;

namespace Emulator.Core.Translation;

/// <summary>
/// IL for the hot instructions, inline in the block: MOV, the ALU group, INC/DEC, LEA, MOVZX/MOVSX, PUSH/POP,
/// near CALL/RET/JMP/Jcc. Memory operands use the soft TLB inline (segment fast limit, tag compare, host pointer)
/// and call <see cref="Mmu"/> only on a miss. Arithmetic flags are lazy; a Jcc that follows its flag producer in
/// the same block is decided from the operands directly, and producers whose flags are overwritten before anything
/// can observe them store nothing.
/// </summary>
internal sealed class InlineEmitter
{
    public enum Result { NotHandled, Handled, Terminated }

    private static readonly FieldInfo FRip = F(nameof(CpuState.Rip));
    private static readonly FieldInfo FRetired = F(nameof(CpuState.Retired));
    private static readonly FieldInfo FLoopLimit = F(nameof(CpuState.LoopLimit));
    private static readonly FieldInfo FInterruptCheck = F(nameof(CpuState.InterruptCheck));
    private static readonly MethodInfo MBlockValid = typeof(TranslatedBlock).GetProperty(nameof(TranslatedBlock.Valid))!.GetMethod!;
    private static readonly FieldInfo FLazyOp = F(nameof(CpuState.LazyOp));
    private static readonly FieldInfo FLazyA = F(nameof(CpuState.LazyA));
    private static readonly FieldInfo FLazyB = F(nameof(CpuState.LazyB));
    private static readonly FieldInfo FLazyR = F(nameof(CpuState.LazyR));
    private static readonly FieldInfo FEflags = F(nameof(CpuState.Eflags));
    private static readonly FieldInfo FFaulted = F(nameof(CpuState.Faulted));
    private static readonly FieldInfo FTlbRead = F(nameof(CpuState.TlbRead));
    private static readonly FieldInfo FTlbWrite = F(nameof(CpuState.TlbWrite));
    private static readonly FieldInfo[] FGpr =
    {
        F(nameof(CpuState.Rax)), F(nameof(CpuState.Rcx)), F(nameof(CpuState.Rdx)), F(nameof(CpuState.Rbx)),
        F(nameof(CpuState.Rsp)), F(nameof(CpuState.Rbp)), F(nameof(CpuState.Rsi)), F(nameof(CpuState.Rdi)),
    };
    private static readonly FieldInfo[] FSeg =
    {
        F(nameof(CpuState.Es)), F(nameof(CpuState.Cs)), F(nameof(CpuState.Ss)), F(nameof(CpuState.Ds)), F(nameof(CpuState.Fs)), F(nameof(CpuState.Gs)),
    };
    private static readonly FieldInfo FSegBase = typeof(Segment).GetField(nameof(Segment.Base))!;
    private static readonly FieldInfo FSegLimit = typeof(Segment).GetField(nameof(Segment.Limit))!;
    private static readonly FieldInfo FSegReadLimit = typeof(Segment).GetField(nameof(Segment.ReadLimit))!;
    private static readonly FieldInfo FSegWriteLimit = typeof(Segment).GetField(nameof(Segment.WriteLimit))!;
    private static readonly MethodInfo MReadSlow = typeof(Mmu).GetMethod(nameof(Mmu.ReadSlow))!;
    private static readonly MethodInfo MWriteSlow = typeof(Mmu).GetMethod(nameof(Mmu.WriteSlow))!;
    private static readonly MethodInfo MCarryOf = typeof(LazyFlags).GetMethod(nameof(LazyFlags.CarryOf))!;
    private static readonly MethodInfo MCondition = typeof(LazyFlags).GetMethod(nameof(LazyFlags.Condition))!;
    private static readonly MethodInfo MCarryIn = typeof(InlineOps).GetMethod(nameof(InlineOps.CarryIn))!;
    private static readonly MethodInfo MSetCarry = typeof(InlineOps).GetMethod(nameof(InlineOps.SetCarry))!;
    private static readonly MethodInfo MMul = typeof(InlineOps).GetMethod(nameof(InlineOps.Mul))!;
    private static readonly MethodInfo MImul1 = typeof(InlineOps).GetMethod(nameof(InlineOps.Imul1))!;
    private static readonly MethodInfo MImul = typeof(InlineOps).GetMethod(nameof(InlineOps.Imul))!;
    private static readonly MethodInfo MRotate = typeof(InlineOps).GetMethod(nameof(InlineOps.Rotate))!;
    private static readonly MethodInfo MShlValue = typeof(InlineOps).GetMethod(nameof(InlineOps.ShlValue))!;
    private static readonly MethodInfo MShlFlags = typeof(InlineOps).GetMethod(nameof(InlineOps.ShlFlags))!;
    private static readonly MethodInfo MShrValue = typeof(InlineOps).GetMethod(nameof(InlineOps.ShrValue))!;
    private static readonly MethodInfo MShrFlags = typeof(InlineOps).GetMethod(nameof(InlineOps.ShrFlags))!;
    private static readonly MethodInfo MSarValue = typeof(InlineOps).GetMethod(nameof(InlineOps.SarValue))!;
    private static readonly MethodInfo MSarFlags = typeof(InlineOps).GetMethod(nameof(InlineOps.SarFlags))!;
    private static readonly MethodInfo MTryReadTsc = typeof(InlineOps).GetMethod(nameof(InlineOps.TryReadTsc))!;
    private static readonly MethodInfo MHasSse2 = typeof(InlineOps).GetMethod(nameof(InlineOps.HasSse2))!;
    private static readonly MethodInfo MCommitRotate = typeof(InlineOps).GetMethod(nameof(InlineOps.CommitRotate))!;
    private static readonly MethodInfo MSseReady = typeof(Helpers).GetMethod(nameof(Helpers.SseReady), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo MSdArith = typeof(Helpers).GetMethod(nameof(Helpers.SdArith), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo MSdCompare = typeof(Helpers).GetMethod(nameof(Helpers.SdCompare), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo MCvtsi2sd = typeof(Helpers).GetMethod(nameof(Helpers.Cvtsi2sdValue), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo MCvttsd2si = typeof(Helpers).GetMethod(nameof(Helpers.Cvttsd2siValue), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo MBitwise128 = typeof(Helpers).GetMethod(nameof(Helpers.Bitwise128), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo MGetFpu = typeof(CpuState).GetProperty(nameof(CpuState.Fpu))!.GetMethod!;
    private static readonly FieldInfo FXmm = typeof(FpuState).GetField(nameof(FpuState.Xmm))!;
    private static readonly FieldInfo FInstructions = typeof(TranslatedBlock).GetField(nameof(TranslatedBlock.Instructions))!;
    private static readonly MethodInfo MX87Ready = HelperMethod(nameof(Helpers.X87Ready));
    private static readonly MethodInfo MX87LoadReg = HelperMethod(nameof(Helpers.X87LoadReg));
    private static readonly MethodInfo MX87LoadMem = HelperMethod(nameof(Helpers.X87LoadMem));
    private static readonly MethodInfo MX87StoreReg = HelperMethod(nameof(Helpers.X87StoreReg));
    private static readonly MethodInfo MX87Xch = HelperMethod(nameof(Helpers.X87Xch));
    private static readonly MethodInfo MX87LoadConst = HelperMethod(nameof(Helpers.X87LoadConst));
    private static readonly MethodInfo MX87CompareEflags = HelperMethod(nameof(Helpers.X87CompareEflags));

    /// <summary>Per-operation register forms, indexed by <see cref="Cpu.Fpu.X87.Op"/> (the fast path specialised for each).</summary>
    private static readonly MethodInfo[] MX87ArithRegsByOp =
    {
        HelperMethod(nameof(Helpers.X87FaddRegs)), HelperMethod(nameof(Helpers.X87FsubRegs)), HelperMethod(nameof(Helpers.X87FsubrRegs)),
        HelperMethod(nameof(Helpers.X87FmulRegs)), HelperMethod(nameof(Helpers.X87FdivRegs)), HelperMethod(nameof(Helpers.X87FdivrRegs)),
    };
    private static readonly MethodInfo MX87ArithMem = HelperMethod(nameof(Helpers.X87ArithMem));

    private static MethodInfo HelperMethod(string name) => typeof(Helpers).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly MethodInfo MRaiseGp0 = typeof(InlineEmitter).GetMethod(nameof(RaiseGp0), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly bool[] IsCmov = MnemonicsStartingWith("Cmov");
    private static readonly bool[] IsSet = MnemonicsStartingWith("Set");

    private static bool[] MnemonicsStartingWith(string prefix)
    {
        var t = new bool[Enum.GetValues<Mnemonic>().Length + 1];
        foreach (var m in Enum.GetValues<Mnemonic>()) t[(int)m] = m.ToString().StartsWith(prefix, StringComparison.Ordinal);
        return t;
    }

    private static FieldInfo F(string name) => typeof(CpuState).GetField(name) ?? throw new MissingFieldException(nameof(CpuState), name);

    private static void RaiseGp0(CpuState cpu) => cpu.RaiseGp(0);

    private readonly ILGenerator _il;
    private readonly LocalBuilder _index;
    private readonly LocalBuilder _status;
    private readonly Label _faultExit;
    private readonly Label _dynamicExit;
    private readonly uint _ipMask;
    private readonly bool _stack32;
    private readonly bool _flat;

    /// <summary>
    /// The block's register cache: guest GPR i lives in local _gpr[i] (a ulong, like its CpuState field) for every
    /// register any instruction of the block uses (Iced's used-register info, implicit ones included), loaded by
    /// <see cref="EmitRegisterLoads"/> at the method's entry. <see cref="_dirty"/> are the ones an instruction may
    /// write: they are stored back to CpuState before anything else can look at them — on every exit, fault and stop
    /// path, and before a call that reads or writes registers in CpuState or may fault (see <see cref="EmitWriteBack()"/>).
    /// The loop back-edge keeps them in locals.
    /// </summary>
    private readonly LocalBuilder?[] _gpr = new LocalBuilder?[8];

    /// <summary>Per instruction: the label a forward branch inside the block jumps to, if any does.</summary>
    private readonly Label?[] _joins;

    /// <summary>The index of the later instruction Jcc <paramref name="from"/> targets (<see cref="TranslatedBlock.ForwardJoins"/>), or null.</summary>
    private int? JoinIndex(int from) => _forwardJoins is { } j && j[from] > from ? j[from] : null;

    /// <summary>The decoded block's forward joins and side-exit numbers: the interpreted tier goes by the same ones.</summary>
    private readonly int[]? _forwardJoins, _sideExitOf;
    private readonly bool[] _dirty = new bool[8];
    private readonly LocalBuilder _ea, _lin, _entry, _val, _a, _b, _r, _stop, _val64;
    private readonly Label? _loopStart;
    private readonly bool _chain;
    private readonly uint _startEip;
    private LocalBuilder? _sseReady;
    private bool _sseChecked;
    private int _k;
    private bool _stopChecked;

    /// <summary>The last flag producer still described by locals (for an inline Jcc), or null.</summary>
    private (int Kind, int Size, LocalBuilder A, LocalBuilder B, LocalBuilder R)? _producer;

    /// <summary>
    /// An ALU producer whose lazy-flags record is not stored yet: it is stored only where the flags could be observed
    /// (<see cref="FlushFlags"/> before an instruction that reads or records flags some other way, and on every
    /// exit, fault and stop path), and dropped when the next ALU producer replaces it — most ALU instructions in a
    /// block never store their record at all.
    /// </summary>
    private (int Kind, int Size, LocalBuilder A, LocalBuilder B, LocalBuilder R)? _pending;

    /// <summary>
    /// When the pending record is a shift by a constant's: how to compute its flags word (B) from the shift's operand
    /// and count locals, which no later instruction changes — emitted only on the paths that store the record.
    /// </summary>
    private (MethodInfo Function, int Size, LocalBuilder A, LocalBuilder Count, LocalBuilder Flags)? _pendingShift;

    /// <summary>
    /// In a block that loops to its own start: the record carried from the previous pass's back-edge (_carryOp 0:
    /// none) is what must be stored on any path before this pass's first producer — true until then.
    /// </summary>
    private bool _carried;
    private readonly LocalBuilder? _carryOp, _carryA, _carryB, _carryR;

    /// <param name="loopStart">
    /// The label at the block's first instruction when a jump back to <paramref name="startEip"/> may loop inside the
    /// compiled method (see <see cref="EmitBranchExit"/>); null when every exit must return to the dispatcher.
    /// </param>
    public InlineEmitter(ILGenerator il, LocalBuilder index, LocalBuilder status, Label faultExit, Label dynamicExit, uint ipMask, int mode,
        TranslatedBlock translated, Label? loopStart = null, uint startEip = 0)
    {
        var block = translated.Instructions;
        _joins = new Label?[block.Length];
        _forwardJoins = translated.ForwardJoins;
        _sideExitOf = translated.SideExitOf;
        foreach (ref var ins in block.AsSpan())
        {
            var info = InfoFactory.GetInfo(ins);
            foreach (var used in info.GetUsedRegisters())
            {
                int i = GprIndex(used.Register);
                if (i < 0) continue;
                _gpr[i] ??= il.DeclareLocal(typeof(ulong));
                if (used.Access is not (OpAccess.Read or OpAccess.CondRead or OpAccess.NoMemAccess)) _dirty[i] = true;
            }
        }
        _loopStart = loopStart;
        _startEip = startEip;
        // A branch back to the block's start, at its end or inside it (a loop followed by more code in one block).
        bool loops = false;
        foreach (ref var b in block.AsSpan())
        {
            loops |= loopStart.HasValue && (b.IsJccShortOrNear || b.Mnemonic == Mnemonic.Jmp && b.IsJmpShortOrNear)
                && ((uint)b.NearBranchTarget & ipMask) == startEip;
        }
        if (loops && ProducerBeforeFlagUse(block))
        {
            _carried = true;
            _carryOp = il.DeclareLocal(typeof(int));
            _carryA = il.DeclareLocal(typeof(uint));
            _carryB = il.DeclareLocal(typeof(uint));
            _carryR = il.DeclareLocal(typeof(uint));
        }
        _chain = loopStart.HasValue;
        _il = il;
        _index = index;
        _status = status;
        _faultExit = faultExit;
        _dynamicExit = dynamicExit;
        _ipMask = ipMask;
        _stack32 = (mode & 8) != 0;
        _flat = (mode & BlockCompiler.ModeFlat) != 0;
        _ea = il.DeclareLocal(typeof(uint));
        _lin = il.DeclareLocal(typeof(uint));
        _entry = il.DeclareLocal(typeof(nint));
        _val = il.DeclareLocal(typeof(uint));
        _a = il.DeclareLocal(typeof(uint));
        _b = il.DeclareLocal(typeof(uint));
        _r = il.DeclareLocal(typeof(uint));
        _stop = il.DeclareLocal(typeof(bool));
        _val64 = il.DeclareLocal(typeof(ulong));
    }

    /// <summary>
    /// True when the block's first instruction that touches flags writes all six without reading them, after only
    /// moves or an INC/DEC whose flags are dead (it then does not merge the old CF): a record carried over the loop's
    /// back-edge is then stored only on fault paths. (When a live INC, a Jcc or a helper comes first, the record
    /// would be stored on the hot path anyway, so the back-edge stores it.)
    /// </summary>
    private static bool ProducerBeforeFlagUse(Instruction[] block)
    {
        var dead = BlockCompiler.DeadFlagProducers(block);
        for (int k = 0; k < block.Length; k++)
        {
            ref var i = ref block[k];
            if (i.HasLockPrefix || i.HasRepPrefix || i.HasRepnePrefix) return false;
            switch (i.Mnemonic)
            {
                case Mnemonic.Inc or Mnemonic.Dec when dead[k]:
                    continue;
                case Mnemonic.Add: case Mnemonic.Sub: case Mnemonic.Cmp: case Mnemonic.And: case Mnemonic.Or: case Mnemonic.Xor: case Mnemonic.Test:
                    return true;
                case Mnemonic.Shl: case Mnemonic.Sal: case Mnemonic.Shr: case Mnemonic.Sar:
                    return i.OpCount < 2 || i.Op1Kind == OpKind.Immediate8 && (i.Immediate8 & 0x1F) != 0;
                case Mnemonic.Movzx: case Mnemonic.Movsx: case Mnemonic.Lea: case Mnemonic.Nop:
                    continue;
                case Mnemonic.Mov when !(i.Op0Kind == OpKind.Register && (i.Op0Register.IsSegmentRegister() || i.Op0Register.IsCR() || i.Op0Register.IsDR()))
                                       && !(i.Op1Kind == OpKind.Register && (i.Op1Register.IsSegmentRegister() || i.Op1Register.IsCR() || i.Op1Register.IsDR())):
                    continue;
                default:
                    return false;
            }
        }
        return false;
    }

    [ThreadStatic] private static InstructionInfoFactory? _infoFactory;

    private static InstructionInfoFactory InfoFactory => _infoFactory ??= new InstructionInfoFactory();

    /// <summary>0–7 for a general register of any size (AH → 0), −1 for anything else.</summary>
    private static int GprIndex(Register r) => r.IsGPR() ? Operands.GprSlot(r).Index : -1;

    /// <summary>Loads every cached register from CpuState (at the method's entry, before the loop label).</summary>
    public void EmitRegisterLoads()
    {
        for (int i = 0; i < 8; i++) EmitReload(i);
    }

    /// <summary>
    /// Stores every register the block may have changed back to CpuState (exits, faults, before calls). Every call
    /// that can reach CpuState's registers (helpers, slow memory paths) is bracketed by this store and a reload of
    /// every cached register: no cached register is then live across a call, so the JIT keeps them in any host
    /// register (caller-saved included) on the hot path instead of spilling them to the frame.
    /// </summary>
    public void EmitWriteBack()
    {
        for (int i = 0; i < 8; i++) EmitWriteBack(i);
    }

    /// <summary>Stores GPR <paramref name="i"/> back to CpuState if the block may have changed it.</summary>
    private void EmitWriteBack(int i)
    {
        if (_gpr[i] is not { } l || !_dirty[i]) return;
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, l);
        _il.Emit(OpCodes.Stfld, FGpr[i]);
    }

    private void EmitReload(int i)
    {
        if (_gpr[i] is not { } l) return;
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, FGpr[i]);
        _il.Emit(OpCodes.Stloc, l);
    }

    /// <summary>
    /// The helper call for instruction k (RIP = next instruction; status 0 continues, else the dynamic exit — the
    /// indirect exit after a near indirect JMP/CALL), with the register cache stored before and reloaded after it.
    /// </summary>
    public void EmitHelperCall(ref Instruction ins, int k, MethodInfo helper)
    {
        EmitWriteBack();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, (int)((uint)ins.NextIP & _ipMask));
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stfld, FRip);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, FInstructions);
        _il.Emit(OpCodes.Ldc_I4, k);
        _il.Emit(OpCodes.Ldelema, typeof(Instruction));
        _il.Emit(OpCodes.Call, helper);
        EmitRegisterLoads();
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, _status);
        var cont = _il.DefineLabel();
        _il.Emit(OpCodes.Brfalse, cont);
        if (BlockInterpreter.IsNearIndirectBranch(ins))
        {
            // The branch was taken (status 2, not a fault): an indirect exit the dispatcher chains through its lookup.
            var fault = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, _status);
            _il.Emit(OpCodes.Ldc_I4, Helpers.EndBlock);
            _il.Emit(OpCodes.Bne_Un, fault);
            BlockCompiler.EmitRetire(_il, k + 1);
            _il.Emit(OpCodes.Ldc_I4, BlockExit.Indirect);
            _il.Emit(OpCodes.Ret);
            _il.MarkLabel(fault);
        }
        _il.Emit(OpCodes.Ldc_I4, k);
        _il.Emit(OpCodes.Stloc, _index);
        _il.Emit(OpCodes.Br, _dynamicExit);
        _il.MarkLabel(cont);
    }

    /// <summary>
    /// Called for a helper-run instruction: unless it is an x87/SIMD instruction (which never changes CR0 or CR4),
    /// the block's SSE enable check must be made again before the next inline SSE instruction.
    /// </summary>
    public void HelperCalled(in Instruction ins)
    {
        FlushFlags();
        _producer = null;
        if (!IsFpOrSimd(ins)) _sseChecked = false;
    }

    private static bool IsFpOrSimd(in Instruction ins)
    {
        if (ins.Mnemonic.ToString()[0] == 'F' && ins.Mnemonic is not (Mnemonic.Fxrstor or Mnemonic.Fxsave)) return true;
        for (int k = 0; k < ins.OpCount; k++)
        {
            if (ins.GetOpKind(k) == OpKind.Register && ins.GetOpRegister(k).IsXMM()) return true;
        }
        return false;
    }

    public Result TryEmit(int k, ref Instruction ins, bool last, bool flagsDead)
    {
        if (_joins[k] is { } join)
        {
            // The target of a forward branch inside the block: both paths arrive with the flags in CpuState and no
            // producer in locals.
            FlushFlags();
            _producer = null;
            _sseChecked = false;
            _il.MarkLabel(join);
        }
        var result = TryEmitInstruction(k, ref ins, last, flagsDead);
        if (flagsDead && result == Result.Handled)
        {
            // Nothing can observe flags from here to the register-only instruction that overwrites all six (see
            // BlockCompiler.DeadFlagProducers): earlier records, pending or carried, are dead too.
            _pending = null;
            _carried = false;
        }
        return result;
    }

    private Result TryEmitInstruction(int k, ref Instruction ins, bool last, bool flagsDead)
    {
        _k = k;
        _stopChecked = false;
        if ((_pending is not null || _carried) && !KeepsPendingFlags(ins, flagsDead)) FlushFlags();
        uint next = (uint)ins.NextIP & _ipMask;
        // PAUSE (F3 90) is a spin-wait hint: nothing architectural happens (SDM PAUSE).
        if (ins.Code == Code.Pause) return Result.Handled;
        if (ins.HasLockPrefix || ins.HasRepPrefix || ins.HasRepnePrefix) return Result.NotHandled;
        switch (ins.Mnemonic)
        {
            case Mnemonic.Mov: return Mov(ref ins);
            case Mnemonic.Add: return Alu(ref ins, LazyFlags.KindAdd, OpCodes.Add, true, flagsDead);
            case Mnemonic.Sub: return Alu(ref ins, LazyFlags.KindSub, OpCodes.Sub, true, flagsDead);
            case Mnemonic.Cmp: return Alu(ref ins, LazyFlags.KindSub, OpCodes.Sub, false, flagsDead);
            case Mnemonic.And: return Alu(ref ins, LazyFlags.KindLogic, OpCodes.And, true, flagsDead);
            case Mnemonic.Or: return Alu(ref ins, LazyFlags.KindLogic, OpCodes.Or, true, flagsDead);
            case Mnemonic.Xor: return Alu(ref ins, LazyFlags.KindLogic, OpCodes.Xor, true, flagsDead);
            case Mnemonic.Test: return Alu(ref ins, LazyFlags.KindLogic, OpCodes.And, false, flagsDead);
            case Mnemonic.Inc: return IncDec(ref ins, true, flagsDead);
            case Mnemonic.Dec: return IncDec(ref ins, false, flagsDead);
            case Mnemonic.Lea: return Lea(ref ins);
            case Mnemonic.Movzx: return Extend(ref ins, false);
            case Mnemonic.Movsx: return Extend(ref ins, true);
            case Mnemonic.Nop: return Result.Handled;
            case Mnemonic.Adc: return AdcSbb(ref ins, true, flagsDead);
            case Mnemonic.Sbb: return AdcSbb(ref ins, false, flagsDead);
            case Mnemonic.Neg: return Neg(ref ins, flagsDead);
            case Mnemonic.Not: return Not(ref ins);
            case Mnemonic.Mul: return Mul(ref ins, false, flagsDead);
            case Mnemonic.Imul: return ins.OpCount == 1 ? Mul(ref ins, true, flagsDead) : Imul(ref ins, flagsDead);
            case Mnemonic.Shl:
            case Mnemonic.Sal: return ShiftOp(ref ins, InlineOps.Shl, flagsDead);
            case Mnemonic.Shr: return ShiftOp(ref ins, InlineOps.Shr, flagsDead);
            case Mnemonic.Sar: return ShiftOp(ref ins, InlineOps.Sar, flagsDead);
            case Mnemonic.Rol: return ShiftOp(ref ins, InlineOps.Rol, flagsDead);
            case Mnemonic.Ror: return ShiftOp(ref ins, InlineOps.Ror, flagsDead);
            case Mnemonic.Xchg: return Xchg(ref ins);
            case Mnemonic.Bt: return Bt(ref ins);
            case Mnemonic.Push: return Push(ref ins);
            case Mnemonic.Rdtsc: return Rdtsc(ref ins);
            case Mnemonic.Lfence or Mnemonic.Mfence:
                {
                    // Ordering hints for a one-CPU, in-order emulator: only their existence is checked.
                    var ok = _il.DefineLabel();
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Call, MHasSse2);
                    _il.Emit(OpCodes.Brtrue, ok);
                    EmitHelperCall(ref ins);
                    _il.MarkLabel(ok);
                    return Result.Handled;
                }
            case Mnemonic.Pop: return Pop(ref ins);
            case Mnemonic.Jmp when ins.IsJmpShortOrNear && last:
                {
                    uint target = (uint)ins.NearBranchTarget & _ipMask;
                    EmitLimitCheck(target);
                    EmitBranchExit(k + 1, target, BlockExit.Static0);
                    return Result.Terminated;
                }
            case Mnemonic.Call when ins.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 && last:
                {
                    uint target = (uint)ins.NearBranchTarget & _ipMask;
                    int size = ins.Op0Kind == OpKind.NearBranch16 ? 2 : 4;
                    EmitLimitCheck(target);
                    _il.Emit(OpCodes.Ldc_I4, (int)next);
                    _il.Emit(OpCodes.Stloc, _val);
                    EmitPushValue(size, _val);
                    EmitExit(k + 1, target, BlockExit.Static0);
                    return Result.Terminated;
                }
            case Mnemonic.Ret when ins.OpCount == 0 && last:
                {
                    int size = ins.Code == Code.Retnw ? 2 : 4;
                    EmitStackRead(size, 0);
                    // target ≤ CS.limit, else #GP(0)
                    if (!_flat)
                    {
                        var ok = _il.DefineLabel();
                        _il.Emit(OpCodes.Ldloc, _val);
                        LdSegField(1, FSegLimit);
                        _il.Emit(OpCodes.Ble_Un, ok);
                        EmitRaiseGpAndFault();
                        _il.MarkLabel(ok);
                    }
                    EmitAdjustSp(size);
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Ldloc, _val);
                    _il.Emit(OpCodes.Conv_U8);
                    _il.Emit(OpCodes.Stfld, FRip);
                    EmitRetiredExit(k + 1, BlockExit.Indirect);
                    return Result.Terminated;
                }
        }
        if (SseMnemonic(ins.Mnemonic)) return Sse(ref ins);
        if (X87Mnemonic(ins.Mnemonic)) return X87Op(ref ins);
        if (ins.ConditionCode != ConditionCode.None && IsCmov[(int)ins.Mnemonic]) return Cmovcc(ref ins);
        if (ins.ConditionCode != ConditionCode.None && IsSet[(int)ins.Mnemonic]) return Setcc(ref ins);
        if (ins.IsJccShortOrNear && !last && JoinIndex(k) is int join)
        {
            // A forward branch to a later instruction of this block stays in the method: the taken path stores the
            // pending record (the join starts with the flags in CpuState) and un-retires the instructions it skips
            // (every later exit and fault retires by static index).
            var fallThrough = _il.DefineLabel();
            EmitCondition((int)ins.ConditionCode - 1);
            _il.Emit(OpCodes.Brfalse, fallThrough);
            EmitPendingStore();
            BlockCompiler.EmitRetire(_il, -(join - (k + 1)));
            _joins[join] ??= _il.DefineLabel();
            _il.Emit(OpCodes.Br, _joins[join]!.Value);
            _il.MarkLabel(fallThrough);
            return Result.Handled;
        }
        if (ins.IsJccShortOrNear && !last)
        {
            // A side exit: taken leaves (or loops, when it targets the block's start); not taken goes on in the block.
            uint target = (uint)ins.NearBranchTarget & _ipMask;
            var fallThrough = _il.DefineLabel();
            EmitCondition((int)ins.ConditionCode - 1);
            _il.Emit(OpCodes.Brfalse, fallThrough);
            EmitLimitCheck(target);
            EmitBranchExit(k + 1, target, BlockExit.FirstSide + _sideExitOf![k]);
            _il.MarkLabel(fallThrough);
            return Result.Handled;
        }
        if (ins.IsJccShortOrNear && last)
        {
            uint target = (uint)ins.NearBranchTarget & _ipMask;
            var taken = _il.DefineLabel();
            EmitCondition((int)ins.ConditionCode - 1);
            _il.Emit(OpCodes.Brtrue, taken);
            EmitExit(k + 1, next, BlockExit.Static0);
            _il.MarkLabel(taken);
            EmitLimitCheck(target);
            EmitBranchExit(k + 1, target, BlockExit.Static1);
            return Result.Terminated;
        }
        return Result.NotHandled;
    }

    /// <summary>Stores the pending producer's record (if any) and forgets it: from here on the record is current.</summary>
    public void FlushFlags()
    {
        EmitPendingStore();
        _pending = null;
        _carried = false;
    }

    private void SetPending(int kind, int size, LocalBuilder a, LocalBuilder b, LocalBuilder r)
    {
        _pending = (kind, size, a, b, r);
        _carried = false;
    }

    /// <summary>Before the loop label: nothing is carried into the first pass (the CPU's lazy record is current).</summary>
    public void EmitEntry()
    {
        EmitRegisterLoads();
        if (_carryOp is null) return;
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Stloc, _carryOp);
    }

    /// <summary>
    /// At the loop back-edge: the pending record (if any) is carried into the next pass in locals instead of being
    /// stored; until the pass's first producer replaces it, every path that stores the record stores the carried one
    /// (when there is one: not on the first pass).
    /// </summary>
    private void CarryPendingIntoLoop()
    {
        if (_carryOp is null)
        {
            // A block that does not carry records: the record is stored here, on this path only — the code after a
            // side exit's branch goes on with it still pending.
            EmitPendingStore();
            return;
        }
        if (_pending is { } p)
        {
            EmitDeferredShiftFlags(p.B);
            _il.Emit(OpCodes.Ldc_I4, (int)LazyFlags.Op(p.Kind, p.Size));
            _il.Emit(OpCodes.Stloc, _carryOp!);
            _il.Emit(OpCodes.Ldloc, p.A);
            _il.Emit(OpCodes.Stloc, _carryA!);
            _il.Emit(OpCodes.Ldloc, p.B);
            _il.Emit(OpCodes.Stloc, _carryB!);
            _il.Emit(OpCodes.Ldloc, p.R);
            _il.Emit(OpCodes.Stloc, _carryR!);
        }
        else if (!_carried)
        {
            // The record was stored in this pass: nothing to carry.
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Stloc, _carryOp!);
        }
        // else: no producer and no flush in the whole pass — the carried record (or none) stays as it is.
    }

    /// <summary>When the pending record is a deferred shift's (flags word <paramref name="flags"/>): computes that word here.</summary>
    private void EmitDeferredShiftFlags(LocalBuilder flags)
    {
        if (_pendingShift is not { } f || f.Flags != flags) return;
        EmitShiftPart(f.Function, f.Size, f.A, f.Count);
        _il.Emit(OpCodes.Stloc, f.Flags);
    }

    /// <summary>Stores the pending producer's record on the current path only (an exit or fault branch); it stays pending.</summary>
    public void EmitPendingStore()
    {
        if (_pending is null && _carried)
        {
            var none = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, _carryOp!);
            _il.Emit(OpCodes.Brfalse, none);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, _carryOp!);
            _il.Emit(OpCodes.Stfld, FLazyOp);
            StoreLazyOperands(_carryA!, _carryB!, _carryR!);
            _il.MarkLabel(none);
            return;
        }
        if (_pending is not { } p) return;
        EmitDeferredShiftFlags(p.B);
        StoreLazy(p.Kind, p.Size, p.A, p.B, p.R);
    }

    /// <summary>
    /// Instructions that leave a pending record pending: inline register/memory moves and the ALU group (they never
    /// read flags; their only way out mid-instruction is a fault or stop path, which stores it), and the ones that
    /// read flags from the pending producer's own locals (INC/DEC for CF, Jcc/SETcc/CMOVcc).
    /// </summary>
    private bool KeepsPendingFlags(in Instruction ins, bool flagsDead)
    {
        if (ins.HasLockPrefix || ins.HasRepPrefix || ins.HasRepnePrefix) return false;
        switch (ins.Mnemonic)
        {
            case Mnemonic.Mov:
                return !(ins.Op0Kind == OpKind.Register && (ins.Op0Register.IsSegmentRegister() || ins.Op0Register.IsCR() || ins.Op0Register.IsDR()))
                    && !(ins.Op1Kind == OpKind.Register && (ins.Op1Register.IsSegmentRegister() || ins.Op1Register.IsCR() || ins.Op1Register.IsDR()));
            case Mnemonic.Movzx: case Mnemonic.Movsx: case Mnemonic.Lea: case Mnemonic.Nop:
            case Mnemonic.Add: case Mnemonic.Sub: case Mnemonic.Cmp: case Mnemonic.And: case Mnemonic.Or: case Mnemonic.Xor: case Mnemonic.Test:
                return true;
            case Mnemonic.Inc: case Mnemonic.Dec:
                // Dead flags: the old CF is not merged, so nothing reads the record (a fault inside still stores it).
                return flagsDead || _producer is { } p && _pending is { } q && p.R == q.R;
            case Mnemonic.Shl: case Mnemonic.Sal: case Mnemonic.Shr: case Mnemonic.Sar:
                // By a non-zero constant: replaces the pending record when inlined; a helper-run one flushes it first.
                return ins.OpCount < 2 || ins.Op1Kind == OpKind.Immediate8 && (ins.Immediate8 & 0x1F) != 0;
            default:
                return ins.ConditionCode != ConditionCode.None && (ins.IsJccShortOrNear || IsSet[(int)ins.Mnemonic] || IsCmov[(int)ins.Mnemonic])
                    && _producer is { } p2 && _pending is { } q2 && p2.R == q2.R;
        }
    }

    // ---- Instructions ----

    private Result Mov(ref Instruction ins)
    {
        if (!SimpleOperand(ins, 0) || !SimpleOperand(ins, 1)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        if (!LoadOperand(ref ins, 1, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, _val);
        StoreOperand(ref ins, 0, size, _val);
        EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    private Result Alu(ref Instruction ins, int kind, OpCode op, bool store, bool flagsDead)
    {
        if (!SimpleOperand(ins, 0) || !SimpleOperand(ins, 1)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        uint mask = SizeMask(size);
        var a = _il.DeclareLocal(typeof(uint));
        var b = _il.DeclareLocal(typeof(uint));
        var r = _il.DeclareLocal(typeof(uint));
        // Zeroing idiom: XOR/SUB r, r needs no loads.
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, a);
        if (!LoadOperand(ref ins, 1, size)) return Result.NotHandled;
        if (mask != 0xFFFF_FFFF)
        {
            _il.Emit(OpCodes.Ldc_I4, (int)mask);
            _il.Emit(OpCodes.And);
        }
        _il.Emit(OpCodes.Stloc, b);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldloc, b);
        _il.Emit(op);
        if (mask != 0xFFFF_FFFF)
        {
            _il.Emit(OpCodes.Ldc_I4, (int)mask);
            _il.Emit(OpCodes.And);
        }
        _il.Emit(OpCodes.Stloc, r);
        if (store) StoreOperand(ref ins, 0, size, r);
        if (!flagsDead) SetPending(kind, size, a, b, r); // replaces any earlier pending record: all six flags are new
        _producer = (kind, size, a, b, r);
        if (store) EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    private Result IncDec(ref Instruction ins, bool inc, bool flagsDead)
    {
        if (!SimpleOperand(ins, 0)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        uint mask = SizeMask(size);
        var a = _il.DeclareLocal(typeof(uint));
        var r = _il.DeclareLocal(typeof(uint));
        var one = _il.DeclareLocal(typeof(uint));
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, a);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(inc ? OpCodes.Add : OpCodes.Sub);
        if (mask != 0xFFFF_FFFF)
        {
            _il.Emit(OpCodes.Ldc_I4, (int)mask);
            _il.Emit(OpCodes.And);
        }
        _il.Emit(OpCodes.Stloc, r);
        StoreOperand(ref ins, 0, size, r);
        int kind = inc ? LazyFlags.KindInc : LazyFlags.KindDec;
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Stloc, one);
        if (flagsDead)
        {
            _producer = (kind, size, a, one, r);
            EndOfStoringInstruction(ref ins);
            return Result.Handled;
        }
        // CF is kept: fold the current carry into EFLAGS (from the block's last producer when known), then record INC/DEC lazily.
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, FEflags);
        _il.Emit(OpCodes.Ldc_I4, unchecked((int)~Eflags.CF));
        _il.Emit(OpCodes.And);
        if (_producer is { Kind: LazyFlags.KindSub or LazyFlags.KindAdd or LazyFlags.KindLogic } p)
        {
            if (p.Kind == LazyFlags.KindLogic) _il.Emit(OpCodes.Ldc_I4_0);
            else
            {
                // SUB/CMP: borrow = a < b; ADD: carry = r < a (operands and result masked to the size).
                _il.Emit(OpCodes.Ldloc, p.Kind == LazyFlags.KindSub ? p.A : p.R);
                _il.Emit(OpCodes.Ldloc, p.Kind == LazyFlags.KindSub ? p.B : p.A);
                _il.Emit(OpCodes.Clt_Un);
            }
        }
        else
        {
            FlushFlags(); // CF is read from the recorded flags
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Call, MCarryOf);
        }
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Stfld, FEflags);
        StoreLazy(kind, size, a, one, r);
        _pending = null; // CF came from the producer's locals; INC/DEC's own record describes the rest
        _producer = (kind, size, a, one, r);
        EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    /// <summary>Pushes CF (0 or 1): from the block's last producer when it is known, else from the recorded flags.</summary>
    private void EmitCarryIn()
    {
        if (_producer is { Kind: LazyFlags.KindSub or LazyFlags.KindAdd or LazyFlags.KindLogic } p)
        {
            if (p.Kind == LazyFlags.KindLogic) _il.Emit(OpCodes.Ldc_I4_0);
            else
            {
                // SUB/CMP: borrow = a < b; ADD: carry = r < a (operands and result masked to the size).
                _il.Emit(OpCodes.Ldloc, p.Kind == LazyFlags.KindSub ? p.A : p.R);
                _il.Emit(OpCodes.Ldloc, p.Kind == LazyFlags.KindSub ? p.B : p.A);
                _il.Emit(OpCodes.Clt_Un);
            }
            return;
        }
        FlushFlags(); // CF is read from the recorded flags
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Call, MCarryIn);
    }

    /// <summary>ADC/SBB: r = a ± b ± CF; recorded as ADD/SUB or, with a carry-in, ADC/SBB (kind + 1, i.e. op + 3).</summary>
    private Result AdcSbb(ref Instruction ins, bool add, bool flagsDead)
    {
        if (!SimpleOperand(ins, 0) || !SimpleOperand(ins, 1)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        uint mask = SizeMask(size);
        var a = _il.DeclareLocal(typeof(uint));
        var b = _il.DeclareLocal(typeof(uint));
        var c = _il.DeclareLocal(typeof(uint));
        var r = _il.DeclareLocal(typeof(uint));
        EmitCarryIn();
        _il.Emit(OpCodes.Stloc, c);
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, a);
        if (!LoadOperand(ref ins, 1, size)) return Result.NotHandled;
        EmitMask(mask);
        _il.Emit(OpCodes.Stloc, b);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldloc, b);
        _il.Emit(add ? OpCodes.Add : OpCodes.Sub);
        _il.Emit(OpCodes.Ldloc, c);
        _il.Emit(add ? OpCodes.Add : OpCodes.Sub);
        EmitMask(mask);
        _il.Emit(OpCodes.Stloc, r);
        StoreOperand(ref ins, 0, size, r);
        if (!flagsDead)
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldc_I4, (int)LazyFlags.Op(add ? LazyFlags.KindAdd : LazyFlags.KindSub, size));
            _il.Emit(OpCodes.Ldloc, c);
            _il.Emit(OpCodes.Ldc_I4_3);
            _il.Emit(OpCodes.Mul);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stfld, FLazyOp);
            StoreLazyOperands(a, b, r);
        }
        _producer = null;
        EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    private Result Neg(ref Instruction ins, bool flagsDead)
    {
        if (!SimpleOperand(ins, 0)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        uint mask = SizeMask(size);
        var a = _il.DeclareLocal(typeof(uint));
        var b = _il.DeclareLocal(typeof(uint));
        var r = _il.DeclareLocal(typeof(uint));
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, b);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Stloc, a);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ldloc, b);
        _il.Emit(OpCodes.Sub);
        EmitMask(mask);
        _il.Emit(OpCodes.Stloc, r);
        StoreOperand(ref ins, 0, size, r);
        if (!flagsDead) StoreLazy(LazyFlags.KindSub, size, a, b, r);
        _producer = (LazyFlags.KindSub, size, a, b, r);
        EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    private Result Not(ref Instruction ins)
    {
        if (!SimpleOperand(ins, 0)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        var r = _il.DeclareLocal(typeof(uint));
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Not);
        EmitMask(SizeMask(size));
        _il.Emit(OpCodes.Stloc, r);
        StoreOperand(ref ins, 0, size, r);
        EndOfStoringInstruction(ref ins);
        return Result.Handled; // flags untouched: the producer stays valid
    }

    /// <summary>MUL/IMUL r/m (one operand): the source loads inline, the multiply is one direct call.</summary>
    private Result Mul(ref Instruction ins, bool signed, bool flagsDead)
    {
        if (!SimpleOperand(ins, 0)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        var b = _il.DeclareLocal(typeof(uint));
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, b);
        // InlineOps.Mul/Imul1 read and merge into EAX/EDX in CpuState.
        EmitWriteBack(0);
        EmitWriteBack(2);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloc, b);
        _il.Emit(flagsDead ? OpCodes.Ldc_I4_0 : OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Call, signed ? MImul1 : MMul);
        EmitReload(0);
        EmitReload(2);
        _producer = null;
        return Result.Handled;
    }

    /// <summary>IMUL r, r/m and IMUL r, r/m, imm.</summary>
    private Result Imul(ref Instruction ins, bool flagsDead)
    {
        int src1 = ins.OpCount == 3 ? 1 : 0, src2 = ins.OpCount == 3 ? 2 : 1;
        if (!SimpleOperand(ins, 0) || !SimpleOperand(ins, src1) || !SimpleOperand(ins, src2)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        var a = _il.DeclareLocal(typeof(uint));
        var b = _il.DeclareLocal(typeof(uint));
        if (!LoadOperand(ref ins, src1, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, a);
        if (!LoadOperand(ref ins, src2, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, b);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldloc, b);
        _il.Emit(flagsDead ? OpCodes.Ldc_I4_0 : OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Call, MImul);
        _il.Emit(OpCodes.Stloc, _val);
        StoreReg(ins.Op0Register, _val);
        _producer = null;
        return Result.Handled;
    }

    /// <summary>
    /// SHL/SHR/SAR/ROL/ROR by 1, imm8 or CL. A count of 0 (after masking to 5 bits) changes nothing, not even the
    /// flags, and does not write the destination; flags are committed after the store (which may fault).
    /// </summary>
    private Result ShiftOp(ref Instruction ins, int kind, bool flagsDead)
    {
        if (!SimpleOperand(ins, 0)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        int constCount = -1;
        if (ins.OpCount < 2) constCount = 1;
        else if (ins.Op1Kind == OpKind.Immediate8) constCount = ins.Immediate8 & 0x1F;
        else if (ins.Op1Kind != OpKind.Register || ins.Op1Register != Register.CL) return Result.NotHandled;
        if (constCount == 0) return Result.NotHandled;
        var a = _il.DeclareLocal(typeof(uint));
        var count = _il.DeclareLocal(typeof(uint));
        var r = _il.DeclareLocal(typeof(uint));
        var fl = _il.DeclareLocal(typeof(uint));
        var skip = _il.DefineLabel();
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        EmitMask(SizeMask(size));
        _il.Emit(OpCodes.Stloc, a);
        if (constCount > 0) _il.Emit(OpCodes.Ldc_I4, constCount);
        else
        {
            LoadReg(Register.CL);
            _il.Emit(OpCodes.Ldc_I4, 0x1F);
            _il.Emit(OpCodes.And);
        }
        _il.Emit(OpCodes.Stloc, count);
        if (constCount < 0)
        {
            _il.Emit(OpCodes.Ldloc, count);
            _il.Emit(OpCodes.Brfalse, skip);
        }
        if (kind < InlineOps.Rol)
        {
            // SHL/SHR/SAR: value and flags by small inlinable functions; the flags recorded lazily as a result.
            EmitShiftPart(kind == InlineOps.Shl ? MShlValue : kind == InlineOps.Shr ? MShrValue : MSarValue, size, a, count);
            _il.Emit(OpCodes.Stloc, r);
            StoreOperand(ref ins, 0, size, r);
            if (!flagsDead && constCount > 0)
            {
                // A constant count is never 0: all six flags are new, so the record is deferred like an ALU producer's
                // (stored only where the flags can be observed).
                // The flags themselves are computed only where the record is stored (usually a fault path).
                var zero = _il.DeclareLocal(typeof(uint));
                _il.Emit(OpCodes.Ldc_I4_0);
                _il.Emit(OpCodes.Stloc, zero);
                SetPending(LazyFlags.KindResult, size, zero, fl, r);
                _pendingShift = (kind == InlineOps.Shl ? MShlFlags : kind == InlineOps.Shr ? MShrFlags : MSarFlags, size, a, count, fl);
            }
            else if (!flagsDead)
            {
                EmitShiftPart(kind == InlineOps.Shl ? MShlFlags : kind == InlineOps.Shr ? MShrFlags : MSarFlags, size, a, count);
                _il.Emit(OpCodes.Stloc, fl);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldc_I4, (int)LazyFlags.Op(LazyFlags.KindResult, size));
                _il.Emit(OpCodes.Stfld, FLazyOp);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldc_I4_0);
                _il.Emit(OpCodes.Stfld, FLazyA);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldloc, fl);
                _il.Emit(OpCodes.Stfld, FLazyB);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldloc, r);
                _il.Emit(OpCodes.Stfld, FLazyR);
            }
            _il.MarkLabel(skip);
            _producer = null;
            EndOfStoringInstruction(ref ins);
            return Result.Handled;
        }
        if (flagsDead && size == 4 && constCount > 0)
        {
            // A 32-bit rotate by a constant whose CF/OF nothing reads before all six flags are overwritten: the value only.
            _il.Emit(OpCodes.Ldloc, a);
            _il.Emit(OpCodes.Ldc_I4, constCount);
            _il.Emit(kind == InlineOps.Rol ? OpCodes.Shl : OpCodes.Shr_Un);
            _il.Emit(OpCodes.Ldloc, a);
            _il.Emit(OpCodes.Ldc_I4, 32 - constCount);
            _il.Emit(kind == InlineOps.Rol ? OpCodes.Shr_Un : OpCodes.Shl);
            _il.Emit(OpCodes.Or);
            _il.Emit(OpCodes.Stloc, r);
            StoreOperand(ref ins, 0, size, r);
            _producer = null;
            EndOfStoringInstruction(ref ins);
            return Result.Handled;
        }
        _il.Emit(OpCodes.Ldc_I4, kind);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldloc, count);
        _il.Emit(OpCodes.Ldloca, fl);
        _il.Emit(OpCodes.Call, MRotate);
        _il.Emit(OpCodes.Stloc, r);
        StoreOperand(ref ins, 0, size, r);
        // ROL/ROR change only CF and OF, committed unless all six flags are dead (above) — the other four come from
        // the previous producer, so a live CF/OF means the flags word is made here.
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, fl);
        _il.Emit(OpCodes.Call, MCommitRotate);
        _il.MarkLabel(skip);
        _producer = null;
        EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    /// <summary>Pushes f(size, a, count) or, for <see cref="InlineOps.ShrValue"/>, f(a, count).</summary>
    private void EmitShiftPart(MethodInfo f, int size, LocalBuilder a, LocalBuilder count)
    {
        if (f.GetParameters().Length == 3) _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldloc, count);
        _il.Emit(OpCodes.Call, f);
    }

    /// <summary>RDTSC: EDX:EAX ← the time-stamp counter (the helper raises #GP(0) when CR4.TSD forbids it).</summary>
    private Result Rdtsc(ref Instruction ins)
    {
        var ok = _il.DefineLabel();
        var done = _il.DefineLabel();
        var tsc = _il.DeclareLocal(typeof(ulong));
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloca, tsc);
        _il.Emit(OpCodes.Call, MTryReadTsc);
        _il.Emit(OpCodes.Brtrue, ok);
        EmitHelperCall(ref ins);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(ok);
        _il.Emit(OpCodes.Ldloc, tsc);
        _il.Emit(OpCodes.Conv_U4);
        _il.Emit(OpCodes.Stloc, _val);
        StoreReg(Register.EAX, _val);
        _il.Emit(OpCodes.Ldloc, tsc);
        _il.Emit(OpCodes.Ldc_I4, 32);
        _il.Emit(OpCodes.Shr_Un);
        _il.Emit(OpCodes.Conv_U4);
        _il.Emit(OpCodes.Stloc, _val);
        StoreReg(Register.EDX, _val);
        _il.MarkLabel(done);
        return Result.Handled;
    }

    /// <summary>XCHG between general registers (the memory forms are locked and stay with the helper).</summary>
    private Result Xchg(ref Instruction ins)
    {
        if (ins.Op0Kind != OpKind.Register || ins.Op1Kind != OpKind.Register) return Result.NotHandled;
        var r0 = ins.Op0Register;
        var r1 = ins.Op1Register;
        if (!(r0.IsGPR8() || r0.IsGPR16() || r0.IsGPR32()) || !(r1.IsGPR8() || r1.IsGPR16() || r1.IsGPR32())) return Result.NotHandled;
        var a = _il.DeclareLocal(typeof(uint));
        var b = _il.DeclareLocal(typeof(uint));
        LoadReg(r0);
        _il.Emit(OpCodes.Stloc, a);
        LoadReg(r1);
        _il.Emit(OpCodes.Stloc, b);
        StoreReg(r0, b);
        StoreReg(r1, a);
        return Result.Handled;
    }

    /// <summary>BT r, r/imm8: CF ← the selected bit (offset modulo the operand size); the other flags are kept.</summary>
    private Result Bt(ref Instruction ins)
    {
        if (ins.Op0Kind != OpKind.Register || !SimpleOperand(ins, 0) || !SimpleOperand(ins, 1)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        var v = _il.DeclareLocal(typeof(uint));
        LoadReg(ins.Op0Register);
        _il.Emit(OpCodes.Stloc, v);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, v);
        if (ins.Op1Kind == OpKind.Register) LoadReg(ins.Op1Register);
        else _il.Emit(OpCodes.Ldc_I4, (int)(ins.Immediate8 & 0xFF));
        _il.Emit(OpCodes.Ldc_I4, size * 8 - 1);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Shr_Un);
        _il.Emit(OpCodes.Call, MSetCarry);
        _producer = null;
        return Result.Handled;
    }

    /// <summary>CMOVcc r, r/m: the source is read (and may fault) whatever the condition.</summary>
    private Result Cmovcc(ref Instruction ins)
    {
        if (ins.Op0Kind != OpKind.Register || !SimpleOperand(ins, 0) || !SimpleOperand(ins, 1)) return Result.NotHandled;
        int size = Operands.OperandSize(ins, 0);
        var v = _il.DeclareLocal(typeof(uint));
        var skip = _il.DefineLabel();
        if (!LoadOperand(ref ins, 1, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, v);
        EmitCondition((int)ins.ConditionCode - 1);
        _il.Emit(OpCodes.Brfalse, skip);
        StoreReg(ins.Op0Register, v);
        _il.MarkLabel(skip);
        return Result.Handled;
    }

    /// <summary>SETcc r/m8.</summary>
    private Result Setcc(ref Instruction ins)
    {
        if (!SimpleOperand(ins, 0)) return Result.NotHandled;
        var v = _il.DeclareLocal(typeof(uint));
        EmitCondition((int)ins.ConditionCode - 1);
        _il.Emit(OpCodes.Stloc, v);
        StoreOperand(ref ins, 0, 1, v);
        EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    // ---- SSE2 double forms ----

    private static bool SseMnemonic(Mnemonic m) => m is Mnemonic.Movsd or Mnemonic.Movq or Mnemonic.Movapd or Mnemonic.Movaps
        or Mnemonic.Movupd or Mnemonic.Movups or Mnemonic.Movdqa or Mnemonic.Movdqu
        or Mnemonic.Addsd or Mnemonic.Subsd or Mnemonic.Mulsd or Mnemonic.Divsd or Mnemonic.Sqrtsd
        or Mnemonic.Ucomisd or Mnemonic.Comisd or Mnemonic.Cvtsi2sd or Mnemonic.Cvttsd2si
        or Mnemonic.Andpd or Mnemonic.Andps or Mnemonic.Andnpd or Mnemonic.Andnps or Mnemonic.Orpd or Mnemonic.Orps
        or Mnemonic.Xorpd or Mnemonic.Xorps or Mnemonic.Pand or Mnemonic.Pandn or Mnemonic.Por or Mnemonic.Pxor;

    private static bool IsXmm(in Instruction ins, int op) => ins.GetOpKind(op) == OpKind.Register && ins.GetOpRegister(op).IsXMM();

    private static bool IsMem64(in Instruction ins, int op) => ins.GetOpKind(op) == OpKind.Memory && SimpleAddress(ins) && ins.MemorySize.GetSize() == 8;

    private static int XmmIndex(in Instruction ins, int op) => ins.GetOpRegister(op) - Register.XMM0;

    /// <summary>
    /// The hot SSE2 forms: register numbers resolved now, 64-bit memory operands through the inline TLB path, the
    /// arithmetic through <see cref="Helpers.SdArith"/> and friends. The enable check is made once per block; when it
    /// fails the generic helper runs (and raises #UD/#NM).
    /// </summary>
    private Result Sse(ref Instruction ins)
    {
        var m = ins.Mnemonic;
        if (ins.OpCount != 2) return Result.NotHandled;
        bool x0 = IsXmm(ins, 0), x1 = IsXmm(ins, 1), m0 = IsMem64(ins, 0), m1 = IsMem64(ins, 1);
        Action? body = null;
        switch (m)
        {
            case Mnemonic.Movsd when ins.Code is Code.Movsd_xmm_xmmm64 or Code.Movsd_xmmm64_xmm:
            case Mnemonic.Movq when ins.Code is Code.Movq_xmm_xmmm64 or Code.Movq_xmmm64_xmm:
                {
                    bool zeroHigh = m == Mnemonic.Movq || m1;
                    if (x0 && (x1 || m1))
                    {
                        var insCopy = ins;
                        body = () =>
                        {
                            if (m1) ReadMem64(ref insCopy);
                            else LoadXmm(XmmIndex(insCopy, 1), 0);
                            _il.Emit(OpCodes.Stloc, _val64);
                            StoreXmm(XmmIndex(insCopy, 0), 0, _val64);
                            if (zeroHigh)
                            {
                                _il.Emit(OpCodes.Ldc_I8, 0L);
                                _il.Emit(OpCodes.Stloc, _val64);
                                StoreXmm(XmmIndex(insCopy, 0), 1, _val64);
                            }
                        };
                    }
                    else if (m0 && x1)
                    {
                        var insCopy = ins;
                        body = () =>
                        {
                            var v = _il.DeclareLocal(typeof(ulong));
                            LoadXmm(XmmIndex(insCopy, 1), 0);
                            _il.Emit(OpCodes.Stloc, v);
                            EmitEffectiveAddress(ref insCopy);
                            EmitWrite64(Operands.SegIndex(insCopy.MemorySegment), v);
                        };
                    }
                    break;
                }
            case Mnemonic.Movapd or Mnemonic.Movaps or Mnemonic.Movupd or Mnemonic.Movups or Mnemonic.Movdqa or Mnemonic.Movdqu when x0 && x1:
                {
                    int d = XmmIndex(ins, 0), sx = XmmIndex(ins, 1);
                    body = () =>
                    {
                        for (int h = 0; h < 2; h++)
                        {
                            LoadXmm(sx, h);
                            _il.Emit(OpCodes.Stloc, _val64);
                            StoreXmm(d, h, _val64);
                        }
                    };
                    break;
                }
            case Mnemonic.Addsd or Mnemonic.Subsd or Mnemonic.Mulsd or Mnemonic.Divsd or Mnemonic.Sqrtsd when x0 && (x1 || m1):
                {
                    var op = m switch
                    {
                        Mnemonic.Addsd => Cpu.Simd.SseFloat.Op.Add,
                        Mnemonic.Subsd => Cpu.Simd.SseFloat.Op.Sub,
                        Mnemonic.Mulsd => Cpu.Simd.SseFloat.Op.Mul,
                        Mnemonic.Divsd => Cpu.Simd.SseFloat.Op.Div,
                        _ => Cpu.Simd.SseFloat.Op.Sqrt,
                    };
                    var insCopy = ins;
                    body = () =>
                    {
                        LoadSourceDouble(ref insCopy, m1);
                        _il.Emit(OpCodes.Ldarg_1);
                        _il.Emit(OpCodes.Ldc_I4, (int)op);
                        _il.Emit(OpCodes.Ldc_I4, XmmIndex(insCopy, 0));
                        _il.Emit(OpCodes.Ldloc, _val64);
                        _il.Emit(OpCodes.Call, MSdArith);
                        EmitFaultIfNonZero();
                    };
                    break;
                }
            case Mnemonic.Ucomisd or Mnemonic.Comisd when x0 && (x1 || m1):
                {
                    var insCopy = ins;
                    body = () =>
                    {
                        LoadSourceDouble(ref insCopy, m1);
                        _il.Emit(OpCodes.Ldarg_1);
                        _il.Emit(OpCodes.Ldc_I4, XmmIndex(insCopy, 0));
                        _il.Emit(OpCodes.Ldloc, _val64);
                        _il.Emit(m == Mnemonic.Comisd ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                        _il.Emit(OpCodes.Call, MSdCompare);
                        EmitFaultIfNonZero();
                    };
                    break;
                }
            case Mnemonic.Cvtsi2sd when x0 && Operands.OperandSize(ins, 1) == 4 && SimpleOperand(ins, 1):
                {
                    var insCopy = ins;
                    body = () =>
                    {
                        LoadOperand(ref insCopy, 1, 4);
                        _il.Emit(OpCodes.Stloc, _val);
                        _il.Emit(OpCodes.Ldarg_1);
                        _il.Emit(OpCodes.Ldc_I4, XmmIndex(insCopy, 0));
                        _il.Emit(OpCodes.Ldloc, _val);
                        _il.Emit(OpCodes.Call, MCvtsi2sd);
                    };
                    break;
                }
            case Mnemonic.Cvttsd2si when ins.Op0Kind == OpKind.Register && ins.Op0Register.IsGPR32() && (x1 || m1):
                {
                    var insCopy = ins;
                    body = () =>
                    {
                        LoadSourceDouble(ref insCopy, m1);
                        _il.Emit(OpCodes.Ldarg_1);
                        _il.Emit(OpCodes.Ldloc, _val64);
                        _il.Emit(OpCodes.Ldloca, _val);
                        _il.Emit(OpCodes.Call, MCvttsd2si);
                        EmitFaultIfNonZero();
                        StoreReg(insCopy.Op0Register, _val);
                    };
                    break;
                }
            case Mnemonic.Andpd or Mnemonic.Andps or Mnemonic.Pand or Mnemonic.Andnpd or Mnemonic.Andnps or Mnemonic.Pandn
                or Mnemonic.Orpd or Mnemonic.Orps or Mnemonic.Por or Mnemonic.Xorpd or Mnemonic.Xorps or Mnemonic.Pxor when x0 && x1:
                {
                    int kind = m switch
                    {
                        Mnemonic.Andpd or Mnemonic.Andps or Mnemonic.Pand => 0,
                        Mnemonic.Andnpd or Mnemonic.Andnps or Mnemonic.Pandn => 1,
                        Mnemonic.Orpd or Mnemonic.Orps or Mnemonic.Por => 2,
                        _ => 3,
                    };
                    int d = XmmIndex(ins, 0), sx = XmmIndex(ins, 1);
                    body = () =>
                    {
                        _il.Emit(OpCodes.Ldarg_1);
                        _il.Emit(OpCodes.Ldc_I4, kind);
                        _il.Emit(OpCodes.Ldc_I4, d);
                        _il.Emit(OpCodes.Ldc_I4, sx);
                        _il.Emit(OpCodes.Call, MBitwise128);
                    };
                    break;
                }
        }
        if (body is null) return Result.NotHandled;
        var helper = _il.DefineLabel();
        var done = _il.DefineLabel();
        if (!_sseChecked)
        {
            _sseReady ??= _il.DeclareLocal(typeof(bool));
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Call, MSseReady);
            _il.Emit(OpCodes.Stloc, _sseReady);
            _sseChecked = true;
        }
        _il.Emit(OpCodes.Ldloc, _sseReady!);
        _il.Emit(OpCodes.Brfalse, helper);
        body();
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(helper);
        EmitHelperCall(ref ins);
        _il.MarkLabel(done);
        if (m is Mnemonic.Ucomisd or Mnemonic.Comisd) _producer = null;
        if (m0) EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    // ---- x87 hot forms ----

    private static bool X87Mnemonic(Mnemonic m) => m is Mnemonic.Fld or Mnemonic.Fst or Mnemonic.Fstp or Mnemonic.Fxch
        or Mnemonic.Fldz or Mnemonic.Fld1 or Mnemonic.Fcomi or Mnemonic.Fcomip or Mnemonic.Fucomi or Mnemonic.Fucomip
        or Mnemonic.Fadd or Mnemonic.Faddp or Mnemonic.Fsub or Mnemonic.Fsubp or Mnemonic.Fsubr or Mnemonic.Fsubrp
        or Mnemonic.Fmul or Mnemonic.Fmulp or Mnemonic.Fdiv or Mnemonic.Fdivp or Mnemonic.Fdivr or Mnemonic.Fdivrp
        or Mnemonic.Fild or Mnemonic.Fist or Mnemonic.Fistp or Mnemonic.Fsqrt or Mnemonic.Fchs or Mnemonic.Fabs
        or Mnemonic.Fldcw or Mnemonic.Fnstcw or Mnemonic.Fnstsw
        or Mnemonic.Fcom or Mnemonic.Fcomp or Mnemonic.Fcompp or Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fucompp;

    private static readonly MethodInfo MX87CompareRegs = HelperMethod(nameof(Helpers.X87CompareRegs));
    private static readonly MethodInfo MX87CompareMem = HelperMethod(nameof(Helpers.X87CompareMem));
    private static readonly MethodInfo MX87TryStoreFloat = HelperMethod(nameof(Helpers.X87TryStoreFloat));
    private static readonly MethodInfo MX87TryStoreInt = HelperMethod(nameof(Helpers.X87TryStoreInt));
    private static readonly MethodInfo MX87StoreDone = HelperMethod(nameof(Helpers.X87StoreDone));
    private static readonly MethodInfo MX87LoadInt = HelperMethod(nameof(Helpers.X87LoadInt));
    private static readonly MethodInfo MX87LoadControl = HelperMethod(nameof(Helpers.X87LoadControl));
    private static readonly MethodInfo MX87NoWaitReady = HelperMethod(nameof(Helpers.X87NoWaitReady));
    private static readonly MethodInfo MX87Control = HelperMethod(nameof(Helpers.X87Control));
    private static readonly MethodInfo MX87Status = HelperMethod(nameof(Helpers.X87Status));
    private static readonly MethodInfo MX87StoreStatusAx = HelperMethod(nameof(Helpers.X87StoreStatusAx));
    private static readonly MethodInfo MX87SignOp = HelperMethod(nameof(Helpers.X87SignOp));
    private static readonly MethodInfo MX87Sqrt = HelperMethod(nameof(Helpers.X87Sqrt));

    /// <summary>PE/C1 of an inline x87 store between its "try" and "done" calls (declared on first use).</summary>
    private LocalBuilder? _x87Flags;

    /// <summary>
    /// The x87 forms beyond <see cref="X87Op"/>'s table: FST/FSTP m32/m64fp and FIST/FISTP m16/m32/m64int (a pure
    /// "try" helper computes the value, the store is inline, then "done" commits the FPU state: a fault on the store
    /// leaves the FPU untouched), FILD m16/m32/m64int, FLDCW, FNSTCW, FNSTSW AX/m16, FSQRT, FCHS, FABS. Every form
    /// runs the generic helper when its fast path declines (#NM, pending exception, operands needing general rules).
    /// </summary>
    private Result X87More(ref Instruction ins)
    {
        var m = ins.Mnemonic;
        bool memOp = ins.OpCount == 1 && ins.Op0Kind == OpKind.Memory && SimpleAddress(ins);
        int seg = memOp ? Operands.SegIndex(ins.MemorySegment) : 0;
        int fop = Helpers.FopOf(ins);
        uint ip = (uint)ins.IP;
        var helper = _il.DefineLabel();
        var done = _il.DefineLabel();
        bool stores = false;
        switch (m)
        {
            case Mnemonic.Fst or Mnemonic.Fstp or Mnemonic.Fist or Mnemonic.Fistp when memOp:
                {
                    bool isInt = m is Mnemonic.Fist or Mnemonic.Fistp;
                    int size = ins.MemorySize switch
                    {
                        MemorySize.Float32 when !isInt => 4,
                        MemorySize.Float64 when !isInt => 8,
                        MemorySize.Int16 when isInt => 2,
                        MemorySize.Int32 when isInt => 4,
                        MemorySize.Int64 when isInt => 8,
                        _ => 0,
                    };
                    if (size == 0) return Result.NotHandled;
                    _x87Flags ??= _il.DeclareLocal(typeof(int));
                    _il.Emit(OpCodes.Ldarg_1);
                    if (isInt) _il.Emit(OpCodes.Ldc_I4, size * 8);
                    else _il.Emit(size == 8 ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ldloca, _val64);
                    _il.Emit(OpCodes.Ldloca, _x87Flags);
                    _il.Emit(OpCodes.Call, isInt ? MX87TryStoreInt : MX87TryStoreFloat);
                    _il.Emit(OpCodes.Brfalse, helper);
                    EmitEffectiveAddress(ref ins);
                    if (size == 8) EmitWrite64(seg, _val64);
                    else
                    {
                        _il.Emit(OpCodes.Ldloc, _val64);
                        _il.Emit(OpCodes.Conv_U4);
                        _il.Emit(OpCodes.Stloc, _val);
                        EmitWrite(seg, size, _val);
                    }
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Ldloc, _x87Flags);
                    _il.Emit(m is Mnemonic.Fstp or Mnemonic.Fistp ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ldc_I4, seg);
                    _il.Emit(OpCodes.Ldloc, _ea);
                    _il.Emit(OpCodes.Ldc_I4, (int)ip);
                    _il.Emit(OpCodes.Ldc_I4, fop);
                    _il.Emit(OpCodes.Call, MX87StoreDone);
                    stores = true;
                    break;
                }
            case Mnemonic.Fild when memOp && ins.MemorySize is MemorySize.Int16 or MemorySize.Int32 or MemorySize.Int64:
                {
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Call, MX87Ready);
                    _il.Emit(OpCodes.Brfalse, helper);
                    if (ins.MemorySize == MemorySize.Int64) ReadMem64(ref ins);
                    else
                    {
                        EmitEffectiveAddress(ref ins);
                        bool w16 = ins.MemorySize == MemorySize.Int16;
                        EmitRead(seg, w16 ? 2 : 4);
                        _il.Emit(OpCodes.Ldloc, _val);
                        if (w16) _il.Emit(OpCodes.Conv_I2);
                        _il.Emit(OpCodes.Conv_I8);
                    }
                    _il.Emit(OpCodes.Stloc, _val64);
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Ldloc, _val64);
                    _il.Emit(OpCodes.Ldc_I4, seg);
                    _il.Emit(OpCodes.Ldloc, _ea);
                    _il.Emit(OpCodes.Ldc_I4, (int)ip);
                    _il.Emit(OpCodes.Ldc_I4, fop);
                    _il.Emit(OpCodes.Call, MX87LoadInt);
                    break;
                }
            case Mnemonic.Fldcw when memOp:
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Call, MX87Ready);
                _il.Emit(OpCodes.Brfalse, helper);
                EmitEffectiveAddress(ref ins);
                EmitRead(seg, 2);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldloc, _val);
                _il.Emit(OpCodes.Call, MX87LoadControl);
                break;
            case Mnemonic.Fnstcw or Mnemonic.Fnstsw when memOp:
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Call, MX87NoWaitReady);
                _il.Emit(OpCodes.Brfalse, helper);
                EmitEffectiveAddress(ref ins);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Call, m == Mnemonic.Fnstcw ? MX87Control : MX87Status);
                _il.Emit(OpCodes.Stloc, _val);
                EmitWrite(seg, 2, _val);
                stores = true;
                break;
            case Mnemonic.Fnstsw when ins.OpCount == 1 && ins.Op0Kind == OpKind.Register && ins.Op0Register == Register.AX:
                EmitWriteBack(0); // it merges AX into RAX in CpuState
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Call, MX87StoreStatusAx);
                EmitReload(0);
                _il.Emit(OpCodes.Brfalse, helper);
                break;
            case Mnemonic.Fcom or Mnemonic.Fcomp when memOp && ins.MemorySize is MemorySize.Float32 or MemorySize.Float64:
                {
                    bool m64 = ins.MemorySize == MemorySize.Float64;
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Call, MX87Ready);
                    _il.Emit(OpCodes.Brfalse, helper);
                    if (m64) ReadMem64(ref ins);
                    else
                    {
                        EmitEffectiveAddress(ref ins);
                        EmitRead(seg, 4);
                        _il.Emit(OpCodes.Ldloc, _val);
                        _il.Emit(OpCodes.Conv_U8);
                    }
                    _il.Emit(OpCodes.Stloc, _val64);
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Ldloc, _val64);
                    _il.Emit(m64 ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                    _il.Emit(m == Mnemonic.Fcomp ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ldc_I4, seg);
                    _il.Emit(OpCodes.Ldloc, _ea);
                    _il.Emit(OpCodes.Ldc_I4, (int)ip);
                    _il.Emit(OpCodes.Ldc_I4, fop);
                    _il.Emit(OpCodes.Call, MX87CompareMem);
                    break;
                }
            case Mnemonic.Fcom or Mnemonic.Fcomp or Mnemonic.Fcompp or Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fucompp
                when ins.OpCount == 0 || (ins.OpCount == 1 && IsSt(ins, 0)) || (ins.OpCount == 2 && IsSt(ins, 1)):
                {
                    int k = ins.OpCount == 2 ? StOf(ins, 1) : ins.OpCount == 1 ? StOf(ins, 0) : 1;
                    int pops = m is Mnemonic.Fcompp or Mnemonic.Fucompp ? 2 : m is Mnemonic.Fcomp or Mnemonic.Fucomp ? 1 : 0;
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Ldc_I4, k);
                    _il.Emit(m is Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fucompp ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ldc_I4, pops);
                    _il.Emit(OpCodes.Ldc_I4, (int)ip);
                    _il.Emit(OpCodes.Ldc_I4, fop);
                    _il.Emit(OpCodes.Call, MX87CompareRegs);
                    _il.Emit(OpCodes.Brfalse, helper);
                    break;
                }
            case Mnemonic.Fsqrt when ins.OpCount == 0:
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldc_I4, (int)ip);
                _il.Emit(OpCodes.Ldc_I4, fop);
                _il.Emit(OpCodes.Call, MX87Sqrt);
                _il.Emit(OpCodes.Brfalse, helper);
                break;
            case Mnemonic.Fchs or Mnemonic.Fabs when ins.OpCount == 0:
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(m == Mnemonic.Fabs ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                _il.Emit(OpCodes.Ldc_I4, (int)ip);
                _il.Emit(OpCodes.Ldc_I4, fop);
                _il.Emit(OpCodes.Call, MX87SignOp);
                _il.Emit(OpCodes.Brfalse, helper);
                break;
            default:
                return Result.NotHandled;
        }
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(helper);
        EmitHelperCall(ref ins);
        _il.MarkLabel(done);
        if (stores) EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    private static int StOf(in Instruction ins, int op) => ins.GetOpRegister(op) - Register.ST0;

    private static bool IsSt(in Instruction ins, int op) => ins.GetOpKind(op) == OpKind.Register && ins.GetOpRegister(op).IsST();

    /// <summary>
    /// The hot x87 forms as direct calls to <see cref="Helpers"/>' X87* entries with ST indices, FOP and IP as
    /// constants (the arithmetic stays SoftFloat80's). When <see cref="Helpers.X87Ready"/> is false the generic helper
    /// runs (#NM, #MF/FERR#).
    /// </summary>
    private Result X87Op(ref Instruction ins)
    {
        var m = ins.Mnemonic;
        if (m is Mnemonic.Fild or Mnemonic.Fist or Mnemonic.Fistp or Mnemonic.Fsqrt or Mnemonic.Fchs or Mnemonic.Fabs
            or Mnemonic.Fldcw or Mnemonic.Fnstcw or Mnemonic.Fnstsw
            or Mnemonic.Fcom or Mnemonic.Fcomp or Mnemonic.Fcompp or Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fucompp
            || (m is Mnemonic.Fst or Mnemonic.Fstp && ins.OpCount == 1 && ins.Op0Kind == OpKind.Memory)) return X87More(ref ins);
        int fop = Helpers.FopOf(ins);
        uint ip = (uint)ins.IP;
        bool mem = ins.OpCount == 1 && ins.Op0Kind == OpKind.Memory && SimpleAddress(ins) && ins.MemorySize is MemorySize.Float64 or MemorySize.Float32;
        bool m64 = mem && ins.MemorySize == MemorySize.Float64;
        MethodInfo method;
        var args = new List<int>();
        switch (m)
        {
            case Mnemonic.Fld when ins.OpCount == 1 && IsSt(ins, 0):
                method = MX87LoadReg;
                args.Add(StOf(ins, 0));
                break;
            case Mnemonic.Fld when mem:
                method = MX87LoadMem;
                break;
            case Mnemonic.Fst or Mnemonic.Fstp when ins.OpCount == 1 && IsSt(ins, 0):
                method = MX87StoreReg;
                args.Add(StOf(ins, 0));
                args.Add(m == Mnemonic.Fstp ? 1 : 0);
                break;
            case Mnemonic.Fxch:
                method = MX87Xch;
                args.Add(ins.OpCount == 2 ? StOf(ins, 1) : ins.OpCount == 1 ? StOf(ins, 0) : 1);
                break;
            case Mnemonic.Fldz or Mnemonic.Fld1:
                method = MX87LoadConst;
                args.Add((int)(m == Mnemonic.Fldz ? Cpu.Fpu.X87.Constant.Zero : Cpu.Fpu.X87.Constant.One));
                break;
            case Mnemonic.Fcomi or Mnemonic.Fcomip or Mnemonic.Fucomi or Mnemonic.Fucomip when ins.OpCount == 2 && IsSt(ins, 1):
                method = MX87CompareEflags;
                args.Add(StOf(ins, 1));
                args.Add(m is Mnemonic.Fucomi or Mnemonic.Fucomip ? 1 : 0);
                args.Add(m is Mnemonic.Fcomip or Mnemonic.Fucomip ? 1 : 0);
                break;
            default:
                {
                    var op = m switch
                    {
                        Mnemonic.Fadd or Mnemonic.Faddp => Cpu.Fpu.X87.Op.Add,
                        Mnemonic.Fsub or Mnemonic.Fsubp => Cpu.Fpu.X87.Op.Sub,
                        Mnemonic.Fsubr or Mnemonic.Fsubrp => Cpu.Fpu.X87.Op.SubR,
                        Mnemonic.Fmul or Mnemonic.Fmulp => Cpu.Fpu.X87.Op.Mul,
                        Mnemonic.Fdiv or Mnemonic.Fdivp => Cpu.Fpu.X87.Op.Div,
                        Mnemonic.Fdivr or Mnemonic.Fdivrp => Cpu.Fpu.X87.Op.DivR,
                        _ => (Cpu.Fpu.X87.Op)(-1),
                    };
                    if ((int)op < 0) return Result.NotHandled;
                    bool pop = m is Mnemonic.Faddp or Mnemonic.Fsubp or Mnemonic.Fsubrp or Mnemonic.Fmulp or Mnemonic.Fdivp or Mnemonic.Fdivrp;
                    args.Add((int)op);
                    if (mem && !pop)
                    {
                        method = MX87ArithMem;
                        break;
                    }
                    if (ins.OpCount == 2 && IsSt(ins, 0) && IsSt(ins, 1))
                    {
                        args.Add(StOf(ins, 0));
                        args.Add(StOf(ins, 1));
                    }
                    else if (ins.OpCount == 0)
                    {
                        args.Add(1);
                        args.Add(0);
                    }
                    else return Result.NotHandled;
                    args.Add(pop ? 1 : 0);
                    args.RemoveAt(0);
                    method = MX87ArithRegsByOp[(int)op];
                    break;
                }
        }
        if (m == Mnemonic.Fld && !mem && !(ins.OpCount == 1 && IsSt(ins, 0))) return Result.NotHandled;
        var helper = _il.DefineLabel();
        var done = _il.DefineLabel();
        if (mem)
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Call, MX87Ready);
            _il.Emit(OpCodes.Brfalse, helper);
            if (m64) ReadMem64(ref ins);
            else
            {
                EmitEffectiveAddress(ref ins);
                EmitRead(Operands.SegIndex(ins.MemorySegment), 4);
                _il.Emit(OpCodes.Ldloc, _val);
                _il.Emit(OpCodes.Conv_U8);
            }
            _il.Emit(OpCodes.Stloc, _val64);
        }
        _il.Emit(OpCodes.Ldarg_1);
        foreach (int a in args) _il.Emit(OpCodes.Ldc_I4, a);
        if (mem)
        {
            _il.Emit(OpCodes.Ldloc, _val64);
            _il.Emit(m64 ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Ldc_I4, Operands.SegIndex(ins.MemorySegment));
            _il.Emit(OpCodes.Ldloc, _ea);
        }
        _il.Emit(OpCodes.Ldc_I4, (int)ip);
        _il.Emit(OpCodes.Ldc_I4, fop);
        _il.Emit(OpCodes.Call, method);
        if (mem) _il.Emit(OpCodes.Br, done);
        else _il.Emit(OpCodes.Brtrue, done);
        _il.MarkLabel(helper);
        EmitHelperCall(ref ins);
        _il.MarkLabel(done);
        if (method == MX87CompareEflags) _producer = null;
        return Result.Handled;
    }

    private void LoadSourceDouble(ref Instruction ins, bool memory)
    {
        if (memory) ReadMem64(ref ins);
        else LoadXmm(XmmIndex(ins, 1), 0);
        _il.Emit(OpCodes.Stloc, _val64);
    }

    /// <summary>Pushes the 64-bit memory operand (a fault takes the fault exit).</summary>
    private void ReadMem64(ref Instruction ins)
    {
        EmitEffectiveAddress(ref ins);
        int seg = Operands.SegIndex(ins.MemorySegment);
        var slow = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitFastPathToHost(seg, 8, FSegReadLimit, FTlbRead, slow);
        _il.Emit(OpCodes.Ldind_I8);
        _il.Emit(OpCodes.Stloc, _val64);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(slow);
        EmitWriteBack();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, seg);
        _il.Emit(OpCodes.Ldloc, _ea);
        _il.Emit(OpCodes.Ldc_I4_8);
        _il.Emit(OpCodes.Call, MReadSlow);
        EmitRegisterLoads();
        _il.Emit(OpCodes.Stloc, _val64);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, FFaulted);
        _il.Emit(OpCodes.Brfalse, done);
        EmitFault();
        _il.MarkLabel(done);
        _il.Emit(OpCodes.Ldloc, _val64);
    }

    private void EmitWrite64(int seg, LocalBuilder value)
    {
        var slow = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitFastPathToHost(seg, 8, FSegWriteLimit, FTlbWrite, slow);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Stind_I8);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(slow);
        EmitWriteBack();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, seg);
        _il.Emit(OpCodes.Ldloc, _ea);
        _il.Emit(OpCodes.Ldc_I4_8);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Call, MWriteSlow);
        EmitRegisterLoads();
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Ldc_I4_1);
        var notFault = _il.DefineLabel();
        _il.Emit(OpCodes.Bne_Un, notFault);
        _il.Emit(OpCodes.Pop);
        EmitFault();
        _il.MarkLabel(notFault);
        _il.Emit(OpCodes.Ldc_I4_2);
        _il.Emit(OpCodes.Ceq);
        _il.Emit(OpCodes.Ldloc, _stop);
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Stloc, _stop);
        _il.MarkLabel(done);
    }

    private void LoadXmmArray()
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Call, MGetFpu);
        _il.Emit(OpCodes.Ldfld, FXmm);
    }

    private void LoadXmm(int reg, int half)
    {
        LoadXmmArray();
        _il.Emit(OpCodes.Ldc_I4, 2 * reg + half);
        _il.Emit(OpCodes.Ldelem_I8);
    }

    private void StoreXmm(int reg, int half, LocalBuilder value)
    {
        LoadXmmArray();
        _il.Emit(OpCodes.Ldc_I4, 2 * reg + half);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Stelem_I8);
    }

    /// <summary>A status (0 continue, 1 fault) on the stack: a fault leaves through the fault exit.</summary>
    private void EmitFaultIfNonZero()
    {
        var ok = _il.DefineLabel();
        _il.Emit(OpCodes.Brfalse, ok);
        EmitFault();
        _il.MarkLabel(ok);
    }

    /// <summary>The generic path: RIP = next, Helpers.X(cpu, ref block.Instructions[k]), non-zero status → dynamic exit.</summary>
    private void EmitHelperCall(ref Instruction ins)
    {
        FlushFlags();
        EmitHelperCall(ref ins, _k, HelperTable.Lookup(ins, false));
    }

    private void EmitMask(uint mask)
    {
        if (mask == 0xFFFF_FFFF) return;
        _il.Emit(OpCodes.Ldc_I4, (int)mask);
        _il.Emit(OpCodes.And);
    }

    private Result Lea(ref Instruction ins)
    {
        if (ins.Op1Kind != OpKind.Memory || !SimpleAddress(ins)) return Result.NotHandled;
        EmitEffectiveAddress(ref ins);
        int size = ins.Op0Register.GetSize();
        _il.Emit(OpCodes.Ldloc, _ea);
        if (size == 2)
        {
            _il.Emit(OpCodes.Ldc_I4, 0xFFFF);
            _il.Emit(OpCodes.And);
        }
        _il.Emit(OpCodes.Stloc, _val);
        StoreReg(ins.Op0Register, _val);
        return Result.Handled;
    }

    private Result Extend(ref Instruction ins, bool signed)
    {
        if (!SimpleOperand(ins, 1)) return Result.NotHandled;
        int srcSize = Operands.OperandSize(ins, 1);
        int dstSize = ins.Op0Register.GetSize();
        if (!LoadOperand(ref ins, 1, srcSize)) return Result.NotHandled;
        if (signed)
        {
            _il.Emit(srcSize == 1 ? OpCodes.Conv_I1 : OpCodes.Conv_I2);
            if (dstSize == 2)
            {
                _il.Emit(OpCodes.Ldc_I4, 0xFFFF);
                _il.Emit(OpCodes.And);
            }
        }
        _il.Emit(OpCodes.Stloc, _val);
        StoreReg(ins.Op0Register, _val);
        return Result.Handled;
    }

    private Result Push(ref Instruction ins)
    {
        int size = -ins.StackPointerIncrement;
        var k0 = ins.Op0Kind;
        if (size is not (2 or 4)) return Result.NotHandled;
        if (k0 == OpKind.Register && !ins.Op0Register.IsGPR()) return Result.NotHandled;
        if (k0 == OpKind.Memory) return Result.NotHandled;
        if (!LoadOperand(ref ins, 0, size)) return Result.NotHandled;
        _il.Emit(OpCodes.Stloc, _val);
        EmitPushValue(size, _val);
        EndOfStoringInstruction(ref ins);
        return Result.Handled;
    }

    private Result Pop(ref Instruction ins)
    {
        int size = ins.StackPointerIncrement;
        if (ins.Op0Kind != OpKind.Register || !ins.Op0Register.IsGPR() || size is not (2 or 4)) return Result.NotHandled;
        EmitStackRead(size, 0);
        EmitAdjustSp(size);
        StoreReg(ins.Op0Register, _val);
        return Result.Handled;
    }

    // ---- Operands ----

    private static bool SimpleAddress(in Instruction ins) =>
        (ins.MemoryBase == Register.None || ins.MemoryBase.IsGPR16() || ins.MemoryBase.IsGPR32())
        && (ins.MemoryIndex == Register.None || ins.MemoryIndex.IsGPR16() || ins.MemoryIndex.IsGPR32());

    private static bool SimpleOperand(in Instruction ins, int op)
    {
        switch (ins.GetOpKind(op))
        {
            case OpKind.Register:
                {
                    var r = ins.GetOpRegister(op);
                    return r.IsGPR8() || r.IsGPR16() || r.IsGPR32();
                }
            case OpKind.Memory:
                return SimpleAddress(ins) && ins.MemorySize.GetSize() is 1 or 2 or 4;
            case OpKind.Immediate8:
            case OpKind.Immediate16:
            case OpKind.Immediate32:
            case OpKind.Immediate8to16:
            case OpKind.Immediate8to32:
                return true;
            default:
                return false;
        }
    }

    private static uint SizeMask(int size) => size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };

    /// <summary>Pushes operand <paramref name="op"/> as a uint (memory reads may fault → fault exit).</summary>
    private bool LoadOperand(ref Instruction ins, int op, int size)
    {
        switch (ins.GetOpKind(op))
        {
            case OpKind.Register:
                LoadReg(ins.GetOpRegister(op));
                return true;
            case OpKind.Memory:
                EmitEffectiveAddress(ref ins);
                EmitRead(Operands.SegIndex(ins.MemorySegment), size);
                _il.Emit(OpCodes.Ldloc, _val);
                return true;
            default:
                _il.Emit(OpCodes.Ldc_I4, (int)((uint)ins.GetImmediate(op) & SizeMask(size)));
                return true;
        }
    }

    private void StoreOperand(ref Instruction ins, int op, int size, LocalBuilder value)
    {
        if (ins.GetOpKind(op) == OpKind.Register)
        {
            StoreReg(ins.GetOpRegister(op), value);
            return;
        }
        EmitEffectiveAddress(ref ins);
        EmitWrite(Operands.SegIndex(ins.MemorySegment), size, value);
    }

    private void LoadReg(Register r)
    {
        var (index, shift) = Operands.GprSlot(r);
        LoadGpr(index);
        if (shift != 0)
        {
            _il.Emit(OpCodes.Ldc_I4_8);
            _il.Emit(OpCodes.Shr_Un);
        }
        switch (r.GetSize())
        {
            case 1: _il.Emit(OpCodes.Conv_U1); break;
            case 2: _il.Emit(OpCodes.Conv_U2); break;
            default: _il.Emit(OpCodes.Conv_U4); break;
        }
    }

    /// <summary>Pushes the whole 64-bit GPR <paramref name="index"/> (from the register cache when it holds it).</summary>
    private void LoadGpr(int index)
    {
        if (_gpr[index] is { } l)
        {
            _il.Emit(OpCodes.Ldloc, l);
            return;
        }
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, FGpr[index]);
    }

    /// <summary>Pops a whole 64-bit value into GPR <paramref name="index"/>: its cache local, or CpuState when it has none.</summary>
    private void StoreGpr(int index)
    {
        if (_gpr[index] is { } l)
        {
            if (_dirty[index])
            {
                _il.Emit(OpCodes.Stloc, l);
                return;
            }
            // Iced did not list the register as written (never expected): keep the field the truth too.
            _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Stloc, l);
        }
        _il.Emit(OpCodes.Stloc, _val64);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _val64);
        _il.Emit(OpCodes.Stfld, FGpr[index]);
    }

    private void StoreReg(Register r, LocalBuilder value)
    {
        var (index, shift) = Operands.GprSlot(r);
        switch (r.GetSize())
        {
            case 4:
                _il.Emit(OpCodes.Ldloc, value);
                _il.Emit(OpCodes.Conv_U8);
                break;
            case 2:
                LoadGpr(index);
                _il.Emit(OpCodes.Ldc_I8, ~0xFFFFL);
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Ldloc, value);
                _il.Emit(OpCodes.Conv_U2);
                _il.Emit(OpCodes.Conv_U8);
                _il.Emit(OpCodes.Or);
                break;
            default:
                LoadGpr(index);
                _il.Emit(OpCodes.Ldc_I8, ~(0xFFL << shift));
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Ldloc, value);
                _il.Emit(OpCodes.Conv_U1);
                _il.Emit(OpCodes.Conv_U8);
                if (shift != 0)
                {
                    _il.Emit(OpCodes.Ldc_I4_8);
                    _il.Emit(OpCodes.Shl);
                }
                _il.Emit(OpCodes.Or);
                break;
        }
        StoreGpr(index);
    }

    private void EmitEffectiveAddress(ref Instruction ins)
    {
        bool a16 = Operands.AddressSize16(ins);
        _il.Emit(OpCodes.Ldc_I4, (int)(uint)ins.MemoryDisplacement64);
        if (ins.MemoryBase != Register.None)
        {
            LoadReg(ins.MemoryBase);
            _il.Emit(OpCodes.Add);
        }
        if (ins.MemoryIndex != Register.None)
        {
            LoadReg(ins.MemoryIndex);
            int scale = ins.MemoryIndexScale;
            if (scale > 1)
            {
                _il.Emit(OpCodes.Ldc_I4, scale switch { 2 => 1, 4 => 2, _ => 3 });
                _il.Emit(OpCodes.Shl);
            }
            _il.Emit(OpCodes.Add);
        }
        if (a16)
        {
            _il.Emit(OpCodes.Ldc_I4, 0xFFFF);
            _il.Emit(OpCodes.And);
        }
        _il.Emit(OpCodes.Stloc, _ea);
    }

    private void LdSegField(int seg, FieldInfo field)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldflda, FSeg[seg]);
        _il.Emit(OpCodes.Ldfld, field);
    }

    /// <summary>Reads <paramref name="size"/> bytes at seg:[_ea] into _val (fault → fault exit).</summary>
    private void EmitRead(int seg, int size)
    {
        var slow = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitFastPathToHost(seg, size, FSegReadLimit, FTlbRead, slow);
        _il.Emit(size switch { 1 => OpCodes.Ldind_U1, 2 => OpCodes.Ldind_U2, _ => OpCodes.Ldind_U4 });
        _il.Emit(OpCodes.Stloc, _val);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(slow);
        EmitWriteBack();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, seg);
        _il.Emit(OpCodes.Ldloc, _ea);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Call, MReadSlow);
        EmitRegisterLoads();
        _il.Emit(OpCodes.Conv_U4);
        _il.Emit(OpCodes.Stloc, _val);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, FFaulted);
        _il.Emit(OpCodes.Brfalse, done);
        EmitFault();
        _il.MarkLabel(done);
    }

    /// <summary>Writes <paramref name="value"/> to seg:[_ea]; a fault exits; a store into translated code stops the block after this instruction.</summary>
    private void EmitWrite(int seg, int size, LocalBuilder value)
    {
        var slow = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitFastPathToHost(seg, size, FSegWriteLimit, FTlbWrite, slow);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(size switch { 1 => OpCodes.Stind_I1, 2 => OpCodes.Stind_I2, _ => OpCodes.Stind_I4 });
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(slow);
        EmitWriteBack();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, seg);
        _il.Emit(OpCodes.Ldloc, _ea);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Call, MWriteSlow);
        EmitRegisterLoads();
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Ldc_I4_1);
        var notFault = _il.DefineLabel();
        _il.Emit(OpCodes.Bne_Un, notFault);
        _il.Emit(OpCodes.Pop);
        EmitFault();
        _il.MarkLabel(notFault);
        // status 2: translated code was written — finish this instruction, then leave the block.
        _il.Emit(OpCodes.Ldc_I4_2);
        _il.Emit(OpCodes.Ceq);
        _il.Emit(OpCodes.Ldloc, _stop);
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Stloc, _stop);
        _il.MarkLabel(done);
    }

    /// <summary>
    /// The inline fast path shared by loads and stores: segment fast limit ((ulong)ea + size − 1 above the limit
    /// goes to <paramref name="slow"/>, which raises #GP/#SS as needed), TLB probe, then the host address on the stack.
    /// </summary>
    private void EmitFastPathToHost(int seg, int size, FieldInfo limitField, FieldInfo table, Label slow)
    {
        if (!FlatSegment(seg))
        {
            _il.Emit(OpCodes.Ldloc, _ea);
            _il.Emit(OpCodes.Conv_U8);
            if (size > 1)
            {
                _il.Emit(OpCodes.Ldc_I8, (long)(size - 1));
                _il.Emit(OpCodes.Add);
            }
            LdSegField(seg, limitField);
            _il.Emit(OpCodes.Bgt, slow);
        }
        EmitTlbProbe(seg, size, table, slow);
        _il.Emit(OpCodes.Ldloc, _entry);
        _il.Emit(OpCodes.Ldc_I4_8);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Ldind_I8);
        _il.Emit(OpCodes.Ldloc, _lin);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Conv_I);
    }

    /// <summary>_lin = seg.Base + _ea; _entry = &amp;table[index]; branches to <paramref name="miss"/> unless the tag matches for all bytes.</summary>
    private void EmitTlbProbe(int seg, int size, FieldInfo table, Label miss)
    {
        _il.Emit(OpCodes.Ldloc, _ea);
        if (!FlatSegment(seg))
        {
            LdSegField(seg, FSegBase);
            _il.Emit(OpCodes.Add);
        }
        _il.Emit(OpCodes.Stloc, _lin);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, table);
        // &table[(lin >> 12) & (Entries − 1)] with sizeof(TlbEntry) == 32, as one shift and one mask, zero-extended.
        _il.Emit(OpCodes.Ldloc, _lin);
        _il.Emit(OpCodes.Ldc_I4, 12 - 5);
        _il.Emit(OpCodes.Shr_Un);
        _il.Emit(OpCodes.Ldc_I4, (Tlb.Entries - 1) << 5);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, _entry);
        _il.Emit(OpCodes.Ldloc, _entry);
        _il.Emit(OpCodes.Ldind_I8);
        _il.Emit(OpCodes.Ldloc, _lin);
        if (size > 1)
        {
            _il.Emit(OpCodes.Ldc_I4, size - 1);
            _il.Emit(OpCodes.Add);
        }
        _il.Emit(OpCodes.Ldc_I4, unchecked((int)0xFFFF_F000u));
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Bne_Un, miss);
    }

    private void EmitStackAddress(int offset)
    {
        // _ea = (SP + offset) masked to the stack size
        LoadGpr(4);
        _il.Emit(OpCodes.Conv_U4);
        if (offset != 0)
        {
            _il.Emit(OpCodes.Ldc_I4, offset);
            _il.Emit(OpCodes.Add);
        }
        if (!_stack32)
        {
            _il.Emit(OpCodes.Ldc_I4, 0xFFFF);
            _il.Emit(OpCodes.And);
        }
        _il.Emit(OpCodes.Stloc, _ea);
    }

    private void EmitStackRead(int size, int offset)
    {
        EmitStackAddress(offset);
        EmitRead(Segmentation.SS, size);
    }

    private void EmitPushValue(int size, LocalBuilder value)
    {
        EmitStackAddress(-size);
        EmitWrite(Segmentation.SS, size, value);
        EmitSetSp(_ea);
    }

    private void EmitAdjustSp(int delta)
    {
        var sp = _il.DeclareLocal(typeof(uint));
        LoadGpr(4);
        _il.Emit(OpCodes.Conv_U4);
        _il.Emit(OpCodes.Ldc_I4, delta);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, sp);
        EmitSetSp(sp);
    }

    private void EmitSetSp(LocalBuilder value) => StoreReg(_stack32 ? Register.ESP : Register.SP, value);

    // ---- Flags ----

    private void StoreLazy(int kind, int size, LocalBuilder a, LocalBuilder b, LocalBuilder r)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, (int)LazyFlags.Op(kind, size));
        _il.Emit(OpCodes.Stfld, FLazyOp);
        StoreLazyOperands(a, b, r);
    }

    private void StoreLazyOperands(LocalBuilder a, LocalBuilder b, LocalBuilder r)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Stfld, FLazyA);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, b);
        _il.Emit(OpCodes.Stfld, FLazyB);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, r);
        _il.Emit(OpCodes.Stfld, FLazyR);
    }

    /// <summary>Pushes the truth of condition <paramref name="cc"/>: inline from the block's last producer when possible.</summary>
    private void EmitCondition(int cc)
    {
        if (_producer is { } p && TryInlineCondition(p.Kind, p.Size, p.A, p.B, p.R, cc)) return;
        FlushFlags(); // the condition is read from the recorded flags
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, cc);
        _il.Emit(OpCodes.Call, MCondition);
    }

    private bool TryInlineCondition(int kind, int size, LocalBuilder a, LocalBuilder b, LocalBuilder r, int cc)
    {
        bool negate = (cc & 1) != 0;
        int bits = size * 8;
        void Signed(LocalBuilder l)
        {
            _il.Emit(OpCodes.Ldloc, l);
            if (bits == 8) _il.Emit(OpCodes.Conv_I1);
            else if (bits == 16) _il.Emit(OpCodes.Conv_I2);
        }
        void SignOfR()
        {
            _il.Emit(OpCodes.Ldloc, r);
            _il.Emit(OpCodes.Ldc_I4, bits - 1);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.And);
        }
        void ZeroR()
        {
            _il.Emit(OpCodes.Ldloc, r);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Ceq);
        }
        switch (cc >> 1)
        {
            case 2: ZeroR(); break; // E / NE
            case 4: SignOfR(); break; // S / NS
            case 1 when kind == LazyFlags.KindSub: // B / AE: a < b unsigned
                _il.Emit(OpCodes.Ldloc, a);
                _il.Emit(OpCodes.Ldloc, b);
                _il.Emit(OpCodes.Clt_Un);
                break;
            case 3 when kind == LazyFlags.KindSub: // BE / A: a <= b unsigned
                _il.Emit(OpCodes.Ldloc, a);
                _il.Emit(OpCodes.Ldloc, b);
                _il.Emit(OpCodes.Cgt_Un);
                _il.Emit(OpCodes.Ldc_I4_0);
                _il.Emit(OpCodes.Ceq);
                break;
            case 6 when kind == LazyFlags.KindSub: // L / GE
                Signed(a);
                Signed(b);
                _il.Emit(OpCodes.Clt);
                break;
            case 7 when kind == LazyFlags.KindSub: // LE / G
                Signed(a);
                Signed(b);
                _il.Emit(OpCodes.Cgt);
                _il.Emit(OpCodes.Ldc_I4_0);
                _il.Emit(OpCodes.Ceq);
                break;
            case 1 when kind == LazyFlags.KindLogic: // CF = 0
                _il.Emit(OpCodes.Ldc_I4_0);
                break;
            case 3 when kind == LazyFlags.KindLogic: // BE = ZF
                ZeroR();
                break;
            case 6 when kind == LazyFlags.KindLogic: // L = SF (OF = 0)
                SignOfR();
                break;
            case 7 when kind == LazyFlags.KindLogic: // LE = ZF or SF
                ZeroR();
                SignOfR();
                _il.Emit(OpCodes.Or);
                break;
            case 1 when kind == LazyFlags.KindAdd: // B: carry out = r < a
                _il.Emit(OpCodes.Ldloc, r);
                _il.Emit(OpCodes.Ldloc, a);
                _il.Emit(OpCodes.Clt_Un);
                break;
            default:
                return false;
        }
        if (negate)
        {
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Ceq);
        }
        return true;
    }

    // ---- Exits ----

    private void EmitFault()
    {
        EmitPendingStore();
        _il.Emit(OpCodes.Ldc_I4, _k);
        _il.Emit(OpCodes.Stloc, _index);
        _il.Emit(OpCodes.Br, _faultExit);
    }

    private void EmitRaiseGpAndFault()
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Call, MRaiseGp0);
        EmitFault();
    }

    /// <summary>
    /// True for DS, ES and SS in a flat-segments block (<see cref="CpuState.FlatSegments"/>): base 0, and every offset
    /// + size − 1 up to 0xFFFFFFFF within the fast limits, so the segment adds nothing and the limit check never fails
    /// (an access that wraps past 4 GiB misses the TLB tag and takes the slow path, as it did the limit check).
    /// </summary>
    private bool FlatSegment(int seg) => _flat && seg is Segmentation.DS or Segmentation.ES or Segmentation.SS;

    private void EmitLimitCheck(uint target)
    {
        if (_flat) return; // CS.limit is 0xFFFFFFFF
        var ok = _il.DefineLabel();
        _il.Emit(OpCodes.Ldc_I4, (int)target);
        LdSegField(Segmentation.CS, FSegLimit);
        _il.Emit(OpCodes.Ble_Un, ok);
        EmitRaiseGpAndFault();
        _il.MarkLabel(ok);
    }

    /// <summary>After an instruction that stored to memory: leave the block if the store hit translated code.</summary>
    private void EndOfStoringInstruction(ref Instruction ins)
    {
        if (_stopChecked) return;
        _stopChecked = true;
        var go = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, _stop);
        _il.Emit(OpCodes.Brfalse, go);
        EmitPendingStore();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, (int)((uint)ins.NextIP & _ipMask));
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stfld, FRip);
        _il.Emit(OpCodes.Ldc_I4, _k);
        _il.Emit(OpCodes.Stloc, _index);
        _il.Emit(OpCodes.Ldc_I4_2);
        _il.Emit(OpCodes.Stloc, _status);
        _il.Emit(OpCodes.Br, _dynamicExit);
        _il.MarkLabel(go);
    }

    /// <summary>
    /// The exit of a taken jump. A jump back to the block's own first instruction (a tight loop) branches to the
    /// start of the method while the CPU's <see cref="CpuState.LoopLimit"/> allows, no interrupt check is pending and
    /// the block is still valid (not overwritten by its own stores): the same retired count and the same state as
    /// leaving and re-entering through the dispatcher's chain, without the trip.
    /// </summary>
    private void EmitBranchExit(int retired, uint target, int exit)
    {
        if (_loopStart is { } start && target == _startEip)
        {
            var leave = _il.DefineLabel();
            var again = _il.DefineLabel();
            BlockCompiler.EmitRetire(_il, retired);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, FRetired);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, FLoopLimit);
            _il.Emit(OpCodes.Bge, leave);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, FInterruptCheck);
            _il.Emit(OpCodes.Brtrue, leave);
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Call, MBlockValid);
            _il.Emit(OpCodes.Brtrue, again);
            _il.MarkLabel(leave);
            EmitPendingStore();
            EmitWriteBack();
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldc_I4, (int)target);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Stfld, FRip);
            if (_chain) BlockCompiler.EmitChain(_il, exit);
            else
            {
                _il.Emit(OpCodes.Ldc_I4, exit);
                _il.Emit(OpCodes.Ret);
            }
            _il.MarkLabel(again);
            CarryPendingIntoLoop();
            _il.Emit(OpCodes.Br, start);
            return;
        }
        EmitExit(retired, target, exit);
    }

    private void EmitExit(int retired, uint rip, int exit)
    {
        EmitWriteBack();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, (int)rip);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stfld, FRip);
        if (_chain && BlockExit.IsStatic(exit))
        {
            EmitPendingStore();
            BlockCompiler.EmitRetire(_il, retired);
            BlockCompiler.EmitChain(_il, exit);
            return;
        }
        EmitRetiredExit(retired, exit);
    }

    private void EmitRetiredExit(int retired, int exit)
    {
        EmitWriteBack();
        EmitPendingStore();
        BlockCompiler.EmitRetire(_il, retired);
        _il.Emit(OpCodes.Ldc_I4, exit);
        _il.Emit(OpCodes.Ret);
    }
}
