using System.Runtime.InteropServices;

namespace Emulator.Core.Memory;

/// <summary>
/// One soft-TLB entry: the linear page it maps (<see cref="Tag"/>, page-aligned; <see cref="Invalid"/> never
/// matches) and the value to add to a linear address to get the host address of the byte.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct TlbEntry
{
    public const ulong Invalid = 1;

    public ulong Tag;
    public long Addend;

    /// <summary>The physical frame mapped, for invalidation by frame (code pages) and diagnostics.</summary>
    public ulong Frame;
    public ulong Global;
}
