using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>
/// A 2 MiB test ROM that hammers every device from the guest: a xorshift32 PRNG picks, per operation, a random
/// IN/OUT (byte/word/dword) on a claimed port or on any port, a random MMIO read/write in the VGA window, the linear
/// framebuffer, the VGA MMIO BAR or anywhere in 0xE0000000–0xFFFFFFFF, a random IDE bus-master DMA (random PRD table
/// address and entries, random ATA/ATAPI command) or fw_cfg DMA (random descriptor, control, length and address), or a
/// random PCI configuration access (BAR reprogramming weighted in).
/// It runs flat 32-bit protected mode from the ROM at the top of 4 GiB. Progress (operations done, PRNG state, and a
/// check word) is stored in RAM before every operation, so after a reset (0xCF9, 8042 pulse, port 0x92, triple fault)
/// or a power-off the ROM resumes where it stopped, skipping the operation that stopped the machine.
/// The 64 KiB image is repeated over the 2 MiB so that code fetches still hit it when the guest turns A20 off.
/// When done it writes <see cref="DoneMagic"/> and halts with interrupts off; after the next reset it runs a short
/// self-check instead (prints "ALIVE" on COM1 and "FWCFG OK" if the fw_cfg signature reads "QEMU").
/// </summary>
public static class DeviceFuzzRom
{
    public const int RomSize = 2 << 20;
    private const int BlockSize = 0x10000;
    private const uint BlockBase = 0xFFFF_0000;
    private const int Entry16 = 0x0100;
    private const int GdtOffset = 0x0080;
    private const int GdtrOffset = 0x00B0;
    private const int Code32Offset = 0x0200;
    private const int PortTableOffset = 0x8000;
    private const int CommandTableOffset = 0x7F00;

    // Guest RAM layout.
    public const uint StateMagicAddress = 0x500;
    public const uint OpsAddress = 0x504;
    public const uint PrngAddress = 0x508;
    public const uint CheckAddress = 0x50C;
    public const uint ResumeCountAddress = 0x510;
    public const uint DoneAddress = 0x514;
    private const uint StackTop = 0x7000;
    public const uint StateMagic = 0x5A5A_F00D;
    public const uint DoneMagic = 0x454E_4F44; // "DONE"
    private const uint CheckMix = 0x9E37_79B9;
    private const uint Seed = 0x1234_5678;

    // Where the ROM programs the BARs at every (re)start (the guest moves them at random afterwards).
    public const ushort BusMasterBase = 0xC000;
    public const uint FramebufferBase = 0xFD00_0000;
    public const uint VgaMmioBase = 0xFEBF_0000;

    private static readonly byte[] DmaCommands = [0xC8, 0xCA, 0x25, 0x35, 0xA0, 0xC8, 0xCA, 0xA0]; // READ/WRITE DMA (EXT), PACKET

    public static byte[] Build(IReadOnlyList<ushort> ports, uint operations)
    {
        if (ports.Count == 0 || ports.Count > 0x3000) throw new ArgumentOutOfRangeException(nameof(ports));
        var block = new byte[BlockSize];
        Array.Fill(block, (byte)0xF4);

        // GDT: null, 08h flat 32-bit code, 10h flat data.
        BitConverter.GetBytes(0ul).CopyTo(block, GdtOffset);
        BitConverter.GetBytes(0x00CF_9A00_0000_FFFFul).CopyTo(block, GdtOffset + 8);
        BitConverter.GetBytes(0x00CF_9200_0000_FFFFul).CopyTo(block, GdtOffset + 16);
        BitConverter.GetBytes((ushort)23).CopyTo(block, GdtrOffset);
        BitConverter.GetBytes(BlockBase + GdtOffset).CopyTo(block, GdtrOffset + 2);

        // 16-bit entry (CS base FFFF0000 after reset): CS: O32 LGDT [GdtrOffset]; CR0.PE; JMP DWORD 08:code32.
        var e = new Assembler(16);
        e.cli();
        e.db(0x2E, 0x66, 0x0F, 0x01, 0x16, GdtrOffset & 0xFF, GdtrOffset >> 8);
        e.mov(eax, cr0);
        e.or(eax, 1);
        e.mov(cr0, eax);
        uint target = BlockBase + Code32Offset;
        e.db(0x66, 0xEA, (byte)target, (byte)(target >> 8), (byte)(target >> 16), (byte)(target >> 24), 0x08, 0x00);
        Place(e, block, Entry16, Entry16);

        var code32 = Assemble(Code32(ports.Count, operations), BlockBase + Code32Offset);
        if (Code32Offset + code32.Length > CommandTableOffset) throw new InvalidOperationException("fuzz code too large");
        code32.CopyTo(block, Code32Offset);
        for (int i = 0; i < ports.Count; i++) BitConverter.GetBytes(ports[i]).CopyTo(block, PortTableOffset + i * 2);
        DmaCommands.CopyTo(block, CommandTableOffset);

        // Reset vector FFFF:FFF0 → JMP NEAR Entry16 (same CS base).
        int rel = (Entry16 - (0xFFF0 + 3)) & 0xFFFF; // IP wraps within the segment
        block[0xFFF0] = 0xE9;
        block[0xFFF1] = (byte)rel;
        block[0xFFF2] = (byte)(rel >> 8);

        var rom = new byte[RomSize];
        for (int i = 0; i < RomSize; i += BlockSize) block.CopyTo(rom, i);
        return rom;
    }

