using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Emulator.Core.Cpu;
using Iced.Intel;

namespace Emulator.Core.Translation;

/// <summary>
/// The packed-integer instructions of MMX, SSE, SSE2 and SSSE3 on MM (8-byte) and XMM (16-byte) registers. Each has
/// a portable lane loop (<see cref="Lanes"/>); for XMM operands the common ones use the host's SSE2/SSSE3 through
/// System.Runtime.Intrinsics when <see cref="CpuState.HostSimd"/> allows (<see cref="HostLanes"/>).
/// </summary>
public static partial class Helpers
{
    private static int IntOp(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var s)) return Fault;
        if (!ReadX(cpu, i, 0, out var d)) return Fault;
        bool xmm = i.Op0Register.IsXMM();
        int imm = i.OpCount > 2 ? i.Immediate8 : 0;
        X128 r;
        if (xmm && UseHost(cpu) && HostLanes(i.Mnemonic, Vec(d), Vec(s), imm, out var hv))
        {
            r = FromVec(hv);
        }
        else
        {
            r = d;
            Lanes(i.Mnemonic, Bytes(ref r), Bytes(ref s), xmm ? 16 : 8, imm);
        }
        return WriteX(cpu, i, 0, r);
    }

    /// <summary>The host-SSE version of common XMM integer operations; false when there is none.</summary>
    private static bool HostLanes(Mnemonic m, Vector128<byte> d, Vector128<byte> s, int imm, out Vector128<byte> r)
    {
        r = default;
        switch (m)
        {
            case Mnemonic.Paddb: r = Sse2.Add(d, s); return true;
            case Mnemonic.Paddw: r = Sse2.Add(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Paddd: r = Sse2.Add(d.AsUInt32(), s.AsUInt32()).AsByte(); return true;
            case Mnemonic.Paddq: r = Sse2.Add(d.AsUInt64(), s.AsUInt64()).AsByte(); return true;
            case Mnemonic.Psubb: r = Sse2.Subtract(d, s); return true;
            case Mnemonic.Psubw: r = Sse2.Subtract(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Psubd: r = Sse2.Subtract(d.AsUInt32(), s.AsUInt32()).AsByte(); return true;
            case Mnemonic.Psubq: r = Sse2.Subtract(d.AsUInt64(), s.AsUInt64()).AsByte(); return true;
            case Mnemonic.Paddsb: r = Sse2.AddSaturate(d.AsSByte(), s.AsSByte()).AsByte(); return true;
            case Mnemonic.Paddsw: r = Sse2.AddSaturate(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Paddusb: r = Sse2.AddSaturate(d, s); return true;
            case Mnemonic.Paddusw: r = Sse2.AddSaturate(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Psubsb: r = Sse2.SubtractSaturate(d.AsSByte(), s.AsSByte()).AsByte(); return true;
            case Mnemonic.Psubsw: r = Sse2.SubtractSaturate(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Psubusb: r = Sse2.SubtractSaturate(d, s); return true;
            case Mnemonic.Psubusw: r = Sse2.SubtractSaturate(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Pand: r = Sse2.And(d, s); return true;
            case Mnemonic.Pandn: r = Sse2.AndNot(d, s); return true;
            case Mnemonic.Por: r = Sse2.Or(d, s); return true;
            case Mnemonic.Pxor: r = Sse2.Xor(d, s); return true;
            case Mnemonic.Pcmpeqb: r = Sse2.CompareEqual(d, s); return true;
            case Mnemonic.Pcmpeqw: r = Sse2.CompareEqual(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Pcmpeqd: r = Sse2.CompareEqual(d.AsUInt32(), s.AsUInt32()).AsByte(); return true;
            case Mnemonic.Pcmpgtb: r = Sse2.CompareGreaterThan(d.AsSByte(), s.AsSByte()).AsByte(); return true;
            case Mnemonic.Pcmpgtw: r = Sse2.CompareGreaterThan(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pcmpgtd: r = Sse2.CompareGreaterThan(d.AsInt32(), s.AsInt32()).AsByte(); return true;
            case Mnemonic.Pmullw: r = Sse2.MultiplyLow(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pmulhw: r = Sse2.MultiplyHigh(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pmulhuw: r = Sse2.MultiplyHigh(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Pmuludq: r = Sse2.Multiply(d.AsUInt32(), s.AsUInt32()).AsByte(); return true;
            case Mnemonic.Pmaddwd: r = Sse2.MultiplyAddAdjacent(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pavgb: r = Sse2.Average(d, s); return true;
            case Mnemonic.Pavgw: r = Sse2.Average(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Pmaxsw: r = Sse2.Max(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pmaxub: r = Sse2.Max(d, s); return true;
            case Mnemonic.Pminsw: r = Sse2.Min(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pminub: r = Sse2.Min(d, s); return true;
            case Mnemonic.Psadbw: r = Sse2.SumAbsoluteDifferences(d, s).AsByte(); return true;
            case Mnemonic.Punpcklbw: r = Sse2.UnpackLow(d, s); return true;
            case Mnemonic.Punpcklwd: r = Sse2.UnpackLow(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Punpckldq: r = Sse2.UnpackLow(d.AsUInt32(), s.AsUInt32()).AsByte(); return true;
            case Mnemonic.Punpcklqdq: r = Sse2.UnpackLow(d.AsUInt64(), s.AsUInt64()).AsByte(); return true;
            case Mnemonic.Punpckhbw: r = Sse2.UnpackHigh(d, s); return true;
            case Mnemonic.Punpckhwd: r = Sse2.UnpackHigh(d.AsUInt16(), s.AsUInt16()).AsByte(); return true;
            case Mnemonic.Punpckhdq: r = Sse2.UnpackHigh(d.AsUInt32(), s.AsUInt32()).AsByte(); return true;
            case Mnemonic.Punpckhqdq: r = Sse2.UnpackHigh(d.AsUInt64(), s.AsUInt64()).AsByte(); return true;
            case Mnemonic.Packsswb: r = Sse2.PackSignedSaturate(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Packssdw: r = Sse2.PackSignedSaturate(d.AsInt32(), s.AsInt32()).AsByte(); return true;
            case Mnemonic.Packuswb: r = Sse2.PackUnsignedSaturate(d.AsInt16(), s.AsInt16()); return true;
        }
        if (!Ssse3.IsSupported) return false;
        switch (m)
        {
            case Mnemonic.Pshufb: r = Ssse3.Shuffle(d, s); return true;
            case Mnemonic.Pabsb: r = Ssse3.Abs(s.AsSByte()); return true;
            case Mnemonic.Pabsw: r = Ssse3.Abs(s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pabsd: r = Ssse3.Abs(s.AsInt32()).AsByte(); return true;
            case Mnemonic.Psignb: r = Ssse3.Sign(d.AsSByte(), s.AsSByte()).AsByte(); return true;
            case Mnemonic.Psignw: r = Ssse3.Sign(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Psignd: r = Ssse3.Sign(d.AsInt32(), s.AsInt32()).AsByte(); return true;
            case Mnemonic.Pmulhrsw: r = Ssse3.MultiplyHighRoundScale(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Pmaddubsw: r = Ssse3.MultiplyAddAdjacent(d, s.AsSByte()).AsByte(); return true;
            case Mnemonic.Phaddw: r = Ssse3.HorizontalAdd(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Phaddd: r = Ssse3.HorizontalAdd(d.AsInt32(), s.AsInt32()).AsByte(); return true;
            case Mnemonic.Phaddsw: r = Ssse3.HorizontalAddSaturate(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Phsubw: r = Ssse3.HorizontalSubtract(d.AsInt16(), s.AsInt16()).AsByte(); return true;
            case Mnemonic.Phsubd: r = Ssse3.HorizontalSubtract(d.AsInt32(), s.AsInt32()).AsByte(); return true;
            case Mnemonic.Phsubsw: r = Ssse3.HorizontalSubtractSaturate(d.AsInt16(), s.AsInt16()).AsByte(); return true;
        }
        return false;
    }

    private static sbyte SatB(int v) => (sbyte)Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue);

    private static byte SatUB(int v) => (byte)Math.Clamp(v, 0, 255);

    private static short SatW(int v) => (short)Math.Clamp(v, short.MinValue, short.MaxValue);

    private static ushort SatUW(int v) => (ushort)Math.Clamp(v, 0, 65535);

    /// <summary>The portable definition of every packed-integer operation on <paramref name="n"/> bytes (8 or 16).</summary>
    private static void Lanes(Mnemonic m, Span<byte> d, Span<byte> s, int n, int imm)
    {
        d = d[..n];
        s = s[..n];
        var dw = MemoryMarshal.Cast<byte, short>(d);
        var sw = MemoryMarshal.Cast<byte, short>(s);
        var uw = MemoryMarshal.Cast<byte, ushort>(d);
        var usw = MemoryMarshal.Cast<byte, ushort>(s);
        var dd = MemoryMarshal.Cast<byte, int>(d);
        var sd = MemoryMarshal.Cast<byte, int>(s);
        var dq = MemoryMarshal.Cast<byte, ulong>(d);
        var sq = MemoryMarshal.Cast<byte, ulong>(s);
        Span<byte> t = stackalloc byte[16];
        var tw = MemoryMarshal.Cast<byte, short>(t);
        var td = MemoryMarshal.Cast<byte, int>(t);
        switch (m)
        {
            case Mnemonic.Paddb: for (int k = 0; k < n; k++) d[k] += s[k]; break;
            case Mnemonic.Paddw: for (int k = 0; k < n / 2; k++) dw[k] += sw[k]; break;
            case Mnemonic.Paddd: for (int k = 0; k < n / 4; k++) dd[k] += sd[k]; break;
            case Mnemonic.Paddq: for (int k = 0; k < n / 8; k++) dq[k] += sq[k]; break;
            case Mnemonic.Psubb: for (int k = 0; k < n; k++) d[k] -= s[k]; break;
            case Mnemonic.Psubw: for (int k = 0; k < n / 2; k++) dw[k] -= sw[k]; break;
            case Mnemonic.Psubd: for (int k = 0; k < n / 4; k++) dd[k] -= sd[k]; break;
            case Mnemonic.Psubq: for (int k = 0; k < n / 8; k++) dq[k] -= sq[k]; break;
            case Mnemonic.Paddsb: for (int k = 0; k < n; k++) d[k] = (byte)SatB((sbyte)d[k] + (sbyte)s[k]); break;
            case Mnemonic.Paddsw: for (int k = 0; k < n / 2; k++) dw[k] = SatW(dw[k] + sw[k]); break;
            case Mnemonic.Paddusb: for (int k = 0; k < n; k++) d[k] = SatUB(d[k] + s[k]); break;
            case Mnemonic.Paddusw: for (int k = 0; k < n / 2; k++) uw[k] = SatUW(uw[k] + usw[k]); break;
            case Mnemonic.Psubsb: for (int k = 0; k < n; k++) d[k] = (byte)SatB((sbyte)d[k] - (sbyte)s[k]); break;
            case Mnemonic.Psubsw: for (int k = 0; k < n / 2; k++) dw[k] = SatW(dw[k] - sw[k]); break;
            case Mnemonic.Psubusb: for (int k = 0; k < n; k++) d[k] = SatUB(d[k] - s[k]); break;
            case Mnemonic.Psubusw: for (int k = 0; k < n / 2; k++) uw[k] = SatUW(uw[k] - usw[k]); break;
            case Mnemonic.Pand: for (int k = 0; k < n / 8; k++) dq[k] &= sq[k]; break;
            case Mnemonic.Pandn: for (int k = 0; k < n / 8; k++) dq[k] = ~dq[k] & sq[k]; break;
            case Mnemonic.Por: for (int k = 0; k < n / 8; k++) dq[k] |= sq[k]; break;
            case Mnemonic.Pxor: for (int k = 0; k < n / 8; k++) dq[k] ^= sq[k]; break;
            case Mnemonic.Pcmpeqb: for (int k = 0; k < n; k++) d[k] = d[k] == s[k] ? (byte)0xFF : (byte)0; break;
            case Mnemonic.Pcmpeqw: for (int k = 0; k < n / 2; k++) dw[k] = dw[k] == sw[k] ? (short)-1 : (short)0; break;
            case Mnemonic.Pcmpeqd: for (int k = 0; k < n / 4; k++) dd[k] = dd[k] == sd[k] ? -1 : 0; break;
            case Mnemonic.Pcmpgtb: for (int k = 0; k < n; k++) d[k] = (sbyte)d[k] > (sbyte)s[k] ? (byte)0xFF : (byte)0; break;
            case Mnemonic.Pcmpgtw: for (int k = 0; k < n / 2; k++) dw[k] = dw[k] > sw[k] ? (short)-1 : (short)0; break;
            case Mnemonic.Pcmpgtd: for (int k = 0; k < n / 4; k++) dd[k] = dd[k] > sd[k] ? -1 : 0; break;
            case Mnemonic.Pmullw: for (int k = 0; k < n / 2; k++) dw[k] = (short)(dw[k] * sw[k]); break;
            case Mnemonic.Pmulhw: for (int k = 0; k < n / 2; k++) dw[k] = (short)((dw[k] * sw[k]) >> 16); break;
            case Mnemonic.Pmulhuw: for (int k = 0; k < n / 2; k++) uw[k] = (ushort)(((uint)uw[k] * usw[k]) >> 16); break;
            case Mnemonic.Pmuludq: for (int k = 0; k < n / 8; k++) dq[k] = (ulong)(uint)dq[k] * (uint)sq[k]; break;
            case Mnemonic.Pmaddwd: for (int k = 0; k < n / 4; k++) dd[k] = (int)((uint)(dw[2 * k] * sw[2 * k]) + (uint)(dw[2 * k + 1] * sw[2 * k + 1])); break;
            case Mnemonic.Pavgb: for (int k = 0; k < n; k++) d[k] = (byte)((d[k] + s[k] + 1) >> 1); break;
            case Mnemonic.Pavgw: for (int k = 0; k < n / 2; k++) uw[k] = (ushort)((uw[k] + usw[k] + 1) >> 1); break;
            case Mnemonic.Pmaxsw: for (int k = 0; k < n / 2; k++) dw[k] = Math.Max(dw[k], sw[k]); break;
            case Mnemonic.Pmaxub: for (int k = 0; k < n; k++) d[k] = Math.Max(d[k], s[k]); break;
            case Mnemonic.Pminsw: for (int k = 0; k < n / 2; k++) dw[k] = Math.Min(dw[k], sw[k]); break;
            case Mnemonic.Pminub: for (int k = 0; k < n; k++) d[k] = Math.Min(d[k], s[k]); break;
            case Mnemonic.Psadbw:
                for (int q = 0; q < n / 8; q++)
                {
                    uint sum = 0;
                    for (int k = 0; k < 8; k++) sum += (uint)Math.Abs(d[8 * q + k] - s[8 * q + k]);
                    dq[q] = sum;
                }
                break;
            case Mnemonic.Punpcklbw: case Mnemonic.Punpcklwd: case Mnemonic.Punpckldq: case Mnemonic.Punpcklqdq:
            case Mnemonic.Punpckhbw: case Mnemonic.Punpckhwd: case Mnemonic.Punpckhdq: case Mnemonic.Punpckhqdq:
            {
                int size = m switch
                {
                    Mnemonic.Punpcklbw or Mnemonic.Punpckhbw => 1,
                    Mnemonic.Punpcklwd or Mnemonic.Punpckhwd => 2,
                    Mnemonic.Punpckldq or Mnemonic.Punpckhdq => 4,
                    _ => 8,
                };
                bool high = m is Mnemonic.Punpckhbw or Mnemonic.Punpckhwd or Mnemonic.Punpckhdq or Mnemonic.Punpckhqdq;
                int start = high ? n / 2 : 0;
                for (int k = 0; k < n / (2 * size); k++)
                {
                    d.Slice(start + k * size, size).CopyTo(t[(2 * k * size)..]);
                    s.Slice(start + k * size, size).CopyTo(t[((2 * k + 1) * size)..]);
                }
                t[..n].CopyTo(d);
                break;
            }
            case Mnemonic.Packsswb:
                for (int k = 0; k < n / 2; k++) t[k] = (byte)SatB(dw[k]);
                for (int k = 0; k < n / 2; k++) t[n / 2 + k] = (byte)SatB(sw[k]);
                t[..n].CopyTo(d);
                break;
            case Mnemonic.Packuswb:
                for (int k = 0; k < n / 2; k++) t[k] = SatUB(dw[k]);
                for (int k = 0; k < n / 2; k++) t[n / 2 + k] = SatUB(sw[k]);
                t[..n].CopyTo(d);
                break;
            case Mnemonic.Packssdw:
                for (int k = 0; k < n / 4; k++) tw[k] = SatW(dd[k]);
                for (int k = 0; k < n / 4; k++) tw[n / 4 + k] = SatW(sd[k]);
                t[..n].CopyTo(d);
                break;
            case Mnemonic.Pshufb:
                for (int k = 0; k < n; k++) t[k] = (s[k] & 0x80) != 0 ? (byte)0 : d[s[k] & (n - 1)];
                t[..n].CopyTo(d);
                break;
            case Mnemonic.Pabsb: for (int k = 0; k < n; k++) d[k] = (byte)Math.Abs((int)(sbyte)s[k]); break;
            case Mnemonic.Pabsw: for (int k = 0; k < n / 2; k++) uw[k] = (ushort)Math.Abs((int)sw[k]); break;
            case Mnemonic.Pabsd: for (int k = 0; k < n / 4; k++) dd[k] = (int)(uint)Math.Abs((long)sd[k]); break;
            case Mnemonic.Psignb: for (int k = 0; k < n; k++) d[k] = (sbyte)s[k] < 0 ? (byte)(0 - d[k]) : s[k] == 0 ? (byte)0 : d[k]; break;
            case Mnemonic.Psignw: for (int k = 0; k < n / 2; k++) dw[k] = sw[k] < 0 ? (short)-dw[k] : sw[k] == 0 ? (short)0 : dw[k]; break;
            case Mnemonic.Psignd: for (int k = 0; k < n / 4; k++) dd[k] = sd[k] < 0 ? -dd[k] : sd[k] == 0 ? 0 : dd[k]; break;
            case Mnemonic.Pmulhrsw: for (int k = 0; k < n / 2; k++) dw[k] = (short)((((dw[k] * sw[k]) >> 14) + 1) >> 1); break;
            case Mnemonic.Pmaddubsw: for (int k = 0; k < n / 2; k++) tw[k] = SatW(d[2 * k] * (sbyte)s[2 * k] + d[2 * k + 1] * (sbyte)s[2 * k + 1]); t[..n].CopyTo(d); break;
            case Mnemonic.Phaddw: case Mnemonic.Phsubw: case Mnemonic.Phaddsw: case Mnemonic.Phsubsw:
            {
                int h = n / 4;
                for (int k = 0; k < 2 * h; k++)
                {
                    var src = k < h ? dw : sw;
                    int j = 2 * (k % h);
                    int v = m is Mnemonic.Phaddw or Mnemonic.Phaddsw ? src[j] + src[j + 1] : src[j] - src[j + 1];
                    tw[k] = m is Mnemonic.Phaddsw or Mnemonic.Phsubsw ? SatW(v) : (short)v;
                }
                t[..n].CopyTo(d);
                break;
            }
            case Mnemonic.Phaddd: case Mnemonic.Phsubd:
            {
                int h = n / 8;
                for (int k = 0; k < 2 * h; k++)
                {
                    var src = k < h ? dd : sd;
                    int j = 2 * (k % h);
                    td[k] = m == Mnemonic.Phaddd ? src[j] + src[j + 1] : src[j] - src[j + 1];
                }
                t[..n].CopyTo(d);
                break;
            }
            case Mnemonic.Palignr:
            {
                Span<byte> cat = stackalloc byte[64];
                s.CopyTo(cat);
                d.CopyTo(cat[n..]);
                for (int k = 0; k < n; k++) d[k] = imm + k < 2 * n ? cat[imm + k] : (byte)0;
                break;
            }
            case Mnemonic.Pshufw:
                for (int k = 0; k < 4; k++) tw[k] = sw[(imm >> (2 * k)) & 3];
                t[..8].CopyTo(d);
                break;
            case Mnemonic.Pshufd:
                for (int k = 0; k < 4; k++) td[k] = sd[(imm >> (2 * k)) & 3];
                t[..16].CopyTo(d);
                break;
            case Mnemonic.Pshuflw:
                for (int k = 0; k < 4; k++) tw[k] = sw[(imm >> (2 * k)) & 3];
                s[8..16].CopyTo(t[8..]);
                t[..16].CopyTo(d);
                break;
            case Mnemonic.Pshufhw:
                s[..8].CopyTo(t);
                for (int k = 0; k < 4; k++) tw[4 + k] = sw[4 + ((imm >> (2 * k)) & 3)];
                t[..16].CopyTo(d);
                break;
            default:
                throw new InvalidOperationException("no lanes for " + m);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddq(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubq(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddsb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddusb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Paddusw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubsb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubusb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psubusw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pand(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pandn(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Por(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pxor(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pcmpeqb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pcmpeqw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pcmpeqd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pcmpgtb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pcmpgtw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pcmpgtd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmullw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmulhw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmulhuw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmuludq(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmaddwd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pavgb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pavgw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmaxsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmaxub(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pminsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pminub(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psadbw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpcklbw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpcklwd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpckldq(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpcklqdq(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpckhbw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpckhwd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpckhdq(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Punpckhqdq(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Packsswb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Packssdw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Packuswb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pshufb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pabsb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pabsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pabsd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psignb(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psignw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psignd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmulhrsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pmaddubsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Phaddw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Phaddd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Phaddsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Phsubw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Phsubd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Phsubsw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Palignr(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pshufw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pshufd(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pshuflw(CpuState c, ref Instruction i) => IntOp(c, ref i);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pshufhw(CpuState c, ref Instruction i) => IntOp(c, ref i);

    /// <summary>
    /// PSLL/PSRL/PSRA W/D/Q by an immediate or by the low quadword of a register/memory count; counts past the element
    /// width give 0 (logical) or the sign (arithmetic). PSLLDQ/PSRLDQ shift the whole XMM register by bytes.
    /// </summary>
    private static int Shift(CpuState cpu, ref Instruction i, int size, int kind)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var c)) return Fault;
        var d = new X128(0, 0);
        if (!ReadX(cpu, i, 0, out d)) return Fault;
        ulong count = c.Lo;
        if (i.GetOpKind(1) == OpKind.Immediate8) count = (byte)c.Lo;
        int n = i.Op0Register.IsXMM() ? 16 : 8;
        var b = Bytes(ref d)[..n];
        int bits = size * 8;
        if (kind == 3)
        {
            // PSLLDQ (left) / PSRLDQ: size = +1 / -1 direction, count in bytes
            int sh = (int)Math.Min(count, 16ul);
            Span<byte> t = stackalloc byte[16];
            for (int k = 0; k < 16; k++)
            {
                int from = size > 0 ? k - sh : k + sh;
                t[k] = from >= 0 && from < 16 ? b[from] : (byte)0;
            }
            t.CopyTo(b);
            return WriteX(cpu, i, 0, d);
        }
        for (int k = 0; k < n / size; k++)
        {
            var e = b.Slice(k * size, size);
            ulong v = size switch { 2 => BitConverter.ToUInt16(e), 4 => BitConverter.ToUInt32(e), _ => BitConverter.ToUInt64(e) };
            ulong r;
            if (kind == 0) r = count >= (ulong)bits ? 0 : v << (int)count;
            else if (kind == 1) r = count >= (ulong)bits ? 0 : v >> (int)count;
            else
            {
                long sv = size == 2 ? (short)v : (int)v;
                r = (ulong)(sv >> (int)Math.Min(count, (ulong)bits - 1));
            }
            for (int j = 0; j < size; j++) e[j] = (byte)(r >> (8 * j));
        }
        return WriteX(cpu, i, 0, d);
    }

    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psllw(CpuState c, ref Instruction i) => Shift(c, ref i, 2, 0);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pslld(CpuState c, ref Instruction i) => Shift(c, ref i, 4, 0);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psllq(CpuState c, ref Instruction i) => Shift(c, ref i, 8, 0);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psrlw(CpuState c, ref Instruction i) => Shift(c, ref i, 2, 1);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psrld(CpuState c, ref Instruction i) => Shift(c, ref i, 4, 1);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psrlq(CpuState c, ref Instruction i) => Shift(c, ref i, 8, 1);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psraw(CpuState c, ref Instruction i) => Shift(c, ref i, 2, 2);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psrad(CpuState c, ref Instruction i) => Shift(c, ref i, 4, 2);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Pslldq(CpuState c, ref Instruction i) => Shift(c, ref i, 1, 3);
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Psrldq(CpuState c, ref Instruction i) => Shift(c, ref i, -1, 3);

    /// <summary>PEXTRW r32, mm/xmm, imm8: the selected word, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pextrw(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var s)) return Fault;
        int n = i.Op1Register.IsXMM() ? 8 : 4;
        int k = i.Immediate8 & (n - 1);
        var b = Bytes(ref s);
        if (i.Op0Kind != OpKind.Register) return Ud(cpu);
        Operands.WriteReg(cpu, i.Op0Register, BitConverter.ToUInt16(b[(2 * k)..]));
        return Continue;
    }

    /// <summary>PINSRW mm/xmm, r32/m16, imm8.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Pinsrw(CpuState cpu, ref Instruction i)
    {
        if (!SimdEnter(cpu, i)) return Fault;
        if (!ReadX(cpu, i, 1, out var s)) return Fault;
        if (!ReadX(cpu, i, 0, out var d)) return Fault;
        int n = i.Op0Register.IsXMM() ? 8 : 4;
        int k = i.Immediate8 & (n - 1);
        var b = Bytes(ref d);
        b[2 * k] = (byte)s.Lo;
        b[2 * k + 1] = (byte)(s.Lo >> 8);
        return WriteX(cpu, i, 0, d);
    }
}
