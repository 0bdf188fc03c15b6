using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// Generates random register-only integer instructions with inputs biased towards edge values. Each instruction is built once as an
/// Iced <see cref="Instruction"/> (operands from its <see cref="OpCodeInfo"/>), encoded for 32-bit mode (the emulator) and for 64-bit mode
/// (the host, with no REX: only EAX..EDI and their 8/16-bit parts, never ESP). The few forms that exist only outside 64-bit mode
/// (INC/DEC r16/r32 0x40+r, the 0x82 group) go to the emulator as such and to the host as their ModRM twin.
/// </summary>
public sealed class CaseGenerator
{
    /// <summary>ESP given to the emulator; no tested instruction touches it, so it must come back unchanged.</summary>
    public const uint StackPointer = 0x0008_0000;

    private readonly Register[] _reg8 = [Register.AL, Register.CL, Register.DL, Register.BL, Register.AH, Register.CH, Register.DH, Register.BH];
    private readonly Register[] _reg16 = [Register.AX, Register.CX, Register.DX, Register.BX, Register.BP, Register.SI, Register.DI];
    private readonly Register[] _reg32 = [Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.ESI, Register.EDI];
    private readonly uint[] _edgeValues =
    [
        0, 1, 2, 0x0F, 0x10, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001,
        0xFFFF_FFFF, 0xFFFF_FFFE, 0xFFFF_8000, 0xFFFF_FF80, 0x5555_5555, 0xAAAA_AAAA,
    ];
    private readonly uint[] _edgeCounts = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 64, 65, 127, 128, 255];

    private readonly DiffRandom _rng;
    private readonly ByteCodeWriter _writer = new();
    private readonly Encoder _encoder32;
    private readonly Encoder _encoder64;
    private readonly ByteCodeWriter _writer64 = new();
    private readonly Dictionary<InstructionFamily, Code[]> _codes = [];
    private readonly InstructionFamily[] _wheel;

    public CaseGenerator(ulong seed)
    {
        _rng = new DiffRandom(seed);
        _encoder32 = Encoder.Create(32, _writer);
        _encoder64 = Encoder.Create(64, _writer64);

        string[] alu = ["Add", "Or", "Adc", "Sbb", "And", "Sub", "Xor", "Cmp"];
        string[] cc = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
        Add(InstructionFamily.Alu, 5, alu.SelectMany(op => Names(op,
            "rm8_r8", "r8_rm8", "rm8_imm8", "rm8_imm8_82", "AL_imm8", "rm16_r16", "r16_rm16", "rm16_imm16", "rm16_imm8", "AX_imm16",
            "rm32_r32", "r32_rm32", "rm32_imm32", "rm32_imm8", "EAX_imm32")));
        Add(InstructionFamily.Test, 1, Names("Test", "rm8_r8", "rm8_imm8", "AL_imm8", "rm16_r16", "rm16_imm16", "AX_imm16", "rm32_r32", "rm32_imm32", "EAX_imm32"));
        Add(InstructionFamily.Unary, 2, new[] { "Neg", "Not", "Inc", "Dec" }.SelectMany(op => Names(op, "rm8", "rm16", "rm32"))
            .Concat(["Inc_r16", "Inc_r32", "Dec_r16", "Dec_r32"]));
        Add(InstructionFamily.Shift, 3, new[] { "Shl", "Shr", "Sar" }.SelectMany(ShiftForms));
        Add(InstructionFamily.Rotate, 3, new[] { "Rol", "Ror", "Rcl", "Rcr" }.SelectMany(ShiftForms));
        Add(InstructionFamily.DoubleShift, 2, new[] { "Shld", "Shrd" }.SelectMany(op => Names(op, "rm16_r16_imm8", "rm16_r16_CL", "rm32_r32_imm8", "rm32_r32_CL")));
        Add(InstructionFamily.Multiply, 2, Names("Mul", "rm8", "rm16", "rm32").Concat(Names("Imul", "rm8", "rm16", "rm32", "r16_rm16", "r32_rm32",
            "r16_rm16_imm8", "r16_rm16_imm16", "r32_rm32_imm8", "r32_rm32_imm32")));
        Add(InstructionFamily.Divide, 2, Names("Div", "rm8", "rm16", "rm32").Concat(Names("Idiv", "rm8", "rm16", "rm32")));
        Add(InstructionFamily.BitScan, 1, Names("Bsf", "r16_rm16", "r32_rm32").Concat(Names("Bsr", "r16_rm16", "r32_rm32")));
        Add(InstructionFamily.BitTest, 2, new[] { "Bt", "Bts", "Btr", "Btc" }.SelectMany(op => Names(op, "rm16_r16", "rm32_r32", "rm16_imm8", "rm32_imm8")));
        Add(InstructionFamily.ConditionalMove, 1, cc.SelectMany(c => Names("Cmov" + c, "r16_rm16", "r32_rm32")));
        Add(InstructionFamily.SetByte, 1, cc.Select(c => $"Set{c}_rm8"));
        Add(InstructionFamily.ByteSwap, 1, ["Bswap_r32"]);
        Add(InstructionFamily.ExchangeAdd, 1, Names("Xadd", "rm8_r8", "rm16_r16", "rm32_r32"));
        Add(InstructionFamily.CompareExchange, 1, Names("Cmpxchg", "rm8_r8", "rm16_r16", "rm32_r32"));
        Add(InstructionFamily.MoveExtend, 1, new[] { "Movzx", "Movsx" }.SelectMany(op => Names(op, "r16_rm8", "r32_rm8", "r16_rm16", "r32_rm16")));
        Add(InstructionFamily.Lea, 1, ["Lea_r16_m", "Lea_r32_m"]);
        Add(InstructionFamily.Exchange, 1, Names("Xchg", "rm8_r8", "rm16_r16", "rm32_r32", "r16_AX", "r32_EAX"));
        Add(InstructionFamily.SignExtend, 1, ["Cbw", "Cwde", "Cwd", "Cdq"]);
        Add(InstructionFamily.FlagControl, 1, ["Lahf", "Sahf", "Cmc", "Clc", "Stc"]);

        var wheel = new List<InstructionFamily>();
        foreach (var (family, weight) in _weights) wheel.AddRange(Enumerable.Repeat(family, weight));
        _wheel = [.. wheel];

        static IEnumerable<string> Names(string op, params string[] forms) => forms.Select(f => $"{op}_{f}");
        static IEnumerable<string> ShiftForms(string op) => Names(op, "rm8_1", "rm8_CL", "rm8_imm8", "rm16_1", "rm16_CL", "rm16_imm8", "rm32_1", "rm32_CL", "rm32_imm8");
    }

    private readonly List<(InstructionFamily Family, int Weight)> _weights = [];

    /// <summary>
    /// The 64-bit-mode form with the same operation and operands: INC/DEC r16/r32 (0x40+r is REX in 64-bit mode) become their FF /0, FF /1
    /// forms, and the 0x82 group (invalid in 64-bit mode) becomes 0x80; every other tested form is valid in both modes as is.
    /// </summary>
    public static Code HostTwin(Code code) => code switch
    {
        Code.Inc_r16 => Code.Inc_rm16,
        Code.Inc_r32 => Code.Inc_rm32,
        Code.Dec_r16 => Code.Dec_rm16,
        Code.Dec_r32 => Code.Dec_rm32,
        Code.Add_rm8_imm8_82 => Code.Add_rm8_imm8,
        Code.Or_rm8_imm8_82 => Code.Or_rm8_imm8,
        Code.Adc_rm8_imm8_82 => Code.Adc_rm8_imm8,
        Code.Sbb_rm8_imm8_82 => Code.Sbb_rm8_imm8,
        Code.And_rm8_imm8_82 => Code.And_rm8_imm8,
        Code.Sub_rm8_imm8_82 => Code.Sub_rm8_imm8,
        Code.Xor_rm8_imm8_82 => Code.Xor_rm8_imm8,
        Code.Cmp_rm8_imm8_82 => Code.Cmp_rm8_imm8,
        _ => code,
    };

    private void Add(InstructionFamily family, int weight, IEnumerable<string> codeNames)
    {
        _codes[family] = [.. codeNames.Select(Enum.Parse<Code>)];
        _weights.Add((family, weight));
    }

    /// <summary>Every instruction form (Iced <see cref="Code"/>) the generator can produce, by family.</summary>
    public IReadOnlyDictionary<InstructionFamily, Code[]> Forms => _codes;

    public DiffCase Next() => Next(_wheel[_rng.Next(_wheel.Length)]);

    public DiffCase Next(InstructionFamily family)
    {
        Code[] codes = _codes[family];
        return Make(family, codes[_rng.Next(codes.Length)]);
    }

    /// <summary>A case of one given form (with random operands and inputs).</summary>
    public DiffCase Make(InstructionFamily family, Code code)
    {
        var regs = new DiffRegisters { Esp = StackPointer, Eflags = RandomStatusFlags() | EFlags.Reserved1 };
        for (int i = 0; i < 8; i++) if (i != 4) regs[i] = NextValue();

        Instruction guest = Build(code, family);
        // DIV/IDIV by the high half of the dividend (AH, DX, EDX) nearly always raises #DE; keep only a quarter of those.
        while (IsDividendHighHalf(guest) && !_rng.OneIn(4)) guest = Build(code, family);
        Adjust(family, guest, ref regs);

        Instruction host = guest;
        host.Code = HostTwin(code);
        byte[] code32 = Encode(_encoder32, _writer, guest, 32);
        byte[] code64 = Encode(_encoder64, _writer64, host, 64);

        var defined = DefinedFlags.For(guest, regs);
        bool faults = DivideCheck.WouldFault(guest, regs);
        return new DiffCase
        {
            Family = family,
            Guest = guest,
            Code32 = code32,
            Code64 = code64,
            Input = regs,
            FlagMask = defined.FlagMask,
            UndefinedRegister = defined.UndefinedRegister,
            ExpectedVector = faults ? 0 : -1,
        };
    }

    private static byte[] Encode(Encoder encoder, ByteCodeWriter writer, in Instruction instr, int bitness)
    {
        writer.Clear();
        if (!encoder.TryEncode(instr, 0x1000, out _, out string? error))
            throw new InvalidOperationException($"cannot encode {instr.Code} ({instr}) in {bitness}-bit mode: {error}");
        return writer.ToArray();
    }

    private Instruction Build(Code code, InstructionFamily family)
    {
        OpCodeInfo op = code.ToOpCode();
        bool countImmediate = family is InstructionFamily.Shift or InstructionFamily.Rotate or InstructionFamily.DoubleShift or InstructionFamily.BitTest;
        Span<Register> r = stackalloc Register[3];
        int registers = 0;
        uint? immediate = null;
        bool signExtended = false;
        MemoryOperand? memory = null;
        for (int i = 0; i < op.OpCount; i++)
        {
            switch (op.GetOpKind(i))
            {
                case OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_reg: r[registers++] = _rng.Pick(_reg8); break;
                case OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode: r[registers++] = _rng.Pick(_reg16); break;
                case OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode: r[registers++] = _rng.Pick(_reg32); break;
                case OpCodeOperandKind.al: r[registers++] = Register.AL; break;
                case OpCodeOperandKind.ax: r[registers++] = Register.AX; break;
                case OpCodeOperandKind.eax: r[registers++] = Register.EAX; break;
                case OpCodeOperandKind.cl: r[registers++] = Register.CL; break;
                case OpCodeOperandKind.imm8_const_1: immediate = 1; break;
                case OpCodeOperandKind.imm8: immediate = countImmediate ? NextCount() : NextValue() & 0xFF; break;
                case OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32: immediate = NextValue() & 0xFF; signExtended = true; break;
                case OpCodeOperandKind.imm16: immediate = NextValue() & 0xFFFF; break;
                case OpCodeOperandKind.imm32: immediate = NextValue(); break;
                case OpCodeOperandKind.mem: memory = NextAddress(); break;
                default: throw new InvalidOperationException($"{code}: operand kind {op.GetOpKind(i)} not supported");
            }
        }
        // XCHG r,EAX/AX with r = the accumulator itself would be 0x90 (NOP in 64-bit mode): use another register.
        if (code is Code.Xchg_r32_EAX or Code.Xchg_r16_AX)
            while (r[0] is Register.EAX or Register.AX) r[0] = code == Code.Xchg_r32_EAX ? _rng.Pick(_reg32) : _rng.Pick(_reg16);

        int imm = signExtended ? (sbyte)(byte)immediate!.Value : 0;
        return (registers, immediate.HasValue, memory.HasValue) switch
        {
            (0, false, false) => Instruction.Create(code),
            (1, false, false) => Instruction.Create(code, r[0]),
            (2, false, false) => Instruction.Create(code, r[0], r[1]),
            (3, false, false) => Instruction.Create(code, r[0], r[1], r[2]),
            (1, true, false) => signExtended ? Instruction.Create(code, r[0], imm) : Instruction.Create(code, r[0], immediate!.Value),
            (2, true, false) => signExtended ? Instruction.Create(code, r[0], r[1], imm) : Instruction.Create(code, r[0], r[1], immediate!.Value),
            (1, false, true) => Instruction.Create(code, r[0], memory!.Value),
            _ => throw new InvalidOperationException($"{code}: operand shape not supported"),
        };
    }

    /// <summary>Family-specific input shaping: shift counts in CL, divides that (mostly) do not fault, zero sources, equal CMPXCHG operands.</summary>
    private void Adjust(InstructionFamily family, in Instruction instr, ref DiffRegisters regs)
    {
        switch (family)
        {
            case InstructionFamily.Shift or InstructionFamily.Rotate or InstructionFamily.DoubleShift:
                if (instr.GetOpKind(instr.OpCount - 1) == OpKind.Register) GuestRegisters.Set(ref regs, Register.CL, NextCount());
                break;
            case InstructionFamily.BitScan:
                if (_rng.OneIn(6)) GuestRegisters.Set(ref regs, instr.Op1Register, 0);
                break;
            case InstructionFamily.CompareExchange:
                if (_rng.OneIn(2))
                {
                    Register acc = GuestRegisters.Width(instr.Op0Register) switch { 8 => Register.AL, 16 => Register.AX, _ => Register.EAX };
                    GuestRegisters.Set(ref regs, acc, GuestRegisters.Get(regs, instr.Op0Register));
                }
                break;
            case InstructionFamily.Divide:
                ShapeDivide(instr, ref regs);
                break;
        }
    }

    private static bool IsDividendHighHalf(in Instruction instr) =>
        DivideCheck.IsDivide(instr.Mnemonic) && instr.Op0Register is Register.AH or Register.DX or Register.EDX;

    private void ShapeDivide(in Instruction instr, ref DiffRegisters regs)
    {
        if (IsDividendHighHalf(instr)) return; // mostly #DE (unsigned: always); Make asks DivideCheck either way
        if (_rng.OneIn(32))
        {
            // A #DE case: the emulator must raise vector 0 and change nothing. Never run on the host.
            if (!DivideCheck.WouldFault(instr, regs)) GuestRegisters.Set(ref regs, instr.Op0Register, 0);
            if (!DivideCheck.WouldFault(instr, regs)) GuestRegisters.Set(ref regs, instr.Op0Register, 0); // 8-bit AH/AL divisor: dividend changed too
            return;
        }
        for (int attempt = 0; attempt < 8 && DivideCheck.WouldFault(instr, regs); attempt++)
        {
            DiffRegisters copy = regs;
            ConstructDivide(instr, ref copy);
            regs = copy;
        }
        // Still faulting (the divisor is the low half of the dividend and the values did not cooperate): dividend 0 or 1 over divisor 1.
        if (DivideCheck.WouldFault(instr, regs))
        {
            int width = GuestRegisters.Width(instr.Op0Register);
            regs.Eax &= width == 8 ? 0xFFFF_0000 : width == 16 ? 0xFFFF_0000 : 0;
            if (width != 8) regs.Edx &= width == 16 ? 0xFFFF_0000 : 0;
            if (GuestRegisters.Get(regs, instr.Op0Register) == 0) GuestRegisters.Set(ref regs, instr.Op0Register, 1);
            if (DivideCheck.WouldFault(instr, regs)) throw new InvalidOperationException($"could not make {instr} non-faulting");
        }
    }

    /// <summary>Divisor d, quotient q in range, |remainder| &lt; |d| with the dividend's sign: dividend = q·d + r never overflows.</summary>
    private void ConstructDivide(in Instruction instr, ref DiffRegisters regs)
    {
        Register src = instr.Op0Register;
        int width = GuestRegisters.Width(src);
        ulong mask = width == 32 ? uint.MaxValue : (1UL << width) - 1;
        uint d = (uint)(NextValue() & mask);
        if (d == 0) d = 1 + (uint)_rng.Next(7);
        GuestRegisters.Set(ref regs, src, d);
        ulong dividend;
        if (instr.Mnemonic == Mnemonic.Div)
        {
            ulong q = NextValue() & mask;
            ulong rem = (ulong)_rng.NextUInt32() % d;
            dividend = q * d + rem;
        }
        else
        {
            long ds = SignExtend(d, width);
            long q = SignExtend(NextValue() & (uint)mask, width);
            long rem = (long)(_rng.NextUInt64() % (ulong)Math.Abs(ds));
            long product = q * ds;
            bool negative = product < 0 || (product == 0 && _rng.OneIn(2));
            dividend = (ulong)(product + (negative ? -rem : rem));
        }
        switch (width)
        {
            case 8: regs.Eax = (regs.Eax & 0xFFFF_0000) | (uint)(dividend & 0xFFFF); break;
            case 16:
                regs.Eax = (regs.Eax & 0xFFFF_0000) | (uint)(dividend & 0xFFFF);
                regs.Edx = (regs.Edx & 0xFFFF_0000) | (uint)((dividend >> 16) & 0xFFFF);
                break;
            default:
                regs.Eax = (uint)dividend;
                regs.Edx = (uint)(dividend >> 32);
                break;
        }
    }

    private static long SignExtend(uint value, int width) => width switch { 8 => (sbyte)value, 16 => (short)value, _ => (int)value };

    private uint RandomStatusFlags() => _rng.NextUInt32() & EFlags.Status;

    /// <summary>A 32-bit value biased towards carries, sign changes and boundaries.</summary>
    public uint NextValue() => _rng.Next(10) switch
    {
        0 or 1 or 2 or 3 => _rng.NextUInt32(),
        4 => _rng.Pick(_edgeValues),
        5 => (uint)(_rng.Next(9) - 4),
        6 => _rng.OneIn(2) ? 1u << _rng.Next(32) : ~(1u << _rng.Next(32)),
        7 => _rng.NextUInt32() & (_rng.OneIn(2) ? 0xFFu : 0xFFFFu),
        8 => _rng.NextUInt32() >> _rng.Next(32),
        _ => ByteMix(),
    };

    private uint ByteMix()
    {
        uint v = 0;
        for (int i = 0; i < 4; i++)
        {
            uint b = _rng.Next(5) switch { 0 => 0x00, 1 => 0xFF, 2 => 0x7F, 3 => 0x80, _ => _rng.NextUInt32() & 0xFF };
            v |= b << (8 * i);
        }
        return v;
    }

    /// <summary>A shift/rotate/bit count: 0, 1, widths ± 1, 31, 32+ (masked by the CPU), or any byte.</summary>
    public uint NextCount() => _rng.OneIn(4) ? _rng.NextUInt32() & 0xFF : _rng.Pick(_edgeCounts);

    private MemoryOperand NextAddress()
    {
        Register b = _rng.OneIn(8) ? Register.None : _rng.Pick(_reg32);
        Register index = _rng.OneIn(3) ? Register.None : _rng.Pick(_reg32);
        int scale = index == Register.None ? 1 : 1 << _rng.Next(4);
        int kind = b == Register.None ? 2 : _rng.Next(3); // no base: the encoding always carries a disp32
        return kind switch
        {
            0 => new MemoryOperand(b, index, scale, 0, 0),
            1 => new MemoryOperand(b, index, scale, (sbyte)_rng.NextUInt32(), 1),
            _ => new MemoryOperand(b, index, scale, (int)NextValue(), 4),
        };
    }
}
