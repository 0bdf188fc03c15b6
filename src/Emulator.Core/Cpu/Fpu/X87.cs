using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Emulator.Core.Cpu.Fpu;

/// <summary>
/// The x87 register stack and status-word rules (SDM Vol. 1 chapter 8) on an <see cref="FpuState"/>, independent of
/// how operands are fetched: the instruction helpers and the reference tests both drive it.
/// </summary>
public static class X87
{
    // Status word (SDM Vol. 1 §8.1.3).
    public const ushort SW_IE = 1 << 0, SW_DE = 1 << 1, SW_ZE = 1 << 2, SW_OE = 1 << 3, SW_UE = 1 << 4, SW_PE = 1 << 5;
    public const ushort SW_SF = 1 << 6, SW_ES = 1 << 7, SW_C0 = 1 << 8, SW_C1 = 1 << 9, SW_C2 = 1 << 10, SW_C3 = 1 << 14, SW_B = 1 << 15;
    public const ushort SW_TOP = 7 << 11;
    public const ushort SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;

    // Tag values (SDM Vol. 1 §8.1.7).
    public const int TagValid = 0, TagZero = 1, TagSpecial = 2, TagEmpty = 3;

    public static int Top(FpuState f) => (f.Status >> 11) & 7;

    private static void SetTop(FpuState f, int top) => f.Status = (ushort)((f.Status & ~SW_TOP) | ((top & 7) << 11));

    public static int Phys(FpuState f, int i) => (Top(f) + i) & 7;

    public static int GetTag(FpuState f, int phys) => (f.Tag >> (2 * phys)) & 3;

    public static void SetTag(FpuState f, int phys, int tag) => f.Tag = (ushort)((f.Tag & ~(3 << (2 * phys))) | (tag << (2 * phys)));

    public static bool IsEmpty(FpuState f, int i) => GetTag(f, Phys(f, i)) == TagEmpty;

    public static Float80 St(FpuState f, int i)
    {
        int p = Phys(f, i);
        return new Float80(f.SignExponent[p], f.Mantissa[p]);
    }

    public static Float80 Reg(FpuState f, int phys) => new(f.SignExponent[phys], f.Mantissa[phys]);

    /// <summary>Tag a value would get (SDM Vol. 1 Figure 8-7).</summary>
    public static int TagOf(Float80 v)
    {
        if (v.IsZero) return TagZero;
        if (v.Exponent == 0 || v.Exponent == Float80.MaxExp || !v.IntegerBit) return TagSpecial;
        return TagValid;
    }

    public static void SetSt(FpuState f, int i, Float80 v) => SetReg(f, Phys(f, i), v);

    public static void SetReg(FpuState f, int phys, Float80 v)
    {
        f.SignExponent[phys] = v.SignExp;
        f.Mantissa[phys] = v.Significand;
        SetTag(f, phys, TagOf(v));
    }

    public static void Push(FpuState f, Float80 v)
    {
        int top = (Top(f) - 1) & 7;
        SetTop(f, top);
        SetReg(f, top, v);
    }

    public static void Pop(FpuState f)
    {
        int top = Top(f);
        SetTag(f, top, TagEmpty);
        SetTop(f, top + 1);
    }

    public static void Incstp(FpuState f) => SetTop(f, Top(f) + 1);

    public static void Decstp(FpuState f) => SetTop(f, Top(f) - 1);

    public static void SetC(FpuState f, bool c3, bool c2, bool c1, bool c0)
    {
        int s = f.Status & ~SW_CC;
        if (c0) s |= SW_C0;
        if (c1) s |= SW_C1;
        if (c2) s |= SW_C2;
        if (c3) s |= SW_C3;
        f.Status = (ushort)s;
    }

    public static void SetC1(FpuState f, bool c1) => f.Status = (ushort)(c1 ? f.Status | SW_C1 : f.Status & ~SW_C1);

    public static FpEnv Env(FpuState f) => FpEnv.FromControl(f.Control);

    /// <summary>Unmasked exceptions among <paramref name="flags"/> (IE..PE bits).</summary>
    public static int Unmasked(FpuState f, int flags) => flags & ~f.Control & 0x3F;

