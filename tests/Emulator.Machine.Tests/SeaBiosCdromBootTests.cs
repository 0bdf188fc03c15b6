using System.Text;
using Iced.Intel;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests;

/// <summary>
/// SeaBIOS boots an El Torito "no emulation" CD from the ATAPI drive on the secondary master; the boot code reads
/// the disc through INT 13h extensions (AH=42h) with the drive number the BIOS gave it in DL.
/// </summary>
public sealed class SeaBiosCdromBootTests(ITestOutputHelper output)
{
    private const long BootBudget = 80_000_000;
    private const byte ExitOk = 0x10;
    private const byte ExitFail = 0x11;
    private const ushort BufferAddress = 0x9000;
    private const ushort DriveAddress = 0x0600;  // variables in free low memory
    private const ushort DapAddress = 0x0610;
    private const int TagOffset = 0x700;        // DataTag's copy inside the boot image (at 0x7C00 + TagOffset)
    private const int BootImageBytes = 2048;   // four 512-byte virtual sectors
    private const uint TailMarker = 0x4C494154; // "TAIL" at the end of the boot image: proves the sector count was honoured
    private const string DataTag = "EMU CD SECTOR #1"; // 16 bytes at the start of the data file's second sector

    /// <summary>The data file: two 2048-byte sectors; the second starts with <see cref="DataTag"/> and continues with (i * 7 + 3) mod 256.</summary>
    private static byte[] DataFile()
    {
        var data = new byte[2 * IsoImageBuilder.SectorSize];
        Encoding.ASCII.GetBytes("EMU CD SECTOR #0").CopyTo(data, 0);
        for (int i = 16; i < IsoImageBuilder.SectorSize; i++) data[i] = 0xEE;
        var second = data.AsSpan(IsoImageBuilder.SectorSize);
        Encoding.ASCII.GetBytes(DataTag).CopyTo(second);
        for (int i = 16; i < IsoImageBuilder.SectorSize; i++) second[i] = (byte)(i * 7 + 3);
        return data;
    }

    /// <summary>
    /// The boot image (loaded by the BIOS at 07C0:0000): normalises CS:IP to 0000:7C05, checks the tail marker,
    /// INT 13h AH=41h (extensions present), then AH=42h reads of the primary volume descriptor (LBA 16, "CD001")
    /// and of the data file's second sector (compared byte by byte), printing progress on COM1.
    /// Exit 0x10 on success; on failure prints "FAIL " and a stage letter and exits 0x11.
    /// </summary>
    private static byte[] BootImage(uint dataLba)
    {
        var a = new Assembler(16);
        var fail = a.CreateLabel();
        var print = a.CreateLabel();
        var hexByte = a.CreateLabel();
        var hexNibble = a.CreateLabel();
        var read = a.CreateLabel();
        var cmpLoop = a.CreateLabel();
        var halt = a.CreateLabel();

        a.db(0xEA, 0x05, 0x7C, 0x00, 0x00); // JMP FAR 0000:7C05 (the BIOS may enter at 07C0:0000)
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, 0x7C00);
        a.sti();
        a.cld();
        a.mov(__byte_ptr[DriveAddress], dl);

        // "DL=xx\r\n"
        foreach (char c in "DL=") { a.mov(al, (byte)c); a.call(print); }
        a.mov(al, dl);
        a.call(hexByte);
        foreach (char c in "\r\n") { a.mov(al, (byte)c); a.call(print); }

        // Stage A: the whole boot image was loaded (the last dword of the fourth virtual sector).
        a.mov(bl, (byte)'A');
        a.cmp(__dword_ptr[0x7C00 + BootImageBytes - 4], TailMarker);
        a.jne(fail);

        // Stage B: INT 13h AH=41h: extensions installed (CF clear, BX = AA55h).
        a.mov(ah, 0x41);
        a.mov(bx, 0x55AA);
        a.mov(dl, __byte_ptr[DriveAddress]);
        a.@int(0x13);
        var extensionsOk = a.CreateLabel();
        var noExtensions = a.CreateLabel();
        a.jc(noExtensions);
        a.cmp(bx, 0xAA55);
        a.je(extensionsOk);
        a.Label(ref noExtensions);
        a.mov(bl, (byte)'B');
        a.jmp(fail);
        a.Label(ref extensionsOk);

