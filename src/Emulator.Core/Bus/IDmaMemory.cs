namespace Emulator.Core.Bus;

/// <summary>
/// Physical guest memory as a bus master (DMA, firmware tables) sees it. Every guest-supplied address and length
/// is checked: a transfer that touches anything but RAM or ROM returns false and moves nothing it should not.
/// </summary>
public interface IDmaMemory
{
    bool ReadPhysical(ulong address, Span<byte> destination);

    bool WritePhysical(ulong address, ReadOnlySpan<byte> source);
}
