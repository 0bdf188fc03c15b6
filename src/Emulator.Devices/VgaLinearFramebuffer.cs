using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>The VBE linear framebuffer (PCI BAR0) of a <see cref="VgaDevice"/>: plain little-endian VRAM.</summary>
internal sealed class VgaLinearFramebuffer(VgaDevice vga) : IMmioHandler
{
    public ulong Read(ulong offset, int size) => vga.ReadLfb(offset, size);

    public void Write(ulong offset, int size, ulong value) => vga.WriteLfb(offset, size, value);
}
