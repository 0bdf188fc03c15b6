using System.Runtime.CompilerServices;
using Emulator.Core.Bus;
using Emulator.Core.Memory;

namespace Emulator.Core.Cpu;

/// <summary>
/// The architectural state of one IA-32 processor, as plain fields so translated code reads and writes them
/// directly. General registers are 64 bits wide so long mode can slot in; the IA-32 core uses the low 32 bits.
/// The arithmetic EFLAGS bits are lazy: while <see cref="LazyOp"/> is not <see cref="LazyFlagOp.None"/> they are
/// defined by the last flag-setting operation and its operands (see <see cref="LazyFlags"/>).
/// </summary>
public sealed unsafe partial class CpuState
{
    // General registers, in the encoding order of the ModRM reg field.
    public ulong Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;

    public ulong Rip;

    /// <summary>EFLAGS; the six arithmetic bits are valid only while <see cref="LazyOp"/> is None.</summary>
    public uint Eflags = Cpu.Eflags.Reserved1;

    public LazyFlagOp LazyOp;
    public uint LazyA, LazyB, LazyR;

    /// <summary>Segment registers in the encoding order of Sreg (ES CS SS DS FS GS), then LDTR and TR.</summary>
    public Segment Es, Cs, Ss, Ds, Fs, Gs, Ldtr, Tr;

    public uint GdtrBase, GdtrLimit, IdtrBase, IdtrLimit;

    public uint Cr0 = Cr.CR0_ET | Cr.CR0_CD | Cr.CR0_NW, Cr2, Cr3, Cr4;
    public ulong Efer;
    public uint Dr0, Dr1, Dr2, Dr3, Dr6 = 0xFFFF0FF0, Dr7 = 0x400;

    /// <summary>Current privilege level (CS.RPL in protected mode, 3 in virtual-8086 mode, 0 in real mode).</summary>
    public int Cpl;

    /// <summary>Retired guest instructions since reset: the machine's virtual time base.</summary>
    public long Retired;

    /// <summary>The run loop stops at the first block boundary at or past this count.</summary>
    public long RetireLimit = long.MaxValue;

    /// <summary>Set by a slow memory path when it raised an exception (the block then exits precisely).</summary>
    public bool Faulted;

    public int PendingVector = -1;
    public uint PendingErrorCode;
    public bool PendingHasErrorCode;

    /// <summary>Interrupt shadow after STI / MOV SS / POP SS: no external interrupt before the next instruction retires.</summary>
    public bool InterruptShadow;

    public bool Halted;

    /// <summary>A data breakpoint hit: #DB (a trap) is delivered once the current instruction completes.</summary>
    public bool DebugTrapPending;

    /// <summary>Some DR7 data breakpoint is enabled (the TLB then stays empty so every access is checked).</summary>
    public bool DataBreakpointsArmed;
    public bool NmiPending;
    public bool NmiBlocked;

    /// <summary>Set whenever something may have changed whether an interrupt can be taken (I/O, IF, timers).</summary>
    public bool InterruptCheck = true;

    /// <summary>
    /// A compiled block that jumps back to its own start loops inside its method while <see cref="Retired"/> is below
    /// this (the run loop sets it to its budget and next timer deadline; 0 makes every such jump leave the block).
    /// Transient: not part of the saved state.
    /// </summary>
    public long LoopLimit;

    /// <summary>
    /// The block a chain of blocks ended in (compiled blocks continue straight into their linked successors): a block
    /// that returns to the dispatcher through a static exit, or runs interpreted, records itself here, and the
    /// dispatcher links that block's successor. Transient.
    /// </summary>
    internal Translation.TranslatedBlock? ChainTail;

    /// <summary>Set by a guest action that needs the run loop's attention (reset, shutdown, stop request).</summary>
    public bool StopRequested;

    public bool A20Enabled = true;
    public uint A20Mask = 0xFFFF_FFFF;

    public FpuState Fpu { get; } = new();

    /// <summary>TSC = retired instructions + this offset (one TSC tick per retired instruction: deterministic).</summary>
    public ulong TscOffset;

