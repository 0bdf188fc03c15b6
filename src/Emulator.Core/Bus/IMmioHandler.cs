namespace Emulator.Core.Bus;

/// <summary>A memory-mapped device region. Offsets are relative to the region's base; size is 1, 2, 4 or 8 bytes.</summary>
public interface IMmioHandler
{
    ulong Read(ulong offset, int size);

    void Write(ulong offset, int size, ulong value);
}
