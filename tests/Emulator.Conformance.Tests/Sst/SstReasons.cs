namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// Why a vector is filtered or its expectation adjusted. The data come from a real 80286; our CPU is a 386+ (Core 2)
/// running in real mode, so where the two differ by design the 286 result is not the one to meet.
/// </summary>
public static class SstReasons
{
    // ---- filters (vector not run) ----

    /// <summary>The 286 ignores LOCK on any instruction; a 386+ raises #UD unless the instruction is lockable with a memory
    /// destination (SDM Vol. 2, LOCK). The #UD handler's IVT entry is not in the test's RAM, so the 386+ outcome is unknown.</summary>
    public const string LockUd = "LOCK on non-lockable instruction: #UD on 386+, ignored by 286";

    /// <summary>8C/8E with reg field 4/5: #UD on the 286, MOV to/from FS/GS on a 386+.</summary>
    public const string FsGs = "8C/8E reg 4/5: #UD on 286, MOV FS/GS on 386+";

    /// <summary>The 286 raises #GP(0) for any segment-limit violation, also through SS; a 386+ raises #SS(0)
    /// (vector 12, whose IVT entry is not in the test's RAM).</summary>
    public const string StackLimit = "SS limit fault: #GP on 286, #SS on 386+";

    /// <summary>The 286 limits an instruction to 10 bytes (#GP(0) beyond); a 386+ allows 15 (and raises #UD first for
    /// C6/C7 with reg ≠ 0, which the 286 fetches in full before deciding).</summary>
    public const string Length10 = "instruction longer than 10 bytes: #GP on 286, valid on 386+";

    /// <summary>A REP string instruction that faults at offset FFFF after at least one iteration: the 286 has already
    /// advanced SI/DI (and CX, irregularly by 0–2) for the faulting iteration; the precise 386+ state is not recoverable from the data.</summary>
    public const string RepStringFault = "REP string #GP at offset FFFF after >=1 iteration: 286 SI/DI/CX bookkeeping irregular";

    // ---- adjustments (vector run, expectation changed to the exactly known 386+ result) ----

    /// <summary>Word string instruction faulting on its first iteration: the 286 advances SI/DI (and CX under REP) before
    /// the #GP; a 386+ fault is precise, so SI, DI and CX keep their initial values.</summary>
    public const string StringFaultPrecise = "string #GP on first iteration: 386+ keeps initial SI/DI/CX";

    /// <summary>POP r/m (8F) whose memory write raises #GP: the 286 has already incremented SP, so its exception frame sits
    /// 2 bytes higher; a 386+ fault is precise (SP unchanged), so SP and the frame are expected 2 bytes lower.</summary>
    public const string PopMemFault = "POP r/m #GP on write: 386+ keeps SP, frame 2 bytes lower";

    /// <summary>POPF/IRET in real mode: the 286 cannot set IOPL/NT (FLAGS bits 12–14); a 386+ loads them from the popped word.</summary>
    public const string PopfIopl = "POPF/IRET: 386+ loads IOPL/NT (bits 12-14) from the popped FLAGS";

    /// <summary>SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR: OF is undefined unless the masked count is 1, CF is undefined for
    /// SHL/SHR with count ≥ operand width, AF is undefined for shifts with a non-zero count; metadata.json misses some of these.</summary>
    public const string ShiftFlags = "shift/rotate: SDM-undefined OF/CF/AF masked";
}
