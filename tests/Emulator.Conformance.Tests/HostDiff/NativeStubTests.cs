using Iced.Intel;
using NUnit.Framework;
using static Emulator.Conformance.Tests.HostDiff.EFlags;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>The native host stub alone, on cases whose results follow directly from the SDM's Operation sections.</summary>
[TestFixture]
public sealed class NativeStubTests
{
    private HostCpu _host = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        Assume.That(HostCpu.IsSupported, "needs an x86-64 Linux host");
        _host = new HostCpu();
    }

    [OneTimeTearDown]
    public void TearDown() => _host?.Dispose();

    private static byte[] Encode64(Instruction i)
    {
        var w = new ByteCodeWriter();
        if (!Encoder.Create(64, w).TryEncode(i, 0, out _, out string? error)) throw new InvalidOperationException(error);
        return w.ToArray();
    }

    private DiffRegisters Run(Instruction i, DiffRegisters input) => _host.Run(Encode64(i), input);

    private static DiffRegisters Regs(uint eax = 0, uint ecx = 0, uint edx = 0, uint ebx = 0, uint ebp = 0, uint esi = 0, uint edi = 0, uint flags = 0) =>
        new() { Eax = eax, Ecx = ecx, Edx = edx, Ebx = ebx, Esp = 0x0BAD_5EED, Ebp = ebp, Esi = esi, Edi = edi, Eflags = flags };

    [Test]
    public void Add_wraps_to_zero_with_carry_zero_parity_and_aux()
    {
        // 0xFFFFFFFF + 1 = 0 (carry out of bit 31 and bit 3), result 0 has even parity, no signed overflow (-1 + 1).
        var r = Run(Instruction.Create(Code.Add_rm32_r32, Register.EAX, Register.EBX), Regs(eax: 0xFFFFFFFF, ebx: 1));
        Assert.That(r.Eax, Is.EqualTo(0u));
        Assert.That(r.Eflags & Status, Is.EqualTo(CF | ZF | PF | AF));
    }

    [Test]
    public void Add_signed_overflow_sets_OF_and_SF()
    {
        var r = Run(Instruction.Create(Code.Add_rm32_r32, Register.ECX, Register.EDX), Regs(ecx: 0x7FFFFFFF, edx: 1));
        Assert.That(r.Ecx, Is.EqualTo(0x80000000u));
        Assert.That(r.Eflags & Status, Is.EqualTo(OF | SF | AF | PF)); // low byte 0x00: even parity
    }

    [Test]
    public void Sub_borrow_gives_all_ones()
    {
        var r = Run(Instruction.Create(Code.Sub_rm32_r32, Register.ESI, Register.EDI), Regs(esi: 0, edi: 1));
        Assert.That(r.Esi, Is.EqualTo(0xFFFFFFFFu));
        Assert.That(r.Eflags & Status, Is.EqualTo(CF | SF | AF | PF));
    }

    [Test]
    public void Shl_by_zero_leaves_every_flag_and_the_operand()
    {
        // SDM SAL/SAR/SHL/SHR: "If the count is 0, the flags are not affected."
        foreach (uint flags in new[] { Status, 0u, CF | ZF, OF | AF })
        {
            var r = Run(Instruction.Create(Code.Shl_rm32_imm8, Register.EAX, 0), Regs(eax: 0x80000001, flags: flags));
            Assert.That(r.Eax, Is.EqualTo(0x80000001u));
            Assert.That(r.Eflags & Status, Is.EqualTo(flags));
        }
    }

    [Test]
    public void Shl_count_is_masked_to_five_bits()
    {
        // CL = 33 → count 1: 0x80000001 << 1 = 2, CF = old bit 31 = 1, OF = MSB(result) XOR CF = 1.
        var r = Run(Instruction.Create(Code.Shl_rm32_CL, Register.EBX, Register.CL), Regs(ebx: 0x80000001, ecx: 33));
        Assert.That(r.Ebx, Is.EqualTo(2u));
        Assert.That(r.Eflags & (CF | OF | ZF | SF | PF), Is.EqualTo(CF | OF));
    }

    [Test]
    public void Mul_32_produces_edx_eax_and_sets_CF_OF_when_high_half_nonzero()
    {
        var r = Run(Instruction.Create(Code.Mul_rm32, Register.EBX), Regs(eax: 0x80000000, ebx: 2));
        Assert.That((r.Edx, r.Eax), Is.EqualTo((1u, 0u)));
        Assert.That(r.Eflags & (CF | OF), Is.EqualTo(CF | OF));
    }

    [Test]
    public void Div_32_quotient_and_remainder()
    {
        // EDX:EAX = 0x1_00000005 / 2 = 0x80000002 remainder 1
        var r = Run(Instruction.Create(Code.Div_rm32, Register.ECX), Regs(eax: 5, edx: 1, ecx: 2));
        Assert.That((r.Eax, r.Edx), Is.EqualTo((0x80000002u, 1u)));
    }

    [Test]
    public void Idiv_8_quotient_may_be_exactly_minus_128()
    {
        // SDM IDIV Operation: #DE only if temp > 7FH or temp < 80H (signed); -256 / 2 = -128 fits.
        var input = Regs(eax: 0xFF00, ebx: 2);
        var i = Instruction.Create(Code.Idiv_rm8, Register.BL);
        Assert.That(DivideCheck.WouldFault(i, input), Is.False);
        var r = Run(i, input);
        Assert.That(r.Eax & 0xFFFF, Is.EqualTo(0x0080u)); // AH = remainder 0, AL = 0x80
    }

    [Test]
    public void Guard_refuses_faulting_divides()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Div_rm32, Register.ECX), Regs(eax: 1, ecx: 0)));
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Div_rm32, Register.ECX), Regs(edx: 2, ecx: 2)));
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Idiv_rm32, Register.ECX), Regs(edx: 0xFFFFFFFF, eax: 0x80000000, ecx: 0xFFFFFFFF)));
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Div_rm8, Register.AH), Regs(eax: 0x0100)));
        });
    }

    [Test]
    public void Guard_refuses_rex_stack_and_memory()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Add_rm64_r64, Register.RAX, Register.RBX), Regs()));
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Add_rm32_r32, Register.ESP, Register.EBX), Regs()));
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Push_r64, Register.RAX), Regs()));
            Assert.Throws<ArgumentException>(() => Run(Instruction.Create(Code.Mov_r32_rm32, Register.EAX, new MemoryOperand(Register.EBX)), Regs()));
        });
    }

    [Test]
    public void Bsf_and_bsr_find_lowest_and_highest_set_bit()
    {
        var f = Run(Instruction.Create(Code.Bsf_r32_rm32, Register.EAX, Register.ECX), Regs(ecx: 0x00F0_0080));
        var b = Run(Instruction.Create(Code.Bsr_r32_rm32, Register.EAX, Register.ECX), Regs(ecx: 0x00F0_0080));
        Assert.That((f.Eax, f.Eflags & ZF, b.Eax, b.Eflags & ZF), Is.EqualTo((7u, 0u, 23u, 0u)));
        var z = Run(Instruction.Create(Code.Bsf_r32_rm32, Register.EAX, Register.ECX), Regs(ecx: 0));
        Assert.That(z.Eflags & ZF, Is.EqualTo(ZF));
    }

    [Test]
    public void Cdq_cwde_cbw_cwd_sign_extend()
    {
        Assert.That(Run(Instruction.Create(Code.Cdq), Regs(eax: 0x80000000, edx: 5)).Edx, Is.EqualTo(0xFFFFFFFFu));
        Assert.That(Run(Instruction.Create(Code.Cwde), Regs(eax: 0x1234_8000)).Eax, Is.EqualTo(0xFFFF8000u));
        Assert.That(Run(Instruction.Create(Code.Cbw), Regs(eax: 0x1234_5680)).Eax, Is.EqualTo(0x1234_FF80u));
        var cwd = Run(Instruction.Create(Code.Cwd), Regs(eax: 0x8000, edx: 0x1234_5678));
        Assert.That(cwd.Edx, Is.EqualTo(0x1234_FFFFu));
    }

    [Test]
    public void Byte_and_word_writes_preserve_the_rest_of_the_register()
    {
        var ah = Run(Instruction.Create(Code.Add_rm8_imm8, Register.AH, 1), Regs(eax: 0x1234_FF78));
        Assert.That(ah.Eax, Is.EqualTo(0x1234_0078u));
        Assert.That(ah.Eflags & (CF | ZF), Is.EqualTo(CF | ZF));
        var dx = Run(Instruction.Create(Code.Inc_rm16, Register.DX), Regs(edx: 0xAAAA_FFFF, flags: CF));
        Assert.That(dx.Edx, Is.EqualTo(0xAAAA_0000u));
        Assert.That(dx.Eflags & (CF | ZF), Is.EqualTo(CF | ZF)); // INC leaves CF alone
    }

    [Test]
    public void Bswap_xadd_cmpxchg_lahf()
    {
        Assert.That(Run(Instruction.Create(Code.Bswap_r32, Register.EDI), Regs(edi: 0x12345678)).Edi, Is.EqualTo(0x78563412u));

        var x = Run(Instruction.Create(Code.Xadd_rm32_r32, Register.EBX, Register.ECX), Regs(ebx: 10, ecx: 3));
        Assert.That((x.Ebx, x.Ecx), Is.EqualTo((13u, 10u)));

        // CMPXCHG: equal → ZF=1 and DEST := SRC; not equal → ZF=0 and EAX := DEST.
        var eq = Run(Instruction.Create(Code.Cmpxchg_rm32_r32, Register.EBX, Register.ECX), Regs(eax: 7, ebx: 7, ecx: 9));
        Assert.That((eq.Ebx, eq.Eflags & ZF), Is.EqualTo((9u, ZF)));
        var ne = Run(Instruction.Create(Code.Cmpxchg_rm32_r32, Register.EBX, Register.ECX), Regs(eax: 6, ebx: 7, ecx: 9));
        Assert.That((ne.Eax, ne.Ebx, ne.Eflags & ZF), Is.EqualTo((7u, 7u, 0u)));

        // LAHF: AH := SF:ZF:0:AF:0:PF:1:CF
        var l = Run(Instruction.Create(Code.Lahf), Regs(eax: 0, flags: SF | AF | CF));
        Assert.That((l.Eax >> 8) & 0xFF, Is.EqualTo(0x80u | 0x10u | 0x02u | 0x01u));
    }

    [Test]
    public void Esp_is_untouched_and_ebp_is_usable()
    {
        var r = Run(Instruction.Create(Code.Xchg_rm32_r32, Register.EBP, Register.ESI), Regs(ebp: 0x1111, esi: 0x2222));
        Assert.That((r.Ebp, r.Esi, r.Esp), Is.EqualTo((0x2222u, 0x1111u, 0x0BAD_5EEDu)));
    }

    [Test]
    public void Lea_computes_the_32_bit_address_without_touching_memory()
    {
        var mem = new MemoryOperand(Register.EBX, Register.ESI, 8, unchecked((int)0x80000000), 4);
        var r = Run(Instruction.Create(Code.Lea_r32_m, Register.EAX, mem), Regs(ebx: 0x9000_0000, esi: 0x2000_0001));
        Assert.That(r.Eax, Is.EqualTo(unchecked(0x9000_0000u + 0x2000_0001u * 8 + 0x8000_0000u)));
    }

    [Test]
    public void Rotate_and_shift_edge_counts_follow_the_sdm_pseudocode()
    {
        // ROL r/m8 by 8: tempCOUNT = 8 MOD 8 = 0 (value unchanged) but (COUNT AND 1FH) != 0, so CF := LSB(DEST).
        var rol = Run(Instruction.Create(Code.Rol_rm8_imm8, Register.AL, 8u), Regs(eax: 0x81));
        Assert.That((rol.Eax & 0xFF, rol.Eflags & CF), Is.EqualTo((0x81u, CF)));

        // RCL r/m8 by 9: tempCOUNT = 9 MOD 9 = 0: neither the value nor CF changes.
        var rcl = Run(Instruction.Create(Code.Rcl_rm8_imm8, Register.AL, 9u), Regs(eax: 0x81, flags: 0));
        Assert.That((rcl.Eax & 0xFF, rcl.Eflags & CF), Is.EqualTo((0x81u, 0u)));

        // RCR by 1: OF := MSB(DEST) XOR CF (before the rotate), then CF into bit 31 and bit 0 into CF.
        var rcr = Run(Instruction.Create(Code.Rcr_rm32_1, Register.EDX, 1u), Regs(edx: 1, flags: CF));
        Assert.That((rcr.Edx, rcr.Eflags & (CF | OF)), Is.EqualTo((0x8000_0000u, CF | OF)));

        // SAR r/m8 by 31: the sign fills everything and the last bit out (the sign) is in CF.
        var sar = Run(Instruction.Create(Code.Sar_rm8_imm8, Register.BL, 31u), Regs(ebx: 0x80));
        Assert.That((sar.Ebx & 0xFF, sar.Eflags & (CF | ZF | SF)), Is.EqualTo((0xFFu, CF | SF)));

        // SHLD r/m16 by 16 (= size, still defined): DEST := SRC, CF := BIT[DEST, SIZE - COUNT] = bit 0 of the old DEST.
        var shld = Run(Instruction.Create(Code.Shld_rm16_r16_imm8, Register.AX, Register.BX, 16u), Regs(eax: 0x5555_1235, ebx: 0xABCD));
        Assert.That((shld.Eax, shld.Eflags & (CF | ZF | SF)), Is.EqualTo((0x5555_ABCDu, CF | SF)));
    }
}