    public ulong ReadTsc() => (ulong)Retired + TscOffset;

    public void WriteTsc(ulong value) => TscOffset = value - (ulong)Retired;
    public ulong SysenterCs, SysenterEsp, SysenterEip;
    public ulong Pat = 0x0007_0406_0007_0406;
    public ulong MiscEnable = 1;
    public ulong ApicBase = 0xFEE0_0900;
    public ulong MtrrDefType;
    public readonly ulong[] MtrrFixed = new ulong[11];
    public readonly ulong[] MtrrVariable = new ulong[16];

    public CpuState(PhysicalMemory memory, PortBus ports)
    {
        Memory = memory;
        Ports = ports;
        Tlb = new Tlb();
        Reset();
    }

    public PhysicalMemory Memory { get; internal set; }

    public PortBus Ports { get; }

    public IInterruptController? InterruptController { get; set; }

    public CpuModel Model { get; set; } = CpuModel.Core2Duo;

    /// <summary>Called after each interrupt or exception has been delivered (vector), for hooks and tracing.</summary>
    public Action<int>? InterruptDelivered { get; set; }

    /// <summary>Called when the FPU asserts FERR# (an unmasked x87 exception with CR0.NE = 0); the PC raises IRQ13.</summary>
    public Action? FerrAsserted { get; set; }

    /// <summary>Called on a triple fault or another shutdown condition; the machine resets.</summary>
    public Action? ShutdownRequested { get; set; }

    public Tlb Tlb { get; }

    /// <summary>Fields for the current privilege level's TLBs (supervisor or user), set on every CPL change.</summary>
    public TlbEntry* TlbRead, TlbWrite;

    /// <summary>The power-on / RESET state (SDM Vol. 3A §9.1.1, Table 9-1).</summary>
    public void Reset()
    {
        Rax = Rcx = Rbx = Rsp = Rbp = Rsi = Rdi = 0;
        R8 = R9 = R10 = R11 = R12 = R13 = R14 = R15 = 0;
        Rdx = Model.ResetEdx;
        Eflags = Cpu.Eflags.Reserved1;
        LazyOp = LazyFlagOp.None;
        Rip = 0xFFF0;
        Cs = new Segment { Selector = 0xF000, Base = 0xFFFF_0000, Limit = 0xFFFF, Flags = 0x93 | Segment.Executable };
        var data = new Segment { Limit = 0xFFFF, Flags = 0x93 };
        Ds = Es = Ss = Fs = Gs = data;
        UpdateAllFastLimits();
        Ldtr = new Segment { Limit = 0xFFFF, Flags = 0x82 };
        Tr = new Segment { Limit = 0xFFFF, Flags = 0x8B };
        GdtrBase = IdtrBase = 0;
        GdtrLimit = IdtrLimit = 0xFFFF;
        Cr0 = Cr.CR0_ET | Cr.CR0_CD | Cr.CR0_NW;
        Cr2 = Cr3 = Cr4 = 0;
        Efer = 0;
        Dr0 = Dr1 = Dr2 = Dr3 = 0;
        Dr6 = 0xFFFF0FF0;
        Dr7 = 0x400;
        DebugTrapPending = false;
        DataBreakpointsArmed = false;
        Cpl = 0;
        PendingVector = -1;
        Faulted = false;
        InterruptShadow = false;
        Halted = false;
        NmiPending = NmiBlocked = false;
        InterruptCheck = true;
        A20Enabled = true;
        A20Mask = 0xFFFF_FFFF;
        SysenterCs = SysenterEsp = SysenterEip = 0;
        Pat = 0x0007_0406_0007_0406;
        MiscEnable = 1;
        ApicBase = 0xFEE0_0900;
        MtrrDefType = 0;
        Array.Clear(MtrrFixed);
        Array.Clear(MtrrVariable);
        Fpu.Reset();
        FlushTlb();
    }

    public bool ProtectedMode => (Cr0 & Cr.CR0_PE) != 0;

    public bool V86Mode => (Eflags & Cpu.Eflags.VM) != 0;

