using Iced.Intel;

namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// Turns a 286 vector into a 386+ expectation (<see cref="SstVectorPlan"/>): masks undefined flags, applies the adjustments
/// and filters listed in <see cref="SstReasons"/>. It only reads the test data (and decodes the instruction with Iced); it never
/// runs a CPU, so its decisions can be checked on the data alone.
/// </summary>
public static class SstClassifier
{
    /// <summary>FLAGS bits 12–15 (IOPL, NT, reserved) are masked off the initial state (testdata README; upstream README).</summary>
    public const ushort InitialFlagsMask = 0x0FFF;

    private const int VectorGp = 13;
    private const int VectorUd = 6;

    public static SstVectorPlan Plan(string opcode, MooTest test, ushort definedFlagsMask)
    {
        var init = test.Initial;
        var initial = new SstRegisters();
        for (var r = MooRegister.Ax; r <= MooRegister.Flags; r++)
        {
            if (!init.Has(r))
            {
                throw new InvalidDataException($"{opcode} #{test.Index}: INIT lacks {r}");
            }

            initial.Set(r, init.Get(r));
        }

        initial.Flags &= InitialFlagsMask;

        var expected = initial;
        for (var r = MooRegister.Ax; r <= MooRegister.Flags; r++)
        {
            if (test.Final.TryGet(r, out ushort v))
            {
                expected.Set(r, v);
            }
        }

        var ram = new Dictionary<uint, byte>();
        foreach (var e in init.Ram)
        {
            ram[e.Address] = e.Value;
        }

        var decoded = Decode(test.Bytes, initial.Ip);
        string? filter = Filter(opcode, test, initial, decoded);
        var adjustments = new List<string>();
        ushort flagsMask = definedFlagsMask;
        ushort compareMask = 0x3FFF;
        ushort? popFault286Sp = null;

        if (filter is null)
        {
            // Word string instruction faulting at offset FFFF on its first iteration.
            if (test.Exception?.Number == VectorGp && StringPointers(opcode) is { } ptrs &&
                ((ptrs.Si && initial.Si == 0xFFFF) || (ptrs.Di && initial.Di == 0xFFFF)))
            {
                expected.Si = initial.Si;
                expected.Di = initial.Di;
                expected.Cx = initial.Cx;
                adjustments.Add(SstReasons.StringFaultPrecise);
            }

            if (test.Exception?.Number == VectorGp && opcode == "8F")
            {
                popFault286Sp = expected.Sp;
                expected.Sp = (ushort)(expected.Sp - 2);
                adjustments.Add(SstReasons.PopMemFault);
            }

            if (test.Exception is null && opcode is "9D" or "CF")
            {
                int slot = opcode == "9D" ? 0 : 4;
                ushort popped = ReadWord(ram, initial.Ss, (ushort)(initial.Sp + slot));
                ushort iopl = (ushort)(popped & 0x7000);
                if (iopl != 0)
                {
                    expected.Flags = (ushort)((expected.Flags & ~0x7000) | iopl);
                    adjustments.Add(SstReasons.PopfIopl);
                }
            }

            ushort narrowed = (ushort)(flagsMask & ShiftUndefinedFlags(opcode, initial, decoded));
            if (narrowed != flagsMask)
            {
                flagsMask = narrowed;
                adjustments.Add(SstReasons.ShiftFlags);
            }
        }

        // Every byte named in INIT or FINA is checked: FINA lists only the bytes that changed.
        var checks = new Dictionary<uint, SstRamCheck>();
        foreach (var e in init.Ram)
        {
            checks[e.Address] = new SstRamCheck(e.Address, e.Value);
        }

        foreach (var e in test.Final.Ram)
        {
            checks[e.Address] = new SstRamCheck(e.Address, e.Value);
        }

        if (popFault286Sp is { } sp286)
        {
            // The 286 pushed its frame 2 bytes higher (SP already incremented); a 386+ pushes the same six bytes at the initial SP - 6.
            var frame = new byte[6];
            for (int k = 0; k < 6; k++)
            {
                uint a = Physical(expected.Ss, (ushort)(sp286 + k));
                frame[k] = checks.TryGetValue(a, out var c) ? c.Expected : (byte)0;
            }

            for (int k = 4; k < 6; k++)
            {
                uint a = Physical(expected.Ss, (ushort)(sp286 + k));
                checks[a] = new SstRamCheck(a, ram.GetValueOrDefault(a));
            }

            for (int k = 0; k < 6; k++)
            {
                uint a = Physical(expected.Ss, (ushort)(expected.Sp + k));
                checks[a] = new SstRamCheck(a, frame[k]);
            }
        }

        if (test.Exception is not null)
        {
            // The pushed FLAGS word sits at SS:SP+4 of the final state (the EXCP address is rounded down when SP is odd).
            uint lo = Physical(expected.Ss, (ushort)(expected.Sp + 4));
            uint hi = Physical(expected.Ss, (ushort)(expected.Sp + 5));
            if (checks.TryGetValue(lo, out var l))
            {
                checks[lo] = l with { Mask = (byte)flagsMask };
            }

            if (checks.TryGetValue(hi, out var h))
            {
                checks[hi] = h with { Mask = (byte)(flagsMask >> 8) };
            }
        }

        return new SstVectorPlan
        {
            Opcode = opcode,
            Test = test,
            FilterReason = filter,
            Adjustments = adjustments,
            Initial = initial,
            Expected = expected,
            RegisterCompareMask = compareMask,
            FlagsMask = flagsMask,
            InitialRam = init.Ram,
            RamChecks = checks.Values.OrderBy(c => c.Address).ToArray(),
            ExpectedExceptions = test.Exception is { } x ? [x.Number] : [],
        };
    }

