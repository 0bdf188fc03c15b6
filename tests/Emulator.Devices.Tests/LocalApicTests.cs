using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>
/// Register-level tests of the local APIC against the SDM Vol. 3A ch. 11 (register map Table 11-1, LVT Figure 11-8,
/// timer §11.5.4, priorities §11.8.3, EOI §11.8.5, ICR §11.6.1, ESR §11.5.3, IA32_APIC_BASE §11.4.4).
/// </summary>
public sealed class LocalApicTests
{
    private readonly VirtualClock _clock = new();
    private readonly LocalApic _apic;
    private readonly FakePic _pic = new();
    private int _nmis;

    public LocalApicTests()
    {
        _apic = new LocalApic(_clock) { ExtIntController = _pic };
        _apic.NmiRequested += () => _nmis++;
    }

    private sealed class FakePic : IInterruptController
    {
        public bool Pending;
        public byte Vector = 0x08;
        public int Acks;

        public bool InterruptPending => Pending;

        public byte Acknowledge()
        {
            Acks++;
            Pending = false;
            return Vector;
        }
    }

    private uint R(int reg) => (uint)_apic.Read((ulong)reg, 4);

    private void W(int reg, uint value) => _apic.Write((ulong)reg, 4, value);

    private bool IrrBit(int v) => (R(LocalApic.IrrBase + 0x10 * (v >> 5)) & (1u << (v & 31))) != 0;

    private bool IsrBit(int v) => (R(LocalApic.IsrBase + 0x10 * (v >> 5)) & (1u << (v & 31))) != 0;

    private bool TmrBit(int v) => (R(LocalApic.TmrBase + 0x10 * (v >> 5)) & (1u << (v & 31))) != 0;

    private void Enable() => W(LocalApic.SvrRegister, 0x1FF); // APIC software enable, spurious vector FFh

    /// <summary>Sends a fixed self-IPI with the ICR "self" shorthand (destination shorthand 01b, bits 19:18).</summary>
    private void SelfIpi(byte vector) => W(LocalApic.IcrLowRegister, (1u << 18) | vector);

    private void RunTo(long ns)
    {
        while (_clock.Now < ns)
        {
            _clock.AdvanceTo(Math.Min(ns, _clock.NextDeadline));
            _clock.RunDueTimers();
        }
    }

    [Fact]
    public void Power_up_state_matches_the_sdm()
    {
        // IA32_APIC_BASE: FEE00000h, global enable (bit 11), BSP (bit 8) (§11.4.4).
        Assert.Equal(0xFEE0_0900ul, _apic.ApicBase);
        Assert.Equal(0xFEE0_0000ul, _apic.MmioBase);
        uint version = R(LocalApic.VersionRegister);
        Assert.Equal(0x10u, version & 0xF0);          // 1xH: integrated APIC
        Assert.Equal(5u, (version >> 16) & 0xFF);     // max LVT entry = number of LVT entries - 1 (six)
        Assert.Equal(0u, R(LocalApic.IdRegister));
        Assert.Equal(0xFFu, R(LocalApic.SvrRegister)); // spurious vector FFh, software disabled
        Assert.Equal(0xFFFF_FFFFu, R(LocalApic.DfrRegister));
        for (int reg = LocalApic.LvtTimerRegister; reg <= LocalApic.LvtErrorRegister; reg += 0x10)
            Assert.Equal(0x0001_0000u, R(reg)); // every LVT entry masked
        Assert.Equal(0u, R(LocalApic.TprRegister));
        Assert.Equal(0u, R(LocalApic.InitialCountRegister));
        Assert.Equal(0u, R(LocalApic.CurrentCountRegister));
    }

    [Fact]
    public void One_shot_timer_counts_down_with_the_virtual_clock_and_interrupts_once()
    {
        Enable();
        W(LocalApic.DivideConfigRegister, 0xB);      // 1011b: divide by 1
        W(LocalApic.LvtTimerRegister, 0x40);         // one-shot, vector 40h, unmasked
        W(LocalApic.InitialCountRegister, 1000);
        RunTo(300);
        Assert.Equal(700u, R(LocalApic.CurrentCountRegister));
        Assert.False(IrrBit(0x40));
        RunTo(999);
        Assert.False(IrrBit(0x40));
        RunTo(1000);
        Assert.True(IrrBit(0x40));
        Assert.Equal(0u, R(LocalApic.CurrentCountRegister));
        Assert.Equal(0x40, _apic.Acknowledge());
        W(LocalApic.EoiRegister, 0);
        RunTo(5000);
        Assert.False(IrrBit(0x40)); // one-shot: no reload
        Assert.Equal(0u, R(LocalApic.CurrentCountRegister));
    }

