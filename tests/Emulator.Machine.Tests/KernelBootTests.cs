using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>
/// Direct kernel boot (-kernel/-initrd/-append): guest kernels assembled here in the Multiboot 0.6.96 and Linux
/// boot-protocol 2.x formats check what a boot loader must hand them, copy what they see to a result area in RAM
/// and leave through isa-debug-exit.
/// </summary>
public sealed class KernelBootTests
{
    private const byte DebugExitPort = 0xF4;
    private const uint Results = 0x80000;       // guest writes its findings here
    private const ulong RamSize = 16ul << 20;

    private static readonly byte[] ModuleContent = Encoding.ASCII.GetBytes("MODULE-ONE-CONTENT");

    private static PcMachine NewMachine(TempDir dir, string kernel, string? initrd, string? append)
    {
        string bios = Path.Combine(dir.Path, "rom.bin");
        var rom = new byte[0x10000];
        Array.Fill(rom, (byte)0xF4); // HLT: the BIOS must never run
        File.WriteAllBytes(bios, rom);
        return new PcMachine(new MachineConfig
        {
            RamSize = RamSize, BiosPath = bios, IsaDebugExit = (DebugExitPort, 1), Kernel = kernel, Initrd = initrd, Append = append,
        });
    }

    private static uint ReadU32(PcMachine m, uint address) => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(m, address, 4));

    private static byte[] ReadBytes(PcMachine m, uint address, int count)
    {
        var b = new byte[count];
        Assert.True(m.Memory.ReadPhysical(address, b));
        return b;
    }

    private static string ReadCString(PcMachine m, uint address)
    {
        var b = new byte[256];
        Assert.True(m.Memory.ReadPhysical(address, b));
        int n = Array.IndexOf(b, (byte)0);
        return Encoding.ASCII.GetString(b, 0, n < 0 ? b.Length : n);
    }

    private static byte[] Assemble(Assembler a, ulong ip)
    {
        var s = new MemoryStream();
        a.Assemble(new StreamCodeWriter(s), ip);
        return s.ToArray();
    }

    /// <summary>Reloads DS/ES/SS and CS from the GDT the loader left (a kernel does this early).</summary>
    private static void EmitSegmentReload(Assembler a)
    {
        var here = a.CreateLabel();
        a.mov(ax, 0x18);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(esp, 0x70000); // the boot protocols leave the stack to the kernel
        a.call(here);
        a.Label(ref here);
        // pop eax; add eax, 8; push 0x10; push eax; retf  (far return to the byte after retf, CS = 0x10)
        a.db(0x58, 0x83, 0xC0, 0x08, 0x6A, 0x10, 0x50, 0xCB);
    }

    private static void EmitCopyString(Assembler a, AssemblerRegister32 src, uint dest)
    {
        var loop = a.CreateLabel();
        var done = a.CreateLabel();
        a.mov(esi, src);
        a.mov(edi, dest);
        a.mov(ecx, 200);
        a.Label(ref loop);
        a.lodsb();
        a.stosb();
        a.test(al, al);
        a.jz(done);
        a.dec(ecx);
        a.jnz(loop);
        a.Label(ref done);
    }

    private static void EmitExit(Assembler a)
    {
        a.mov(al, 0);
        a.@out(DebugExitPort, al); // exit code (0 << 1) | 1 = 1
        a.hlt();
    }

    /// <summary>The Multiboot test kernel's code: records EAX, the info flags, mem_lower/upper, cmdline, first module.</summary>
    private static void EmitMultibootChecks(Assembler a)
    {
        a.mov(__dword_ptr[Results + 0x00], eax);
        a.mov(__dword_ptr[Results + 0x04], ebx);
        a.mov(ebp, ebx);
        EmitSegmentReload(a);
        a.mov(eax, __dword_ptr[ebp]);
        a.mov(__dword_ptr[Results + 0x08], eax);            // flags
        a.mov(eax, __dword_ptr[ebp + 4]);
        a.mov(__dword_ptr[Results + 0x0C], eax);            // mem_lower
        a.mov(eax, __dword_ptr[ebp + 8]);
        a.mov(__dword_ptr[Results + 0x10], eax);            // mem_upper
        a.mov(eax, __dword_ptr[ebp + 20]);
        a.mov(__dword_ptr[Results + 0x14], eax);            // mods_count
        a.mov(edx, __dword_ptr[ebp + 24]);                  // mods_addr
        a.mov(eax, __dword_ptr[edx]);
        a.mov(__dword_ptr[Results + 0x18], eax);            // mod_start
        a.mov(eax, __dword_ptr[edx + 4]);
        a.mov(__dword_ptr[Results + 0x1C], eax);            // mod_end
        a.mov(eax, __dword_ptr[ebp + 44]);
        a.mov(__dword_ptr[Results + 0x20], eax);            // mmap_length
        a.mov(eax, __dword_ptr[ebp + 48]);
        a.mov(__dword_ptr[Results + 0x24], eax);            // mmap_addr
        a.mov(eax, __dword_ptr[ebp + 16]);
        EmitCopyString(a, eax, Results + 0x100);            // cmdline
        a.mov(eax, __dword_ptr[ebp + 24]);
        a.mov(eax, __dword_ptr[eax + 8]);
        EmitCopyString(a, eax, Results + 0x200);            // first module's string
        a.mov(eax, __dword_ptr[ebp + 24]);
        a.mov(eax, __dword_ptr[eax]);
        EmitCopyString(a, eax, Results + 0x300);            // first module's content (text)
        EmitExit(a);
    }

    private static void AssertMultibootResults(PcMachine m, string kernelPath, string module, uint moduleCount)
    {
        Assert.Equal(0x2BADB002u, ReadU32(m, Results));     // spec §3.2: EAX magic
        uint info = ReadU32(m, Results + 4);
        uint flags = ReadU32(m, Results + 8);
        Assert.True((flags & 0x4D) == 0x4D, $"flags 0x{flags:x}: mem (0), cmdline (2), mods (3), mmap (6)");
        Assert.Equal(639u, ReadU32(m, Results + 0x0C));
        Assert.Equal((uint)((RamSize - (1 << 20)) / 1024), ReadU32(m, Results + 0x10));
        Assert.Equal(moduleCount, ReadU32(m, Results + 0x14));
        uint modStart = ReadU32(m, Results + 0x18), modEnd = ReadU32(m, Results + 0x1C);
        Assert.Equal(0u, modStart % 4096);
        Assert.Equal((uint)(ModuleContent.Length + 1), modEnd - modStart);
        Assert.True(modStart >= 0x100000);
        Assert.Equal(kernelPath + " console=ttyS0 quiet", ReadCString(m, Results + 0x100));
        Assert.Equal(module + " root=foo", ReadCString(m, Results + 0x200));
        Assert.Equal(Encoding.ASCII.GetString(ModuleContent), ReadCString(m, Results + 0x300));
        Assert.True(info < 0xA0000);

        // The memory map: entries of (size=20, base, length, type) matching this machine's RAM.
        uint mmapLength = ReadU32(m, Results + 0x20), mmapAddr = ReadU32(m, Results + 0x24);
        var raw = new byte[mmapLength];
        Assert.True(m.Memory.ReadPhysical(mmapAddr, raw));
        var entries = new List<(ulong, ulong, uint)>();
        for (int off = 0; off < raw.Length; off += 4 + (int)BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(off)))
            entries.Add((BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(off + 4)), BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(off + 12)),
                BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(off + 20))));
        Assert.Equal(new List<(ulong, ulong, uint)>
        {
            (0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xF0000, 0x10000, 2), (0x100000, RamSize - 0x100000, 1),
        }, entries);
    }

    [Fact]
    public void Multiboot_aout_kludge_kernel_gets_magic_info_cmdline_module_and_memory_map()
    {
        using var dir = new TempDir();
        const uint load = 0x100000;
        var a = new Assembler(32);
        EmitMultibootChecks(a);
        byte[] code = Assemble(a, load + 32);
        var image = new byte[32 + code.Length];
        uint flags = 0x00010003; // page-align modules, memory info, a.out kludge
        uint[] header = [0x1BADB002, flags, unchecked(0u - 0x1BADB002 - flags), load, load, 0, 0, load + 32];
        for (int i = 0; i < header.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(i * 4), header[i]);
        code.CopyTo(image, 32);
        string kernel = Path.Combine(dir.Path, "mb.bin");
        File.WriteAllBytes(kernel, image);
        string module = Path.Combine(dir.Path, "mod1.txt");
        File.WriteAllBytes(module, [.. ModuleContent, 0]);
        string other = Path.Combine(dir.Path, "mod2.txt");
        File.WriteAllBytes(other, [1, 2, 3]);

        using var m = NewMachine(dir, kernel, $"{module} root=foo,{other}", "console=ttyS0 quiet");
        var exit = m.RunUntilStop(100_000);
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, 1), exit);
        AssertMultibootResults(m, kernel, module, 2);
    }

    [Fact]
    public void Multiboot_elf_kernel_is_loaded_at_its_physical_addresses_and_entered_there()
    {
        using var dir = new TempDir();
        const uint paddr = 0x200000, vaddr = 0xC0200000, codeOffset = 0x60;
        var a = new Assembler(32);
        EmitMultibootChecks(a);
        byte[] code = Assemble(a, paddr + codeOffset);
        var image = new byte[codeOffset + code.Length];
        // ELF32 header (System V ABI, i386 supplement).
        image[0] = 0x7F; image[1] = (byte)'E'; image[2] = (byte)'L'; image[3] = (byte)'F';
        image[4] = 1; image[5] = 1; image[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(16), 2);           // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(18), 3);           // EM_386
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(24), vaddr + codeOffset); // e_entry (virtual)
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(28), 52);          // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(40), 52);          // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(42), 32);          // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(44), 1);           // e_phnum
        // One PT_LOAD covering the whole file plus 4 KiB of bss.
        uint[] ph = [1, 0, vaddr, paddr, (uint)image.Length, (uint)image.Length + 0x1000, 7, 0x1000];
        for (int i = 0; i < ph.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(52 + i * 4), ph[i]);
        // Multiboot header at 84 (4-byte aligned, within the first 8 KiB), flags 3: no address fields.
        uint[] mb = [0x1BADB002, 3, unchecked(0u - 0x1BADB002 - 3)];
        for (int i = 0; i < mb.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(84 + i * 4), mb[i]);
        code.CopyTo(image, (int)codeOffset);
        string kernel = Path.Combine(dir.Path, "mb.elf");
        File.WriteAllBytes(kernel, image);
        string module = Path.Combine(dir.Path, "mod1.txt");
        File.WriteAllBytes(module, [.. ModuleContent, 0]);

        using var m = NewMachine(dir, kernel, $"{module} root=foo", "console=ttyS0 quiet");
        Assert.Equal(paddr + codeOffset, (uint)m.Cpu.Rip);
        var exit = m.RunUntilStop(100_000);
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, 1), exit);
        AssertMultibootResults(m, kernel, module, 1);
        Assert.True(ReadU32(m, Results + 0x18) >= paddr + (uint)image.Length + 0x1000, "modules go after the kernel's bss");

        // A reset loads the kernel again and re-enters it.
        m.Memory.WritePhysical(Results, new byte[16]);
        m.SystemReset();
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, 1), m.RunUntilStop(100_000));
        Assert.Equal(0x2BADB002u, ReadU32(m, Results));
    }

    [Fact]
    public void Linux_bzimage_gets_boot_params_cmdline_e820_and_initrd_through_the_32_bit_protocol()
    {
        using var dir = new TempDir();
        var a = new Assembler(32);
        a.mov(__dword_ptr[Results + 0x00], esi);
        a.mov(__dword_ptr[Results + 0x04], ebx);
        a.mov(__dword_ptr[Results + 0x08], edi);
        a.mov(__dword_ptr[Results + 0x0C], ebp);
        a.mov(eax, cs);
        a.mov(__dword_ptr[Results + 0x10], eax);
        a.mov(eax, ds);
        a.mov(__dword_ptr[Results + 0x14], eax);
        a.pushfd();
        a.pop(eax);
        a.mov(__dword_ptr[Results + 0x18], eax);
        a.mov(ebp, esi);
        EmitSegmentReload(a);
        a.movzx(eax, __byte_ptr[ebp + 0x210]);               // type_of_loader
        a.mov(__dword_ptr[Results + 0x1C], eax);
        a.movzx(eax, __byte_ptr[ebp + 0x1E8]);               // e820_entries
        a.mov(__dword_ptr[Results + 0x20], eax);
        a.mov(eax, __dword_ptr[ebp + 0x2D0 + 3 * 20]);       // e820 entry 3: base (low half)
        a.mov(__dword_ptr[Results + 0x24], eax);
        a.mov(eax, __dword_ptr[ebp + 0x2D0 + 3 * 20 + 8]);   // length (low half)
        a.mov(__dword_ptr[Results + 0x28], eax);
        a.mov(eax, __dword_ptr[ebp + 0x2D0 + 3 * 20 + 16]);  // type
        a.mov(__dword_ptr[Results + 0x2C], eax);
        a.mov(eax, __dword_ptr[ebp + 0x218]);                // ramdisk_image
        a.mov(__dword_ptr[Results + 0x30], eax);
        a.mov(eax, __dword_ptr[ebp + 0x21C]);                // ramdisk_size
        a.mov(__dword_ptr[Results + 0x34], eax);
        a.mov(eax, __dword_ptr[ebp + 0x206]);                // version (copied setup header)
        a.mov(__dword_ptr[Results + 0x38], eax);
        a.mov(eax, __dword_ptr[ebp + 0x228]);                // cmd_line_ptr
        a.mov(__dword_ptr[Results + 0x3C], eax);
        EmitCopyString(a, eax, Results + 0x100);
        a.mov(eax, __dword_ptr[ebp + 0x218]);
        EmitCopyString(a, eax, Results + 0x200);             // the initrd's first bytes
        EmitExit(a);
        byte[] pm = Assemble(a, 0x100000);

        // Real-mode part: boot sector + setup_sects (1) sectors, with the setup header (boot.rst).
        var image = new byte[1024 + pm.Length];
        image[0x1F1] = 1;                                                        // setup_sects
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x1FE), 0xAA55);   // boot_flag
        image[0x200] = 0xEB; image[0x201] = 0x66;                                // jump past the header (ends at 0x268)
        Encoding.ASCII.GetBytes("HdrS").CopyTo(image, 0x202);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x206), 0x020F);   // version
        image[0x211] = 0x01;                                                     // loadflags: LOADED_HIGH
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x214), 0x100000); // code32_start
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x22C), 0x37FFFFFF); // initrd_addr_max
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x230), 0x200000); // kernel_alignment
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x238), 2047);     // cmdline_size
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x260), 0x20000);  // init_size
        pm.CopyTo(image, 1024);
        string kernel = Path.Combine(dir.Path, "bzImage");
        File.WriteAllBytes(kernel, image);
        string initrd = Path.Combine(dir.Path, "initrd.img");
        var initrdData = new byte[5000];
        Encoding.ASCII.GetBytes("070701-initramfs").CopyTo(initrdData, 0);
        File.WriteAllBytes(initrd, initrdData);

        using var m = NewMachine(dir, kernel, initrd, "console=ttyS0 root=/dev/ram0");
        Assert.True(m.Cpu.A20Enabled);
        Assert.Equal(1u, m.Cpu.Cr0 & 0x8000_0001u);                            // PE on, PG off
        var exit = m.RunUntilStop(100_000);
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, 1), exit);

        uint bootParams = ReadU32(m, Results);
        Assert.True(bootParams is >= 0x1000 and < 0xA0000 && bootParams % 16 == 0);
        Assert.Equal(0u, ReadU32(m, Results + 0x04));                           // EBX, EDI, EBP zero
        Assert.Equal(0u, ReadU32(m, Results + 0x08));
        Assert.Equal(0u, ReadU32(m, Results + 0x0C));
        Assert.Equal(0x10u, ReadU32(m, Results + 0x10) & 0xFFFF);               // __BOOT_CS
        Assert.Equal(0x18u, ReadU32(m, Results + 0x14) & 0xFFFF);               // __BOOT_DS
        Assert.Equal(0u, ReadU32(m, Results + 0x18) & (1u << 9));               // IF clear
        Assert.Equal(0xFFu, ReadU32(m, Results + 0x1C));                        // type_of_loader: undefined loader
        Assert.Equal(5u, ReadU32(m, Results + 0x20));                           // e820_entries: + the ACPI area
        Assert.Equal(0x100000u, ReadU32(m, Results + 0x24));
        Assert.Equal((uint)(RamSize - 0x100000 - KernelLoader.AcpiAreaSize), ReadU32(m, Results + 0x28));
        Assert.Equal(1u, ReadU32(m, Results + 0x2C));                           // E820_RAM
        uint ramdisk = ReadU32(m, Results + 0x30);
        Assert.Equal(0u, ramdisk % 4096);
        ulong acpiArea = RamSize - KernelLoader.AcpiAreaSize;
        Assert.True(ramdisk >= 0x100000 + 0x20000 && ramdisk + 5000 <= acpiArea, $"initrd at 0x{ramdisk:x}");
        Assert.True(ramdisk + 5000 > acpiArea - 8192, "initrd placed high, below the ACPI tables");
        // boot_params.acpi_rsdp_addr (offset 0x70) points at an RSDP ("RSD PTR ", ACPI §5.2.5.3) in the ACPI area.
        uint rsdp = ReadU32(m, bootParams + 0x70);
        Assert.True(rsdp >= acpiArea && rsdp < RamSize, $"RSDP at 0x{rsdp:x}");
        Assert.Equal("RSD PTR ", Encoding.ASCII.GetString(ReadBytes(m, rsdp, 8)));
        Assert.Equal(5000u, ReadU32(m, Results + 0x34));
        Assert.Equal(0x020Fu, ReadU32(m, Results + 0x38) & 0xFFFF);
        Assert.Equal("console=ttyS0 root=/dev/ram0", ReadCString(m, Results + 0x100));
        Assert.Equal("070701-initramfs", ReadCString(m, Results + 0x200));
        var e = new byte[1];
        Assert.True(m.Memory.ReadPhysical(0x100000, e));
        Assert.Equal(pm[0], e[0]);                                              // protected-mode part at 1 MiB
    }

    [Fact]
    public void Missing_or_unknown_kernel_is_one_clear_error()
    {
        using var dir = new TempDir();
        string missing = Path.Combine(dir.Path, "nope");
        var e1 = Assert.Throws<EmulatorException>(() => NewMachine(dir, missing, null, null));
        Assert.StartsWith($"-kernel {missing}: ", e1.Message);
        string junk = Path.Combine(dir.Path, "junk.bin");
        File.WriteAllBytes(junk, Enumerable.Range(0, 10000).Select(i => (byte)(i * 7)).ToArray());
        var e2 = Assert.Throws<EmulatorException>(() => NewMachine(dir, junk, null, null));
        Assert.Equal($"-kernel {junk}: not a Linux bzImage or Multiboot kernel", e2.Message);
        Assert.DoesNotContain('\n', e1.Message + e2.Message);
    }

    [Fact]
    public void Multiboot_kernel_requiring_unknown_features_or_loading_beyond_ram_is_refused()
    {
        using var dir = new TempDir();
        static byte[] Kludge(uint flags, uint load, uint bssEnd)
        {
            var image = new byte[64];
            uint[] h = [0x1BADB002, flags, unchecked(0u - 0x1BADB002 - flags), load, load, 0, bssEnd, load + 32];
            for (int i = 0; i < h.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(i * 4), h[i]);
            return image;
        }
        string unknownFlag = Path.Combine(dir.Path, "flag.bin");
        File.WriteAllBytes(unknownFlag, Kludge(0x00010008, 0x100000, 0)); // bit 3 is not defined by 0.6.96
        var e1 = Assert.Throws<EmulatorException>(() => NewMachine(dir, unknownFlag, null, null));
        Assert.Contains("unsupported", e1.Message);
        string huge = Path.Combine(dir.Path, "huge.bin");
        File.WriteAllBytes(huge, Kludge(0x00010000, 0x100000, 0x4000000)); // bss to 64 MiB, RAM is 16 MiB
        var e2 = Assert.Throws<EmulatorException>(() => NewMachine(dir, huge, null, null));
        Assert.Contains("beyond RAM", e2.Message);
    }

    [Fact]
    public void Multiboot_module_list_splits_on_commas_with_double_comma_escape()
    {
        Assert.Equal(["a.bin x=1", "b,c.bin", "d"], KernelLoader.SplitModules("a.bin x=1,b,,c.bin,d"));
    }
}
