using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>
/// Guests in a test ROM that switch to flat 32-bit protected mode, enable the local APIC through its registers at
/// 0xFEE00000 and take interrupts from the APIC timer and, through the I/O APIC, from the PIT.
/// </summary>
public sealed class ApicGuestTests
{
    private const byte DebugExitPort = 0xF4;  // isa-debug-exit: a write of v exits with (v << 1) | 1
    private const uint Results = 0x500;      // guest-written results
    private const uint Ticks = 0x510;        // interrupt counter
    private const uint Apic = 0xFEE0_0000;
    private const uint IoApicBase = 0xFEC0_0000;
    private const int Code32 = 0x2000;       // ROM offsets (ROM at 0xF0000 below 1 MiB)
    private const int Handler = 0x2800;
    private const int BadHandler = 0x2A00;
    private const int Gdt = 0x3000;
    private const int GdtPointer = 0x3018;
    private const int IdtPointer = 0x3020;
    private const int Idt = 0x4000;

    /// <summary>
    /// A 64 KiB ROM: reset vector → 16-bit stub that loads a flat GDT and enters protected mode → <paramref name="main"/>
    /// (32-bit, DS/SS flat, ESP 0x8000, IDT loaded). Vector <paramref name="vector"/> counts at <see cref="Ticks"/> and
    /// sends the local APIC an EOI; every other vector exits with code 0x7F.
    /// </summary>
    private static byte[] BuildRom(Action<Assembler> main, byte vector)
    {
        var rom = new byte[0x10000];
        Array.Fill(rom, (byte)0xF4);

        var a16 = new Assembler(16);
        a16.cli();
        a16.mov(ax, 0xF000);
        a16.mov(ds, ax);
        a16.lgdt(__[GdtPointer]);
        a16.mov(eax, cr0);
        a16.or(eax, 1);
        a16.mov(cr0, eax);
        a16.db(0x66, 0xEA); // JMP FAR 0008:000F2000 with a 32-bit offset
        a16.dd(0xF0000u + Code32);
        a16.dw(0x0008);
        Place(a16, rom, 0x100);

        var a = new Assembler(32);
        a.mov(ax, 0x10);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(esp, 0x8000);
        a.lidt(__[0xF0000u + IdtPointer]);
        main(a);
        Place(a, rom, Code32);

        var h = new Assembler(32);
        h.push(eax);
        h.inc(__dword_ptr[Ticks]);
        h.mov(__dword_ptr[Apic + 0xB0], 0); // EOI
        h.pop(eax);
        h.iretd();
        Place(h, rom, Handler);

        var bad = new Assembler(32);
        bad.mov(al, 0x7F);
        bad.@out(DebugExitPort, al);
        bad.hlt();
        Place(bad, rom, BadHandler);

        // GDT: null, flat 32-bit code (0x08), flat data (0x10).
        BinaryPrimitives.WriteUInt64LittleEndian(rom.AsSpan(Gdt + 8), 0x00CF_9A00_0000_FFFFul);
        BinaryPrimitives.WriteUInt64LittleEndian(rom.AsSpan(Gdt + 16), 0x00CF_9200_0000_FFFFul);
        BinaryPrimitives.WriteUInt16LittleEndian(rom.AsSpan(GdtPointer), 23);
        BinaryPrimitives.WriteUInt32LittleEndian(rom.AsSpan(GdtPointer + 2), 0xF0000u + Gdt);
        BinaryPrimitives.WriteUInt16LittleEndian(rom.AsSpan(IdtPointer), 256 * 8 - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(rom.AsSpan(IdtPointer + 2), 0xF0000u + Idt);
        for (int v = 0; v < 256; v++)
        {
            uint target = 0xF0000u + (uint)(v == vector ? Handler : BadHandler);
            // 32-bit interrupt gate, present, DPL 0, selector 0x08.
            BinaryPrimitives.WriteUInt32LittleEndian(rom.AsSpan(Idt + 8 * v), (target & 0xFFFF) | (0x08u << 16));
            BinaryPrimitives.WriteUInt32LittleEndian(rom.AsSpan(Idt + 8 * v + 4), (target & 0xFFFF_0000) | 0x8E00);
        }

        rom[0xFFF0] = 0xEA; // JMP FAR F000:0100
        rom[0xFFF1] = 0x00;
        rom[0xFFF2] = 0x01;
        rom[0xFFF3] = 0x00;
        rom[0xFFF4] = 0xF0;
        return rom;
    }

    private static void Place(Assembler a, byte[] rom, int offset)
    {
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0xF0000ul + (ulong)offset);
        stream.ToArray().CopyTo(rom, offset);
    }

