using System.Buffers.Binary;
using System.Text;
using Emulator.Core.Cpu;
using Emulator.Core.Memory;
using Emulator.Devices;

namespace Emulator.Machine;

/// <summary>
/// Direct kernel boot (-kernel/-initrd/-append): a Linux bzImage through the 32-bit boot protocol
/// (Documentation/arch/x86/boot.rst) or a Multiboot v1 kernel (Multiboot Specification 0.6.96).
/// Unlike QEMU, which hands the kernel to its linuxboot/multiboot option ROM through fw_cfg and lets the BIOS run
/// first, this loader places the kernel, its modules/initrd and the boot structures in RAM itself and starts the CPU
/// directly at the kernel's 32-bit entry in flat protected mode (no BIOS services have run; low memory holds only
/// what is written here). The files are read and checked once, at construction; <see cref="Boot"/> is repeated after
/// every reset.
/// </summary>
public sealed class KernelLoader
{
    // Memory layout of the boot structures (all below the EBDA at 0x9FC00).
    public const uint GdtAddress = 0x1000;
    public const uint MultibootInfoAddress = 0x2000;   // info, then mmap, modules, strings, up to LowAreaEnd
    public const uint BootParamsAddress = 0x90000;     // Linux zero page (4 KiB)
    public const uint LinuxCmdlineAddress = 0x91000;
    public const uint LowAreaEnd = 0x9F000;
    public const uint KernelHighAddress = 0x100000;    // where the bzImage's protected-mode part goes (1 MiB)

    /// <summary>Selectors of the GDT placed at <see cref="GdtAddress"/> (boot.rst: __BOOT_CS, __BOOT_DS).</summary>
    public const ushort BootCs = 0x10, BootDs = 0x18;

    public const uint MultibootHeaderMagic = 0x1BADB002;
    public const uint MultibootBootloaderMagic = 0x2BADB002;
    private const int MultibootSearchLength = 8192;

    // Multiboot header flags (spec §3.1.2).
    private const uint MbPageAlignModules = 1u << 0, MbMemoryInfo = 1u << 1, MbVideoMode = 1u << 2, MbAoutKludge = 1u << 16;

    // multiboot_info flags (spec §3.3).
    private const uint MbiMemory = 1u << 0, MbiCmdline = 1u << 2, MbiMods = 1u << 3, MbiMmap = 1u << 6, MbiLoaderName = 1u << 9;
    private const int MultibootInfoSize = 88;

    // Linux setup header / boot_params offsets (boot.rst "The real-mode kernel header", zero-page.rst).
    private const int OffAltMemK = 0x1E0, OffE820Entries = 0x1E8, OffSetupSects = 0x1F1, OffBootFlag = 0x1FE, OffJump = 0x200,
        OffAcpiRsdpAddr = 0x070, OffHeader = 0x202, OffVersion = 0x206, OffTypeOfLoader = 0x210, OffLoadflags = 0x211, OffCode32Start = 0x214,
        OffRamdiskImage = 0x218, OffRamdiskSize = 0x21C, OffHeapEndPtr = 0x224, OffCmdLinePtr = 0x228, OffInitrdAddrMax = 0x22C,
        OffCmdlineSize = 0x238, OffInitSize = 0x260, OffE820Table = 0x2D0, OffCmdLineMagic = 0x20, OffCmdLineOffset = 0x22;
    private const byte LoadedHigh = 0x01, CanUseHeap = 0x80;
    private const int E820EntrySize = 20, E820MaxEntries = 128;

    private readonly string _kernelName;
    private readonly byte[] _kernel;
    private readonly string _append;
    private readonly ulong _ramSize;
    private readonly bool _isLinux;
    private readonly int _multibootHeader = -1;
    private readonly byte[]? _initrd;
    private readonly List<(string Arg, byte[] Data)> _modules = new();