    public bool PagingEnabled => (Cr0 & Cr.CR0_PG) != 0 && (Cr0 & Cr.CR0_PE) != 0;

    public uint Eip
    {
        get => (uint)Rip;
        set => Rip = value;
    }

    /// <summary>EFLAGS with the lazy arithmetic bits computed.</summary>
    public uint GetEflags()
    {
        if (LazyOp != LazyFlagOp.None) LazyFlags.Materialize(this);
        return Eflags;
    }

    /// <summary>Sets EFLAGS wholesale (bit 1 forced to 1, reserved bits 3, 5, 15, 22–31 forced to 0).</summary>
    public void SetEflags(uint value)
    {
        LazyOp = LazyFlagOp.None;
        uint old = Eflags;
        Eflags = (value & Cpu.Eflags.Writable) | Cpu.Eflags.Reserved1;
        if (((old ^ Eflags) & Cpu.Eflags.VM) != 0)
        {
            UpdateCpl();
            UpdateAllFastLimits();
        }
        InterruptCheck = true;
    }

    /// <summary>Raises an exception: the translated block exits and the run loop delivers it.</summary>
    public void RaiseException(int vector, uint errorCode = 0, bool hasErrorCode = false)
    {
        Faulted = true;
        PendingVector = vector;
        PendingErrorCode = errorCode;
        PendingHasErrorCode = hasErrorCode;
    }

    public void RaiseGp(uint errorCode = 0) => RaiseException(Vectors.GP, errorCode, true);

    /// <summary>
    /// Segment register by index (ES CS SS DS FS GS LDTR TR = 0..7; anything else is TR). The helpers call this on every
    /// memory operand, so it is an offset from <see cref="Es"/> when the runtime laid the eight fields out in order
    /// (checked once, see <see cref="FieldsInOrder"/>), not a switch.
    /// </summary>
    public ref Segment Seg(int index)
    {
        if (FieldsInOrder) return ref Unsafe.Add(ref Es, (uint)index < 8 ? index : 7);
        return ref SegBySwitch(index);
    }

    private ref Segment SegBySwitch(int index)
    {
        switch (index)
        {
            case 0: return ref Es;
            case 1: return ref Cs;
            case 2: return ref Ss;
            case 3: return ref Ds;
            case 4: return ref Fs;
            case 5: return ref Gs;
            case 6: return ref Ldtr;
            default: return ref Tr;
        }
    }

    /// <summary>General register by index (the low four bits; RAX..R15 in ModRM order): an offset from <see cref="Rax"/> (see <see cref="Seg"/>).</summary>
    public ref ulong Gpr(int index)
    {
        if (FieldsInOrder) return ref Unsafe.Add(ref Rax, index & 15);
        return ref GprBySwitch(index);
    }

    private ref ulong GprBySwitch(int index)
    {
        switch (index & 15)
        {
            case 0: return ref Rax;
            case 1: return ref Rcx;
            case 2: return ref Rdx;
            case 3: return ref Rbx;
            case 4: return ref Rsp;
            case 5: return ref Rbp;
            case 6: return ref Rsi;
            case 7: return ref Rdi;
            case 8: return ref R8;
            case 9: return ref R9;
            case 10: return ref R10;
            case 11: return ref R11;
            case 12: return ref R12;
            case 13: return ref R13;
            case 14: return ref R14;
            default: return ref R15;
        }
    }

    /// <summary>
    /// True when CS, DS, ES and SS all have base 0 and 4 GiB limits, with DS, ES and SS readable and writable through
    /// the fast path everywhere (as in every flat-model OS): compiled blocks for this mode add no segment base and
    /// check no limit for accesses through those segments (<see cref="Translation.BlockCompiler.ModeOf"/>).
    /// </summary>
    public bool FlatSegments => Cs.Base == 0 && Cs.Limit == 0xFFFF_FFFF && FlatData(Ds) && FlatData(Es) && FlatData(Ss);

