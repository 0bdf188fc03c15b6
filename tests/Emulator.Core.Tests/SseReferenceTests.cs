using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Iced.Intel;
using Xunit;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// Runs the vectors that guest-tools/sseref/sseref.c computes on the host's own MMX/SSE unit (every MMX, SSE, SSE2,
/// SSE3 and SSSE3 register-form opcode, random operands with NaN/denormal/overflow edges and random MXCSR rounding,
/// DAZ and FTZ) as 32-bit guest code through the translator, once with the host-intrinsic paths and once with the
/// portable ones, comparing XMM0, MM0, EAX, MXCSR and the arithmetic EFLAGS.
/// </summary>
public class SseReferenceTests
{
    private readonly ITestOutputHelper output;

    public SseReferenceTests(ITestOutputHelper output) => this.output = output;

    private sealed record Vector(byte[] Insn, uint Mx, byte[] A, byte[] B, byte[] R, ulong Mm, uint Eax, uint MxOut, uint Efl, string Line);

    private const int RecordSize = 96;
    private const uint Table = 0x20_0000;

    private static readonly object Gate = new();
    private static List<Vector>? cached;
    private static string? skipReason;

    private static List<Vector>? LoadVectors(out string? reason)
    {
        lock (Gate)
        {
            if (cached is null && skipReason is null) Generate();
            reason = skipReason;
            return cached;
        }
    }

    private static void Generate()
    {
        if (!(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64))
        {
            skipReason = "SSE reference vectors need an x86-64 Linux host with gcc";
            return;
        }
        string? text = HostReferenceProgram.BuildAndRun("sseref", "-msse3 -mssse3", "64", out skipReason);
        if (text is not null) cached = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
    }

    /// <summary>Big-endian hex (as printed) to little-endian bytes.</summary>
    private static byte[] Le(string hex)
    {
        var b = Convert.FromHexString(hex);
        Array.Reverse(b);
        return b;
    }

    private static Vector Parse(string line)
    {
        var p = line.Split(' ');
        return new Vector(Convert.FromHexString(p[0]), uint.Parse(p[1], NumberStyles.HexNumber), Le(p[2]), Le(p[3]), Le(p[4]),
            ulong.Parse(p[5], NumberStyles.HexNumber), uint.Parse(p[6], NumberStyles.HexNumber), uint.Parse(p[7], NumberStyles.HexNumber),
            uint.Parse(p[8], NumberStyles.HexNumber), line);
    }

    private static string NameOf(byte[] insn)
    {
        var d = Iced.Intel.Decoder.Create(32, new ByteArrayCodeReader(insn));
        d.Decode(out var i);
        bool mm = false;
        for (int k = 0; k < i.OpCount; k++) mm |= i.GetOpKind(k) == OpKind.Register && i.GetOpRegister(k).IsMM();
        return i.Mnemonic.ToString().ToLowerInvariant() + (mm ? "(mm)" : "");
    }

    private sealed record Got(byte[] R, ulong Mm, uint Eax, uint Mx, uint Efl);