    /// <summary>Reads and checks the kernel (and initrd/modules); throws <see cref="EmulatorException"/> with one clear line.</summary>
    public KernelLoader(string kernelPath, string? initrd, string? append, ulong ramSize)
    {
        _kernelName = kernelPath;
        _append = append ?? "";
        _ramSize = ramSize;
        _kernel = ReadFile("-kernel", kernelPath);
        if (IsBzImage(_kernel))
        {
            _isLinux = true;
            if (initrd is { Length: > 0 }) _initrd = ReadFile("-initrd", initrd);
            return;
        }
        _multibootHeader = FindMultibootHeader(_kernel);
        if (_multibootHeader < 0) throw new EmulatorException($"-kernel {kernelPath}: not a Linux bzImage or Multiboot kernel");
        uint flags = U32(_kernel, _multibootHeader + 4);
        if ((flags & 0xFFFF & ~(MbPageAlignModules | MbMemoryInfo | MbVideoMode)) != 0)
            throw new EmulatorException($"-kernel {kernelPath}: Multiboot header requires unsupported features (flags 0x{flags:x})");
        if (initrd is { Length: > 0 })
            foreach (string module in SplitModules(initrd))
            {
                int space = module.IndexOf(' ');
                string file = space < 0 ? module : module[..space];
                _modules.Add((module, ReadFile("-initrd", file)));
            }
    }

    /// <summary>True for a Linux kernel image, false for a Multiboot kernel.</summary>
    public bool IsLinux => _isLinux;

    /// <summary>Where the CPU starts (set by the last <see cref="Boot"/>).</summary>
    public uint EntryPoint { get; private set; }

    /// <summary>Places everything in RAM and sets the CPU to the kernel's entry state (after a reset of the machine).</summary>
    public void Boot(PhysicalMemory memory, CpuState cpu, AcpiTables? acpi = null)
    {
        _acpi = _isLinux ? acpi : null; // Multiboot kernels find ACPI by scanning the BIOS area
        WriteGdt(memory);
        if (_isLinux) BootLinux(memory, cpu);
        else BootMultiboot(memory, cpu);
        EnterFlatProtectedMode(cpu, EntryPoint);
    }

    // ---- Linux ----

    private static bool IsBzImage(byte[] k) =>
        k.Length >= 0x400 && U32(k, OffHeader) == 0x53726448 /* "HdrS" */ && U16(k, OffBootFlag) == 0xAA55 && U16(k, OffVersion) >= 0x0200;

    /// <summary>
    /// The top 64 KiB of RAM hold the ACPI tables when the machine has them (the firmware would have placed them; with
    /// direct boot nothing else does), reported as e820 type 3 (ACPI) and found by Linux through boot_params.acpi_rsdp_addr.
    /// </summary>
    public const ulong AcpiAreaSize = 0x10000;

    private AcpiTables? _acpi;

    private ulong AcpiAreaBase => _ramSize - AcpiAreaSize;

    /// <summary>Writes the tables and the RSDP into the ACPI area; returns the RSDP's address.</summary>
    private uint PlaceAcpiTables(PhysicalMemory memory, AcpiTables acpi)
    {
        uint tablesAt = (uint)AcpiAreaBase;
        var (tables, rsdp) = AcpiTableBuilder.Relocate(acpi, tablesAt);
        uint rsdpAt = (uint)((tablesAt + (ulong)tables.Length + 15) & ~15ul);
        if (rsdpAt + (ulong)rsdp.Length > _ramSize) throw new EmulatorException("the ACPI tables do not fit in the top 64 KiB of RAM");
        Write(memory, tablesAt, tables);
        Write(memory, rsdpAt, rsdp);
        return rsdpAt;
    }

