using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Benchmarks;

/// <summary>
/// The guest programs of the CPU benchmarks, with the exact number of instructions each retires when run to its HLT
/// (the HLT counts as retired). The counts are derived from the program text, not measured, and the benchmarks'
/// setup checks them against CpuState.Retired.
/// </summary>
public static class GuestCodePrograms
{
    public const uint CodeBase = 0x10_0000;
    public const uint StackTop = 0x20_0000;
    public const uint DataBase = 0x40_0000;
    public const uint DataBase2 = 0x60_0000;
    public const ushort RealModeIp = 0x7C00;

    public const int AluIterations = 1_000_000;

    /// <summary>mov ecx + 6 per iteration + hlt.</summary>
    public const int AluInstructions = 1 + 6 * AluIterations + 1;

    /// <summary>Dwords in 1 MiB.</summary>
    public const int MemoryDwords = (1 << 20) / 4;

    /// <summary>mov esi + mov ecx + 6 per dword + hlt.</summary>
    public const int MemoryInstructions = 2 + 6 * MemoryDwords + 1;

    public const int CallIterations = 1_000_000;

    /// <summary>mov ecx + (call, add, ret, dec, jne) per iteration + hlt.</summary>
    public const int CallInstructions = 1 + 5 * CallIterations + 1;

    public const int SmcIterations = 2_000;

    /// <summary>mov ecx + (store into code, patched mov, add, dec, jne) per iteration + hlt.</summary>
    public const int SmcInstructions = 1 + 5 * SmcIterations + 1;

    public const int RealOuter = 16;
    public const int RealInner = 65_536;

    /// <summary>mov bp + per outer (xor cx + 6 per inner + dec bp + jne) + hlt.</summary>
    public const int RealAluInstructions = 1 + RealOuter * (1 + 6 * RealInner + 2) + 1;

    public const int CompileBlocks = 2_000;
    public const int CompileBlockStride = 64;

    /// <summary>Each block: 7 ALU instructions + JMP to the next (the last one: + HLT).</summary>
    public const int CompileInstructions = CompileBlocks * 8;

    /// <summary>(a) Flat 32-bit ALU loop: ADD/XOR/SUB/CMP + DEC/JNE counter.</summary>
    public const int MulIterations = 1_000_000;

    /// <summary>mov ecx, 13 per iteration, hlt.</summary>
    public const int MulInstructions = 1 + 13 * MulIterations + 1;

    /// <summary>
    /// A multi-precision multiply-accumulate loop as in the Linux kernel's mpihelp_addmul_1 (MUL r32, ADD/ADC, ADC to
    /// memory), plus IMUL imm, shifts by imm and CL, SETcc, CMOVcc and NEG: the integer forms that used to call helpers.
    /// ESI, EDI point at data; EBX is the multiplier.
    /// </summary>
    public static void MulAdc32(Assembler a)
    {
        var loop = a.CreateLabel();
        a.mov(ecx, MulIterations);
        a.Label(ref loop);
        a.mov(eax, __dword_ptr[esi]);
        a.mul(ebx);
        a.add(eax, ebp);
        a.adc(edx, 0);
        a.add(__dword_ptr[edi], eax);
        a.adc(edx, 0);
        a.imul(ebp, edx, 7);
        a.shr(ebp, 3);
        a.rol(eax, cl);
        a.sete(al);
        a.cmovb(ebp, eax);
        a.dec(ecx);
        a.jnz(loop);
        a.hlt();
    }

    public static void Alu32(Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(ecx, AluIterations);
        a.Label(ref top);
        a.add(eax, ebx);
        a.xor(edx, eax);
        a.sub(esi, edx);
        a.cmp(edx, esi);
        a.dec(ecx);
        a.jne(top);
        a.hlt();
    }

    /// <summary>(g) The same loop in 16-bit real mode: 16 × 65,536 iterations of 16-bit ALU instructions.</summary>
    public static void Alu16(Assembler a)
    {
        var outer = a.CreateLabel();
        var inner = a.CreateLabel();
        a.mov(bp, RealOuter);
        a.Label(ref outer);
        a.xor(cx, cx);
        a.Label(ref inner);
        a.add(ax, bx);
        a.xor(dx, ax);
        a.sub(si, dx);
        a.cmp(dx, si);
        a.dec(cx);
        a.jne(inner);
        a.dec(bp);
        a.jne(outer);
        a.hlt();
    }

    /// <summary>(b) Read-modify-write of every dword of 1 MiB at <see cref="DataBase"/>: MOV load, ADD, MOV store.</summary>
    public static void MemoryRmw(Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(esi, DataBase);
        a.mov(ecx, MemoryDwords);
        a.Label(ref top);
        a.mov(eax, __dword_ptr[esi]);
        a.add(eax, ebx);
        a.mov(__dword_ptr[esi], eax);
        a.add(esi, 4);
        a.dec(ecx);
        a.jne(top);
        a.hlt();
    }

    /// <summary>(c) REP MOVSD of 1 MiB from <see cref="DataBase"/> to <see cref="DataBase2"/>.</summary>
    public static void RepMovsd(Assembler a)
    {
        a.mov(esi, DataBase);
        a.mov(edi, DataBase2);
        a.mov(ecx, MemoryDwords);
        a.cld();
        a.rep.movsd();
        a.hlt();
    }

    /// <summary>(d) CALL to a two-instruction function and RET, with a DEC/JNE counter.</summary>
    public static void CallRet(Assembler a)
    {
        var top = a.CreateLabel();
        var function = a.CreateLabel();
        a.mov(ecx, CallIterations);
        a.Label(ref top);
        a.call(function);
        a.dec(ecx);
        a.jne(top);
        a.hlt();
        a.Label(ref function);
        a.add(eax, 1);
        a.ret();
    }

    /// <summary>
    /// (e) Self-modifying loop: each iteration stores ECX into the imm32 of the following <c>mov eax, imm32</c>
    /// (at <paramref name="patchImmediate"/>) and adds EAX to EBX, so EBX ends as the sum 1..N only if every patch took effect.
    /// </summary>
    public static void SelfModifying(Assembler a, uint patchImmediate, ref Label patch)
    {
        var top = a.CreateLabel();
        a.mov(ecx, SmcIterations);
        a.Label(ref top);
        a.mov(__dword_ptr[patchImmediate], ecx);
        a.Label(ref patch);
        a.mov(eax, 0x1234_5678);
        a.add(ebx, eax);
        a.dec(ecx);
        a.jne(top);
        a.hlt();
    }

    /// <summary>
    /// (f) Block <paramref name="index"/> of the translation benchmark: 7 distinct ALU instructions and a JMP to the next
    /// block (<see cref="CompileBlockStride"/> bytes on), or HLT for the last one.
    /// </summary>
    public static void CompileBlock(Assembler a, int index)
    {
        a.add(eax, index);
        a.xor(ebx, eax);
        a.mov(ecx, index * 3 + 1);
        a.sub(edx, ecx);
        a.lea(esi, __[eax + ebx * 2 + index]);
        a.or(ebp, esi);
        a.shl(edi, (byte)((index % 31) + 1));
        if (index == CompileBlocks - 1) a.hlt();
        else a.jmp(CodeBase + (ulong)(index + 1) * CompileBlockStride);
    }
}