    /// <summary>
    /// Records the exception flags of an operation in the status word, C1 from the rounding (cleared otherwise), and ES/B
    /// when any is unmasked. Returns true when the destination may be written: false for unmasked IE, DE or ZE
    /// (SDM Vol. 1 §8.5: pre-computation exceptions leave the operands unchanged).
    /// </summary>
    public static bool Commit(FpuState f, in FpEnv env)
    {
        int flags = env.Flags & 0x3F;
        int s = f.Status | flags;
        s = (env.Flags & FpEnv.C1) != 0 ? s | SW_C1 : s & ~SW_C1;
        f.Status = (ushort)s;
        int un = Unmasked(f, flags);
        if (un != 0) SignalUnmasked(f);
        return (un & (FpEnv.IE | FpEnv.DE | FpEnv.ZE)) == 0;
    }

    /// <summary>Sets ES and B (the pending-exception summary).</summary>
    public static void SignalUnmasked(FpuState f) => f.Status |= SW_ES | SW_B;

    /// <summary>Recomputes ES/B from the flags and masks (after FLDCW, FLDENV, FRSTOR, FXRSTOR).</summary>
    public static void UpdateSummary(FpuState f)
    {
        if (Unmasked(f, f.Status) != 0) f.Status |= SW_ES | SW_B;
        else f.Status &= unchecked((ushort)~(SW_ES | SW_B));
    }

    /// <summary>
    /// Stack fault (SDM Vol. 1 §8.5.1.1): IE + SF, C1 = 1 on overflow, 0 on underflow. Returns true when masked (the
    /// instruction goes on with the QNaN indefinite).
    /// </summary>
    public static bool StackFault(FpuState f, bool overflow)
    {
        int s = f.Status | SW_IE | SW_SF;
        s = overflow ? s | SW_C1 : s & ~SW_C1;
        f.Status = (ushort)s;
        if ((f.Control & SW_IE) != 0) return true;
        SignalUnmasked(f);
        return false;
    }

    /// <summary>FNINIT (SDM Vol. 2A FINIT): control 037F, status and pointers cleared, all registers empty.</summary>
    public static void Init(FpuState f)
    {
        f.Control = 0x037F;
        f.Status = 0;
        f.Tag = 0xFFFF;
        f.LastOpcode = 0;
        f.LastInstructionPointer = f.LastDataPointer = 0;
        f.LastCodeSelector = f.LastDataSelector = 0;
    }

    /// <summary>Pushes a loaded value: stack overflow when the new ST(0) is not empty.</summary>
    public static void Load(FpuState f, Float80 v)
    {
        if (!IsEmpty(f, 7))
        {
            if (!StackFault(f, true)) return;
            v = Float80.Indefinite;
        }
        else
        {
            SetC1(f, false);
        }
        Push(f, v);
    }

    /// <summary>Pushes a value converted from memory with its conversion flags (IE for SNaN, DE for denormals).</summary>
    public static void LoadConverted(FpuState f, Float80 v, in FpEnv env)
    {
        if (!IsEmpty(f, 7))
        {
            if (!StackFault(f, true)) return;
            Push(f, Float80.Indefinite);
            return;
        }
        var e = env;
        e.Flags &= ~FpEnv.C1;
        if (!Commit(f, e)) return;
        Push(f, v);
    }

    /// <summary>Binary arithmetic kinds.</summary>
    public enum Op { Add, Sub, SubR, Mul, Div, DivR }

    public static Float80 Compute(Op op, Float80 a, Float80 b, ref FpEnv env) => op switch
    {
        Op.Add => SoftFloat80.Add(a, b, ref env),
        Op.Sub => SoftFloat80.Sub(a, b, ref env),
        Op.SubR => SoftFloat80.Sub(b, a, ref env),
        Op.Mul => SoftFloat80.Mul(a, b, ref env),
        Op.Div => SoftFloat80.Div(a, b, ref env),
        _ => SoftFloat80.Div(b, a, ref env),
    };

