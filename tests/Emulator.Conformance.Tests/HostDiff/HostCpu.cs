using System.Diagnostics;
using System.Runtime.InteropServices;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// Runs single instructions on the host CPU (x86-64 Linux). A native region holds <see cref="SlotCount"/> identical stubs; each stub
/// saves RBX/RBP, loads EAX..EDI (not ESP) and the status flags (DF cleared) from the <see cref="DiffRegisters"/> block whose address
/// comes in RDI, runs the instruction bytes of its slot (padded with NOPs), stores the eight GPRs' low halves and EFLAGS (PUSHFQ) back,
/// restores and returns. The region is W^X: it is writable while a batch's instructions are copied in, then executable while they run.
/// </summary>
public sealed unsafe class HostCpu : IDisposable
{
    public const int InstructionFieldSize = 16;
    public const int SlotSize = 128;
    public const int SlotCount = 512;
    private const byte Nop = 0x90;
    private const byte Int3 = 0xCC;

    private readonly nint _region;
    private readonly nuint _regionSize = SlotSize * SlotCount;
    private readonly int _instructionOffset;
    private bool _writable;
    private long _nativeTicks;
    private bool _disposed;

    public HostCpu()
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the host-differential stub needs x86-64 Linux");
        byte[] prologue = AssemblePrologue();
        byte[] epilogue = AssembleEpilogue();
        if (prologue.Length + InstructionFieldSize + epilogue.Length > SlotSize) throw new InvalidOperationException("stub does not fit its slot");
        _instructionOffset = prologue.Length;

        _region = LibC.mmap(0, _regionSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (_region == LibC.MAP_FAILED) throw new InvalidOperationException($"mmap failed, errno {Marshal.GetLastPInvokeError()}");
        _writable = true;
        var all = new Span<byte>((void*)_region, (int)_regionSize);
        all.Fill(Int3);
        for (int s = 0; s < SlotCount; s++)
        {
            Span<byte> slot = all.Slice(s * SlotSize, SlotSize);
            prologue.CopyTo(slot);
            slot.Slice(_instructionOffset, InstructionFieldSize).Fill(Nop);
            epilogue.CopyTo(slot[(_instructionOffset + InstructionFieldSize)..]);
        }
    }

    /// <summary>Time spent inside the native stubs alone (no guard, no copying, no mprotect), summed over all runs.</summary>
    public TimeSpan NativeTime => TimeSpan.FromSeconds((double)_nativeTicks / Stopwatch.Frequency);

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Runs one instruction (64-bit-mode encoding) with <paramref name="input"/> and returns the registers after it.</summary>
    public DiffRegisters Run(ReadOnlySpan<byte> code64, in DiffRegisters input)
    {
        Span<DiffRegisters> io = [input];
        byte[][] code = [code64.ToArray()];
        Run(code, io);
        return io[0];
    }

    /// <summary>
    /// Runs <paramref name="code64"/>[i] with <paramref name="io"/>[i] as input and leaves the result in <paramref name="io"/>[i]
    /// (ESP is neither loaded nor stored, so it keeps its input value). Every instruction is checked by <see cref="HostInstructionGuard"/> first.
    /// </summary>
    public void Run(ReadOnlySpan<byte[]> code64, Span<DiffRegisters> io)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (code64.Length != io.Length) throw new ArgumentException("one register block per instruction", nameof(io));
        for (int start = 0; start < code64.Length; start += SlotCount)
        {
            int n = Math.Min(SlotCount, code64.Length - start);
            SetWritable(true);
            for (int i = 0; i < n; i++)
            {
                byte[] code = code64[start + i];
                string? reason = HostInstructionGuard.Check(code, io[start + i]);
                if (reason != null) throw new ArgumentException($"refusing to run {Convert.ToHexString(code)} natively: {reason}", nameof(code64));
                var field = new Span<byte>((void*)(_region + i * SlotSize + _instructionOffset), InstructionFieldSize);
                code.CopyTo(field);
                field[code.Length..].Fill(Nop);
            }
            SetWritable(false);
            long t = Stopwatch.GetTimestamp();
            fixed (DiffRegisters* block = &io[start])
            {
                for (int i = 0; i < n; i++)
                {
                    var stub = (delegate* unmanaged[SuppressGCTransition]<DiffRegisters*, void>)(_region + i * SlotSize);
                    stub(block + i);
                }
            }
            _nativeTicks += Stopwatch.GetTimestamp() - t;
        }
    }

    private void SetWritable(bool writable)
    {
        if (_writable == writable) return;
        int prot = writable ? LibC.PROT_READ | LibC.PROT_WRITE : LibC.PROT_READ | LibC.PROT_EXEC;
        if (LibC.mprotect(_region, _regionSize, prot) != 0) throw new InvalidOperationException($"mprotect failed, errno {Marshal.GetLastPInvokeError()}");
        _writable = writable;
    }

    private static byte[] AssemblePrologue()
    {
        var a = new Assembler(64);
        a.push(rbx);
        a.push(rbp);
        a.push(rdi);                                   // block address, [rsp] until the epilogue
        a.pushfq();                                     // keep the host's system flags (IF, AC, ...), replace the status flags and DF
        a.pop(rax);
        a.and(rax, unchecked((int)~EFlags.Comparable));
        a.mov(ecx, __dword_ptr[rdi + DiffRegisters.EflagsOffset]);
        a.and(ecx, (int)EFlags.Status);
        a.or(rax, rcx);
        a.push(rax);
        a.mov(eax, __dword_ptr[rdi + 0]);
        a.mov(ecx, __dword_ptr[rdi + 4]);
        a.mov(edx, __dword_ptr[rdi + 8]);
        a.mov(ebx, __dword_ptr[rdi + 12]);
        a.mov(ebp, __dword_ptr[rdi + 20]);
        a.mov(esi, __dword_ptr[rdi + 24]);
        a.mov(edi, __dword_ptr[rdi + 28]);             // last: RDI held the block address
        a.popfq();
        return Assemble(a);
    }

    private static byte[] AssembleEpilogue()
    {
        var a = new Assembler(64);
        a.pushfq();
        a.push(rdi);
        a.mov(rdi, __qword_ptr[rsp + 16]);             // block address saved by the prologue
        a.mov(__dword_ptr[rdi + 0], eax);
        a.mov(__dword_ptr[rdi + 4], ecx);
        a.mov(__dword_ptr[rdi + 8], edx);
        a.mov(__dword_ptr[rdi + 12], ebx);
        a.mov(__dword_ptr[rdi + 20], ebp);
        a.mov(__dword_ptr[rdi + 24], esi);
        a.pop(rax);
        a.mov(__dword_ptr[rdi + 28], eax);             // EDI
        a.pop(rax);
        a.mov(__dword_ptr[rdi + DiffRegisters.EflagsOffset], eax);
        a.cld();                                        // the ABI wants DF=0 on return
        a.pop(rdi);
        a.pop(rbp);
        a.pop(rbx);
        a.ret();
        return Assemble(a);
    }

    private static byte[] Assemble(Assembler a)
    {
        var w = new ByteCodeWriter();
        a.Assemble(w, 0);
        return w.ToArray();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        LibC.munmap(_region, _regionSize);
    }
}
