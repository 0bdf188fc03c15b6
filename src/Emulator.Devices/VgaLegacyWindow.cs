using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>The 0xA0000–0xBFFFF MMIO region of a <see cref="VgaDevice"/> (offsets relative to 0xA0000).</summary>
internal sealed class VgaLegacyWindow(VgaDevice vga) : IMmioHandler
{
    public ulong Read(ulong offset, int size) => vga.ReadLegacy(offset, size);

    public void Write(ulong offset, int size, ulong value) => vga.WriteLegacy(offset, size, value);
}