    /// <summary>ST(dst) = ST(dst) op ST(src), popping when asked (FADD ST(i),ST(0) / FADDP ...).</summary>
    public static void ArithRegs(FpuState f, Op op, int dst, int src, bool pop)
    {
        if (TryFastArithRegs(f, op, dst, src, pop)) return;
        ArithRegsGeneral(f, op, dst, src, pop);
    }

    /// <summary><see cref="ArithRegs"/> without the fast path (callers that tried it already).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArithRegsGeneral(FpuState f, Op op, int dst, int src, bool pop)
    {
        if (IsEmpty(f, dst) || IsEmpty(f, src))
        {
            if (!StackFault(f, false)) return;
            SetSt(f, dst, Float80.Indefinite);
        }
        else
        {
            var env = Env(f);
            var r = Compute(op, St(f, dst), St(f, src), ref env);
            if (!Commit(f, env)) return;
            SetSt(f, dst, r);
        }
        if (pop) Pop(f);
    }

    /// <summary>
    /// <see cref="ArithRegs"/> when both registers hold normal values and the result is normal with PE masked (see
    /// <see cref="SoftFloat80.TryFastArith"/>); false, with nothing changed, otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFastArithRegs(FpuState f, Op op, int dst, int src, bool pop)
    {
        int status = f.Status;
        int top = (status >> 11) & 7;
        int pd = (top + dst) & 7, ps = (top + src) & 7;
        int tag = f.Tag;
        if (((tag >> (2 * pd)) & 3) == TagEmpty || ((tag >> (2 * ps)) & 3) == TagEmpty) return false;
        ref ulong mant = ref MemoryMarshal.GetArrayDataReference(f.Mantissa);
        ref ushort se = ref MemoryMarshal.GetArrayDataReference(f.SignExponent);
        var r = SoftFloat80.TryFastArith((int)op, Unsafe.Add(ref se, pd), Unsafe.Add(ref mant, pd), Unsafe.Add(ref se, ps), Unsafe.Add(ref mant, ps), f.Control);
        if (!r.Ok) return false;
        Unsafe.Add(ref se, pd) = r.SignExp;
        Unsafe.Add(ref mant, pd) = r.Significand;
        tag &= ~(3 << (2 * pd));
        status = (status & ~SW_C1) | r.Flags;
        if (pop)
        {
            tag |= TagEmpty << (2 * top);
            status = (status & ~SW_TOP) | (((top + 1) & 7) << 11);
        }
        f.Tag = (ushort)tag;
        f.Status = (ushort)status;
        return true;
    }

    /// <summary>
    /// <see cref="ArithValue"/> for a normal ST(0) and a normal value converted without flags; false, with nothing
    /// changed, when the general path is needed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFastArithValue(FpuState f, Op op, ushort seB, ulong mB)
    {
        int status = f.Status;
        int top = (status >> 11) & 7;
        if (((f.Tag >> (2 * top)) & 3) == TagEmpty) return false;
        ref ulong mant = ref MemoryMarshal.GetArrayDataReference(f.Mantissa);
        ref ushort se = ref MemoryMarshal.GetArrayDataReference(f.SignExponent);
        var r = SoftFloat80.TryFastArith((int)op, Unsafe.Add(ref se, top), Unsafe.Add(ref mant, top), seB, mB, f.Control);
        if (!r.Ok) return false;
        Unsafe.Add(ref se, top) = r.SignExp;
        Unsafe.Add(ref mant, top) = r.Significand;
        f.Tag = (ushort)(f.Tag & ~(3 << (2 * top)));
        f.Status = (ushort)((status & ~SW_C1) | r.Flags);
        return true;
    }

    /// <summary>ST(0) = ST(0) op value (memory operand forms; <paramref name="loadEnv"/> carries conversion flags).</summary>
    public static void ArithValue(FpuState f, Op op, Float80 value, in FpEnv loadEnv)
    {
        if (IsEmpty(f, 0))
        {
            if (StackFault(f, false)) SetSt(f, 0, Float80.Indefinite);
            return;
        }
        var env = Env(f);
        env.Flags = loadEnv.Flags & ~FpEnv.C1;
        var r = Compute(op, St(f, 0), value, ref env);
        if (!Commit(f, env)) return;
        SetSt(f, 0, r);
    }