    private static Assembler Code32(int portCount, uint operations)
    {
        var a = new Assembler(32);
        var fresh = a.CreateLabel();
        var setup = a.CreateLabel();
        var loop = a.CreateLabel();
        var next = a.CreateLabel();
        var done = a.CreateLabel();
        var selfCheck = a.CreateLabel();
        var rand = a.CreateLabel();
        var portIo = a.CreateLabel();
        var throttle = a.CreateLabel();
        var opTablePort = a.CreateLabel();
        var opRandomPort = a.CreateLabel();
        var opMmio = a.CreateLabel();
        var opDma = a.CreateLabel();
        var opPci = a.CreateLabel();
        var pciWrite = a.CreateLabel();
        var print = a.CreateLabel();

        a.mov(ax, 0x10);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(esp, StackTop);
        a.cld();

        // Done before? Then run the self-check. Resume from a valid checkpoint, else start fresh.
        a.cmp(__dword_ptr[DoneAddress], DoneMagic);
        a.je(selfCheck);
        a.cmp(__dword_ptr[StateMagicAddress], StateMagic);
        a.jne(fresh);
        a.mov(ebp, __dword_ptr[OpsAddress]);
        a.mov(esi, __dword_ptr[PrngAddress]);
        a.mov(eax, ebp);
        a.xor(eax, esi);
        a.xor(eax, CheckMix);
        a.cmp(eax, __dword_ptr[CheckAddress]);
        a.jne(fresh);
        a.inc(__dword_ptr[ResumeCountAddress]);
        // Skip the operation that stopped the machine: count it and move the PRNG to a different sequence.
        a.inc(ebp);
        a.xor(esi, 0x5BD1_E995);
        a.jnz(setup);
        a.mov(esi, Seed);
        a.jmp(setup);

        a.Label(ref fresh);
        a.xor(ebp, ebp);
        a.mov(esi, Seed);
        a.mov(__dword_ptr[ResumeCountAddress], 0);
        a.mov(__dword_ptr[StateMagicAddress], StateMagic);

        // Setup: IDE 00:01.1 BAR4 = bus master at C000h, I/O + bus master on; VGA 00:02.0 BAR0 = LFB, BAR2 = MMIO, memory on.
        a.Label(ref setup);
        foreach (var (address, value) in new (uint, uint)[]
                 {
                     (0x8000_0920, BusMasterBase | 1u), (0x8000_0904, 0x0005),
                     (0x8000_1010, FramebufferBase), (0x8000_1018, VgaMmioBase), (0x8000_1004, 0x0003),
                 })
        {
            a.mov(eax, address);
            a.mov(dx, 0xCF8);
            a.@out(dx, eax);
            a.mov(eax, value);
            a.mov(dx, 0xCFC);
            a.@out(dx, eax);
        }

        // Main loop: checkpoint, pick an operation.
        a.Label(ref loop);
        a.cmp(ebp, operations);
        a.jae(done);
        a.mov(__dword_ptr[OpsAddress], ebp);
        a.mov(__dword_ptr[PrngAddress], esi);
        a.mov(eax, ebp);
        a.xor(eax, esi);
        a.xor(eax, CheckMix);
        a.mov(__dword_ptr[CheckAddress], eax);
        a.call(rand);
        a.mov(ebx, eax);
        a.and(eax, 7);
        a.cmp(eax, 3);
        a.jbe(opTablePort);
        a.cmp(eax, 4);
        a.je(opRandomPort);
        a.cmp(eax, 5);
        a.je(opMmio);
        a.cmp(eax, 6);
        a.je(opDma);
        a.jmp(opPci);
        a.Label(ref next);
        a.inc(ebp);
        a.jmp(loop);

        a.Label(ref done);
        a.mov(__dword_ptr[OpsAddress], ebp);
        a.mov(__dword_ptr[DoneAddress], DoneMagic);
        var halt = a.CreateLabel();
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);

