using System.Text;
using Emulator.Devices;
using Xunit;

namespace Emulator.Cli.Tests;

/// <summary>
/// Terminal input bytes to PS/2 scan code set 1 bytes. Expected codes: the IBM PC AT technical reference's set 1 table
/// (make code; break = make | 80h; the 101-key keyboard's grey keys with the E0h prefix).
/// </summary>
public sealed class TerminalKeyDecoderTests
{
    private static string Set1(IEnumerable<TerminalKey> keys)
    {
        var bytes = new List<byte>();
        foreach (var key in keys)
        {
            foreach (var (name, down) in key.Strokes())
            {
                Assert.True(Ps2KeyTable.TryGetScanCodes(name, out ushort set1, out _), "unknown key name " + name);
                if (set1 > 0xFF) bytes.Add(0xE0);
                bytes.Add((byte)(down ? set1 & 0x7F : (set1 & 0x7F) | 0x80));
            }
        }
        return Convert.ToHexString(bytes.ToArray());
    }

    private static string Decode(string input)
    {
        var d = new TerminalKeyDecoder();
        var keys = d.Feed(Encoding.Latin1.GetBytes(input));
        keys.AddRange(d.Flush());
        return Set1(keys);
    }

    [Theory]
    [InlineData("a", "1E9E")]
    [InlineData("z", "2CAC")]
    [InlineData("A", "2A1E9EAA")]                  // left shift 2A, A 1E
    [InlineData("5", "0686")]
    [InlineData("!", "2A0282AA")]                  // shift-1
    [InlineData(" ", "39B9")]
    [InlineData("/", "35B5")]
    [InlineData("`", "29A9")]
    [InlineData("\\", "2BAB")]
    [InlineData("\"", "2A28A8AA")]
    [InlineData("\r", "1C9C")]                     // Enter
    [InlineData("\n", "1C9C")]
    [InlineData("\x7f", "0E8E")]                   // Backspace (DEL from the terminal)
    [InlineData("\b", "0E8E")]
    [InlineData("\t", "0F8F")]
    [InlineData("\x1b", "0181")]                   // Esc alone
    [InlineData("\x03", "1D2EAE9D")]               // Ctrl-C: ctrl 1D, C 2E
    [InlineData("\x01", "1D1E9E9D")]               // Ctrl-A
    [InlineData("\x1a", "1D2CAC9D")]               // Ctrl-Z
    [InlineData("\x1b[A", "E048E0C8")]             // cursor up
    [InlineData("\x1b[B", "E050E0D0")]             // cursor down
    [InlineData("\x1b[C", "E04DE0CD")]             // cursor right
    [InlineData("\x1b[D", "E04BE0CB")]             // cursor left
    [InlineData("\x1bOA", "E048E0C8")]             // application cursor mode
    [InlineData("\x1b[H", "E047E0C7")]             // Home
    [InlineData("\x1bOH", "E047E0C7")]
    [InlineData("\x1b[1~", "E047E0C7")]
    [InlineData("\x1b[F", "E04FE0CF")]             // End
    [InlineData("\x1b[4~", "E04FE0CF")]
    [InlineData("\x1b[2~", "E052E0D2")]            // Insert
    [InlineData("\x1b[3~", "E053E0D3")]            // Delete
    [InlineData("\x1b[5~", "E049E0C9")]            // Page Up
    [InlineData("\x1b[6~", "E051E0D1")]            // Page Down
    [InlineData("\x1bOP", "3BBB")]                 // F1
    [InlineData("\x1bOQ", "3CBC")]                 // F2
    [InlineData("\x1bOR", "3DBD")]                 // F3
    [InlineData("\x1bOS", "3EBE")]                 // F4
    [InlineData("\x1b[11~", "3BBB")]
    [InlineData("\x1b[[A", "3BBB")]                // Linux console F1
    [InlineData("\x1b[15~", "3FBF")]               // F5
    [InlineData("\x1b[17~", "40C0")]               // F6
    [InlineData("\x1b[18~", "41C1")]               // F7
    [InlineData("\x1b[19~", "42C2")]               // F8
    [InlineData("\x1b[20~", "43C3")]               // F9
    [InlineData("\x1b[21~", "44C4")]               // F10
    [InlineData("\x1b[23~", "57D7")]               // F11
    [InlineData("\x1b[24~", "58D8")]               // F12
    [InlineData("\x1b[1;5A", "1DE048E0C89D")]      // Ctrl-Up (xterm modifier 5)
    [InlineData("\x1b[1;2D", "2AE04BE0CBAA")]      // Shift-Left
    [InlineData("\x1b[3;5~", "1DE053E0D39D")]      // Ctrl-Delete
    [InlineData("\x1bx", "382DADB8")]              // Alt-x (ESC prefix): alt 38
    [InlineData("ls\r", "26A61F9F1C9C")]
    public void Terminal_input_becomes_set_1_scan_codes(string input, string expected) =>
        Assert.Equal(expected, Decode(input));

    [Fact]
    public void A_sequence_split_across_reads_is_one_key_and_a_lone_escape_waits_for_flush()
    {
        var d = new TerminalKeyDecoder();
        Assert.Empty(d.Feed("\x1b"u8));
        Assert.True(d.HasPending);
        Assert.Empty(d.Feed("["u8));
        Assert.Equal("E048E0C8", Set1(d.Feed("A"u8)));
        Assert.False(d.HasPending);

        Assert.Empty(d.Feed("\x1b"u8));
        Assert.Equal("0181", Set1(d.Flush()));

        Assert.Equal("1E9E", Set1(d.Feed("\x1b[5"u8).Concat(d.Feed("~a"u8)).Skip(1)));
    }

    [Fact]
    public void Unknown_sequences_and_non_ascii_bytes_are_dropped_without_throwing()
    {
        Assert.Equal("", Decode("\x1b[99~"));
        Assert.Equal("", Decode("\x1b[Z\u00e9"));
        Assert.Equal("1E9E", Decode("\x1b[200~a"[..6] + "a"));
    }
}
