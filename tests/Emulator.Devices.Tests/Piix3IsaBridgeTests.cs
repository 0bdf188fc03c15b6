using Xunit;

namespace Emulator.Devices.Tests;

public class Piix3IsaBridgeTests
{
    private static (Piix3IsaBridge Isa, FakeLine[] Lines) Make()
    {
        var lines = Enumerable.Range(0, 16).Select(_ => new FakeLine()).ToArray();
        return (new Piix3IsaBridge(irq => lines[irq]), lines);
    }

    [Fact]
    public void IdentityAndDefaults()
    {
        var (isa, _) = Make();
        Assert.Equal(0x7000_8086u, isa.ReadConfig(0, 4));
        Assert.Equal(0x80u, isa.ReadConfig(0x0E, 1)); // multi-function
        Assert.Equal(0x0601u, isa.ReadConfig(0x0A, 2)); // PCI-to-ISA bridge
        Assert.Equal(0x8080_8080u, isa.ReadConfig(0x60, 4)); // PIRQRC[A:D] routing disabled
        Assert.Equal(0x4Du, isa.ReadConfig(0x4C, 1));
        Assert.Equal(0x02u, isa.ReadConfig(0x69, 1));
        for (int p = 0; p < 4; p++) Assert.Equal(-1, isa.GetPirqIrq(p));
    }

    [Fact]
    public void PirqRoutingFollowsRegisterEncoding()
    {
        var (isa, _) = Make();
        isa.WriteConfig(0x60, 4, 0x0F_0B_0A_05);
        Assert.Equal(5, isa.GetPirqIrq(0));
        Assert.Equal(10, isa.GetPirqIrq(1));
        Assert.Equal(11, isa.GetPirqIrq(2));
        Assert.Equal(15, isa.GetPirqIrq(3));
        isa.WriteConfig(0x61, 1, 0x70); // bits 6:4 reserved
        Assert.Equal(0x00u, isa.ReadConfig(0x61, 1));
        Assert.Equal(-1, isa.GetPirqIrq(1)); // IRQ0 is a reserved encoding
        isa.WriteConfig(0x62, 1, 0x8B);
        Assert.Equal(-1, isa.GetPirqIrq(2)); // IRQROUTEN set
        isa.WriteConfig(0x63, 1, 0x0D);
        Assert.Equal(-1, isa.GetPirqIrq(3)); // IRQ13 reserved
    }

    [Fact]
    public void IntxDrivesTheRoutedIsaIrqAndSharesLevels()
    {
        var (isa, lines) = Make();
        // PC wiring: device 1 INTA# → PIRQA, device 2 INTA# → PIRQB, device 3 INTD# → PIRQB as well
        Assert.Equal(0, Piix3IsaBridge.PirqForIntx(1, 0));
        Assert.Equal(1, Piix3IsaBridge.PirqForIntx(2, 0));
        Assert.Equal(1, Piix3IsaBridge.PirqForIntx(3, 3));
        isa.WriteConfig(0x61, 1, 11);
        Assert.Equal(11, isa.GetIrqForIntx(2, 0));
        var a = isa.GetIntxLine(2, 0);
        var b = isa.GetIntxLine(3, 3);
        a.SetLevel(true);
        b.SetLevel(true);
        Assert.True(lines[11].Level);
        a.SetLevel(false);
        Assert.True(lines[11].Level); // still held by the other source
        isa.WriteConfig(0x61, 1, 10); // re-route: IRQ11 released, IRQ10 asserted
        Assert.False(lines[11].Level);
        Assert.True(lines[10].Level);
        b.SetLevel(false);
        Assert.False(lines[10].Level);
    }

    [Fact]
    public void ResetControlRegisterRequestsResets()
    {
        var resets = new List<bool>();
        var rc = new Piix3ResetControl(resets.Add);
        var bus = new PciBus { ResetControl = rc };
        bus.Write(0xCF9, 1, 0x02);
        Assert.Empty(resets);
        Assert.Equal(0x02u, bus.Read(0xCF9, 1));
        bus.Write(0xCF9, 1, 0x06);
        Assert.Equal([true], resets);
        bus.Write(0xCF9, 1, 0x04);
        Assert.Equal([true, false], resets);
        // A dword at 0xCF8 is CONFIG_ADDRESS, not the reset register
        bus.Write(0xCF8, 4, 0x8000_0600);
        Assert.Equal(2, resets.Count);
    }
}