    /// <summary>Single-operand ST(0) operation through <paramref name="fn"/> (FSQRT, FRNDINT).</summary>
    public static void Unary(FpuState f, Func<Float80, FpEnv, (Float80, FpEnv)> fn)
    {
        if (IsEmpty(f, 0))
        {
            if (StackFault(f, false)) SetSt(f, 0, Float80.Indefinite);
            return;
        }
        var (r, env) = fn(St(f, 0), Env(f));
        if (!Commit(f, env)) return;
        SetSt(f, 0, r);
    }

    public static void Sqrt(FpuState f) => Unary(f, static (a, e) => (SoftFloat80.Sqrt(a, ref e), e));

    /// <summary>
    /// <see cref="Sqrt"/> for a normal positive ST(0) whose result needs no general rule (see
    /// <see cref="SoftFloat80.TryFastSqrt"/>); false, with nothing changed, otherwise.
    /// </summary>
    public static bool TryFastSqrt(FpuState f)
    {
        int status = f.Status;
        int top = (status >> 11) & 7;
        if (((f.Tag >> (2 * top)) & 3) == TagEmpty) return false;
        var r = SoftFloat80.TryFastSqrt(f.SignExponent[top], f.Mantissa[top], f.Control);
        if (!r.Ok) return false;
        f.SignExponent[top] = r.SignExp;
        f.Mantissa[top] = r.Significand;
        f.Status = (ushort)((status & ~SW_C1) | r.Flags);
        return true;
    }

    public static void Rndint(FpuState f) => Unary(f, static (a, e) => (SoftFloat80.RoundToInt(a, ref e), e));

    /// <summary>FCHS / FABS: sign only, no exceptions other than stack underflow; C1 cleared.</summary>
    public static void SignOp(FpuState f, bool abs)
    {
        if (IsEmpty(f, 0))
        {
            if (StackFault(f, false)) SetSt(f, 0, Float80.Indefinite);
            return;
        }
        var v = St(f, 0);
        SetSt(f, 0, abs ? v.Abs() : v.Negate());
        SetC1(f, false);
    }

    public static void Scale(FpuState f)
    {
        if (IsEmpty(f, 0) || IsEmpty(f, 1))
        {
            if (StackFault(f, false)) SetSt(f, 0, Float80.Indefinite);
            return;
        }
        var env = Env(f);
        var r = SoftFloat80.Scale(St(f, 0), St(f, 1), ref env);
        if (!Commit(f, env)) return;
        SetSt(f, 0, r);
    }

    public static void Xtract(FpuState f)
    {
        if (IsEmpty(f, 0))
        {
            if (!StackFault(f, false)) return;
            SetSt(f, 0, Float80.Indefinite);
            Push(f, Float80.Indefinite);
            return;
        }
        if (!IsEmpty(f, 7))
        {
            if (!StackFault(f, true)) return;
            SetSt(f, 0, Float80.Indefinite);
            Push(f, Float80.Indefinite);
            return;
        }
        var env = Env(f);
        var (e, s) = SoftFloat80.Extract(St(f, 0), ref env);
        if (!Commit(f, env)) return;
        SetSt(f, 0, e);
        Push(f, s);
    }

    public static void Prem(FpuState f, bool ieee)
    {
        if (IsEmpty(f, 0) || IsEmpty(f, 1))
        {
            if (StackFault(f, false)) SetSt(f, 0, Float80.Indefinite);
            return;
        }
        var env = Env(f);
        var r = SoftFloat80.Remainder(St(f, 0), St(f, 1), ieee, ref env, out int q, out bool incomplete);
        bool ok = Commit(f, env);
        if ((env.Flags & FpEnv.IE) != 0 && r == Float80.Indefinite)
        {
            SetC(f, false, false, false, false);
        }
        else
        {
            SetC(f, (q & 2) != 0, incomplete, (q & 1) != 0, (q & 4) != 0);
        }
        if (ok) SetSt(f, 0, r);
    }

