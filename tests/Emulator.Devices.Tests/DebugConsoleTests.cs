using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

public sealed class DebugConsoleTests
{
    [Fact]
    public void WritesGoToHostAndReadReturnsE9()
    {
        var output = new List<byte>();
        var con = new DebugConsole(output.Add);
        foreach (byte b in "SeaBIOS\n"u8) con.Write(0x402, 1, b);
        Assert.Equal("SeaBIOS\n"u8.ToArray(), output);
        Assert.Equal(0xE9u, con.Read(0x402, 1));
    }

    [Fact]
    public void StreamOutput()
    {
        var ms = new MemoryStream();
        var con = new DebugConsole(ms, DebugConsole.BochsPort);
        con.Write(0xE9, 1, 'o');
        con.Write(0xE9, 1, 'k');
        Assert.Equal("ok"u8.ToArray(), ms.ToArray());
    }

    [Fact]
    public void FuzzNeverThrows()
    {
        var con = new DebugConsole(_ => { });
        var rng = new Random(5);
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = (ushort)rng.Next(0x400, 0x404);
            if (rng.Next(2) == 0) con.Read(port, 1 << rng.Next(3));
            else con.Write(port, 1 << rng.Next(3), (uint)rng.Next());
        }
    }
}