        // Stage C: read LBA 16 (the primary volume descriptor): type 1, "CD001".
        a.mov(eax, 16);
        a.mov(bl, (byte)'C');
        a.call(read);
        a.cmp(__byte_ptr[BufferAddress], 1);
        a.jne(fail);
        a.cmp(__dword_ptr[BufferAddress + 1], 0x30304443); // "CD00"
        a.jne(fail);
        a.cmp(__byte_ptr[BufferAddress + 5], (byte)'1');
        a.jne(fail);

        // Stage D: read the data file's second sector and compare all 2048 bytes.
        a.mov(eax, dataLba + 1);
        a.mov(bl, (byte)'D');
        a.call(read);
        a.mov(si, BufferAddress);
        a.xor(cx, cx);
        a.Label(ref cmpLoop);
        // expected = i < 16 ? tag[i] : (i * 7 + 3) & 0xFF
        a.cmp(cx, 16);
        var pattern = a.CreateLabel();
        var compare = a.CreateLabel();
        a.jae(pattern);
        a.mov(di, cx);
        a.mov(al, __byte_ptr[di + 0x7C00 + TagOffset]);
        a.jmp(compare);
        a.Label(ref pattern);
        a.mov(ax, cx);
        a.mov(dx, 7);
        a.mul(dx);
        a.add(al, 3);
        a.Label(ref compare);
        a.cmp(al, __byte_ptr[si]);
        a.mov(bl, (byte)'E');
        a.jne(fail);
        a.inc(si);
        a.inc(cx);
        a.cmp(cx, IsoImageBuilder.SectorSize);
        a.jb(cmpLoop);

        foreach (char c in "CD OK\r\n") { a.mov(al, (byte)c); a.call(print); }
        a.mov(dx, BootSector.DebugExitPort);
        a.mov(al, ExitOk);
        a.@out(dx, al);
        a.Label(ref halt);
        a.hlt();
        a.jmp(halt);

        // fail: BL = stage letter.
        a.Label(ref fail);
        foreach (char c in "FAIL ") { a.mov(al, (byte)c); a.call(print); }
        a.mov(al, bl);
        a.call(print);
        foreach (char c in "\r\n") { a.mov(al, (byte)c); a.call(print); }
        a.mov(dx, BootSector.DebugExitPort);
        a.mov(al, ExitFail);
        a.@out(dx, al);
        a.jmp(halt);

        // read: EAX = LBA (2048-byte sectors) → one sector at 0000:9000 through INT 13h AH=42h; BL = stage letter for failures.
        a.Label(ref read);
        a.mov(__byte_ptr[DapAddress], 0x10);      // packet size
        a.mov(__byte_ptr[DapAddress + 1], 0);
        a.mov(__word_ptr[DapAddress + 2], 1);     // blocks
        a.mov(__word_ptr[DapAddress + 4], BufferAddress); // buffer offset
        a.mov(__word_ptr[DapAddress + 6], 0);     // buffer segment
        a.mov(__dword_ptr[DapAddress + 8], eax);  // LBA low
        a.mov(__dword_ptr[DapAddress + 12], 0);   // LBA high
        a.mov(si, DapAddress);
        a.mov(dl, __byte_ptr[DriveAddress]);
        a.mov(ah, 0x42);
        a.push(bx);
        a.@int(0x13);
        a.pop(bx);
        a.jc(fail);
        a.test(ah, ah);
        a.jnz(fail);
        a.cmp(__word_ptr[DapAddress + 2], 1); // blocks transferred
        a.jne(fail);
        a.ret();

        // print: AL → COM1.
        a.Label(ref print);
        a.push(dx);
        a.mov(dx, BootSector.Com1);
        a.@out(dx, al);
        a.pop(dx);
        a.ret();

