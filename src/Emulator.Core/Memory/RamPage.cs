using System.Runtime.InteropServices;

namespace Emulator.Core.Memory;

/// <summary>One 4 KiB page of guest RAM in native memory, reference-counted so execution states can share it.</summary>
internal sealed unsafe class RamPage
{
    private int _refs = 1;

    public RamPage()
    {
        Data = (nint)NativeMemory.AlignedAlloc(PhysicalMemory.PageSize, PhysicalMemory.PageSize);
        NativeMemory.Clear((void*)Data, PhysicalMemory.PageSize);
    }

    public nint Data { get; }

    public bool Shared => Volatile.Read(ref _refs) > 1;

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0) NativeMemory.AlignedFree((void*)Data);
    }
}
