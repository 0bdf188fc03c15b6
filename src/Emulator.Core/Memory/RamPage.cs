using System.Runtime.InteropServices;

namespace Emulator.Core.Memory;

/// <summary>One 4 KiB page of guest RAM in native memory, reference-counted so execution states can share it.</summary>
internal sealed unsafe class RamPage
{
    private readonly RamBlock? _block;
    private int _refs = 1;

    public RamPage()
        : this(clear: true)
    {
    }

    /// <summary><paramref name="clear"/> false: the content is undefined (for a caller that fills the whole page).</summary>
    public RamPage(bool clear)
    {
        Data = (nint)NativeMemory.AlignedAlloc(PhysicalMemory.PageSize, PhysicalMemory.PageSize);
        if (clear) NativeMemory.Clear((void*)Data, PhysicalMemory.PageSize);
    }

    /// <summary>Page <paramref name="index"/> of <paramref name="block"/> (which frees itself once all its pages are released).</summary>
    public RamPage(RamBlock block, int index)
    {
        _block = block;
        Data = block.Data + index * PhysicalMemory.PageSize;
    }

    public nint Data { get; }

    public bool Shared => Volatile.Read(ref _refs) > 1;

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        if (_block is null) NativeMemory.AlignedFree((void*)Data);
        else _block.ReleasePage();
    }
}
