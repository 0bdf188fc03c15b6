using Emulator.Devices;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>
/// <see cref="AnsiTextRenderer"/> against a real <see cref="VgaDevice"/> programmed through its ports, its output
/// replayed on <see cref="AnsiTerminalModel"/> and compared with what the VGA memory holds.
/// </summary>
public sealed class AnsiTextRendererTests
{
    // Mode 03h (80 × 25 colour text) register values, IBM VGA technical reference / FreeVGA mode tables.
    private static readonly byte[] Seq = [0x03, 0x00, 0x03, 0x00, 0x02];
    private static readonly byte[] Crtc =
    [
        0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
        0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
    ];
    private static readonly byte[] Gc = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF];
    private static readonly byte[] Ac =
    [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
        0x0C, 0x00, 0x0F, 0x08, 0x00,
    ];

    // Code page 437 to Unicode for the glyphs the tests write (Unicode's cp437 mapping, IBM's glyph chart).
    private static readonly Dictionary<byte, char> Cp437 = new()
    {
        [0x00] = ' ', [0x01] = '\u263A', [0x03] = '\u2665', [0xB0] = '\u2591', [0xC9] = '\u2554', [0xCD] = '\u2550',
        [0xBB] = '\u2557', [0xDB] = '\u2588', [0x82] = '\u00E9', [0xE1] = '\u00DF',
    };

    private static VgaDevice TextModeVga()
    {
        var vga = new VgaDevice();
        vga.WriteByte(VgaDevice.PortMiscOutputWrite, 0x67);
        for (int i = 0; i < Seq.Length; i++) Out(vga, VgaDevice.PortSequencerAddress, i, Seq[i]);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x11, 0x0E); // clear the CRTC 0–7 write protect first
        for (int i = 0; i < Crtc.Length; i++) Out(vga, VgaDevice.PortCrtcAddressColor, i, Crtc[i]);
        for (int i = 0; i < Gc.Length; i++) Out(vga, VgaDevice.PortGraphicsAddress, i, Gc[i]);
        vga.ReadByte(VgaDevice.PortInputStatus1Color); // attribute flip-flop to "index"
        for (int i = 0; i < Ac.Length; i++)
        {
            vga.WriteByte(VgaDevice.PortAttributeAddress, (byte)i);
            vga.WriteByte(VgaDevice.PortAttributeAddress, Ac[i]);
        }
        vga.WriteByte(VgaDevice.PortAttributeAddress, 0x20); // PAS: palette loaded, display on
        return vga;
    }

    private static void Out(VgaDevice vga, ushort indexPort, int index, byte value)
    {
        vga.WriteByte(indexPort, (byte)index);
        vga.WriteByte((ushort)(indexPort + 1), value);
    }

    /// <summary>Writes a character and attribute at B800:(row × 80 + column) × 2 through the legacy window.</summary>
    private static void Poke(VgaDevice vga, int cell, byte ch, byte attribute)
    {
        vga.LegacyWindow.Write(0x18000 + (ulong)cell * 2, 1, ch);
        vga.LegacyWindow.Write(0x18000 + (ulong)cell * 2 + 1, 1, attribute);
    }

    private static void SetCursor(VgaDevice vga, int address)
    {
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x0E, (byte)(address >> 8));
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x0F, (byte)address);
    }

    private static (AnsiTerminalModel Model, StringWriter Writer, AnsiTextRenderer Renderer) Terminal(int columns = 100, int rows = 40)
    {
        var w = new StringWriter();
        return (new AnsiTerminalModel(columns, rows), w, new AnsiTextRenderer(w));
    }

    private static string Take(StringWriter w)
    {
        string s = w.ToString();
        w.GetStringBuilder().Clear();
        return s;
    }

    /// <summary>Every cell of a <paramref name="columns"/> × 25 screen starting at cell <paramref name="start"/> of memory matches the model.</summary>
    private static void AssertScreenMatches(AnsiTerminalModel model, Dictionary<int, (byte Ch, byte Attr)> memory, int columns, int start, int stride)
    {
        for (int r = 0; r < 25; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var (ch, attr) = memory.TryGetValue(start + r * stride + c, out var v) ? v : ((byte)0, (byte)0);
                char expected = ch is >= 0x20 and < 0x7F ? (char)ch : Cp437[ch];
                Assert.True(expected == model.Char(r, c), $"cell {r},{c}: expected '{expected}', terminal shows '{model.Char(r, c)}'");
                // VGA attribute: bits 0–3 foreground, 4–7 background (bit 7, blink, shown as a bright background).
                Assert.Equal((attr & 0x0F, attr >> 4), model.Colors(r, c));
            }
        }
    }

    [Fact]
    public void Text_mode_80x25_is_drawn_with_its_characters_colours_and_cursor()
    {
        var vga = TextModeVga();
        var memory = new Dictionary<int, (byte, byte)>();
        void Put(int cell, byte ch, byte attr)
        {
            Poke(vga, cell, ch, attr);
            memory[cell] = (ch, attr);
        }
        // Clear the screen to grey on black, as a BIOS does, then write text in several colours.
        for (int i = 0; i < 80 * 25; i++) Put(i, (byte)' ', 0x07);
        int k = 0;
        foreach (char ch in "Hello, VGA!") Put(k++, (byte)ch, 0x1F);        // white on blue
        byte[] box = [0xC9, 0xCD, 0xBB, 0xB0, 0xDB, 0x01, 0x03, 0x82, 0xE1, 0x00];
        for (int i = 0; i < box.Length; i++) Put(80 + i, box[i], (byte)(0x40 | i)); // colours 0–9 on red
        Put(2 * 80 + 5, (byte)'Z', 0xCE);                                       // yellow on blinking/bright red
        Put(24 * 80 + 79, (byte)'!', 0x70);                                     // last cell: black on grey
        SetCursor(vga, 3 * 80 + 7);

        var (model, w, renderer) = Terminal();
        renderer.Enter();
        renderer.Render(vga);
        model.Feed(Take(w));

        Assert.True(model.AlternateScreen);
        Assert.StartsWith("Hello, VGA!", model.RowText(0));
        AssertScreenMatches(model, memory, 80, 0, 80);
        // Nothing beyond the 80 × 25 screen is drawn.
        Assert.Equal(new string(' ', 20), model.RowText(0)[80..]);
        Assert.Equal(new string(' ', 100), model.RowText(25));
        Assert.True(model.CursorVisible);
        Assert.Equal((3, 7), (model.CursorRow, model.CursorColumn));

        renderer.Leave();
        model.Feed(Take(w));
        Assert.False(model.AlternateScreen);
        Assert.True(model.CursorVisible);
    }

    [Fact]
    public void Only_changed_cells_are_redrawn_and_the_cursor_follows_the_crtc()
    {
        var vga = TextModeVga();
        var memory = new Dictionary<int, (byte, byte)>();
        for (int i = 0; i < 80 * 25; i++)
        {
            Poke(vga, i, (byte)('a' + i % 26), 0x07);
            memory[i] = ((byte)('a' + i % 26), 0x07);
        }
        var (model, w, renderer) = Terminal();
        renderer.Enter();
        renderer.Render(vga);
        model.Feed(Take(w));
        Assert.Equal(80 * 25, model.Printed);

        renderer.Render(vga);
        model.Feed(Take(w));
        Assert.Equal(0, model.Printed); // nothing changed, nothing sent

        Poke(vga, 10 * 80 + 40, (byte)'#', 0x2E);
        memory[10 * 80 + 40] = ((byte)'#', 0x2E);
        Poke(vga, 10 * 80 + 41, (byte)'$', 0x2E);
        memory[10 * 80 + 41] = ((byte)'$', 0x2E);
        SetCursor(vga, 12 * 80);
        renderer.Render(vga);
        model.Feed(Take(w));
        Assert.Equal(2, model.Printed);
        AssertScreenMatches(model, memory, 80, 0, 80);
        Assert.Equal((12, 0), (model.CursorRow, model.CursorColumn));

        // CRTC cursor start register bit 5: cursor off.
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x0A, 0x20);
        renderer.Render(vga);
        model.Feed(Take(w));
        Assert.False(model.CursorVisible);
    }

    [Fact]
    public void Forty_column_mode_and_the_start_address_come_from_the_crtc()
    {
        var vga = TextModeVga();
        // 40 columns: horizontal display end 27h, offset 14h (40 words a row); start address 40 (the second row).
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x11, 0x0E); // CRTC 11h bit 7 (protect registers 0–7) off
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x01, 0x27);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x13, 0x14);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x0C, 0x00);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x0D, 40);
        var memory = new Dictionary<int, (byte, byte)>();
        for (int i = 0; i < 40 * 27; i++)
        {
            byte ch = (byte)('0' + (i / 40) % 10);
            byte attr = (byte)(i % 16 == 0 ? 0x0A : 0x1F);
            Poke(vga, i, ch, attr);
            memory[i] = (ch, attr);
        }
        SetCursor(vga, 40 + 40 * 2 + 3); // row 2 of the shown screen, column 3
        var (model, w, renderer) = Terminal();
        renderer.Enter();
        renderer.Render(vga);
        model.Feed(Take(w));
        AssertScreenMatches(model, memory, 40, 40, 40);
        Assert.Equal(new string(' ', 60), model.RowText(0)[40..]);
        Assert.Equal((2, 3), (model.CursorRow, model.CursorColumn));
    }

    [Fact]
    public void A_graphics_mode_shows_a_one_line_notice()
    {
        var vga = TextModeVga();
        var (model, w, renderer) = Terminal();
        renderer.Enter();
        renderer.Render(vga);
        model.Feed(Take(w));
        // Bochs VBE (index port 1CEh, data 1CFh): 640 × 480 × 32, enabled.
        void Vbe(int index, ushort value)
        {
            vga.Write(VgaDevice.PortVbeIndex, 2, (uint)index);
            vga.Write(VgaDevice.PortVbeData, 2, value);
        }
        Vbe(VgaDevice.VbeXres, 640);
        Vbe(VgaDevice.VbeYres, 480);
        Vbe(VgaDevice.VbeBpp, 32);
        Vbe(VgaDevice.VbeEnable, VgaDevice.VbeEnableEnabled);
        renderer.Render(vga);
        model.Feed(Take(w));
        Assert.Equal("Graphic mode 640x480", model.RowText(0).TrimEnd());
        Assert.All(Enumerable.Range(1, model.Rows - 1), r => Assert.Equal(new string(' ', model.Columns), model.RowText(r)));
        Assert.False(model.CursorVisible);

        // Mode 12h-like planar graphics (GC 6 bit 0 set; CRTC as in mode 12h: 640 × 480).
        Vbe(VgaDevice.VbeEnable, 0);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x11, 0x0E);
        Out(vga, VgaDevice.PortGraphicsAddress, 0x06, 0x05);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x07, 0x3E);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x09, 0x40);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x12, 0xDF);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x17, 0xE3);
        renderer.Render(vga);
        model.Feed(Take(w));
        Assert.Equal("Graphic mode 640x480", model.RowText(0).TrimEnd());

        // Back to text: the whole screen is drawn again.
        Out(vga, VgaDevice.PortGraphicsAddress, 0x06, 0x0E);
        for (int i = 0; i < Crtc.Length; i++) Out(vga, VgaDevice.PortCrtcAddressColor, i, Crtc[i]);
        Poke(vga, 0, (byte)'T', 0x07);
        renderer.Render(vga);
        model.Feed(Take(w));
        Assert.Equal('T', model.Char(0, 0));
        Assert.Equal(' ', model.Char(0, 1));
    }

    [Fact]
    public void Hostile_crtc_values_are_clipped_and_never_throw()
    {
        var vga = TextModeVga();
        // 256 columns, 1024 display lines of one-line characters, offset 0, cursor and start address at the top of memory.
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x11, 0x0E);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x01, 0xFF);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x07, 0xFF);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x09, 0x00);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x12, 0xFF);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x13, 0x00);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x0C, 0xFF);
        Out(vga, VgaDevice.PortCrtcAddressColor, 0x0D, 0xFF);
        SetCursor(vga, 0xFFFF);
        var w = new StringWriter();
        var renderer = new AnsiTextRenderer(w, terminalColumns: 120, terminalRows: 50);
        renderer.Render(vga);
        var model = new AnsiTerminalModel(120, 50);
        model.Feed(w.ToString());
        Assert.Equal(120 * 50, model.Printed);

        w.GetStringBuilder().Clear();
        var unclipped = new AnsiTextRenderer(w);
        unclipped.Render(vga);
        var big = new AnsiTerminalModel(AnsiTextRenderer.MaxColumns, AnsiTextRenderer.MaxRows);
        big.Feed(w.ToString());
        Assert.Equal(AnsiTextRenderer.MaxColumns * AnsiTextRenderer.MaxRows, big.Printed);
    }
    [Fact]
    public void Rendering_while_another_thread_reprograms_the_vga_never_throws()
    {
        var vga = TextModeVga();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
        var guest = Task.Run(() =>
        {
            var rng = new Random(1234);
            Out(vga, VgaDevice.PortCrtcAddressColor, 0x11, 0x0E);
            while (!stop.IsCancellationRequested)
            {
                // Random CRTC/GC/VBE values and text writes, as a hostile guest might make them.
                Out(vga, VgaDevice.PortCrtcAddressColor, rng.Next(0x19), (byte)rng.Next(256));
                if (rng.Next(8) == 0) Out(vga, VgaDevice.PortGraphicsAddress, 0x06, (byte)(rng.Next(2) == 0 ? 0x0E : 0x05));
                if (rng.Next(32) == 0)
                {
                    vga.Write(VgaDevice.PortVbeIndex, 2, VgaDevice.VbeEnable);
                    vga.Write(VgaDevice.PortVbeData, 2, (uint)rng.Next(2));
                }
                Poke(vga, rng.Next(0x4000), (byte)rng.Next(256), (byte)rng.Next(256));
            }
        });
        var renderer = new AnsiTextRenderer(TextWriter.Null);
        int frames = 0;
        while (!guest.IsCompleted)
        {
            renderer.Render(vga);
            frames++;
        }
        Assert.True(guest.IsCompletedSuccessfully);
        Assert.True(frames > 1);
    }
}