    /// <summary>Real-mode physical address with A20 enabled (no wrap at 1 MiB).</summary>
    public static uint Physical(ushort segment, ushort offset) => ((uint)segment << 4) + offset;

    /// <summary>
    /// Whether a 386+ in real mode would raise a segment-limit fault on one of the instruction's explicit or stack memory
    /// accesses (offset + size - 1 > FFFF), and whether that access goes through SS. Uses Iced's used-memory list and the initial registers.
    /// </summary>
    public static (bool Any, bool ViaSs, bool ViaOther) LimitFaults(in Instruction instr, in SstRegisters regs)
    {
        bool any = false, ss = false, other = false;
        if (instr.Code == Code.INVALID)
        {
            return (false, false, false);
        }

        var info = new InstructionInfoFactory().GetInfo(instr);
        foreach (var m in info.GetUsedMemory())
        {
            if (m.Access == OpAccess.NoMemAccess || m.MemorySize == MemorySize.Unknown)
            {
                continue;
            }

            ulong ea = Value(m.Base, regs) + (Value(m.Index, regs) * (ulong)m.Scale) + m.Displacement;
            uint offset = (uint)(ea & 0xFFFF);
            int size = m.MemorySize.GetSize();
            if (size > 0 && offset + (uint)size - 1 > 0xFFFF)
            {
                any = true;
                if (m.Segment == Register.SS)
                {
                    ss = true;
                }
                else
                {
                    other = true;
                }
            }
        }

        return (any, ss, other);
    }

    /// <summary>Decodes as a 386+ would in 16-bit code (Iced's default checks reject LOCK on non-lockable forms).</summary>
    public static Instruction Decode(byte[] bytes, ushort ip, DecoderOptions options = DecoderOptions.None)
    {
        var decoder = Decoder.Create(16, new ByteArrayCodeReader(bytes), ip, options);
        decoder.Decode(out var instr);
        return instr;
    }

    private static string? Filter(string opcode, MooTest test, in SstRegisters initial, in Instruction decoded)
    {
        var ex = test.Exception;

        // LOCK: only where the 286 did not raise #UD for another reason.
        if (ex?.Number != VectorUd && HasLockPrefix(test.Bytes) && decoded.Code == Code.INVALID &&
            Decode(test.Bytes, initial.Ip, DecoderOptions.NoInvalidCheck).Code != Code.INVALID)
        {
            return SstReasons.LockUd;
        }

        if (ex?.Number == VectorUd && opcode is "8C" or "8E" && ModRmReg(test.Bytes) is 4 or 5)
        {
            return SstReasons.FsGs;
        }

        var exact = decoded.Code == Code.INVALID ? Decode(test.Bytes, initial.Ip, DecoderOptions.NoInvalidCheck) : decoded;
        if (ex?.Number == VectorGp)
        {
            if (Length286(test, initial.Ip) > 10)
            {
                return SstReasons.Length10;
            }

            if (LimitFaults(exact, initial).ViaSs)
            {
                return SstReasons.StackLimit;
            }

            if (StringPointers(opcode) is { } ptrs &&
                !((ptrs.Si && initial.Si == 0xFFFF) || (ptrs.Di && initial.Di == 0xFFFF)))
            {
                return SstReasons.RepStringFault;
            }
        }

        return null;
    }