    private void BootLinux(PhysicalMemory memory, CpuState cpu)
    {
        byte[] k = _kernel;
        ushort version = U16(k, OffVersion);
        if ((k[OffLoadflags] & LoadedHigh) == 0)
            throw new EmulatorException($"-kernel {_kernelName}: a zImage (not loaded high) cannot use the 32-bit boot protocol");
        int setupSects = k[OffSetupSects] == 0 ? 4 : k[OffSetupSects];
        long pmOffset = (setupSects + 1L) * 512;
        if (pmOffset >= k.Length) throw new EmulatorException($"-kernel {_kernelName}: setup_sects ({setupSects}) runs past the end of the file");
        var pm = k.AsSpan((int)pmOffset);

        uint initSize = version >= 0x020A ? U32(k, OffInitSize) : 0;
        ulong kernelEnd = KernelHighAddress + Math.Max((ulong)pm.Length, initSize);
        if (kernelEnd > _ramSize) throw new EmulatorException($"-kernel {_kernelName}: the kernel ({kernelEnd - KernelHighAddress} bytes) does not fit in RAM");
        Write(memory, KernelHighAddress, pm);

        // boot_params: zeroes, then the setup header copied from the image (0x1F1 up to the end given by the jump at 0x200).
        var bp = new byte[4096];
        int headerEnd = Math.Min(OffHeader + k[OffJump + 1], Math.Min(k.Length, 0x290));
        headerEnd = Math.Max(headerEnd, 0x230);
        k.AsSpan(OffSetupSects, headerEnd - OffSetupSects).CopyTo(bp.AsSpan(OffSetupSects));
        bp[OffTypeOfLoader] = 0xFF;
        bp[OffLoadflags] = (byte)(bp[OffLoadflags] | CanUseHeap);
        BinaryPrimitives.WriteUInt16LittleEndian(bp.AsSpan(OffHeapEndPtr), 0xFE00 - 0x200);
        BinaryPrimitives.WriteUInt32LittleEndian(bp.AsSpan(OffAltMemK), (uint)((_ramSize - 0x100000) >> 10));
        BinaryPrimitives.WriteUInt16LittleEndian(bp.AsSpan(0x02), (ushort)Math.Min((_ramSize - 0x100000) >> 10, 0xFC00)); // screen_info.ext_mem_k

        // Command line.
        uint cmdlineMax = version >= 0x0206 ? U32(k, OffCmdlineSize) : 255;
        cmdlineMax = Math.Min(cmdlineMax, LowAreaEnd - LinuxCmdlineAddress - 1);
        byte[] cmdline = Encoding.ASCII.GetBytes(_append);
        if ((uint)cmdline.Length > cmdlineMax) throw new EmulatorException($"-append: the command line is longer than the kernel accepts ({cmdlineMax} bytes)");
        Write(memory, LinuxCmdlineAddress, [.. cmdline, 0]);
        if (version >= 0x0202) BinaryPrimitives.WriteUInt32LittleEndian(bp.AsSpan(OffCmdLinePtr), LinuxCmdlineAddress);
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bp.AsSpan(OffCmdLineMagic), 0xA33F);
            BinaryPrimitives.WriteUInt16LittleEndian(bp.AsSpan(OffCmdLineOffset), (ushort)(LinuxCmdlineAddress - BootParamsAddress));
        }

        // Initrd: as high as allowed, page-aligned.
        if (_initrd is { } initrd)
        {
            ulong max = version >= 0x0203 ? U32(k, OffInitrdAddrMax) : 0x37FFFFFF;
            max = Math.Min(max, (_acpi is null ? _ramSize : AcpiAreaBase) - 1);
            ulong top = max + 1;
            if ((ulong)initrd.Length > top || ((top - (ulong)initrd.Length) & ~0xFFFul) < ((kernelEnd + 0xFFF) & ~0xFFFul))
                throw new EmulatorException($"-initrd: {initrd.Length} bytes do not fit between the kernel and 0x{top:x}");
            uint at = (uint)((top - (ulong)initrd.Length) & ~0xFFFul);
            Write(memory, at, initrd);
            BinaryPrimitives.WriteUInt32LittleEndian(bp.AsSpan(OffRamdiskImage), at);
            BinaryPrimitives.WriteUInt32LittleEndian(bp.AsSpan(OffRamdiskSize), (uint)initrd.Length);
        }

        // ACPI: boot_params.acpi_rsdp_addr (boot protocol 2.14; older kernels ignore the field and scan for the RSDP).
        if (_acpi is not null) BinaryPrimitives.WriteUInt64LittleEndian(bp.AsSpan(OffAcpiRsdpAddr), PlaceAcpiTables(memory, _acpi));

        // e820 table.
        var map = MemoryMap();
        bp[OffE820Entries] = (byte)map.Length;
        for (int i = 0; i < map.Length && i < E820MaxEntries; i++)
        {
            var e = bp.AsSpan(OffE820Table + i * E820EntrySize, E820EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(e, map[i].Base);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], map[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], map[i].Type);
        }
        Write(memory, BootParamsAddress, bp);

        // boot.rst, 32-bit boot protocol: ESI = boot_params; EBP, EDI, EBX zero; start at code32_start.
        cpu.Rax = cpu.Rbx = cpu.Rcx = cpu.Rdx = cpu.Rbp = cpu.Rdi = cpu.Rsp = 0;
        cpu.Rsi = BootParamsAddress;
        uint code32 = U32(k, OffCode32Start);
        EntryPoint = code32 == 0 ? KernelHighAddress : code32;
    }

    // ---- Multiboot ----

    private static int FindMultibootHeader(byte[] k)
    {
        int limit = Math.Min(k.Length, MultibootSearchLength) - 12;
        for (int off = 0; off <= limit; off += 4)
        {
            if (U32(k, off) != MultibootHeaderMagic) continue;
            if (unchecked(MultibootHeaderMagic + U32(k, off + 4) + U32(k, off + 8)) == 0) return off;
        }
        return -1;
    }

    private void BootMultiboot(PhysicalMemory memory, CpuState cpu)
    {
        byte[] k = _kernel;
        int h = _multibootHeader;
        uint flags = U32(k, h + 4);
        ulong loadEnd;
        uint entry;
        if ((flags & MbAoutKludge) != 0)
        {
            if (h + 32 > k.Length) throw new EmulatorException($"-kernel {_kernelName}: Multiboot header is truncated");
            uint headerAddr = U32(k, h + 12), loadAddr = U32(k, h + 16), loadEndAddr = U32(k, h + 20), bssEndAddr = U32(k, h + 24);
            entry = U32(k, h + 28);
            if (loadAddr > headerAddr || headerAddr - loadAddr > (uint)h)
                throw new EmulatorException($"-kernel {_kernelName}: Multiboot load_addr 0x{loadAddr:x} is not at or before header_addr 0x{headerAddr:x} in the file");
            long fileOffset = h - (long)(headerAddr - loadAddr);
            long size = loadEndAddr == 0 ? k.Length - fileOffset : (long)loadEndAddr - loadAddr;
            if (size < 0 || fileOffset + size > k.Length) throw new EmulatorException($"-kernel {_kernelName}: Multiboot load_end_addr 0x{loadEndAddr:x} is outside the file");
            ulong end = (ulong)loadAddr + (ulong)size;
            ulong bssEnd = bssEndAddr == 0 ? end : bssEndAddr;
            if (bssEnd < end) throw new EmulatorException($"-kernel {_kernelName}: Multiboot bss_end_addr 0x{bssEndAddr:x} is below load_end_addr");
            CheckLoadRange(loadAddr, bssEnd);
            Write(memory, loadAddr, k.AsSpan((int)fileOffset, (int)size));
            Zero(memory, end, bssEnd - end);
            loadEnd = bssEnd;
        }
        else loadEnd = LoadElf(memory, out entry);

        // Modules, page-aligned after the kernel.
        ulong next = (loadEnd + 0xFFF) & ~0xFFFul;
        var modRanges = new List<(uint Start, uint End)>();
        foreach (var (_, data) in _modules)
        {
            if (next + (ulong)data.Length > _ramSize) throw new EmulatorException("-initrd: the Multiboot modules do not fit in RAM");
            Write(memory, next, data);
            modRanges.Add(((uint)next, (uint)(next + (ulong)data.Length)));
            next = (next + (ulong)data.Length + 0xFFF) & ~0xFFFul;
        }

        // multiboot_info and what it points to, in low memory.
        var low = new List<byte>();
        uint Alloc(ReadOnlySpan<byte> bytes)
        {
            while (low.Count % 4 != 0) low.Add(0);
            uint at = MultibootInfoAddress + (uint)low.Count;
            low.AddRange(bytes.ToArray());
            if (MultibootInfoAddress + (uint)low.Count > LowAreaEnd) throw new EmulatorException("-append/-initrd: the Multiboot command lines do not fit below 640 KiB");
            return at;
        }
        var info = new byte[MultibootInfoSize];
        Alloc(info);
        uint infoFlags = MbiMemory | MbiCmdline | MbiMmap | MbiLoaderName;
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(4), 0x9FC00 >> 10);                       // mem_lower (KiB)
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(8), (uint)((_ramSize - 0x100000) >> 10)); // mem_upper (KiB above 1 MiB)
        string cmdline = _append.Length == 0 ? _kernelName : _kernelName + " " + _append; // QEMU passes the file name first
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(16), Alloc(CString(cmdline)));
        if (_modules.Count > 0)
        {
            var mods = new byte[16 * _modules.Count];
            for (int i = 0; i < _modules.Count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(mods.AsSpan(i * 16), modRanges[i].Start);
                BinaryPrimitives.WriteUInt32LittleEndian(mods.AsSpan(i * 16 + 4), modRanges[i].End);
                BinaryPrimitives.WriteUInt32LittleEndian(mods.AsSpan(i * 16 + 8), Alloc(CString(_modules[i].Arg)));
            }
            infoFlags |= MbiMods;
            BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(20), (uint)_modules.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(24), Alloc(mods));
        }
        var map = MemoryMap();
        var mmap = new byte[24 * map.Length];
        for (int i = 0; i < map.Length; i++)
        {
            var e = mmap.AsSpan(i * 24, 24);
            BinaryPrimitives.WriteUInt32LittleEndian(e, 20); // size of the rest of the entry
            BinaryPrimitives.WriteUInt64LittleEndian(e[4..], map[i].Base);
            BinaryPrimitives.WriteUInt64LittleEndian(e[12..], map[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[20..], map[i].Type);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(44), (uint)mmap.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(48), Alloc(mmap));
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(64), Alloc(CString("emu")));
        BinaryPrimitives.WriteUInt32LittleEndian(info, infoFlags);
        info.CopyTo(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(low));
        Write(memory, MultibootInfoAddress, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(low));

        cpu.Rcx = cpu.Rdx = cpu.Rsi = cpu.Rdi = cpu.Rbp = cpu.Rsp = 0;
        cpu.Rax = MultibootBootloaderMagic;
        cpu.Rbx = MultibootInfoAddress;
        EntryPoint = entry;
    }

    /// <summary>Loads an ELF32 i386 executable by its PT_LOAD program headers at p_paddr; returns the highest address loaded.</summary>
    private ulong LoadElf(PhysicalMemory memory, out uint entry)
    {
        byte[] k = _kernel;
        if (k.Length < 52 || U32(k, 0) != 0x464C457F)
            throw new EmulatorException($"-kernel {_kernelName}: Multiboot kernel is not ELF and has no a.out kludge (flag bit 16)");
        if (k[4] != 1 || k[5] != 1 || U16(k, 18) != 3 || U16(k, 16) != 2)
            throw new EmulatorException($"-kernel {_kernelName}: not a 32-bit little-endian i386 ELF executable");
        entry = U32(k, 24);
        uint phoff = U32(k, 28);
        int phentsize = U16(k, 42), phnum = U16(k, 44);
        if (phentsize < 32 || (ulong)phoff + (ulong)phentsize * (ulong)phnum > (ulong)k.Length)
            throw new EmulatorException($"-kernel {_kernelName}: ELF program headers are outside the file");
        ulong highest = 0;
        uint? entryPhys = null;
        for (int i = 0; i < phnum; i++)
        {
            int p = (int)phoff + i * phentsize;
            if (U32(k, p) != 1) continue; // PT_LOAD
            uint offset = U32(k, p + 4), vaddr = U32(k, p + 8), paddr = U32(k, p + 12), filesz = U32(k, p + 16), memsz = U32(k, p + 20);
            if ((ulong)offset + filesz > (ulong)k.Length || filesz > memsz)
                throw new EmulatorException($"-kernel {_kernelName}: ELF segment {i} is outside the file");
            CheckLoadRange(paddr, (ulong)paddr + memsz);
            Write(memory, paddr, k.AsSpan((int)offset, (int)filesz));
            Zero(memory, (ulong)paddr + filesz, memsz - filesz);
            highest = Math.Max(highest, (ulong)paddr + memsz);
            if (entry >= vaddr && (ulong)entry < (ulong)vaddr + memsz) entryPhys ??= paddr + (entry - vaddr);
        }
        if (highest == 0) throw new EmulatorException($"-kernel {_kernelName}: ELF has no loadable segment");
        entry = entryPhys ?? entry;
        return highest;
    }

    private void CheckLoadRange(ulong start, ulong end)
    {
        if (end > _ramSize) throw new EmulatorException($"-kernel {_kernelName}: loads at 0x{start:x}-0x{end:x}, beyond RAM (0x{_ramSize:x})");
        if (start < 0x100000 && end > GdtAddress)
            throw new EmulatorException($"-kernel {_kernelName}: loads at 0x{start:x}, below 1 MiB where the boot structures live");
    }

    /// <summary>QEMU's -initrd list for Multiboot: modules separated by ',' (",," is a literal comma).</summary>
    public static List<string> SplitModules(string list)
    {
        var result = new List<string>();
        var sb = new StringBuilder();
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] == ',')
            {
                if (i + 1 < list.Length && list[i + 1] == ',') { sb.Append(','); i++; continue; }
                result.Add(sb.ToString());
                sb.Clear();
            }
            else sb.Append(list[i]);
        }
        result.Add(sb.ToString());
        return result.Where(s => s.Length > 0).ToList();
    }

    // ---- shared ----

    /// <summary>The machine's RAM map, e820 style (type 1 available, 2 reserved).</summary>
    public (ulong Base, ulong Length, uint Type)[] MemoryMap() => _acpi is null
        ?
        [
            (0, 0x9FC00, 1),
            (0x9FC00, 0x400, 2),
            (0xF0000, 0x10000, 2),
            (0x100000, _ramSize - 0x100000, 1),
        ]
        :
        [
            (0, 0x9FC00, 1),
            (0x9FC00, 0x400, 2),
            (0xF0000, 0x10000, 2),
            (0x100000, AcpiAreaBase - 0x100000, 1),
            (AcpiAreaBase, AcpiAreaSize, 3),
        ];

    private static void WriteGdt(PhysicalMemory memory)
    {
        var gdt = new byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(BootCs), 0x00CF_9B00_0000_FFFFul); // 4 GiB code, execute/read, accessed
        BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(BootDs), 0x00CF_9300_0000_FFFFul); // 4 GiB data, read/write, accessed
        Write(memory, GdtAddress, gdt);
    }

    private static void EnterFlatProtectedMode(CpuState cpu, uint entry)
    {
        cpu.Cr0 = Cr.CR0_ET | Cr.CR0_PE;
        cpu.GdtrBase = GdtAddress;
        cpu.GdtrLimit = 32 - 1;
        cpu.Cs = new Segment { Selector = BootCs, Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x9B | Segment.DefaultBig | Segment.Granularity };
        cpu.Ds = cpu.Es = cpu.Fs = cpu.Gs = cpu.Ss =
            new Segment { Selector = BootDs, Base = 0, Limit = 0xFFFF_FFFF, Flags = 0x93 | Segment.DefaultBig | Segment.Granularity };
        cpu.SetEflags(0); // IF = 0 (bit 1 is forced to 1)
        cpu.Rip = entry;
        cpu.UpdateCpl();
        cpu.UpdateAllFastLimits();
        cpu.FlushTlb();
    }

    private static byte[] ReadFile(string option, string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new EmulatorException($"{option} {path}: {e.Message}", e);
        }
    }

    private static void Write(PhysicalMemory memory, ulong address, ReadOnlySpan<byte> data)
    {
        if (!memory.WritePhysical(address, data))
            throw new EmulatorException($"kernel boot: cannot write {data.Length} bytes at 0x{address:x} (not RAM)");
    }

    private static void Zero(PhysicalMemory memory, ulong address, ulong length)
    {
        var zeros = new byte[0x10000];
        while (length > 0)
        {
            int chunk = (int)Math.Min(length, (ulong)zeros.Length);
            Write(memory, address, zeros.AsSpan(0, chunk));
            address += (ulong)chunk;
            length -= (ulong)chunk;
        }
    }

    private static byte[] CString(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    private static uint U32(byte[] b, int off) => off >= 0 && off + 4 <= b.Length ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(off)) : 0;

    private static ushort U16(byte[] b, int off) => off >= 0 && off + 2 <= b.Length ? BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(off)) : (ushort)0;
}
