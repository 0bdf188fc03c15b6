using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>
/// Register-level tests of the I/O APIC against the 82093AA datasheet (§3.1 IOREGSEL/IOWIN, §3.2 IOAPICID/VER/ARB,
/// §3.2.4 redirection table), delivering to a real local APIC.
/// </summary>
public sealed class IoApicTests
{
    private readonly VirtualClock _clock = new();
    private readonly LocalApic _lapic;
    private readonly IoApic _ioapic;

    public IoApicTests()
    {
        _lapic = new LocalApic(_clock);
        _lapic.Write(LocalApic.SvrRegister, 4, 0x1FF); // software-enable the local APIC
        _ioapic = new IoApic(_lapic, initialId: 1);
        _lapic.EoiBroadcast += _ioapic.EndOfInterrupt;
    }

    private uint Reg(byte index)
    {
        _ioapic.Write(IoApic.IoRegSelOffset, 4, index);
        return (uint)_ioapic.Read(IoApic.IoWinOffset, 4);
    }

    private void SetReg(byte index, uint value)
    {
        _ioapic.Write(IoApic.IoRegSelOffset, 4, index);
        _ioapic.Write(IoApic.IoWinOffset, 4, value);
    }

    private void Program(int pin, uint low, uint high = 0)
    {
        SetReg((byte)(0x11 + 2 * pin), high);
        SetReg((byte)(0x10 + 2 * pin), low);
    }

    private bool LapicIrr(int v) => (_lapic.Read((ulong)(LocalApic.IrrBase + 0x10 * (v >> 5)), 4) & (1ul << (v & 31))) != 0;

    private void Eoi() => _lapic.Write(LocalApic.EoiRegister, 4, 0);

    [Fact]
    public void Identification_registers()
    {
        Assert.Equal(0x0100_0000u, Reg(0x00));                 // IOAPICID: ID in bits 27:24
        uint version = Reg(0x01);
        Assert.Equal(0x20u, version & 0xFF);                   // version 20h
        Assert.Equal(23u, (version >> 16) & 0xFF);             // maximum redirection entry: 24 entries - 1
        SetReg(0x00, 0xFF00_0000);
        Assert.Equal(0x0F00_0000u, Reg(0x00));                 // four ID bits
        Assert.Equal(0x0F00_0000u, Reg(0x02));                 // IOAPICARB follows the ID
        SetReg(0x01, 0);
        Assert.Equal(version, Reg(0x01));                      // read-only
        _ioapic.Write(IoApic.IoRegSelOffset, 4, 0x12);
        Assert.Equal(0x12ul, _ioapic.Read(IoApic.IoRegSelOffset, 4));
    }

    [Fact]
    public void Redirection_entries_reset_masked_and_keep_read_only_bits()
    {
        for (int pin = 0; pin < 24; pin++)
        {
            Assert.Equal(IoApic.Masked, Reg((byte)(0x10 + 2 * pin)));
            Assert.Equal(0u, Reg((byte)(0x11 + 2 * pin)));
        }
        SetReg(0x10, 0xFFFF_FFFF);
        Assert.Equal(0x0001_AFFFu, Reg(0x10)); // delivery status (12), remote IRR (14) and 31:17 are not writable
        SetReg(0x11, 0xFFFF_FFFF);
        Assert.Equal(0xFF00_0000u, Reg(0x11)); // destination field 63:56
        Assert.Equal(0u, Reg(0x40));           // beyond the last entry
    }

    [Fact]
    public void Edge_entry_delivers_on_assertion_and_drops_assertions_while_masked()
    {
        Program(4, 0x34); // fixed, physical, destination APIC 0, edge, active high, unmasked
        _ioapic.SetPin(4, true);
        Assert.True(LapicIrr(0x34));
        Assert.Equal(0x34, _lapic.Acknowledge());
        Eoi();
        _ioapic.SetPin(4, true); // no new edge
        Assert.False(LapicIrr(0x34));
        _ioapic.SetPin(4, false);
        Program(4, IoApic.Masked | 0x34);
        _ioapic.SetPin(4, true);
        Program(4, 0x34);
        Assert.False(LapicIrr(0x34)); // lost, not held
    }