        // hexByte: AL → two hex digits.
        a.Label(ref hexByte);
        a.push(ax);
        a.shr(al, 4);
        a.call(hexNibble);
        a.pop(ax);
        a.and(al, 0x0F);
        a.Label(ref hexNibble);
        a.and(al, 0x0F);
        a.add(al, (byte)'0');
        a.cmp(al, (byte)'9');
        var digit = a.CreateLabel();
        a.jbe(digit);
        a.add(al, 7);
        a.Label(ref digit);
        a.jmp(print);


        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0x7C00);
        var code = stream.ToArray();
        if (code.Length > TagOffset) throw new InvalidOperationException("boot code too large");
        var image = new byte[BootImageBytes];
        code.CopyTo(image, 0);
        Encoding.ASCII.GetBytes(DataTag).CopyTo(image, TagOffset);
        BitConverter.GetBytes(TailMarker).CopyTo(image, BootImageBytes - 4);
        return image;
    }

    [SeaBiosFact]
    public void SeaBios_boots_an_el_torito_no_emulation_cd_and_reads_it_through_int13_extensions()
    {
        using var dir = new TempDir();
        var iso = new IsoImageBuilder { LoadSegment = 0x7C0, VirtualSectorCount = BootImageBytes / 512 };
        iso.AddFile("DATA.BIN", DataFile());
        uint dataLba = (uint)iso.FileLba(0);
        iso.SetBootImage(BootImage(dataLba));
        string isoPath = Path.Combine(dir.Path, "boot.iso");
        File.WriteAllBytes(isoPath, iso.Build());

        var debugcon = new StringBuilder();
        var serial = new CaptureSerial();
        var config = new MachineConfig
        {
            RamSize = 64ul << 20,
            BiosPath = Firmware.BiosPath,
            Serial = serial,
            DebugConsole = b => debugcon.Append((char)b),
            IsaDebugExit = (BootSector.DebugExitPort, 4),
            BootOrder = "d",
            RtcStart = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        config.Drives.Add(new DriveConfig { Path = isoPath, Index = 2, Media = DriveMedia.Cdrom }); // -cdrom: secondary master
        using var machine = new PcMachine(config);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var exit = machine.RunUntilStop(BootBudget);
        string log = debugcon.ToString();
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s, exit {exit}, retired {machine.Cpu.Retired}");
        output.WriteLine("serial: " + serial.Text);
        output.WriteLine(string.Join("\n", log.Split('\n').TakeLast(30)));

        // SeaBIOS found the ATAPI drive on ata1 master (its "ataN-M: <model> ATAPI-<n> DVD/CD" line) and booted it.
        Assert.Matches(@"ata1-0: .+ ATAPI-\d+ (DVD/CD|CD-Rom)", log);
        Assert.Contains("Booting from DVD/CD", log);
        Assert.Contains("CD OK", serial.Text);
        // The boot drive is a CD number from SeaBIOS's extended range (E0h and up for CD-ROMs).
        var dl = System.Text.RegularExpressions.Regex.Match(serial.Text, "DL=([0-9A-F]{2})");
        Assert.True(dl.Success, serial.Text);
        Assert.True(Convert.ToByte(dl.Groups[1].Value, 16) >= 0x80, "the CD's drive number is a hard-disk-range number");
        Assert.Equal(new MachineExit(MachineStopReason.DebugExit, (ExitOk << 1) | 1), exit);
    }

    [Fact]
    public void The_boot_catalog_validation_entry_sums_to_zero_and_carries_the_key_bytes()
    {
        var iso = new IsoImageBuilder { VirtualSectorCount = 4 }.SetBootImage(new byte[2048]).Build();
        // Boot record volume descriptor at sector 17: "EL TORITO SPECIFICATION", catalog pointer at 0x47.
        var brvd = iso.AsSpan(17 * 2048, 2048);
        Assert.Equal(0, brvd[0]);
        Assert.Equal("CD001", Encoding.ASCII.GetString(brvd.Slice(1, 5)));
        Assert.Equal("EL TORITO SPECIFICATION", Encoding.ASCII.GetString(brvd.Slice(7, 23)));
        int catalog = BitConverter.ToInt32(iso, 17 * 2048 + 0x47);
        var v = iso.AsSpan(catalog * 2048, 64);
        int sum = 0;
        for (int i = 0; i < 32; i += 2) sum += BitConverter.ToUInt16(v.Slice(i, 2));
        Assert.Equal(0, sum & 0xFFFF);
        Assert.Equal(0x55, v[30]);
        Assert.Equal(0xAA, v[31]);
        Assert.Equal(0x88, v[32]);
        Assert.Equal(0, v[33]); // no emulation
        Assert.Equal(0x7C0, BitConverter.ToUInt16(v.Slice(34, 2)));
        Assert.Equal(4, BitConverter.ToUInt16(v.Slice(38, 2)));
        Assert.Equal(IsoImageBuilder.BootImageLba, BitConverter.ToInt32(v.Slice(40, 4)));
        // Terminator at 18.
        Assert.Equal(255, iso[18 * 2048]);
    }
}
