using System.Runtime.InteropServices;

namespace Emulator.Core.Memory;

/// <summary>
/// One native allocation holding several RAM pages side by side (a snapshot restores a whole chunk of pages into one):
/// freed when the last <see cref="RamPage"/> in it is released.
/// </summary>
internal sealed unsafe class RamBlock
{
    private int _pages;

    public RamBlock(int pages)
    {
        _pages = pages;
        Data = (nint)NativeMemory.AlignedAlloc((nuint)pages * PhysicalMemory.PageSize, PhysicalMemory.PageSize);
    }

    public nint Data { get; }

    public void ReleasePage()
    {
        if (Interlocked.Decrement(ref _pages) == 0) NativeMemory.AlignedFree((void*)Data);
    }
}