    [Theory]
    [InlineData(0x0u, 2)]
    [InlineData(0x1u, 4)]
    [InlineData(0x2u, 8)]
    [InlineData(0x3u, 16)]
    [InlineData(0x8u, 32)]
    [InlineData(0x9u, 64)]
    [InlineData(0xAu, 128)]
    [InlineData(0xBu, 1)]
    public void Divide_configuration_sets_the_count_rate(uint config, int divisor)
    {
        Enable();
        W(LocalApic.DivideConfigRegister, config);
        Assert.Equal(config, R(LocalApic.DivideConfigRegister));
        W(LocalApic.LvtTimerRegister, 0x40);
        W(LocalApic.InitialCountRegister, 100);
        RunTo(10L * divisor); // ten timer ticks of the bus clock / divisor (1 GHz bus: 1 ns per bus clock)
        Assert.Equal(90u, R(LocalApic.CurrentCountRegister));
        RunTo(100L * divisor - 1);
        Assert.False(IrrBit(0x40));
        RunTo(100L * divisor);
        Assert.True(IrrBit(0x40));
    }

    [Fact]
    public void Periodic_timer_reloads_from_the_initial_count()
    {
        Enable();
        W(LocalApic.DivideConfigRegister, 0xB);
        W(LocalApic.LvtTimerRegister, LocalApic.LvtTimerPeriodic | 0x50);
        W(LocalApic.InitialCountRegister, 500);
        var fired = new List<long>();
        for (int i = 0; i < 4; i++)
        {
            RunTo(_clock.NextDeadline);
            Assert.True(IrrBit(0x50));
            fired.Add(_clock.Now);
            Assert.Equal(0x50, _apic.Acknowledge());
            W(LocalApic.EoiRegister, 0);
        }
        Assert.Equal(new long[] { 500, 1000, 1500, 2000 }, fired);
        RunTo(2200);
        Assert.Equal(300u, R(LocalApic.CurrentCountRegister));
        W(LocalApic.InitialCountRegister, 0); // a zero initial count stops the timer
        RunTo(10_000);
        Assert.False(IrrBit(0x50));
        Assert.Equal(0u, R(LocalApic.CurrentCountRegister));
    }

    [Fact]
    public void Masked_timer_counts_but_raises_no_interrupt()
    {
        Enable();
        W(LocalApic.DivideConfigRegister, 0xB);
        W(LocalApic.LvtTimerRegister, LocalApic.LvtMasked | 0x40);
        W(LocalApic.InitialCountRegister, 100);
        RunTo(60);
        Assert.Equal(40u, R(LocalApic.CurrentCountRegister));
        RunTo(200);
        Assert.Equal(0u, R(LocalApic.CurrentCountRegister));
        Assert.False(IrrBit(0x40));
        Assert.False(_apic.InterruptPending);
        W(LocalApic.LvtTimerRegister, 0x40); // unmasking after the count reached zero delivers nothing
        RunTo(1000);
        Assert.False(IrrBit(0x40));
    }

    [Fact]
    public void Tsc_deadline_mode_is_not_available()
    {
        Enable();
        W(LocalApic.LvtTimerRegister, (2u << 17) | 0x40); // timer mode 10b (TSC-deadline) needs CPUID.1:ECX[24]
        Assert.Equal(0x40u, R(LocalApic.LvtTimerRegister));
    }

    [Fact]
    public void Eoi_clears_the_highest_priority_in_service_bit()
    {
        Enable();
        SelfIpi(0x31);
        Assert.Equal(0x31, _apic.Acknowledge());
        SelfIpi(0x51);
        Assert.True(_apic.InterruptPending); // class 5 > class 3 in service: nests
        Assert.Equal(0x51, _apic.Acknowledge());
        Assert.True(IsrBit(0x31) && IsrBit(0x51));
        Assert.Equal(0x50u, R(LocalApic.PprRegister));
        W(LocalApic.EoiRegister, 0);
        Assert.False(IsrBit(0x51));
        Assert.True(IsrBit(0x31));
        Assert.Equal(0x30u, R(LocalApic.PprRegister));
        W(LocalApic.EoiRegister, 0);
        Assert.False(IsrBit(0x31));
        Assert.Equal(0u, R(LocalApic.PprRegister));
    }

