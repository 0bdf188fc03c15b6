using System.Runtime.InteropServices;
using Emulator.Core.Bus;

namespace Emulator.Core.Memory;

/// <summary>
/// The physical address space: RAM in 4 KiB pages of native memory (shareable copy-on-write between execution
/// states), ROM images, MMIO regions, and unassigned space (reads all ones, writes ignored). Addresses at or above
/// 4 GiB are unassigned. Frames that hold translated code are write-protected for the fast path, so every store to
/// them reaches <see cref="CodeWritten"/> first.
/// </summary>
public sealed unsafe class PhysicalMemory : IDmaMemory, IDisposable
{
    public const int PageShift = 12;
    public const int PageSize = 1 << PageShift;
    private const int FrameCount = 1 << 20; // 4 GiB / 4 KiB

    private enum FrameKind : byte { Unassigned, Ram, Rom, Mmio }

    private readonly FrameKind[] _kind = new FrameKind[FrameCount];
    private readonly RamPage?[] _ram;
    private readonly nint[] _romPtr = new nint[FrameCount];
    private readonly MmioRegion?[] _mmio = new MmioRegion?[FrameCount];
    private readonly bool[] _shadowWriteIgnored = new bool[FrameCount];
    private readonly byte[] _codeCount = new byte[FrameCount];
    private readonly List<nint> _romAllocations = new();
    private readonly nint _zeroPage;
    private bool _disposed;

    /// <summary>
    /// Called before a store changes bytes of a frame that holds translated code (physical address, length); returns
    /// true when translated code overlapping those bytes was dropped.
    /// </summary>
    public Func<ulong, int, bool>? CodeWritten { get; set; }

    public ulong RamSize { get; }

    public PhysicalMemory(ulong ramSize)
    {
        if (ramSize == 0 || ramSize % PageSize != 0 || ramSize > 0xFFFF_F000ul)
            throw new ArgumentOutOfRangeException(nameof(ramSize), "RAM size must be a non-zero multiple of 4 KiB below 4 GiB");
        RamSize = ramSize;
        _ram = new RamPage?[ramSize >> PageShift];
        _zeroPage = (nint)NativeMemory.AlignedAlloc(PageSize, PageSize);
        NativeMemory.Clear((void*)_zeroPage, PageSize);
        for (ulong f = 0; f < ramSize >> PageShift; f++) _kind[f] = FrameKind.Ram;
    }

    private PhysicalMemory(PhysicalMemory parent)
    {
        RamSize = parent.RamSize;
        _ram = new RamPage?[parent._ram.Length];
        _zeroPage = (nint)NativeMemory.AlignedAlloc(PageSize, PageSize);
        NativeMemory.Clear((void*)_zeroPage, PageSize);
        Array.Copy(parent._kind, _kind, FrameCount);
        Array.Copy(parent._romPtr, _romPtr, FrameCount);
        Array.Copy(parent._mmio, _mmio, FrameCount);
        Array.Copy(parent._shadowWriteIgnored, _shadowWriteIgnored, FrameCount);
        for (int i = 0; i < _ram.Length; i++)
        {
            var p = parent._ram[i];
            if (p is null) continue;
            p.AddRef();
            _ram[i] = p;
        }
    }

    /// <summary>
    /// A copy of this address space whose RAM pages are shared copy-on-write with this one: O(pages) reference
    /// bumps, no copying. ROM and MMIO mappings are carried over (MMIO handlers must be re-registered by the forked
    /// machine's own devices with <see cref="MapMmio"/>).
    /// </summary>
    public PhysicalMemory Fork() => new(this);

    public bool IsRam(ulong address) => address < RamSize && _kind[address >> PageShift] == FrameKind.Ram;

    /// <summary>True when nothing (RAM, ROM, MMIO) is at <paramref name="address"/> (addresses at or above 4 GiB included).</summary>
    public bool IsUnassigned(ulong address) => address >= (ulong)FrameCount << PageShift || _kind[address >> PageShift] == FrameKind.Unassigned;

