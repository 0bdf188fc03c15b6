using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>Boot sectors for the tests, assembled with Iced (loaded by the BIOS at 0000:7C00, real mode).</summary>
public static class BootSector
{
    public const ushort Com1 = 0x3F8;
    public const ushort DebugExitPort = 0xF4;

    /// <summary>
    /// Prints <paramref name="message"/> through INT 10h AH=0Eh (teletype) and to COM1's transmit register, then
    /// writes <paramref name="exitValue"/> to isa-debug-exit at 0xF4.
    /// </summary>
    public static byte[] PrintAndExit(string message, byte exitValue)
    {
        var a = new Assembler(16);
        var print = a.CreateLabel();
        var halt = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(ss, ax);
        a.mov(sp, 0x7C00);
        a.sti();
        foreach (char c in message)
        {
            a.mov(al, (byte)c);
            a.call(print);
        }
        a.mov(dx, DebugExitPort);
        a.mov(al, exitValue);
        a.@out(dx, al);
        a.Label(ref halt);
        a.hlt();
        a.jmp(halt);

        // print: AL = character; to the screen through the BIOS and to COM1.
        a.Label(ref print);
        a.push(ax);
        a.push(bx);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.pop(bx);
        a.pop(ax);
        a.mov(dx, Com1);
        a.@out(dx, al);
        a.ret();
        return Finish(a);
    }

    /// <summary>
    /// Counts forever: prints the counter as four hex digits and a newline to COM1, then waits for the next PIT tick
    /// (HLT with interrupts on), so the output depends on the guest's state and its virtual time.
    /// </summary>
    public static byte[] CountForever()
    {
        var a = new Assembler(16);
        var loop = a.CreateLabel();
        var digit = a.CreateLabel();
        var hex = a.CreateLabel();
        var send = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(ss, ax);
        a.mov(sp, 0x7C00);
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

        // hex: AL = 0..15 → '0'..'9', 'A'..'F', sent to COM1.
        a.Label(ref hex);
        a.add(al, (byte)'0');
        a.cmp(al, (byte)'9');
        a.jbe(send);
        a.add(al, 7);
        a.Label(ref send);
        a.mov(dx, Com1);
        a.@out(dx, al);
        a.ret();
        return Finish(a);
    }

    private static byte[] Finish(Assembler a)
    {
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0x7C00);
        var code = stream.ToArray();
        if (code.Length > 510) throw new InvalidOperationException("boot sector code is larger than 510 bytes");
        var sector = new byte[512];
        code.CopyTo(sector, 0);
        sector[510] = 0x55;
        sector[511] = 0xAA;
        return sector;
    }

    /// <summary>Writes a raw disk image of <paramref name="sectors"/> sectors with <paramref name="bootSector"/> first.</summary>
    public static string WriteImage(string directory, byte[] bootSector, int sectors = 2048, string name = "disk.raw")
    {
        string path = Path.Combine(directory, name);
        var image = new byte[sectors * 512];
        bootSector.CopyTo(image, 0);
        File.WriteAllBytes(path, image);
        return path;
    }
}