    /// <summary>BYTS holds the instruction followed by the HLT (F4) that ends the test.</summary>
    public static int InstructionLength(MooTest test) => test.Bytes.Length - 1;

    /// <summary>
    /// The length the 286 fetched: BYTS, except for C6/C7 with reg ≠ 0 (#UD on a 386+), where BYTS stops after ModRM but the
    /// 286 fetches displacement and immediate as for MOV r/m, imm (reg 0) — and raises #GP when that passes 10 bytes.
    /// </summary>
    public static int Length286(MooTest test, ushort ip)
    {
        byte[] b = test.Bytes;
        int i = 0;
        while (i < b.Length - 1 && b[i] is 0x26 or 0x2E or 0x36 or 0x3E or 0xF0 or 0xF2 or 0xF3)
        {
            i++;
        }

        if (i + 1 < b.Length && b[i] is 0xC6 or 0xC7 && ((b[i + 1] >> 3) & 7) != 0)
        {
            var copy = (byte[])b.Clone();
            Array.Resize(ref copy, copy.Length + 8);
            copy[i + 1] &= 0xC7;
            var asMov = Decode(copy, ip);
            if (asMov.Code != Code.INVALID)
            {
                return asMov.Length;
            }
        }

        return InstructionLength(test);
    }

    /// <summary>Word string instructions (the byte forms cannot fault at FFFF) and the pointers they use.</summary>
    public static (bool Si, bool Di)? StringPointers(string opcode) => opcode switch
    {
        "A5" or "A7" => (true, true),   // MOVSW, CMPSW
        "AB" or "AF" or "6D" => (false, true), // STOSW, SCASW, INSW
        "AD" or "6F" => (true, false),  // LODSW, OUTSW
        _ => null,
    };

    /// <summary>Flags the SDM leaves undefined for this shift/rotate and count (as an AND-mask of the defined ones).</summary>
    private static ushort ShiftUndefinedFlags(string opcode, in SstRegisters initial, in Instruction decoded)
    {
        const ushort Cf = 0x0001, Af = 0x0010, Of = 0x0800;
        if (opcode.Length != 4 || opcode[2] != '.')
        {
            return 0xFFFF;
        }

        string group = opcode[..2];
        int reg = opcode[3] - '0';
        int width = group is "C0" or "D0" or "D2" ? 8 : 16;
        int count;
        switch (group)
        {
            case "C0" or "C1":
                if (decoded.Code == Code.INVALID)
                {
                    return 0xFFFF;
                }

                count = decoded.Immediate8;
                break;
            case "D0" or "D1":
                count = 1;
                break;
            case "D2" or "D3":
                count = initial.Cx & 0xFF;
                break;
            default:
                return 0xFFFF;
        }

        count &= 0x1F; // 286 and 386+ both mask the count to 5 bits.
        if (count == 0)
        {
            return 0xFFFF;
        }

        ushort undefined = 0;
        if (count != 1)
        {
            undefined |= Of;
        }

        if (reg >= 4)
        {
            undefined |= Af;
            if (reg != 7 && count >= width)
            {
                undefined |= Cf;
            }
        }

        return (ushort)~undefined;
    }

    private static bool HasLockPrefix(byte[] bytes)
    {
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case 0xF0:
                    return true;
                case 0x26 or 0x2E or 0x36 or 0x3E or 0xF2 or 0xF3:
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    private static int ModRmReg(byte[] bytes)
    {
        for (int i = 0; i < bytes.Length - 1; i++)
        {
            if (bytes[i] is 0x8C or 0x8E)
            {
                return (bytes[i + 1] >> 3) & 7;
            }
        }

        return -1;
    }

    private static ushort ReadWord(Dictionary<uint, byte> ram, ushort seg, ushort offset)
    {
        ram.TryGetValue(Physical(seg, offset), out byte lo);
        ram.TryGetValue(Physical(seg, (ushort)(offset + 1)), out byte hi);
        return (ushort)(lo | (hi << 8));
    }

    private static ulong Value(Register r, in SstRegisters regs) => r switch
    {
        Register.None => 0,
        Register.AX => regs.Ax,
        Register.BX => regs.Bx,
        Register.CX => regs.Cx,
        Register.DX => regs.Dx,
        Register.SP => regs.Sp,
        Register.BP => regs.Bp,
        Register.SI => regs.Si,
        Register.DI => regs.Di,
        _ => 0,
    };
}