    /// <summary>Maps a ROM image; guest stores to it are ignored. Length is rounded up to whole pages.</summary>
    public void MapRom(ulong address, ReadOnlySpan<byte> image)
    {
        CheckRange(address, (ulong)image.Length);
        int pages = (image.Length + PageSize - 1) / PageSize;
        var block = (byte*)NativeMemory.AlignedAlloc((nuint)(pages * PageSize), PageSize);
        NativeMemory.Clear(block, (nuint)(pages * PageSize));
        image.CopyTo(new Span<byte>(block, image.Length));
        _romAllocations.Add((nint)block);
        for (int i = 0; i < pages; i++)
        {
            ulong f = (address >> PageShift) + (ulong)i;
            _kind[f] = FrameKind.Rom;
            _romPtr[f] = (nint)(block + i * PageSize);
        }
    }

    public void MapMmio(ulong address, ulong size, IMmioHandler handler)
    {
        CheckRange(address, size);
        var region = new MmioRegion(address, handler);
        for (ulong f = address >> PageShift; f < (address + size + PageSize - 1) >> PageShift; f++)
        {
            _kind[f] = FrameKind.Mmio;
            _mmio[f] = region;
        }
    }

    /// <summary>
    /// Returns a range to plain RAM (below <see cref="RamSize"/>), to the ROM an MMIO mapping covered (a PCI BAR the
    /// guest moved over the BIOS: the ROM shows again when it moves away), or to unassigned space.
    /// </summary>
    public void Unmap(ulong address, ulong size)
    {
        CheckRange(address, size);
        for (ulong f = address >> PageShift; f < (address + size + PageSize - 1) >> PageShift; f++)
        {
            _kind[f] = (f << PageShift) < RamSize ? FrameKind.Ram : _romPtr[f] != 0 ? FrameKind.Rom : FrameKind.Unassigned;
            _mmio[f] = null;
            _shadowWriteIgnored[f] = false;
        }
    }

    /// <summary>
    /// Shadow-RAM control for the BIOS area (i440FX PAM): reads come from RAM or from the ROM mapped there, and
    /// writes go to RAM or are ignored.
    /// </summary>
    public void SetShadow(ulong address, ulong size, bool readRam, bool writeRam)
    {
        CheckRange(address, size);
        for (ulong f = address >> PageShift; f < (address + size + PageSize - 1) >> PageShift; f++)
        {
            if ((f << PageShift) >= RamSize) continue;
            if (readRam || _romPtr[f] == 0) _kind[f] = FrameKind.Ram;
            else _kind[f] = FrameKind.Rom;
            _shadowWriteIgnored[f] = !writeRam;
        }
    }

    private static void CheckRange(ulong address, ulong size)
    {
        if (size == 0 || address + size > 1ul << 32 || address + size < address)
            throw new ArgumentOutOfRangeException(nameof(address), "physical range outside the 4 GiB address space");
    }

    /// <summary>Host pointer for reading a frame directly, or 0 when reads must take the slow path (MMIO, unassigned).</summary>
    public nint ReadPointer(ulong frame)
    {
        if (frame >= FrameCount) return 0;
        switch (_kind[frame])
        {
            case FrameKind.Ram:
                return _ram[frame] is { } p ? p.Data : _zeroPage;
            case FrameKind.Rom:
                return _romPtr[frame];
            default:
                return 0;
        }
    }

    /// <summary>
    /// Host pointer for writing a frame directly, or 0 when writes must take the slow path (ROM, MMIO, code
    /// frames, ignored shadow writes). Makes the page private to this address space if it was shared.
    /// </summary>
    public nint WritePointer(ulong frame)
    {
        if (frame >= FrameCount || _kind[frame] != FrameKind.Ram || _shadowWriteIgnored[frame] || _codeCount[frame] != 0) return 0;
        return OwnPage(frame);
    }