    /// <summary>Condition codes of a compare (SDM Vol. 2A FCOM Table 3-21): C3 C2 C0.</summary>
    public static void CompareCodes(FpuState f, SoftFloat80.Relation rel)
    {
        switch (rel)
        {
            case SoftFloat80.Relation.Greater: SetC(f, false, false, false, false); break;
            case SoftFloat80.Relation.Less: SetC(f, false, false, false, true); break;
            case SoftFloat80.Relation.Equal: SetC(f, true, false, false, false); break;
            default: SetC(f, true, true, false, true); break;
        }
    }

    /// <summary>FCOM/FUCOM family on ST(0) and a value; pops <paramref name="pops"/> times. False when an unmasked exception stopped it.</summary>
    public static bool Compare(FpuState f, Float80 b, bool bEmpty, bool quiet, int pops, in FpEnv loadEnv, out SoftFloat80.Relation rel)
    {
        rel = SoftFloat80.Relation.Unordered;
        if (IsEmpty(f, 0) || bEmpty)
        {
            if (!StackFault(f, false)) return false;
            SetC(f, true, true, false, true);
        }
        else
        {
            var env = Env(f);
            env.Flags = loadEnv.Flags & ~FpEnv.C1;
            rel = SoftFloat80.Compare(St(f, 0), b, quiet, ref env);
            if (!Commit(f, env)) return false;
            CompareCodes(f, rel);
        }
        for (int k = 0; k < pops; k++) Pop(f);
        return true;
    }

    /// <summary>FXAM (SDM Vol. 2A FXAM Table 3-55).</summary>
    public static void Xam(FpuState f)
    {
        var v = St(f, 0);
        bool c1 = v.Sign;
        if (IsEmpty(f, 0)) SetC(f, true, false, c1, true);
        else if (v.IsUnsupported) SetC(f, false, false, c1, false);
        else if (v.IsNaN) SetC(f, false, false, c1, true);
        else if (v.IsInfinity) SetC(f, false, true, c1, true);
        else if (v.IsZero) SetC(f, true, false, c1, false);
        else if (v.Exponent == 0) SetC(f, true, true, c1, false);
        else SetC(f, false, true, c1, false);
    }

    /// <summary>Tag of a register value from its raw fields (same as <see cref="TagOf"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TagOfRaw(ushort se, ulong m)
    {
        int e = se & 0x7FFF;
        if (e == 0) return m == 0 ? TagZero : TagSpecial;
        return e == Float80.MaxExp || (long)m >= 0 ? TagSpecial : TagValid;
    }

    public static void Xch(FpuState f, int i)
    {
        int status = f.Status;
        int top = (status >> 11) & 7;
        int pi = (top + i) & 7;
        int tag = f.Tag;
        if (((tag >> (2 * top)) & 3) != TagEmpty && ((tag >> (2 * pi)) & 3) != TagEmpty)
        {
            ref ulong mant = ref MemoryMarshal.GetArrayDataReference(f.Mantissa);
            ref ushort se = ref MemoryMarshal.GetArrayDataReference(f.SignExponent);
            ulong m0 = Unsafe.Add(ref mant, top), mi = Unsafe.Add(ref mant, pi);
            ushort s0 = Unsafe.Add(ref se, top), si = Unsafe.Add(ref se, pi);
            Unsafe.Add(ref mant, top) = mi;
            Unsafe.Add(ref se, top) = si;
            Unsafe.Add(ref mant, pi) = m0;
            Unsafe.Add(ref se, pi) = s0;
            tag &= ~((3 << (2 * top)) | (3 << (2 * pi)));
            tag |= TagOfRaw(si, mi) << (2 * top);
            tag |= TagOfRaw(s0, m0) << (2 * pi);
            f.Tag = (ushort)tag;
            f.Status = (ushort)(status & ~SW_C1);
            return;
        }
        XchSlow(f, i);
    }

