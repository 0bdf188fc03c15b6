using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>
/// A 64 KiB test BIOS (not SeaBIOS): programs the 8259 (IRQ0 → vector 8) and the 8254 (channel 0, mode 2, ~1 kHz),
/// installs an IRQ0 handler that only acknowledges, then counts forever: each PIT tick it prints the counter as
/// four hex digits and a newline on COM1. The output depends on RAM, registers, PIC/PIT state and virtual time.
/// </summary>
public static class MiniBios
{
    private const int HandlerOffset = 0x0000;
    private const int EntryOffset = 0x0100;
    public const ushort PitDivisor = 1193; // 1.193182 MHz / 1193 ≈ 1 kHz

    public static byte[] CounterRom()
    {
        var rom = new byte[0x10000];
        for (int i = 0; i < rom.Length; i++) rom[i] = 0xF4; // HLT everywhere else

        // IRQ0 handler at F000:0000: non-specific EOI, IRET.
        var h = new Assembler(16);
        h.push(ax);
        h.mov(al, 0x20);
        h.@out(0x20, al);
        h.pop(ax);
        h.iret();
        Assemble(h, rom, HandlerOffset);

        var a = new Assembler(16);
        var loop = a.CreateLabel();
        var digit = a.CreateLabel();
        var hex = a.CreateLabel();
        var send = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(ss, ax);
        a.mov(sp, 0x7000);
        // IVT entry 8 (IRQ0) → F000:HandlerOffset.
        a.mov(__word_ptr[8 * 4], HandlerOffset);
        a.mov(__word_ptr[8 * 4 + 2], 0xF000);
        // 8259A master: ICW1 (edge, cascade, ICW4), ICW2 vector base 8, ICW3 slave on IR2, ICW4 8086 mode; mask all but IRQ0.
        foreach (var (port, value) in new (byte, byte)[] { (0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE) })
        {
            a.mov(al, value);
            a.@out(port, al);
        }
        // 8254 channel 0: lobyte/hibyte, mode 2 (rate generator).
        a.mov(al, 0x34);
        a.@out(0x43, al);
        a.mov(al, (byte)(PitDivisor & 0xFF));
        a.@out(0x40, al);
        a.mov(al, (byte)(PitDivisor >> 8));
        a.@out(0x40, al);
        a.sti();
        a.xor(si, si);
        a.Label(ref loop);
        a.mov(cx, 4);
        a.mov(bx, si);
        a.Label(ref digit);
        a.rol(bx, 4);
        a.mov(al, bl);
        a.and(al, 0x0F);
        a.call(hex);
        a.loop(digit);
        a.mov(al, (byte)'\n');
        a.call(send);
        a.inc(si);
        a.hlt();
        a.jmp(loop);
        a.Label(ref hex);
        a.add(al, (byte)'0');
        a.cmp(al, (byte)'9');
        a.jbe(send);
        a.add(al, 7);
        a.Label(ref send);
        a.mov(dx, BootSector.Com1);
        a.@out(dx, al);
        a.ret();
        Assemble(a, rom, EntryOffset);

        // Reset vector at F000:FFF0: JMP FAR F000:EntryOffset.
        rom[0xFFF0] = 0xEA;
        rom[0xFFF1] = EntryOffset & 0xFF;
        rom[0xFFF2] = EntryOffset >> 8;
        rom[0xFFF3] = 0x00;
        rom[0xFFF4] = 0xF0;
        return rom;
    }

    /// <summary>A 64 KiB ROM whose reset vector jumps to the 16-bit code <paramref name="build"/> emits at F000:0100.</summary>
    public static byte[] Rom(Action<Assembler> build)
    {
        var rom = new byte[0x10000];
        for (int i = 0; i < rom.Length; i++) rom[i] = 0xF4;
        var a = new Assembler(16);
        build(a);
        Assemble(a, rom, EntryOffset);
        rom[0xFFF0] = 0xEA;
        rom[0xFFF1] = EntryOffset & 0xFF;
        rom[0xFFF2] = EntryOffset >> 8;
        rom[0xFFF3] = 0x00;
        rom[0xFFF4] = 0xF0;
        return rom;
    }

    private static void Assemble(Assembler a, byte[] rom, int offset)
    {
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0xF0000ul + (ulong)offset);
        stream.ToArray().CopyTo(rom, offset);
    }
}