    private nint OwnPage(ulong frame)
    {
        var p = _ram[frame];
        if (p is null)
        {
            p = new RamPage();
            _ram[frame] = p;
        }
        else if (p.Shared)
        {
            var copy = new RamPage();
            NativeMemory.Copy((void*)p.Data, (void*)copy.Data, PageSize);
            p.Release();
            _ram[frame] = copy;
            p = copy;
        }
        return p.Data;
    }

    /// <summary>
    /// For snapshots: the bytes of RAM frame <paramref name="frame"/>'s own page, whatever is mapped over it (ROM
    /// shadow, MMIO), or an empty span when the page was never written (it reads as zeros).
    /// </summary>
    public ReadOnlySpan<byte> RamPageContent(ulong frame) =>
        frame < (ulong)_ram.Length && _ram[frame] is { } p ? new ReadOnlySpan<byte>((void*)p.Data, PageSize) : default;

    /// <summary>
    /// For restoring a snapshot: gives RAM frames <paramref name="frames"/> new pages, private to this address space and
    /// side by side in one allocation, whatever is mapped over them, and returns their bytes (page i of the span is
    /// frames[i]) for the caller to fill completely: their content is undefined until then. Code-frame tracking is
    /// skipped, so the caller drops translated code afterwards. Several threads may call it at once for different frames
    /// while nothing else uses this memory.
    /// </summary>
    public Span<byte> RestoreRamPages(ReadOnlySpan<uint> frames)
    {
        if (frames.IsEmpty) return default;
        if (frames.Length > int.MaxValue / PageSize) throw new ArgumentOutOfRangeException(nameof(frames), "too many pages at once");
        foreach (var f in frames)
        {
            if (f >= (ulong)_ram.Length) throw new ArgumentOutOfRangeException(nameof(frames), "not a RAM frame");
        }
        var block = new RamBlock(frames.Length);
        for (int i = 0; i < frames.Length; i++)
        {
            var old = _ram[frames[i]];
            _ram[frames[i]] = new RamPage(block, i);
            old?.Release();
        }
        return new Span<byte>((void*)block.Data, frames.Length * PageSize);
    }

    /// <summary>Returns all of RAM to zeros by dropping its pages (cost proportional to the pages ever written).</summary>
    public void ClearRam()
    {
        for (int i = 0; i < _ram.Length; i++)
        {
            var p = _ram[i];
            if (p is null) continue;
            if (_codeCount[i] != 0) CodeWritten?.Invoke((ulong)i << PageShift, PageSize);
            p.Release();
            _ram[i] = null;
        }
    }

    /// <summary>Marks or unmarks a frame as holding translated code.</summary>
    public void SetCodeFrame(ulong frame, bool code)
    {
        if (frame < FrameCount) _codeCount[frame] = code ? (byte)1 : (byte)0;
    }

    public bool IsCodeFrame(ulong frame) => frame < FrameCount && _codeCount[frame] != 0;

    public ulong Read(ulong address, int size)
    {
        if ((address & (PageSize - 1)) + (ulong)size > PageSize)
        {
            ulong v = 0;
            for (int i = 0; i < size; i++) v |= (ulong)Read(address + (ulong)i, 1) << (8 * i);
            return v;
        }
        ulong frame = address >> PageShift;
        nint p = ReadPointer(frame);
        if (p != 0)
        {
            byte* b = (byte*)p + (address & (PageSize - 1));
            return size switch
            {
                1 => *b,
                2 => *(ushort*)b,
                4 => *(uint*)b,
                _ => *(ulong*)b,
            };
        }
        if (frame < FrameCount && _mmio[frame] is { } region && _kind[frame] == FrameKind.Mmio)
        {
            ulong v = region.Handler.Read(address - region.Base, size);
            return size == 8 ? v : v & ((1ul << (8 * size)) - 1);
        }
        return size == 8 ? ulong.MaxValue : (1ul << (8 * size)) - 1;
    }