    private static void XchSlow(FpuState f, int i)
    {
        bool e0 = IsEmpty(f, 0), ei = IsEmpty(f, i);
        if (e0 || ei)
        {
            if (!StackFault(f, false)) return;
            if (e0) SetSt(f, 0, Float80.Indefinite);
            if (ei) SetSt(f, i, Float80.Indefinite);
        }
        else
        {
            SetC1(f, false);
        }
        var a = St(f, 0);
        SetSt(f, 0, St(f, i));
        SetSt(f, i, a);
    }

    /// <summary>FLD ST(i).</summary>
    public static void LoadReg(FpuState f, int i)
    {
        int status = f.Status;
        int top = (status >> 11) & 7;
        int ps = (top + i) & 7, nt = (top - 1) & 7;
        int tag = f.Tag;
        if (((tag >> (2 * ps)) & 3) != TagEmpty && ((tag >> (2 * nt)) & 3) == TagEmpty)
        {
            ref ulong mant = ref MemoryMarshal.GetArrayDataReference(f.Mantissa);
            ref ushort se = ref MemoryMarshal.GetArrayDataReference(f.SignExponent);
            ulong m = Unsafe.Add(ref mant, ps);
            ushort e = Unsafe.Add(ref se, ps);
            Unsafe.Add(ref mant, nt) = m;
            Unsafe.Add(ref se, nt) = e;
            f.Tag = (ushort)((tag & ~(3 << (2 * nt))) | (TagOfRaw(e, m) << (2 * nt)));
            f.Status = (ushort)((status & ~(SW_C1 | SW_TOP)) | (nt << 11));
            return;
        }
        LoadRegSlow(f, i);
    }

    private static void LoadRegSlow(FpuState f, int i)
    {
        if (IsEmpty(f, i))
        {
            if (!StackFault(f, false)) return;
            if (!IsEmpty(f, 7)) StackFault(f, true);
            Push(f, Float80.Indefinite);
            return;
        }
        Load(f, St(f, i));
    }

    /// <summary>FST/FSTP ST(i).</summary>
    public static void StoreReg(FpuState f, int i, bool pop)
    {
        int status = f.Status;
        int top = (status >> 11) & 7;
        int tag = f.Tag;
        if (((tag >> (2 * top)) & 3) != TagEmpty)
        {
            int pi = (top + i) & 7;
            ref ulong mant = ref MemoryMarshal.GetArrayDataReference(f.Mantissa);
            ref ushort se = ref MemoryMarshal.GetArrayDataReference(f.SignExponent);
            ulong m = Unsafe.Add(ref mant, top);
            ushort e = Unsafe.Add(ref se, top);
            Unsafe.Add(ref mant, pi) = m;
            Unsafe.Add(ref se, pi) = e;
            tag = (tag & ~(3 << (2 * pi))) | (TagOfRaw(e, m) << (2 * pi));
            status &= ~SW_C1;
            if (pop)
            {
                tag |= TagEmpty << (2 * top);
                status = (status & ~SW_TOP) | (((top + 1) & 7) << 11);
            }
            f.Tag = (ushort)tag;
            f.Status = (ushort)status;
            return;
        }
        StoreRegSlow(f, i, pop);
    }

    private static void StoreRegSlow(FpuState f, int i, bool pop)
    {
        if (IsEmpty(f, 0))
        {
            if (!StackFault(f, false)) return;
            SetSt(f, i, Float80.Indefinite);
        }
        else
        {
            SetC1(f, false);
            SetSt(f, i, St(f, 0));
        }
        if (pop) Pop(f);
    }

    // ---------- constants (SDM Vol. 2A FLD1/FLDL2T/...: 66-bit internal constants rounded per RC) ----------

    public enum Constant { One, L2T, L2E, Pi, LG2, LN2, Zero }

    private static readonly (int Exp, UInt128 Sig)[] ConstantTable =
    {
        (0, (UInt128)1 << 127),
        (1, new UInt128(0xd49a784bcd1b8afe, 0x492bf6ff4dafdb4c)),
        (0, new UInt128(0xb8aa3b295c17f0bb, 0xbe87fed0691d3e88)),
        (1, new UInt128(0xc90fdaa22168c234, 0xc4c6628b80dc1cd1)),
        (-2, new UInt128(0x9a209a84fbcff798, 0x8f8959ac0b7c9178)),
        (-1, new UInt128(0xb17217f7d1cf79ab, 0xc9e3b39803f2f6af)),
    };

