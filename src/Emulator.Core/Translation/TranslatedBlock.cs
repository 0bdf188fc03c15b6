using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>Compiled code for one guest basic block (run with the CPU state; returns a <see cref="BlockExit"/> code).</summary>
public delegate int BlockFunction(Cpu.CpuState cpu);

/// <summary>
/// One translated guest block: where it came from (linear start, physical frames, mode), its decoded instructions
/// (which helpers receive by reference), the compiled delegate, and its chained successors.
/// </summary>
public sealed class TranslatedBlock
{
    internal TranslatedBlock(uint linear, ulong physical, int mode, Instruction[] instructions, ulong frame0, ulong frame1)
    {
        int length = 0;
        foreach (var i in instructions) length += i.Length;
        Length = length;
        Linear = linear;
        Physical = physical;
        Mode = mode;
        Instructions = instructions;
        Frame0 = frame0;
        Frame1 = frame1;
    }

    public uint Linear { get; }

    /// <summary>0xFFFF for 16-bit code, 0xFFFFFFFF for 32-bit code (EIP wraps at this mask).</summary>
    public uint IpMask => (Mode & 4) != 0 ? 0xFFFF_FFFFu : 0xFFFFu;

    /// <summary>Per instruction: the operand size is 16 bits (some helpers need it where Iced's code does not say).</summary>
    internal bool[] OperandSize16 { get; init; } = [];

    /// <summary>Per instruction: the entry point of its <see cref="Helpers"/> method (the interpreted tier calls these).</summary>
    internal nint[] HelperFunctions { get; init; } = [];

    /// <summary>How the interpreted block leaves after its last instruction (<see cref="BlockInterpreter.ExitKind"/>).</summary>
    internal int InterpretedExit { get; init; }

    internal const int ExitDynamic = 0, ExitStatic = 1, ExitConditional = 2, ExitReturn = 3;

    /// <summary>Times the block ran interpreted (drives tier-up to compiled code).</summary>
    internal int Hits;

    /// <summary>True once compiled IL has replaced the interpreted tier.</summary>
    public bool IsCompiled { get; internal set; }

    public ulong Physical { get; }

    public int Mode { get; }

    /// <summary>The decoded guest instructions; emitted code passes them to helpers by reference.</summary>
    public readonly Instruction[] Instructions;

    public ulong Frame0 { get; }

    /// <summary>Bytes of guest code the block was made from (starting at <see cref="Physical"/>, continuing in <see cref="Frame1"/>).</summary>
    public int Length { get; }

    /// <summary>True when the block was made from any byte of physical [address, address + size).</summary>
    public bool Overlaps(ulong address, int size)
    {
        ulong end = address + (ulong)size;
        ulong inFirst = Math.Min((ulong)Length, 0x1000 - (Physical & 0xFFF));
        if (address < Physical + inFirst && end > Physical) return true;
        if (Frame1 == ulong.MaxValue) return false;
        ulong second = Frame1 << 12;
        return address < second + ((ulong)Length - inFirst) && end > second;
    }

    /// <summary>The second frame when the last instruction crosses a page, else <see cref="ulong.MaxValue"/>.</summary>
    public ulong Frame1 { get; }

    public BlockFunction Run { get; internal set; } = null!;

    public bool Valid { get; internal set; } = true;

    /// <summary>
    /// Successors for exits 0 and 1, with the translation epoch they were linked in, or <see cref="SamePageLink"/>
    /// for a successor on the same linear page and physical frame (see <see cref="LinkEpoch"/>).
    /// </summary>
    internal TranslatedBlock? Next0, Next1;
    internal long Epoch0, Epoch1;

    /// <summary>
    /// The successor linked to static exit <paramref name="exit"/> if it may still be entered in translation epoch
    /// <paramref name="epoch"/>: valid, and linked in that epoch or within one page (<see cref="LinkEpoch"/>).
    /// </summary>
    internal TranslatedBlock? Linked(int exit, long epoch)
    {
        TranslatedBlock? next;
        long linked;
        if (exit < BlockExit.FirstSide)
        {
            next = exit == BlockExit.Static0 ? Next0 : Next1;
            linked = exit == BlockExit.Static0 ? Epoch0 : Epoch1;
        }
        else
        {
            int n = exit - BlockExit.FirstSide;
            if ((uint)n >= (uint)SideLinks.Length) return null;
            next = SideLinks[n];
            linked = SideEpochs[n];
        }
        return next is not null && next.Valid && (linked == epoch || linked == SamePageLink) ? next : null;
    }

    /// <summary>Links static exit <paramref name="exit"/> to <paramref name="next"/> (see <see cref="LinkEpoch"/>).</summary>
    internal void Link(int exit, TranslatedBlock next, long epoch)
    {
        long linked = LinkEpoch(next, epoch);
        switch (exit)
        {
            case BlockExit.Static0:
                Next0 = next;
                Epoch0 = linked;
                break;
            case BlockExit.Static1:
                Next1 = next;
                Epoch1 = linked;
                break;
            default:
                int n = exit - BlockExit.FirstSide;
                if ((uint)n >= (uint)SideLinks.Length) return;
                SideLinks[n] = next;
                SideEpochs[n] = linked;
                break;
        }
    }

    /// <summary>Successors of the side exits (<see cref="BlockExit.FirstSide"/> + n), one per conditional branch inside the block.</summary>
    internal TranslatedBlock?[] SideLinks = [];
    internal long[] SideEpochs = [];

    /// <summary>
    /// Per instruction: for a Jcc inside the block whose target is a later instruction of the block, that
    /// instruction's index (both tiers go on there when it is taken), else −1; null when the block has none.
    /// </summary>
    internal int[]? ForwardJoins;

    /// <summary>
    /// Per instruction: n for a Jcc inside the block whose taken side leaves through side exit
    /// <see cref="BlockExit.FirstSide"/> + n (numbered in order, as the compiled tier emits them), else −1; null when
    /// the block has none.
    /// </summary>
    internal int[]? SideExitOf;

    /// <summary>Sizes the side-exit links: one per Jcc inside the block that leaves it when taken.</summary>
    internal void AllocateSideLinks(int count)
    {
        SideLinks = new TranslatedBlock?[count];
        SideEpochs = new long[count];
    }

    /// <summary>The epoch of a link that stays valid across translation epochs.</summary>
    internal const long SamePageLink = long.MinValue;

    /// <summary>
    /// The epoch to record for a link from this block to <paramref name="next"/>. A jump within one page cannot
    /// change frames: control reached this block through a lookup or a link validated in the current mapping, and
    /// anything that changes mappings (MOV CR3/CR0/CR4, INVLPG, A20, WRMSR, task switch) ends its block, so the
    /// target's linear address maps to the same frame as the source's. Such links survive a TLB flush (Linux does
    /// INVLPG and CR3 writes often); links across pages are valid only in the epoch they were made in.
    /// </summary>
    internal long LinkEpoch(TranslatedBlock next, long epoch) =>
        ((Linear ^ next.Linear) & ~0xFFFu) == 0 && Frame1 == ulong.MaxValue && next.Frame1 == ulong.MaxValue && Frame0 == next.Frame0
            ? SamePageLink
            : epoch;
}
