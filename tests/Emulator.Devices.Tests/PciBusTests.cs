using Emulator.Core.Bus;
using Xunit;

namespace Emulator.Devices.Tests;

public class PciBusTests
{
    private static (PciBus Bus, I440fxHostBridge Host, Piix3Ide Ide) Board()
    {
        var bus = new PciBus();
        var host = new I440fxHostBridge();
        var ide = new Piix3Ide(new IdeChannel("ide0", 0x1F0, 0x3F6, null, null), new IdeChannel("ide1", 0x170, 0x376, null, null));
        bus.Attach(0, 0, host);
        bus.Attach(1, 1, ide);
        return (bus, host, ide);
    }

    private static uint Address(int dev, int fn, int reg) => 0x8000_0000u | (uint)(dev << 11) | (uint)(fn << 8) | (uint)reg;

    [Fact]
    public void ConfigAddressKeepsEnableAndAddressBitsOnly()
    {
        var (bus, _, _) = Board();
        bus.Write(0xCF8, 4, 0xFFFF_FFFF);
        // PCI 3.0 §3.2.2.3.2: bits 30:24 reserved (read 0), bits 1:0 read 0.
        Assert.Equal(0x80FF_FFFCu, bus.Read(0xCF8, 4));
    }

    [Fact]
    public void ReadsVendorAndDeviceIdsWithAllAccessWidths()
    {
        var (bus, _, _) = Board();
        bus.Write(0xCF8, 4, Address(0, 0, 0));
        Assert.Equal(0x1237_8086u, bus.Read(0xCFC, 4));
        Assert.Equal(0x8086u, bus.Read(0xCFC, 2));
        Assert.Equal(0x1237u, bus.Read(0xCFE, 2));
        Assert.Equal(0x86u, bus.Read(0xCFC, 1));
        Assert.Equal(0x12u, bus.Read(0xCFF, 1));
        bus.Write(0xCF8, 4, Address(1, 1, 0x08));
        // class code 01 01 80 (IDE, bus-master capable, legacy), revision in the low byte
        Assert.Equal(0x0101_80u, bus.Read(0xCFC, 4) >> 8);
    }

    [Fact]
    public void AbsentFunctionsAndOtherBusesReadAllOnes()
    {
        var (bus, _, _) = Board();
        bus.Write(0xCF8, 4, Address(5, 0, 0));
        Assert.Equal(0xFFFF_FFFFu, bus.Read(0xCFC, 4));
        bus.Write(0xCF8, 4, Address(0, 3, 0));
        Assert.Equal(0xFFFFu, bus.Read(0xCFE, 2));
        bus.Write(0xCF8, 4, 0x8001_0000u); // bus 1
        Assert.Equal(0xFFFF_FFFFu, bus.Read(0xCFC, 4));
    }

    [Fact]
    public void DataPortIgnoredWhileEnableBitClear()
    {
        var (bus, host, _) = Board();
        bus.Write(0xCF8, 4, 0x0000_0000u);
        Assert.Equal(0xFFFF_FFFFu, bus.Read(0xCFC, 4));
        bus.Write(0xCFC, 4, 0x3333_3333u);
        Assert.Equal(0u, host.ReadConfig(I440fxHostBridge.Pam0Offset + 1, 1));
    }

    [Fact]
    public void BarSizingWritesAllOnesAndReadsTheSizeMask()
    {
        var (bus, _, ide) = Board();
        bus.Write(0xCF8, 4, Address(1, 1, 0x20));
        Assert.Equal(0x0000_0001u, bus.Read(0xCFC, 4)); // I/O BAR, unassigned
        bus.Write(0xCFC, 4, 0xFFFF_FFFF);
        // 16-byte I/O BAR, bit 0 = I/O indicator; PCI 3.0 §6.2.5.1 sizing: size = ~(value & ~3) + 1 = 16 over all
        // 32 bits (as QEMU's PIIX3, whose BIOS computes it so)
        uint sized = bus.Read(0xCFC, 4);
        Assert.Equal(0xFFFF_FFF1u, sized);
        Assert.Equal(16u, ~(sized & ~3u) + 1);
        bus.Write(0xCFC, 4, 0xC000);
        Assert.Equal(0xC001u, bus.Read(0xCFC, 4));
        Assert.Equal(0xC000u, ide.GetBarAddress(4));
        Assert.Equal(16u, ide.GetBarSize(4));
    }