    [Fact]
    public void Same_class_waits_for_eoi()
    {
        Enable();
        SelfIpi(0x42);
        Assert.Equal(0x42, _apic.Acknowledge());
        SelfIpi(0x47);             // higher vector but same priority class 4
        Assert.False(_apic.InterruptPending);
        W(LocalApic.EoiRegister, 0);
        Assert.True(_apic.InterruptPending);
        Assert.Equal(0x47, _apic.Acknowledge());
    }

    [Fact]
    public void Task_priority_blocks_lower_priority_classes()
    {
        Enable();
        W(LocalApic.TprRegister, 0x50);
        SelfIpi(0x45);
        Assert.True(IrrBit(0x45));
        Assert.False(_apic.InterruptPending);
        Assert.Equal(0x50u, R(LocalApic.PprRegister));
        SelfIpi(0x61);
        Assert.True(_apic.InterruptPending);
        Assert.Equal(0x61, _apic.Acknowledge());
        W(LocalApic.EoiRegister, 0);
        W(LocalApic.TprRegister, 0x4F); // class 4 still blocks vector 45h (delivery needs class > PPR class)
        Assert.False(_apic.InterruptPending);
        W(LocalApic.TprRegister, 0x3F);
        Assert.True(_apic.InterruptPending);
        Assert.Equal(0x45, _apic.Acknowledge());
    }

    [Fact]
    public void Self_ipi_shorthands_and_physical_destination()
    {
        Enable();
        SelfIpi(0x41);
        Assert.True(IrrBit(0x41));
        Assert.Equal(0u, R(LocalApic.IcrLowRegister) & (1u << 12)); // delivery status: idle
        W(LocalApic.IcrLowRegister, (2u << 18) | 0x42); // all including self
        Assert.True(IrrBit(0x42));
        W(LocalApic.IcrLowRegister, (3u << 18) | 0x43); // all excluding self: nobody else here
        Assert.False(IrrBit(0x43));
        W(LocalApic.IcrHighRegister, 0x0000_0000);      // physical destination APIC ID 0 = this APIC
        W(LocalApic.IcrLowRegister, 0x44);
        Assert.True(IrrBit(0x44));
        W(LocalApic.IcrHighRegister, 0x0300_0000);      // APIC ID 3: no such processor
        W(LocalApic.IcrLowRegister, 0x46);
        Assert.False(IrrBit(0x46));
        Assert.Equal(0x0300_0000u, R(LocalApic.IcrHighRegister));
        // INIT and start-up to all others (SeaBIOS's SMP probe) complete at once.
        W(LocalApic.IcrLowRegister, 0x000C_4500);
        W(LocalApic.IcrLowRegister, 0x000C_4600 | 0x9F);
        Assert.Equal(0u, R(LocalApic.IcrLowRegister) & (1u << 12));
        // An NMI IPI to self reaches the processor's NMI.
        W(LocalApic.IcrLowRegister, (1u << 18) | (4u << 8));
        Assert.Equal(1, _nmis);
    }

    [Fact]
    public void Logical_destination_flat_and_cluster_models()
    {
        Enable();
        W(LocalApic.LdrRegister, 0x0400_0000); // logical ID 04h
        W(LocalApic.IcrHighRegister, 0x0400_0000);
        W(LocalApic.IcrLowRegister, (1u << 11) | 0x51); // logical, flat model (DFR = FFFFFFFFh)
        Assert.True(IrrBit(0x51));
        W(LocalApic.IcrHighRegister, 0x0200_0000);
        W(LocalApic.IcrLowRegister, (1u << 11) | 0x52);
        Assert.False(IrrBit(0x52));
        W(LocalApic.DfrRegister, 0x0FFF_FFFF);  // cluster model
        Assert.Equal(0x0FFF_FFFFu, R(LocalApic.DfrRegister));
        W(LocalApic.LdrRegister, 0x2100_0000); // cluster 2, member bit 0
        W(LocalApic.IcrHighRegister, 0x2300_0000);
        W(LocalApic.IcrLowRegister, (1u << 11) | 0x53);
        Assert.True(IrrBit(0x53));
        W(LocalApic.IcrHighRegister, 0x3100_0000); // cluster 3
        W(LocalApic.IcrLowRegister, (1u << 11) | 0x54);
        Assert.False(IrrBit(0x54));
    }