    private static bool FlatData(in Segment s) => s.Base == 0 && s.ReadLimit == 0xFFFF_FFFF && s.WriteLimit == 0xFFFF_FFFF;

    /// <summary>
    /// True when RAX..R15 and ES..TR each lie in declaration order at a fixed stride, so <see cref="Gpr"/> and
    /// <see cref="Seg"/> can index them. The runtime chooses the layout of a class's fields; CoreCLR keeps fields of
    /// the same type in declaration order, and this check (a JIT-time constant once the class is initialised) falls
    /// back to the switches if it ever does not.
    /// </summary>
    internal static readonly bool FieldsInOrder = CheckFieldsInOrder();

    private static bool CheckFieldsInOrder()
    {
        var probe = (CpuState)RuntimeHelpers.GetUninitializedObject(typeof(CpuState));
        for (int k = 0; k < 16; k++)
        {
            if (!Unsafe.AreSame(ref Unsafe.Add(ref probe.Rax, k), ref probe.GprBySwitch(k))) return false;
        }
        for (int k = 0; k < 8; k++)
        {
            if (!Unsafe.AreSame(ref Unsafe.Add(ref probe.Es, k), ref probe.SegBySwitch(k))) return false;
        }
        return true;
    }

    /// <summary>Recomputes every segment's fast-path limits (after a mode change).</summary>
    public void UpdateAllFastLimits()
    {
        bool checks = ProtectedMode && !V86Mode;
        for (int i = 0; i < 6; i++) Seg(i).UpdateFastLimits(checks);
    }

    /// <summary>Recomputes CPL and the TLB set after a change of CS, CR0.PE or EFLAGS.VM.</summary>
    public void UpdateCpl()
    {
        if (!ProtectedMode) Cpl = 0;
        else if (V86Mode) Cpl = 3;
        else Cpl = Cs.Selector & 3;
        SelectTlb();
    }

    internal void SelectTlb()
    {
        int set = Cpl == 3 ? 1 : 0;
        TlbRead = Tlb.Read(set);
        TlbWrite = Tlb.Write(set);
    }

    public void FlushTlb()
    {
        Tlb.FlushAll();
        SelectTlb();
        NewTranslationEpoch();
    }

    /// <summary>
    /// Bumped whenever linear-to-physical mappings of code may have changed: the block lookup table's entries and the
    /// links between blocks on different pages made in an older epoch are not followed.
    /// </summary>
    public long TranslationEpoch;

    // One bit per linear page: code of this page was looked up in the current epoch (see MarkCodePage).
    private readonly uint[] _codePages = new uint[1 << 15];
    private readonly List<uint> _codePagesMarked = new();

    /// <summary>
    /// Records that a block with code in the linear page of <paramref name="linear"/> was looked up in the current
    /// epoch. Only such pages can be reached through the lookup table or a link of this epoch, so an INVLPG of any
    /// other page (Linux invalidates data pages far more often than code pages) leaves the epoch as it is.
    /// </summary>
    public void MarkCodePage(uint linear)
    {
        uint page = linear >> 12;
        ref uint word = ref _codePages[page >> 5];
        uint bit = 1u << (int)(page & 31);
        if ((word & bit) != 0) return;
        word |= bit;
        _codePagesMarked.Add(page);
    }

    /// <summary>True when code in the linear page of <paramref name="linear"/> was looked up in the current epoch.</summary>
    public bool IsCodePage(uint linear)
    {
        uint page = linear >> 12;
        return (_codePages[page >> 5] & (1u << (int)(page & 31))) != 0;
    }

    /// <summary>Starts a new translation epoch (mappings of code may have changed); no page is marked in it yet.</summary>
    public void NewTranslationEpoch()
    {
        TranslationEpoch++;
        foreach (uint page in _codePagesMarked) _codePages[page >> 5] = 0;
        _codePagesMarked.Clear();
    }

    public void SetA20(bool enabled)
    {
        if (enabled == A20Enabled) return;
        A20Enabled = enabled;
        A20Mask = enabled ? 0xFFFF_FFFF : 0xFFEF_FFFF;
        FlushTlb();
    }
}
