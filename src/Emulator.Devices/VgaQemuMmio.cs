using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>BAR2 of <see cref="VgaPciFunction"/> (QEMU stdvga MMIO layout).</summary>
internal sealed class VgaQemuMmio(VgaPciFunction function) : IMmioHandler
{
    public ulong Read(ulong offset, int size) => function.ReadMmio(offset, size);

    public void Write(ulong offset, int size, ulong value) => function.WriteMmio(offset, size, value);
}