    /// <summary>
    /// Stores 1–8 bytes. Returns true when the store changed bytes of translated code (the translation was dropped).
    /// Stores of the value already there never disturb translated code.
    /// </summary>
    public bool Write(ulong address, int size, ulong value)
    {
        if ((address & (PageSize - 1)) + (ulong)size > PageSize)
        {
            bool hit = false;
            for (int i = 0; i < size; i++) hit |= Write(address + (ulong)i, 1, value >> (8 * i));
            return hit;
        }
        ulong frame = address >> PageShift;
        if (frame >= FrameCount) return false;
        switch (_kind[frame])
        {
            case FrameKind.Ram:
            case FrameKind.Rom when (frame << PageShift) < RamSize:
                // A ROM-mapped BIOS frame with PAM write-enable writes the shadow RAM underneath.
                if (_shadowWriteIgnored[frame]) return false;
                bool code = false;
                byte* b = (byte*)OwnPage(frame) + (address & (PageSize - 1));
                if (_codeCount[frame] != 0)
                {
                    ulong old = size switch { 1 => *b, 2 => *(ushort*)b, 4 => *(uint*)b, _ => *(ulong*)b };
                    ulong mask = size == 8 ? ulong.MaxValue : (1ul << (8 * size)) - 1;
                    if (old == (value & mask)) return false;
                    code = CodeWritten?.Invoke(address, size) ?? false;
                    b = (byte*)OwnPage(frame) + (address & (PageSize - 1));
                }
                switch (size)
                {
                    case 1: *b = (byte)value; break;
                    case 2: *(ushort*)b = (ushort)value; break;
                    case 4: *(uint*)b = (uint)value; break;
                    default: *(ulong*)b = value; break;
                }
                return code;
            case FrameKind.Mmio:
                var region = _mmio[frame]!;
                region.Handler.Write(address - region.Base, size, value);
                return false;
            default:
                return false;
        }
    }

    public bool ReadPhysical(ulong address, Span<byte> destination)
    {
        if (address + (ulong)destination.Length < address || address + (ulong)destination.Length > 1ul << 32) return false;
        int done = 0;
        while (done < destination.Length)
        {
            ulong a = address + (ulong)done;
            int chunk = (int)Math.Min((ulong)(destination.Length - done), PageSize - (a & (PageSize - 1)));
            nint p = ReadPointer(a >> PageShift);
            if (p == 0) return false;
            new ReadOnlySpan<byte>((byte*)p + (a & (PageSize - 1)), chunk).CopyTo(destination.Slice(done));
            done += chunk;
        }
        return true;
    }

    public bool WritePhysical(ulong address, ReadOnlySpan<byte> source)
    {
        if (address + (ulong)source.Length < address || address + (ulong)source.Length > 1ul << 32) return false;
        // Check the whole range first so a rejected transfer moves nothing.
        for (ulong f = address >> PageShift; f <= (address + (ulong)Math.Max(source.Length, 1) - 1) >> PageShift; f++)
        {
            if (_kind[f] != FrameKind.Ram) return false;
        }
        int done = 0;
        while (done < source.Length)
        {
            ulong a = address + (ulong)done;
            int chunk = (int)Math.Min((ulong)(source.Length - done), PageSize - (a & (PageSize - 1)));
            ulong frame = a >> PageShift;
            if (!_shadowWriteIgnored[frame])
            {
                if (_codeCount[frame] != 0) CodeWritten?.Invoke(a, chunk);
                source.Slice(done, chunk).CopyTo(new Span<byte>((byte*)OwnPage(frame) + (a & (PageSize - 1)), chunk));
            }
            done += chunk;
        }
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _ram) p?.Release();
        foreach (var r in _romAllocations) NativeMemory.AlignedFree((void*)r);
        NativeMemory.AlignedFree((void*)_zeroPage);
    }

    private sealed record MmioRegion(ulong Base, IMmioHandler Handler);
}
