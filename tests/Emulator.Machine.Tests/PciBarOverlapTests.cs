using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>Found by the device fuzz test: PCI BARs the guest moves over the BIOS ROM, or over each other.</summary>
public sealed class PciBarOverlapTests
{
    private const uint ConfigAddress = 0xCF8;
    private const uint ConfigData = 0xCFC;
    private const uint VgaBar0 = 0x8000_1010;   // 00:02.0 register 10h (linear framebuffer)
    private const uint VgaBar2 = 0x8000_1018;   // 00:02.0 register 18h (MMIO)
    private const uint VgaCommand = 0x8000_1004;

    private static PcMachine Create(TempDir dir)
    {
        string bios = Path.Combine(dir.Path, "rom.bin");
        File.WriteAllBytes(bios, MiniBios.Rom(a =>
        {
            a.mov(al, 0x42);
            a.@out(0xF4, al);
            a.hlt();
        }));
        string vgaRom = Path.Combine(dir.Path, "vga.bin");
        File.WriteAllBytes(vgaRom, new byte[512]);
        return new PcMachine(new MachineConfig { RamSize = 16ul << 20, BiosPath = bios, VgaBiosPath = vgaRom, IsaDebugExit = (0xF4, 1) });
    }

    private static void PciWrite(PcMachine m, uint address, uint value)
    {
        m.Ports.Write((ushort)ConfigAddress, 4, address);
        m.Ports.Write((ushort)ConfigData, 4, value);
    }

    [Fact]
    public void A_framebuffer_bar_moved_over_the_bios_rom_and_away_leaves_the_reset_vector_in_place()
    {
        using var dir = new TempDir();
        using var m = Create(dir);
        Assert.Equal(0xEAul, m.Memory.Read(0xFFFF_FFF0, 1)); // JMP FAR at the reset vector

        PciWrite(m, VgaBar0, 0xFF00_0000); // 16 MiB framebuffer over the top of 4 GiB
        PciWrite(m, VgaCommand, 0x0002);   // memory decode on
        PciWrite(m, VgaBar0, 0xFD00_0000); // and away again
        Assert.Equal(0xEAul, m.Memory.Read(0xFFFF_FFF0, 1));

        PciWrite(m, VgaBar0, 0xFF00_0000);
        m.SystemReset();                   // the reset turns decode off: the BAR unmaps, the ROM is back
        Assert.Equal(0xEAul, m.Memory.Read(0xFFFF_FFF0, 1));
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, (0x42 << 1) | 1), m.RunUntilStop(100_000));
    }

    [Fact]
    public void The_mmio_bar_inside_the_framebuffer_stays_mapped_when_the_framebuffer_moves()
    {
        using var dir = new TempDir();
        using var m = Create(dir);
        PciWrite(m, VgaBar0, 0xFD00_0000);
        PciWrite(m, VgaBar2, 0xFD00_0000 + 0x10_0000); // inside the framebuffer's 16 MiB
        PciWrite(m, VgaCommand, 0x0002);
        PciWrite(m, VgaBar0, 0xE000_0000);             // the framebuffer moves away
        // Bochs DISPI index register 0 (ID) through the MMIO BAR at +500h reads 0xB0Cx.
        ulong id = m.Memory.Read(0xFD10_0000 + 0x500, 2);
        Assert.Equal(0xB0C0ul, id & 0xFFF0);
    }
}