    public static Float80 ConstantValue(Constant c, int rounding)
    {
        if (c == Constant.Zero) return Float80.Zero(false);
        var (e, s) = ConstantTable[(int)c];
        var env = new FpEnv(rounding, 64);
        return SoftFloat80.Pack80(false, e, s, 64, ref env);
    }

    public static void LoadConstant(FpuState f, Constant c) => Load(f, ConstantValue(c, (f.Control >> 10) & 3));

    // ---------- stores to memory formats ----------

    /// <summary>
    /// FIST/FISTP/FISTTP value of ST(0) as a <paramref name="bits"/>-bit integer. Returns false when nothing may be stored
    /// (unmasked invalid); the caller pops on success when asked.
    /// </summary>
    public static bool StoreInt(FpuState f, int bits, bool truncate, out long value)
    {
        long indefinite = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        value = indefinite;
        if (IsEmpty(f, 0)) return StackFault(f, false);
        var env = Env(f);
        value = SoftFloat80.ToInt(St(f, 0), bits, truncate ? 3 : env.Rounding, ref env);
        return Commit(f, env);
    }

    /// <summary>FST/FSTP m32fp or m64fp value of ST(0); false when nothing may be stored.</summary>
    public static bool StoreFloat(FpuState f, int bits, out ulong value)
    {
        if (IsEmpty(f, 0))
        {
            value = bits == 32 ? 0xFFC00000u : 0xFFF8_0000_0000_0000ul;
            return StackFault(f, false);
        }
        var env = Env(f);
        var a = St(f, 0);
        value = bits == 32 ? SoftFloat80.ToFloat32(a, ref env) : SoftFloat80.ToFloat64(a, ref env);
        bool ok = Commit(f, env);
        return ok && Unmasked(f, env.Flags & (FpEnv.OE | FpEnv.UE)) == 0;
    }

    /// <summary>FBSTP value of ST(0) as 10 bytes of packed BCD (low 8 bytes, high 2 bytes); false when nothing may be stored.</summary>
    public static bool StoreBcd(FpuState f, out ulong low, out ushort high)
    {
        low = 0;
        high = 0xFFFF;
        ulong indefLow = 0xC000_0000_0000_0000;
        if (IsEmpty(f, 0))
        {
            low = indefLow;
            return StackFault(f, false);
        }
        var env = Env(f);
        var a = St(f, 0);
        bool bad = a.IsNaN || a.IsUnsupported || a.IsInfinity;
        ulong m = 0;
        if (!bad)
        {
            var probe = env;
            m = SoftFloat80.RoundToIntegerMagnitude(a, env.Rounding, ref probe, out bool overflow);
            if (overflow || m > 999_999_999_999_999_999ul) bad = true;
            else env = probe;
        }
        if (bad)
        {
            env.Flags |= FpEnv.IE;
            low = indefLow;
            return Commit(f, env);
        }
        ulong bcd = 0;
        for (int k = 0; k < 16; k++)
        {
            bcd |= (m % 10) << (4 * k);
            m /= 10;
        }
        low = bcd;
        high = (ushort)((m % 10) | ((m / 10 % 10) << 4) | (a.Sign ? 0x8000u : 0));
        return Commit(f, env);
    }

    /// <summary>FBLD conversion (digits above 9 are taken at face value, as the result is undefined for them).</summary>
    public static Float80 FromBcd(ulong low, ushort high)
    {
        ulong v = 0;
        for (int k = 1; k >= 0; k--) v = v * 10 + (ulong)((high >> (4 * k)) & 0xF);
        for (int k = 15; k >= 0; k--) v = v * 10 + ((low >> (4 * k)) & 0xF);
        return SoftFloat80.FromUInt64((high & 0x8000) != 0, v);
    }
}