    [Fact]
    public void ReadOnlyRegistersIgnoreWrites()
    {
        var (bus, _, _) = Board();
        bus.Write(0xCF8, 4, Address(0, 0, 0));
        bus.Write(0xCFC, 4, 0);
        Assert.Equal(0x1237_8086u, bus.Read(0xCFC, 4));
        bus.Write(0xCF8, 4, Address(1, 1, 0x3C));
        bus.Write(0xCFC, 4, 0xFFFF_FFFF);
        // The PIIX3 IDE function has no INTx pin (interrupt pin 0) so line and pin stay read-only zero.
        Assert.Equal(0u, bus.Read(0xCFC, 2));
    }

    [Fact]
    public void CommandRegisterMaskAndStatusWriteOneToClear()
    {
        var (bus, _, ide) = Board();
        bus.Write(0xCF8, 4, Address(1, 1, 0x04));
        bus.Write(0xCFC, 2, 0xFFFF);
        Assert.Equal(0x0005u, bus.Read(0xCFC, 2)); // only I/O space and bus master are writable
        Assert.Equal(0x0280u, bus.Read(0xCFE, 2));
        bus.Write(0xCFE, 2, 0xFFFF);
        Assert.Equal(0x0280u, bus.Read(0xCFE, 2));
        ide.Reset();
        Assert.Equal(0u, bus.Read(0xCFC, 2));
    }

    [Fact]
    public void BusMasterBarIsRegisteredOnThePortBusWhenDecoded()
    {
        var ports = new PortBus();
        var ide = new Piix3Ide(new IdeChannel("ide0", 0x1F0, 0x3F6, null, null), new IdeChannel("ide1", 0x170, 0x376, null, null), ports);
        ide.WriteConfig(0x20, 4, 0xC040);
        Assert.Null(ports.HandlerAt(0xC040));
        ide.WriteConfig(0x04, 2, 0x0005);
        Assert.Same(ide, ports.HandlerAt(0xC040));
        Assert.Same(ide, ports.HandlerAt(0xC04F));
        ports.Write(0xC044, 4, 0x0012_3456);
        Assert.Equal(0x0012_3454u, ports.Read(0xC044, 4)); // BMIDTP bits 1:0 read zero
        Assert.Equal(0x0012_3454u, ide.Primary.BusMaster.PrdTableAddress);
        ide.WriteConfig(0x20, 4, 0xD000);
        Assert.Null(ports.HandlerAt(0xC040));
        Assert.Same(ide, ports.HandlerAt(0xD000));
    }

    [Fact]
    public void IntxRouterConnectsFunctionsWithAnInterruptPin()
    {
        var lines = new FakeLine[16];
        for (int i = 0; i < 16; i++) lines[i] = new FakeLine();
        var isa = new Piix3IsaBridge(irq => lines[irq]);
        var bus = new PciBus { IntxRouter = isa.GetIntxLine };
        var dev = new TestPciFunction();
        bus.Attach(3, 0, dev);
        isa.WriteConfig(Piix3IsaBridge.PirqrcOffset + Piix3IsaBridge.PirqForIntx(3, 0), 1, 10);
        dev.Assert(true);
        Assert.True(lines[10].Level);
        Assert.Equal(PciDevice.StatusInterrupt, (ushort)(dev.ReadConfig(PciDevice.StatusOffset, 2) & PciDevice.StatusInterrupt));
        dev.WriteConfig(PciDevice.CommandOffset, 2, PciDevice.CommandInterruptDisable);
        Assert.False(lines[10].Level);
        dev.WriteConfig(PciDevice.CommandOffset, 2, 0);
        Assert.True(lines[10].Level);
        dev.Assert(false);
        Assert.False(lines[10].Level);
    }

    [Fact]
    public void SaveAndLoadRestoreConfigSpace()
    {
        var (_, host, _) = Board();
        host.WriteConfig(I440fxHostBridge.Pam0Offset, 1, 0x30);
        var ms = new MemoryStream();
        host.SaveState(new BinaryWriter(ms));
        host.Reset();
        Assert.Equal(0u, host.ReadConfig(I440fxHostBridge.Pam0Offset, 1));
        ms.Position = 0;
        host.LoadState(new BinaryReader(ms));
        Assert.Equal(0x30u, host.ReadConfig(I440fxHostBridge.Pam0Offset, 1));
    }

    private sealed class TestPciFunction : PciDevice
    {
        public TestPciFunction() : base("test", 0x1234, 0x5678, 1, 0x020000, 0, interruptPin: 1)
        {
            SetWriteMask(CommandOffset, 2, CommandInterruptDisable | CommandMemorySpace);
            DefineMemoryBar(0, 0x1000, prefetchable: false);
            CaptureDefaults();
        }

        public void Assert(bool level) => SetIntx(level);
    }
}