        // ---- operations (EBX = the selector's random bits) ----

        // A claimed port from the table.
        a.Label(ref opTablePort);
        a.call(rand);
        a.xor(edx, edx);
        a.mov(ecx, (uint)portCount);
        a.div(ecx);
        a.movzx(edx, __word_ptr[edx * 2 + unchecked((int)(BlockBase + PortTableOffset))]);
        a.call(rand);
        a.mov(ecx, ebx);
        a.shr(ecx, 3);
        a.call(portIo);
        a.jmp(next);

        // Any port.
        a.Label(ref opRandomPort);
        a.call(rand);
        a.movzx(edx, ax);
        a.call(rand);
        a.mov(ecx, ebx);
        a.shr(ecx, 3);
        a.call(portIo);
        a.jmp(next);

        // MMIO: region from EBX bits 6-7, access from bits 8-10.
        a.Label(ref opMmio);
        a.call(rand);
        a.mov(edi, eax);
        a.mov(ecx, ebx);
        a.shr(ecx, 6);
        a.and(ecx, 3);
        var r1 = a.CreateLabel();
        var r2 = a.CreateLabel();
        var r3 = a.CreateLabel();
        var access = a.CreateLabel();
        a.cmp(ecx, 1);
        a.je(r1);
        a.cmp(ecx, 2);
        a.je(r2);
        a.cmp(ecx, 3);
        a.je(r3);
        a.and(edi, 0x1FFFF);       // VGA legacy window A0000-BFFFF
        a.add(edi, 0xA0000);
        a.jmp(access);
        a.Label(ref r1);
        a.and(edi, 0xFFFFFF);      // linear framebuffer (where the ROM put it)
        a.add(edi, FramebufferBase);
        a.jmp(access);
        a.Label(ref r2);
        a.or(edi, 0xE000_0000);    // the whole high MMIO range
        a.jmp(access);
        a.Label(ref r3);
        a.and(edi, 0xFFF);         // VGA MMIO BAR (VGA ports, DISPI, QEMU extended regs)
        a.add(edi, VgaMmioBase);
        a.Label(ref access);
        a.call(rand);
        a.mov(ecx, ebx);
        a.shr(ecx, 8);
        a.and(ecx, 7);
        var m1 = a.CreateLabel();
        var m2 = a.CreateLabel();
        var m3 = a.CreateLabel();
        var m4 = a.CreateLabel();
        var m5 = a.CreateLabel();
        a.cmp(ecx, 1); a.je(m1);
        a.cmp(ecx, 2); a.je(m2);
        a.cmp(ecx, 3); a.je(m3);
        a.cmp(ecx, 4); a.je(m4);
        a.cmp(ecx, 5); a.je(m5);
        a.mov(__byte_ptr[edi], al);
        a.jmp(next);
        a.Label(ref m1);
        a.mov(__word_ptr[edi], ax);
        a.jmp(next);
        a.Label(ref m2);
        a.mov(__dword_ptr[edi], eax);
        a.jmp(next);
        a.Label(ref m3);
        a.mov(al, __byte_ptr[edi]);
        a.jmp(next);
        a.Label(ref m4);
        a.mov(ax, __word_ptr[edi]);
        a.jmp(next);
        a.Label(ref m5);
        a.mov(eax, __dword_ptr[edi]);
        a.jmp(next);

