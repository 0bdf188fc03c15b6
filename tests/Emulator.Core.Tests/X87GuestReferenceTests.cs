using System.Buffers.Binary;
using Emulator.Core.Cpu.Fpu;
using Emulator.Core.Execution;
using Iced.Intel;
using Xunit;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Core.Tests;

/// <summary>
/// A sample of the host x87 reference vectors run as real guest code through the translator (FLDCW, FLD m80, the
/// operation, FNSTSW m16, FSTP m80), so the instruction helpers are checked end to end, not just the soft-float.
/// </summary>
public class X87GuestReferenceTests
{
    private readonly ITestOutputHelper output;

    public X87GuestReferenceTests(ITestOutputHelper output) => this.output = output;

    private const int RecordSize = 44;
    private const ushort TableSegment = 0x1000;

    private static readonly (string Op, Action<Assembler> Emit)[] Ops =
    {
        ("add", a => a.fadd(st0, st1)),
        ("sub", a => a.fsub(st0, st1)),
        ("subr", a => a.fsubr(st0, st1)),
        ("mul", a => a.fmul(st0, st1)),
        ("div", a => a.fdiv(st0, st1)),
        ("divr", a => a.fdivr(st0, st1)),
        ("sqrt", a => a.fsqrt()),
        ("rndint", a => a.frndint()),
        ("scale", a => a.fscale()),
        ("prem", a => a.fprem()),
        ("prem1", a => a.fprem1()),
        ("com", a => a.fcom(st0, st1)),
        ("ucom", a => a.fucom(st0, st1)),
        ("xtract", a => a.fxtract()),
        ("xam", a => a.fxam()),
    };

    [Fact]
    public void SampleRunsThroughTranslatedGuestCode()
    {
        var vectors = X87ReferenceTests.LoadVectors(out string? reason);
        if (vectors is null)
        {
            output.WriteLine("SKIPPED: " + reason);
            return;
        }
        int pass = 0;
        var failures = new List<string>();
        ushort codeAt = 0x7C00;
        using var t = new TestCpu();
        foreach (var (op, emit) in Ops)
        {
            var sample = vectors.Where(v => v.Op == op).Where((_, k) => k % 16 == 0).Take(150).ToList();
            Assert.NotEmpty(sample);
            var table = new byte[sample.Count * RecordSize];
            for (int k = 0; k < sample.Count; k++)
            {
                var rec = table.AsSpan(k * RecordSize);
                BinaryPrimitives.WriteUInt16LittleEndian(rec, sample[k].Cw);
                Write80(rec[2..], sample[k].A);
                Write80(rec[12..], sample[k].B);
            }
            t.Memory.WritePhysical((ulong)TableSegment << 4, table);
            t.Load(16, codeAt, a =>
            {
                var loop = a.CreateLabel();
                a.mov(ax, (int)TableSegment);
                a.mov(ds, ax);
                a.xor(si, si);
                a.mov(cx, (short)sample.Count);
                a.Label(ref loop);
                a.fninit();
                a.fldcw(__word_ptr[si]);
                a.fld(__tword_ptr[si + 12]);
                a.fld(__tword_ptr[si + 2]);
                emit(a);
                a.fnstsw(__word_ptr[si + 42]);
                a.fstp(__tword_ptr[si + 22]);
                a.fstp(__tword_ptr[si + 32]);
                a.add(si, RecordSize);
                a.dec(cx);
                a.jnz(loop);
                a.hlt();
            });
            t.Cpu.Halted = false;
            t.StartReal(0, codeAt);
            Assert.Equal(StopReason.HaltedForever, t.RunToHalt());
            codeAt += 0x100;
            var result = new byte[table.Length];
            t.Memory.ReadPhysical((ulong)TableSegment << 4, result);
            for (int k = 0; k < sample.Count; k++)
            {
                var rec = result.AsSpan(k * RecordSize);
                var got = (Read80(rec[22..]), Read80(rec[32..]), BinaryPrimitives.ReadUInt16LittleEndian(rec[42..]));
                if (X87ReferenceTests.Matches(sample[k], got)) pass++;
                else failures.Add($"{sample[k].Line} => guest {got.Item1} {got.Item2} {got.Item3:x4}");
            }
        }
        string summary = $"x87 guest sample: {pass} passed, {failures.Count} failed";
        Console.Error.WriteLine(summary);
        output.WriteLine(summary);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
    }

    private static void Write80(Span<byte> d, Float80 v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(d, v.Significand);
        BinaryPrimitives.WriteUInt16LittleEndian(d[8..], v.SignExp);
    }

    private static Float80 Read80(ReadOnlySpan<byte> s) =>
        new(BinaryPrimitives.ReadUInt16LittleEndian(s[8..]), BinaryPrimitives.ReadUInt64LittleEndian(s));
}
