using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

public sealed class IsaDebugExitTests
{
    [Fact]
    public void WriteRequestsExitWithShiftedCode()
    {
        var codes = new List<int>();
        var dev = new IsaDebugExit(codes.Add, ioBase: 0xF4, ioSize: 4);
        var bus = new PortBus();
        dev.RegisterPorts(bus);
        bus.Write(0xF4, 1, 0x10);
        bus.Write(0xF4, 4, 0);
        Assert.Equal(new[] { 0x21, 0x01 }, codes);
        Assert.Equal(0x01, dev.RequestedExitCode);
        Assert.NotNull(bus.HandlerAt(0xF7));
        Assert.Null(bus.HandlerAt(0xF8));
    }

    [Fact]
    public void DefaultsMatchQemu()
    {
        var dev = new IsaDebugExit(_ => { });
        Assert.Equal(0x501, dev.IoBase);
        Assert.Equal(2, dev.IoSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IsaDebugExit(_ => { }, 0xFFFF, 4));
    }

    [Fact]
    public void FuzzNeverThrows()
    {
        var dev = new IsaDebugExit(_ => { }, 0xF4, 4);
        var rng = new Random(6);
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = (ushort)rng.Next(0xF0, 0xFA);
            if (rng.Next(2) == 0) dev.Read(port, 1 << rng.Next(3));
            else dev.Write(port, 1 << rng.Next(3), (uint)rng.Next());
        }
    }
}