        // DMA: EBX bit 3 chooses IDE bus master or fw_cfg.
        var fwcfg = a.CreateLabel();
        a.Label(ref opDma);
        a.test(ebx, 1 << 3);
        a.jnz(fwcfg);
        EmitIdeDma(a, rand, portIo, next);
        a.Label(ref fwcfg);
        EmitFwCfgDma(a, rand, next);

        // PCI configuration: CF8 = enable | bus (random when EBX bit 9) | device 0-3 | function 0-1 | register
        // (a BAR 10h-2Ch when EBX bit 11); then an access to CFC-CFF (mode from EBX bits 12-14).
        a.Label(ref opPci);
        a.call(rand);
        a.mov(ecx, eax);
        a.and(eax, 0x0000_19FC);
        var keepBus = a.CreateLabel();
        a.test(ebx, 1 << 9);
        a.jz(keepBus);
        a.and(ecx, 0x00FF_0000);
        a.or(eax, ecx);
        a.Label(ref keepBus);
        a.test(ebx, 1 << 11);
        a.jz(pciWrite);
        a.and(eax, 0xFFFF_FF00);
        a.mov(ecx, ebx);
        a.shr(ecx, 16);
        a.and(ecx, 0x1C);
        a.add(ecx, 0x10);
        a.or(eax, ecx);
        a.Label(ref pciWrite);
        a.or(eax, 0x8000_0000);
        a.mov(dx, 0xCF8);
        a.@out(dx, eax);
        a.call(rand);
        a.mov(edx, ebx);
        a.shr(edx, 20);
        a.and(edx, 3);
        a.add(edx, 0xCFC);
        a.mov(ecx, ebx);
        a.shr(ecx, 12);
        a.call(portIo);
        a.jmp(next);

        // ---- subroutines ----

        // rand: xorshift32 on ESI (Marsaglia 13/17/5); EAX = the new value.
        a.Label(ref rand);
        a.mov(eax, esi);
        a.shl(eax, 13);
        a.xor(esi, eax);
        a.mov(eax, esi);
        a.shr(eax, 17);
        a.xor(esi, eax);
        a.mov(eax, esi);
        a.shl(eax, 5);
        a.xor(esi, eax);
        a.mov(eax, esi);
        a.ret();

        // portIo: DX = port, EAX = value, ECX bits 0-2 = OUT8, OUT16, OUT32, IN8, IN16, IN32, OUT8, IN8.
        // Writes to the ports that stop the machine (reset control CF9h, port 92h, the 8042 command port, ACPI
        // PM1a_CNT 604h-605h and words/dwords reaching it) go through only one time in eight, so resets and power-offs
        // still happen a few hundred times per million operations without dominating the run.
        a.Label(ref portIo);
        a.and(ecx, 7);
        var doIo = a.CreateLabel();
        var stopPort = a.CreateLabel();
        a.cmp(ecx, 3);
        a.jb(stopPort);
        a.cmp(ecx, 6);
        a.jne(doIo);
        a.Label(ref stopPort);
        a.cmp(dx, 0xCF9); a.je(throttle);
        a.cmp(dx, 0x92); a.je(throttle);
        a.cmp(dx, 0x64); a.je(throttle);
        a.cmp(dx, 0x601); a.jb(doIo);
        a.cmp(dx, 0x605); a.jbe(throttle);
        a.jmp(doIo);
        a.Label(ref throttle);
        a.push(eax);
        a.call(rand);
        a.test(al, 7);
        a.pop(eax);
        a.jz(doIo);
        a.ret();
        a.Label(ref doIo);
        var p1 = a.CreateLabel();
        var p2 = a.CreateLabel();
        var p3 = a.CreateLabel();
        var p4 = a.CreateLabel();
        var p5 = a.CreateLabel();
        a.cmp(ecx, 1); a.je(p1);
        a.cmp(ecx, 2); a.je(p2);
        a.cmp(ecx, 3); a.je(p3);
        a.cmp(ecx, 4); a.je(p4);
        a.cmp(ecx, 5); a.je(p5);
        a.cmp(ecx, 7); a.je(p3);
        a.@out(dx, al);
        a.ret();
        a.Label(ref p1);
        a.@out(dx, ax);
        a.ret();
        a.Label(ref p2);
        a.@out(dx, eax);
        a.ret();
        a.Label(ref p3);
        a.@in(al, dx);
        a.ret();
        a.Label(ref p4);
        a.@in(ax, dx);
        a.ret();
        a.Label(ref p5);
        a.@in(eax, dx);
        a.ret();