    [Fact]
    public void Level_entry_uses_remote_irr_until_eoi()
    {
        Program(9, IoApic.TriggerLevel | 0x39);
        _ioapic.SetPin(9, true);
        Assert.True(LapicIrr(0x39));
        Assert.NotEqual(0u, Reg(0x10 + 2 * 9) & IoApic.RemoteIrr);
        Assert.Equal(0x39, _lapic.Acknowledge());
        _ioapic.SetPin(9, true); // still asserted: nothing new until the EOI
        Assert.False(LapicIrr(0x39));
        Eoi();                   // level vector: EOI broadcast clears remote IRR; the line is still high → again
        Assert.True(LapicIrr(0x39));
        Assert.NotEqual(0u, Reg(0x10 + 2 * 9) & IoApic.RemoteIrr);
        Assert.Equal(0x39, _lapic.Acknowledge());
        _ioapic.SetPin(9, false);
        Eoi();
        Assert.Equal(0u, Reg(0x10 + 2 * 9) & IoApic.RemoteIrr);
        Assert.False(LapicIrr(0x39));
    }

    [Fact]
    public void Eoi_register_clears_remote_irr()
    {
        Program(10, IoApic.TriggerLevel | 0x3A);
        _ioapic.SetPin(10, true);
        Assert.NotEqual(0u, Reg(0x10 + 2 * 10) & IoApic.RemoteIrr);
        _ioapic.SetPin(10, false);
        _ioapic.Write(IoApic.EoiOffset, 4, 0x3A);
        Assert.Equal(0u, Reg(0x10 + 2 * 10) & IoApic.RemoteIrr);
    }

    [Fact]
    public void Unmasking_an_asserted_level_entry_delivers()
    {
        Program(11, IoApic.Masked | IoApic.TriggerLevel | 0x3B);
        _ioapic.SetPin(11, true);
        Assert.False(LapicIrr(0x3B));
        Program(11, IoApic.TriggerLevel | 0x3B);
        Assert.True(LapicIrr(0x3B));
    }

    [Fact]
    public void Active_low_level_entry_is_asserted_by_a_low_line()
    {
        Program(5, IoApic.PolarityLow | IoApic.TriggerLevel | 0x35);
        Assert.True(LapicIrr(0x35)); // the line idles low
        Assert.Equal(0x35, _lapic.Acknowledge());
        _ioapic.SetPin(5, true);
        Eoi();
        Assert.False(LapicIrr(0x35));
    }

    [Fact]
    public void Destination_must_match_the_local_apic()
    {
        Program(3, 0x33, 0x0500_0000); // physical APIC ID 5: nobody
        _ioapic.SetPin(3, true);
        Assert.False(LapicIrr(0x33));
        _ioapic.SetPin(3, false);
        _lapic.Write(LocalApic.LdrRegister, 4, 0x0100_0000);
        Program(3, IoApic.DestinationLogical | 0x33, 0x0100_0000); // logical, flat model: bit 0
        _ioapic.SetPin(3, true);
        Assert.True(LapicIrr(0x33));
    }

    [Fact]
    public void Nmi_delivery_mode_reaches_the_processor_nmi()
    {
        int nmis = 0;
        _lapic.NmiRequested += () => nmis++;
        Program(7, (4u << 8) | 0x02);
        _ioapic.SetPin(7, true);
        Assert.Equal(1, nmis);
    }

    [Fact]
    public void Saved_state_round_trips()
    {
        Program(9, IoApic.TriggerLevel | 0x39, 0x0300_0000);
        Program(1, 0x31);
        _ioapic.SetPin(9, true);
        SetReg(0x00, 0x0200_0000);
        var ms = new MemoryStream();
        _ioapic.SaveState(new BinaryWriter(ms));
        var copy = new IoApic(_lapic);
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        for (int pin = 0; pin < 24; pin++) Assert.Equal(_ioapic.GetRedirectionEntry(pin), copy.GetRedirectionEntry(pin));
        copy.Write(IoApic.IoRegSelOffset, 4, 0);
        Assert.Equal(0x0200_0000ul, copy.Read(IoApic.IoWinOffset, 4));
        ms.Position = 0;
        ms.WriteByte(7);
        ms.Position = 0;
        Assert.Throws<InvalidDataException>(() => copy.LoadState(new BinaryReader(ms)));
    }

    [Fact]
    public void Hostile_accesses_never_throw()
    {
        var rng = new Random(99);
        for (int i = 0; i < 20000; i++)
        {
            ulong offset = (ulong)rng.Next(0, 0x1100);
            int size = new[] { 1, 2, 4, 8 }[rng.Next(4)];
            _ioapic.Write(offset, size, (ulong)rng.NextInt64());
            _ = _ioapic.Read(offset, size);
            _ioapic.SetPin(rng.Next(-2, 30), rng.Next(2) == 0);
            if (_lapic.InterruptPending) _lapic.Acknowledge();
            if (rng.Next(4) == 0) Eoi();
        }
    }
}
