using Emulator.Core.Bus;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>Hostile guest: random port, window, LFB, MMIO-BAR and config accesses must never throw.</summary>
public class VgaFuzzTests
{
    private static readonly ushort[] Ports =
    [
        0x3B4, 0x3B5, 0x3BA, 0x3C0, 0x3C1, 0x3C2, 0x3C3, 0x3C4, 0x3C5, 0x3C6, 0x3C7, 0x3C8, 0x3C9, 0x3CA, 0x3CC,
        0x3CE, 0x3CF, 0x3D4, 0x3D5, 0x3DA, 0x1CE, 0x1CF, 0x1D0,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(4242)]
    public void HundredThousandRandomAccessesNeverThrow(int seed)
    {
        var rng = new Random(seed);
        var clock = new VirtualClock();
        var vga = new VgaDevice(clock);
        var pci = new VgaPciFunction(vga, romSize: 0x10000);
        int[] sizes = [1, 2, 4, 8];
        for (int n = 0; n < 100_000; n++)
        {
            clock.AdvanceInstructions(rng.Next(1000));
            int size = sizes[rng.Next(4)];
            ulong value = (ulong)rng.NextInt64();
            switch (rng.Next(8))
            {
                case 0:
                case 1:
                    {
                        ushort port = rng.Next(4) == 0 ? (ushort)rng.Next(0x3B0, 0x3E0) : Ports[rng.Next(Ports.Length)];
                        int s = Math.Min(size, 4);
                        if (rng.Next(2) == 0) vga.Write(port, s, (uint)value);
                        else vga.Read(port, s);
                        break;
                    }
                case 2:
                    vga.Write(0x1CE, 2, (uint)rng.Next(0x10));
                    vga.Write(0x1CF, 2, (uint)(rng.Next(3) == 0 ? rng.Next(0x10000) : rng.Next(0, 2600)));
                    break;
                case 3:
                case 4:
                    {
                        ulong off = (ulong)rng.Next(0, 0x20010);
                        if (rng.Next(2) == 0) vga.LegacyWindow.Write(off, size, value);
                        else vga.LegacyWindow.Read(off, size);
                        break;
                    }
                case 5:
                    {
                        ulong off = rng.Next(3) == 0 ? (ulong)rng.NextInt64() : (ulong)rng.Next(vga.VramSize - 16, vga.VramSize + 16);
                        if (rng.Next(2) == 0) vga.LinearFramebuffer.Write(off, size, value);
                        else vga.LinearFramebuffer.Read(off, size);
                        break;
                    }
                case 6:
                    {
                        ulong off = (ulong)rng.Next(0, 0x1100);
                        if (rng.Next(2) == 0) pci.MmioRegion.Write(off, size, value);
                        else pci.MmioRegion.Read(off, size);
                        break;
                    }
                default:
                    {
                        int off = rng.Next(0, 0x100);
                        int s = sizes[rng.Next(3)];
                        if (rng.Next(2) == 0) pci.WriteConfig(off, Math.Min(s, 256 - off), (uint)value);
                        else pci.ReadConfig(off, Math.Min(s, 256 - off));
                        break;
                    }
            }
            if (n % 20_000 == 19_999)
            {
                vga.RenderText()?.ToText();
                var frame = vga.RenderFrame();
                Assert.Equal(frame.Width * frame.Height, frame.Pixels.Length);
            }
        }
        using var ms = new MemoryStream();
        pci.SaveState(new BinaryWriter(ms));
        ms.Position = 0;
        pci.LoadState(new BinaryReader(ms));
    }

    [Fact]
    public void CorruptStateIsRejectedAsInvalidData()
    {
        var vga = new VgaDevice(vramSize: 256 * 1024);
        using var ms = new MemoryStream();
        vga.SaveState(new BinaryWriter(ms));
        byte[] good = ms.ToArray();
        var rng = new Random(7);
        for (int n = 0; n < 200; n++)
        {
            byte[] bad = good[..rng.Next(good.Length)];
            if (bad.Length > 0) bad[rng.Next(bad.Length)] ^= (byte)rng.Next(1, 256);
            var target = new VgaDevice(vramSize: 256 * 1024);
            try
            {
                target.LoadState(new BinaryReader(new MemoryStream(bad)));
            }
            catch (InvalidDataException)
            {
                // the only acceptable failure
            }
            target.RenderFrame();
        }
    }
}