        // Self-check after the run (and a reset): COM1 prints "ALIVE", then fw_cfg key 0 must read "QEMU".
        a.Label(ref selfCheck);
        a.mov(dx, 0x3FB); // LCR: 8N1, DLAB off
        a.mov(al, 0x03);
        a.@out(dx, al);
        foreach (char c in "ALIVE\n") { a.mov(al, (byte)c); a.call(print); }
        a.mov(dx, 0x510);
        a.xor(ax, ax);
        a.@out(dx, ax);
        a.mov(dx, 0x511);
        a.@in(al, dx);
        a.mov(bl, al);
        a.@in(al, dx);
        a.mov(bh, al);
        a.@in(al, dx);
        a.mov(cl, al);
        a.@in(al, dx);
        a.mov(ch, al);
        var bad = a.CreateLabel();
        a.cmp(bx, 0x4551); // "QE"
        a.jne(bad);
        a.cmp(cx, 0x554D); // "MU"
        a.jne(bad);
        foreach (char c in "FWCFG OK\n") { a.mov(al, (byte)c); a.call(print); }
        a.jmp(halt);
        a.Label(ref bad);
        foreach (char c in "FWCFG BAD\n") { a.mov(al, (byte)c); a.call(print); }
        a.jmp(halt);

        a.Label(ref print);
        a.mov(dx, BootSector.Com1);
        a.@out(dx, al);
        a.ret();
        return a;
    }

    /// <summary>
    /// IDE DMA: a random PRD table (four random entries in RAM at 20000h + random, or a fully random address),
    /// stop/clear the bus master, select a drive, random task file, a DMA command (READ/WRITE DMA (EXT), or PACKET with
    /// a READ(10)/READ(12)/random CDB), start the bus master in a random direction, read status back.
    /// </summary>
    private static void EmitIdeDma(Assembler a, Label rand, Label portIo, Label next)
    {
        var secondary = a.CreateLabel();
        var chosen = a.CreateLabel();
        var randomPrd = a.CreateLabel();
        var prdReady = a.CreateLabel();
        var notPacket = a.CreateLabel();
        // EDI = command block base, [0x520] = bus master base.
        a.mov(edi, 0x1F0);
        a.mov(__dword_ptr[0x520], BusMasterBase);
        a.test(ebx, 1 << 4);
        a.jz(chosen);
        a.Label(ref secondary);
        a.mov(edi, 0x170);
        a.mov(__dword_ptr[0x520], BusMasterBase + 8);
        a.Label(ref chosen);

        a.call(rand);
        a.test(ebx, 1 << 5);
        a.jnz(randomPrd);
        a.and(eax, 0xFFF8);
        a.add(eax, 0x20000);
        a.mov(__dword_ptr[0x524], eax);
        a.mov(edx, eax);
        for (int i = 0; i < 4; i++)
        {
            a.call(rand);
            a.mov(__dword_ptr[edx + i * 8], eax);     // base address
            a.call(rand);
            if (i == 3) a.or(eax, 0x8000_0000);         // EOT on the last (earlier ones random)
            a.mov(__dword_ptr[edx + i * 8 + 4], eax); // count / EOT
        }
        a.jmp(prdReady);
        a.Label(ref randomPrd);
        a.mov(__dword_ptr[0x524], eax);
        a.Label(ref prdReady);

        void Out(int offsetFromBm, int size, Action<Assembler> value, bool fromBm = true)
        {
            value(a);
            a.mov(edx, __dword_ptr[0x520]);
            if (offsetFromBm != 0) a.add(edx, offsetFromBm);
            if (size == 1) a.@out(dx, al); else if (size == 2) a.@out(dx, ax); else a.@out(dx, eax);
        }
        void OutCmd(int offset, Action<Assembler> value)
        {
            value(a);
            a.lea(edx, __[edi + offset]);
            a.@out(dx, al);
        }

        Out(0, 1, x => x.xor(eax, eax));                        // stop
        Out(2, 1, x => x.mov(al, 0x06));                        // clear interrupt / error
        Out(4, 4, x => x.mov(eax, __dword_ptr[0x524]));         // PRD table address
        OutCmd(6, x => { x.call(rand); x.and(al, 0x10); x.or(al, 0xE0); }); // drive select, LBA
        OutCmd(1, x => { x.call(rand); x.and(al, 1); });        // features (PACKET: DMA)
        for (int reg = 2; reg <= 5; reg++) OutCmd(reg, x => x.call(rand)); // count, LBA
        OutCmd(7, x =>
        {
            x.call(rand);
            x.and(eax, 7);
            x.movzx(eax, __byte_ptr[eax + unchecked((int)(BlockBase + CommandTableOffset))]);
            x.mov(__dword_ptr[0x528], eax);
        });
        a.cmp(__dword_ptr[0x528], 0xA0);
        a.jne(notPacket);
        // PACKET: six words of CDB; first byte READ(10) 28h, READ(12) A8h or random.
        a.call(rand);
        var cdbRandom = a.CreateLabel();
        a.test(eax, 0x100);
        a.jnz(cdbRandom);
        a.and(al, 0x80);
        a.or(al, 0x28);
        a.Label(ref cdbRandom);
        a.mov(edx, edi);
        a.@out(dx, ax);
        for (int i = 0; i < 5; i++)
        {
            a.call(rand);
            a.mov(edx, edi);
            a.@out(dx, ax);
        }
        a.Label(ref notPacket);
        Out(0, 1, x => { x.call(rand); x.and(al, 0x08); x.or(al, 0x01); }); // start, random direction
        a.mov(edx, __dword_ptr[0x520]);
        a.add(edx, 2);
        a.@in(al, dx);
        a.lea(edx, __[edi + 7]);
        a.@in(al, dx);
        a.jmp(next);
    }

    /// <summary>
    /// fw_cfg DMA: a descriptor (control, length, address; big-endian) at 30000h + random with random selector/flags,
    /// random length and a RAM (40000h + random) or random destination — or a fully random descriptor address — then
    /// the address written to 514h/518h, and the control word read back.
    /// </summary>
    private static void EmitFwCfgDma(Assembler a, Label rand, Label next)
    {
        var randomDescriptor = a.CreateLabel();
        var go = a.CreateLabel();
        var ramTarget = a.CreateLabel();
        var targetSet = a.CreateLabel();
        a.call(rand);
        a.test(ebx, 1 << 4);
        a.jnz(randomDescriptor);
        a.and(eax, 0xFFF0);
        a.add(eax, 0x30000);
        a.mov(edi, eax);
        a.call(rand);
        a.and(eax, 0x003F_001E);     // selector 0-3Fh, flags read/skip/select/write
        a.bswap(eax);
        a.mov(__dword_ptr[edi], eax);
        a.call(rand);
        a.test(ebx, 1 << 5);
        a.jnz(targetSet);
        a.and(eax, 0x1_FFFF);        // length up to 128 KiB
        a.Label(ref targetSet);
        a.bswap(eax);
        a.mov(__dword_ptr[edi + 4], eax);
        a.mov(__dword_ptr[edi + 8], 0); // address high
        a.call(rand);
        a.test(ebx, 1 << 6);
        a.jz(ramTarget);
        a.and(eax, 0x3_FFFF);
        a.add(eax, 0x40000);
        a.Label(ref ramTarget);
        a.bswap(eax);
        a.mov(__dword_ptr[edi + 12], eax);
        a.mov(eax, edi);
        a.jmp(go);
        a.Label(ref randomDescriptor);
        a.and(eax, 0xFFFF_FFF8);
        a.mov(edi, eax);
        a.Label(ref go);
        a.mov(dx, 0x514);
        a.xor(ecx, ecx);
        a.xchg(eax, ecx);
        a.@out(dx, eax);               // high half 0
        a.mov(eax, ecx);
        a.bswap(eax);
        a.mov(dx, 0x518);
        a.@out(dx, eax);               // low half, big-endian: starts the transfer
        a.jmp(next);
    }

    private static void Place(Assembler a, byte[] block, int offset, uint address)
    {
        var code = Assemble(a, address);
        if (offset + code.Length > BlockSize) throw new InvalidOperationException("ROM overflow");
        code.CopyTo(block, offset);
    }

    private static byte[] Assemble(Assembler a, ulong address)
    {
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }
}