    /// <summary>STI; HLT until <paramref name="count"/> interrupts were counted; CLI.</summary>
    private static void WaitForTicks(Assembler a, int count)
    {
        var loop = a.CreateLabel();
        a.sti();
        a.Label(ref loop);
        a.hlt();
        a.cmp(__dword_ptr[Ticks], count);
        a.jb(loop);
        a.cli();
    }

    private static MachineExit Run(byte[] rom, out PcMachine machine)
    {
        using var dir = new TempDir();
        string bios = Path.Combine(dir.Path, "rom.bin");
        File.WriteAllBytes(bios, rom);
        machine = new PcMachine(new MachineConfig { RamSize = 16ul << 20, BiosPath = bios, IsaDebugExit = (DebugExitPort, 1) });
        return machine.RunUntilStop(5_000_000);
    }

    private static uint ReadU32(PcMachine m, uint address)
    {
        var b = new byte[4];
        Assert.True(m.Memory.ReadPhysical(address, b));
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    [Fact]
    public void Guest_enables_the_local_apic_and_takes_periodic_timer_interrupts()
    {
        var rom = BuildRom(a =>
        {
            a.mov(ecx, 0x1B);                                 // IA32_APIC_BASE
            a.rdmsr();
            a.mov(__dword_ptr[Results], eax);
            a.mov(eax, 1);
            a.cpuid();
            a.mov(__dword_ptr[Results + 4], edx);
            a.mov(__dword_ptr[Results + 8], ebx);
            a.mov(__dword_ptr[Apic + 0xF0], 0x1FF);           // SVR: APIC software enable, spurious vector FFh
            a.mov(__dword_ptr[Apic + 0x3E0], 0xB);            // divide by 1
            a.mov(__dword_ptr[Apic + 0x320], 0x2_0040);       // LVT timer: periodic, vector 40h
            a.mov(__dword_ptr[Apic + 0x380], 100_000);        // initial count: 100 µs at the 1 GHz bus clock
            WaitForTicks(a, 5);
            a.mov(eax, __dword_ptr[Apic + 0x100 + 0x10 * 2]); // ISR bits 64-95: vector 40h no longer in service
            a.mov(__dword_ptr[Results + 12], eax);
            a.mov(__dword_ptr[Apic + 0x380], 0);              // stop the timer
            a.mov(al, 0x21);
            a.@out(DebugExitPort, al);
            a.hlt();
        }, vector: 0x40);
        var exit = Run(rom, out var machine);
        using (machine)
        {
            Assert.Equal(new MachineExit(MachineStopReason.DebugExit, (0x21 << 1) | 1), exit);
            Assert.Equal(0xFEE0_0900u, ReadU32(machine, Results));           // base FEE00000h, enabled, BSP
            Assert.NotEqual(0u, ReadU32(machine, Results + 4) & (1u << 9));  // CPUID.1:EDX.APIC
            Assert.Equal(0u, ReadU32(machine, Results + 8) >> 24);           // initial APIC ID 0
            Assert.Equal(5u, ReadU32(machine, Ticks));
            Assert.Equal(0u, ReadU32(machine, Results + 12));
            // Five periods of 100 µs of virtual time (the guest idles in HLT in between).
            Assert.InRange(machine.Clock.Now, 500_000, 510_000);
        }
    }

    [Fact]
    public void Clearing_the_global_enable_hides_the_apic_from_cpuid_and_the_address_space()
    {
        var rom = BuildRom(a =>
        {
            a.mov(ecx, 0x1B);
            a.rdmsr();
            a.and(eax, ~0x800);                               // IA32_APIC_BASE[11] = 0: globally disabled
            a.wrmsr();
            a.mov(eax, 1);
            a.cpuid();
            a.mov(__dword_ptr[Results], edx);
            a.mov(eax, __dword_ptr[Apic + 0x30]);             // version register, now unmapped
            a.mov(__dword_ptr[Results + 4], eax);
            a.mov(ecx, 0x1B);
            a.mov(eax, 0xFED0_0800);                          // re-enable, relocated to 0xFED00000
            a.xor(edx, edx);
            a.wrmsr();
            a.mov(eax, __dword_ptr[0xFED0_0000 + 0x30]);
            a.mov(__dword_ptr[Results + 8], eax);
            a.mov(ecx, 0x1B);
            a.rdmsr();
            a.mov(__dword_ptr[Results + 12], eax);
            a.mov(ecx, 0x1B);
            a.mov(eax, 0xFEE0_0C00);                          // bit 10 (x2APIC enable) is reserved here: #GP → vector 13
            a.wrmsr();
            a.mov(al, 0x23);
            a.@out(DebugExitPort, al);
            a.hlt();
        }, vector: 0x40);
        var exit = Run(rom, out var machine);
        using (machine)
        {
            Assert.Equal(new MachineExit(MachineStopReason.DebugExit, (0x7F << 1) | 1), exit); // the #GP handler
            Assert.Equal(0u, ReadU32(machine, Results) & (1u << 9));       // CPUID.1:EDX.APIC cleared (SDM §11.4.3)
            Assert.Equal(0xFFFF_FFFFu, ReadU32(machine, Results + 4));     // nothing decodes FEE00030h
            Assert.Equal(0x14u, ReadU32(machine, Results + 8) & 0xFF);     // version register at the new base
            Assert.Equal(0xFED0_0900u, ReadU32(machine, Results + 12));    // BSP kept
        }
    }

    [Fact]
    public void Pit_irq0_reaches_the_cpu_through_io_apic_pin_2()
    {
        var rom = BuildRom(a =>
        {
            a.mov(al, 0xFF);                                  // mask both 8259s: only the I/O APIC path remains
            a.@out(0x21, al);
            a.@out(0xA1, al);
            a.mov(__dword_ptr[Apic + 0xF0], 0x1FF);
            a.mov(__dword_ptr[IoApicBase], 0x15);             // IOREDTBL2 high: destination APIC 0
            a.mov(__dword_ptr[IoApicBase + 0x10], 0);
            a.mov(__dword_ptr[IoApicBase], 0x14);             // IOREDTBL2 low: fixed, physical, edge, vector 30h
            a.mov(__dword_ptr[IoApicBase + 0x10], 0x30);
            a.mov(al, 0x34);                                  // PIT channel 0, lobyte/hibyte, mode 2
            a.@out(0x43, al);
            a.mov(al, 1193 & 0xFF);                           // ~1 kHz
            a.@out(0x40, al);
            a.mov(al, 1193 >> 8);
            a.@out(0x40, al);
            WaitForTicks(a, 3);
            a.mov(al, 0x22);
            a.@out(DebugExitPort, al);
            a.hlt();
        }, vector: 0x30);
        var exit = Run(rom, out var machine);
        using (machine)
        {
            Assert.Equal(new MachineExit(MachineStopReason.DebugExit, (0x22 << 1) | 1), exit);
            Assert.Equal(3u, ReadU32(machine, Ticks));
            // The mode-2 control word drives OUT high (the first edge, at once), then one rising edge per period of
            // 1193 / 1.193182 MHz ≈ 1 ms: the third interrupt comes after two periods.
            Assert.InRange(machine.Clock.Now, 1_990_000, 2_100_000);
        }
    }
}