    [Fact]
    public void Errors_are_latched_into_the_esr_by_a_write()
    {
        Enable();
        W(LocalApic.LvtErrorRegister, 0xFE);
        SelfIpi(0x05); // vectors 0-15 are illegal
        Assert.False(IrrBit(0x05));
        Assert.Equal(0u, R(LocalApic.EsrRegister)); // not visible before the ESR write
        W(LocalApic.EsrRegister, 0);
        Assert.Equal(LocalApic.EsrSendIllegalVector, R(LocalApic.EsrRegister));
        Assert.True(IrrBit(0xFE)); // the error LVT raised its interrupt
        _ = R(0x3F0);              // reserved offset
        W(LocalApic.EsrRegister, 0);
        Assert.Equal(LocalApic.EsrIllegalRegisterAddress, R(LocalApic.EsrRegister));
        W(LocalApic.EsrRegister, 0);
        Assert.Equal(0u, R(LocalApic.EsrRegister));
    }

    [Fact]
    public void Level_triggered_vectors_set_tmr_and_broadcast_their_eoi()
    {
        var eois = new List<byte>();
        _apic.EoiBroadcast += eois.Add;
        Enable();
        Assert.True(_apic.AcceptMessage(ApicDeliveryMode.Fixed, 0x61, levelTriggered: true, 0, false));
        Assert.True(TmrBit(0x61));
        Assert.Equal(0x61, _apic.Acknowledge());
        W(LocalApic.EoiRegister, 0);
        Assert.Equal(new byte[] { 0x61 }, eois);
        Assert.True(_apic.AcceptMessage(ApicDeliveryMode.Fixed, 0x61, levelTriggered: false, 0, false));
        Assert.False(TmrBit(0x61));
        Assert.Equal(0x61, _apic.Acknowledge());
        W(LocalApic.EoiRegister, 0);
        Assert.Single(eois);
    }

    [Fact]
    public void Software_disabled_apic_masks_lvts_and_passes_the_8259_through()
    {
        W(LocalApic.LvtLint0Register, 0x700); // the mask cannot be cleared while software-disabled
        Assert.Equal(0x0001_0700u, R(LocalApic.LvtLint0Register));
        Assert.True(_apic.AcceptMessage(ApicDeliveryMode.Fixed, 0x40, false, 0, false));
        Assert.False(IrrBit(0x40)); // fixed interrupts are not accepted
        _pic.Pending = true;
        _apic.Lint0.SetLevel(true);
        Assert.True(_apic.InterruptPending);
        Assert.Equal(0x08, _apic.Acknowledge());
        Assert.Equal(1, _pic.Acks);
    }

    [Fact]
    public void Lint0_in_extint_mode_is_the_virtual_wire_and_masked_lint0_blocks_the_8259()
    {
        Enable();
        _pic.Pending = true;
        _apic.Lint0.SetLevel(true);
        Assert.False(_apic.InterruptPending); // LINT0 still masked from reset
        W(LocalApic.LvtLint0Register, 0x8700); // ExtINT, level (SeaBIOS's value)
        Assert.True(_apic.InterruptPending);
        SelfIpi(0x80);
        Assert.Equal(0x80, _apic.Acknowledge()); // fixed first, then the 8259
        Assert.Equal(0x08, _apic.Acknowledge());
        Assert.Equal(1, _pic.Acks);
        Assert.False(IsrBit(0x08));
    }

    [Fact]
    public void Lint1_as_nmi()
    {
        Enable();
        _apic.Lint1.SetLevel(true);
        Assert.Equal(0, _nmis); // masked
        _apic.Lint1.SetLevel(false);
        W(LocalApic.LvtLint1Register, 0x400); // NMI
        _apic.Lint1.SetLevel(true);
        Assert.Equal(1, _nmis);
    }