    /// <summary>Runs every vector as guest code (grouped by instruction bytes, one loop per group).</summary>
    private static List<Got> RunGuest(List<Vector> vectors, bool hostSimd)
    {
        var results = new Got[vectors.Count];
        using var t = new TestCpu(8 << 20);
        t.EnterFlat32();
        t.Cpu.Cr4 |= Cr.CR4_OSFXSR | Cr.CR4_OSXMMEXCPT;
        t.Cpu.HostSimd = hostSimd;
        uint codeAt = 0x1_0000;
        var groups = vectors.Select((v, k) => (v, k)).GroupBy(x => Convert.ToHexString(x.v.Insn));
        foreach (var g in groups)
        {
            var items = g.ToList();
            var table = new byte[items.Count * RecordSize];
            for (int k = 0; k < items.Count; k++)
            {
                var rec = table.AsSpan(k * RecordSize);
                items[k].v.A.CopyTo(rec);
                items[k].v.B.CopyTo(rec[16..]);
                BinaryPrimitives.WriteUInt32LittleEndian(rec[32..], items[k].v.Mx);
            }
            t.Memory.WritePhysical(Table, table);
            byte[] insn = items[0].v.Insn;
            t.Load(32, codeAt, a =>
            {
                var loop = a.CreateLabel();
                a.mov(esi, (int)Table);
                a.mov(edi, items.Count);
                a.Label(ref loop);
                a.movdqu(xmm0, __xmmword_ptr[esi]);
                a.movdqu(xmm1, __xmmword_ptr[esi + 16]);
                a.movq(mm0, __qword_ptr[esi]);
                a.movq(mm1, __qword_ptr[esi + 16]);
                a.mov(eax, __dword_ptr[esi]);
                a.mov(ecx, __dword_ptr[esi + 16]);
                a.ldmxcsr(__dword_ptr[esi + 32]);
                a.push(0x8D5);
                a.popfd();
                a.db(insn);
                a.pushfd();
                a.pop(__dword_ptr[esi + 80]);
                a.movdqu(__xmmword_ptr[esi + 48], xmm0);
                a.movq(__qword_ptr[esi + 64], mm0);
                a.mov(__dword_ptr[esi + 72], eax);
                a.stmxcsr(__dword_ptr[esi + 76]);
                a.emms();
                a.add(esi, RecordSize);
                a.dec(edi);
                a.jnz(loop);
                a.hlt();
            });
            t.Cpu.Halted = false;
            t.Cpu.Rip = codeAt;
            t.Cpu.Rsp = 0x9_0000;
            var stop = t.RunToHalt(10_000_000);
            Assert.True(stop == StopReason.HaltedForever, $"{NameOf(insn)}: stopped with {stop} at {t.Cpu.Rip:x} (vector {t.Cpu.PendingVector})");
            codeAt += 0x100;
            var outBytes = new byte[table.Length];
            t.Memory.ReadPhysical(Table, outBytes);
            for (int k = 0; k < items.Count; k++)
            {
                var rec = outBytes.AsSpan(k * RecordSize);
                results[items[k].k] = new Got(rec.Slice(48, 16).ToArray(), BinaryPrimitives.ReadUInt64LittleEndian(rec[64..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(rec[72..]), BinaryPrimitives.ReadUInt32LittleEndian(rec[76..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(rec[80..]) & 0x8D5);
            }
        }
        return results.ToList();
    }

    /// <summary>RCPxS/RSQRTxS are approximations (|relative error| ≤ 1.5 × 2^-12, SDM Vol. 2B): exact match or within the bound.</summary>
    private static bool ApproxLaneOk(uint x, uint host, uint ours, bool rsqrt)
    {
        if (host == ours) return true;
        float h = BitConverter.UInt32BitsToSingle(host), o = BitConverter.UInt32BitsToSingle(ours);
        if (!float.IsFinite(h) || !float.IsFinite(o) || h == 0 || o == 0) return false;
        double v = BitConverter.UInt32BitsToSingle(x);
        double exact = rsqrt ? 1 / Math.Sqrt(v) : 1 / v;
        return Math.Abs((o - exact) / exact) <= 1.5 * Math.Pow(2, -12);
    }

    private static bool Matches(Vector v, Got g, string name)
    {
        if (g.Mm != v.Mm || g.Eax != v.Eax || g.Mx != v.MxOut || g.Efl != v.Efl) return false;
        if (g.R.AsSpan().SequenceEqual(v.R)) return true;
        if (!name.StartsWith("rcp", StringComparison.Ordinal) && !name.StartsWith("rsqrt", StringComparison.Ordinal)) return false;
        bool rsqrt = name.StartsWith("rsqrt", StringComparison.Ordinal);
        for (int k = 0; k < 4; k++)
        {
            uint x = BitConverter.ToUInt32(v.B, 4 * k), h = BitConverter.ToUInt32(v.R, 4 * k), o = BitConverter.ToUInt32(g.R, 4 * k);
            if (!ApproxLaneOk(x, h, o, rsqrt)) return false;
        }
        return true;
    }

    [Fact]
    public void GuestMatchesHostSse()
    {
        var vectors = LoadVectors(out string? reason);
        if (vectors is null)
        {
            output.WriteLine("SKIPPED: " + reason);
            Console.Error.WriteLine("x87/SSE reference: SSE part skipped: " + reason);
            return;
        }
        var names = vectors.Select(v => NameOf(v.Insn)).ToList();
        var sb = new StringBuilder();
        int pass = 0, fail = 0;
        var failures = new List<string>();
        var perOp = new SortedDictionary<string, (int Pass, int Fail)>(StringComparer.Ordinal);
        foreach (bool host in new[] { true, false })
        {
            var got = RunGuest(vectors, host);
            for (int k = 0; k < vectors.Count; k++)
            {
                bool ok = Matches(vectors[k], got[k], names[k]);
                perOp.TryGetValue(names[k], out var c);
                perOp[names[k]] = ok ? (c.Pass + 1, c.Fail) : (c.Pass, c.Fail + 1);
                if (ok) pass++;
                else
                {
                    fail++;
                    var g = got[k];
                    failures.Add($"[{(host ? "host" : "portable")}] {names[k]}: {vectors[k].Line}  => got {Convert.ToHexString(g.R.Reverse().ToArray()).ToLowerInvariant()} {g.Mm:x16} {g.Eax:x8} {g.Mx:x8} {g.Efl:x8}");
                }
            }
        }
        sb.AppendLine($"x87/SSE reference: {pass} passed, {fail} failed (MMX/SSE/SSE2/SSE3/SSSE3: {perOp.Count} instruction forms, host-intrinsic and portable paths)");
        foreach (var (op, c) in perOp.Where(kv => kv.Value.Fail > 0)) sb.AppendLine($"  {op,-14} {c.Pass,5} passed {c.Fail,5} failed");
        foreach (var f in failures.Take(60)) sb.AppendLine("  FAIL " + f);
        Console.Error.Write(sb.ToString());
        output.WriteLine(sb.ToString());
        Assert.True(fail == 0, sb.ToString());
    }
}