    [Fact]
    public void Apic_base_msr_relocates_disables_and_rejects_reserved_bits()
    {
        int changes = 0;
        _apic.BaseChanged += () => changes++;
        Assert.False(_apic.WriteApicBase(0xFEE0_0900ul | (1ul << 10))); // x2APIC enable: not supported
        Assert.False(_apic.WriteApicBase(0xFEE0_0901ul));                // bit 0 reserved
        Assert.False(_apic.WriteApicBase(0x10_FEE0_0900ul));             // beyond MAXPHYADDR (36)
        Assert.Equal(0, changes);
        Assert.True(_apic.WriteApicBase(0xFED0_0800ul));                 // move; the BSP bit is read-only
        Assert.Equal(0xFED0_0900ul, _apic.ApicBase);
        Assert.Equal(0xFED0_0000ul, _apic.MmioBase);
        Assert.Equal(1, changes);
        Enable();
        W(LocalApic.TprRegister, 0x20);
        Assert.True(_apic.WriteApicBase(0xFED0_0000ul));                 // global disable
        Assert.False(_apic.GloballyEnabled);
        _pic.Pending = true;
        Assert.True(_apic.InterruptPending);                             // INTR straight from the 8259
        Assert.True(_apic.WriteApicBase(0xFEE0_0800ul));
        Assert.Equal(0xFFu, R(LocalApic.SvrRegister));                   // back in the power-up state
        Assert.Equal(0u, R(LocalApic.TprRegister));
    }

    [Fact]
    public void Narrow_and_misaligned_stores_do_nothing_and_reads_return_register_bytes()
    {
        W(LocalApic.TprRegister, 0x35);
        _apic.Write(LocalApic.TprRegister, 1, 0x77);
        _apic.Write(LocalApic.TprRegister + 4, 4, 0x77);
        Assert.Equal(0x35u, R(LocalApic.TprRegister));
        Assert.Equal(0x14ul, _apic.Read(LocalApic.VersionRegister, 1));
        Assert.Equal(0x05ul, _apic.Read(LocalApic.VersionRegister + 2, 1));
        Assert.Equal(0ul, _apic.Read(LocalApic.VersionRegister + 4, 4));
    }

    [Fact]
    public void Hostile_accesses_never_throw()
    {
        var rng = new Random(1234);
        Enable();
        for (int i = 0; i < 20000; i++)
        {
            ulong offset = (ulong)rng.Next(0, 0x1100);
            int size = new[] { 1, 2, 4, 8 }[rng.Next(4)];
            if (rng.Next(2) == 0) _apic.Write(offset & ~0xFul, 4, (ulong)rng.NextInt64());
            else _apic.Write(offset, size, (ulong)rng.NextInt64());
            _ = _apic.Read(offset, size);
            if (_apic.InterruptPending) _apic.Acknowledge();
            RunTo(_clock.Now + rng.Next(0, 50));
        }
        _apic.WriteApicBase(0xFEE0_0900);
    }

    [Fact]
    public void Saved_state_restores_the_timer_and_pending_interrupts()
    {
        Enable();
        W(LocalApic.TprRegister, 0x20);
        W(LocalApic.DivideConfigRegister, 0x1); // divide by 4
        W(LocalApic.LvtTimerRegister, LocalApic.LvtTimerPeriodic | 0x70);
        W(LocalApic.InitialCountRegister, 250);
        SelfIpi(0x66);
        RunTo(1300);
        var ms = new MemoryStream();
        _apic.SaveState(new BinaryWriter(ms));

        var clock2 = new VirtualClock();
        clock2.AdvanceTo(1300);
        var copy = new LocalApic(clock2);
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        for (int reg = 0; reg < 0x400; reg += 0x10)
        {
            if (reg is LocalApic.EsrRegister) continue;
            Assert.Equal(_apic.Read((ulong)reg, 4), copy.Read((ulong)reg, 4));
        }
        Assert.Equal(_clock.NextDeadline, clock2.NextDeadline);
        Assert.Equal(2000, clock2.NextDeadline); // 250 × 4 ns per period

        ms.Position = 0;
        ms.WriteByte(99);
        ms.Position = 0;
        Assert.Throws<InvalidDataException>(() => copy.LoadState(new BinaryReader(ms)));
    }
}
