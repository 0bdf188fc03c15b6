using System.Diagnostics;
using System.Text;
using Emulator.Machine;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests;

/// <summary>emu -display curses as a real process: SeaBIOS boots a sector that prints through INT 10h and reads a key through INT 16h.</summary>
public sealed class CursesDisplayProcessTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-curses-" + Guid.NewGuid().ToString("N")[..12]);

    public CursesDisplayProcessTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string SeaBios()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Emulator.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        string bios = Path.Combine(dir!.FullName, "firmware", "cache", "bios-256k.bin");
        Assert.True(File.Exists(bios), $"SeaBIOS missing: run firmware/fetch-seabios.sh ({bios})");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(bios)!, "vgabios-stdvga.bin")), "vgabios-stdvga.bin missing beside the BIOS");
        return bios;
    }

    /// <summary>
    /// A boot sector (loaded at 0000:7C00) that prints "CURSES OK" with INT 10h AH=0Eh (teletype), waits for a key with
    /// INT 16h AH=00h, prints its ASCII code, and writes the key's scan code (AH) to isa-debug-exit.
    /// </summary>
    private string BootDisk()
    {
        const ushort message = 0x7C00 + 0x100;
        var a = new Assembler(16);
        var print = a.CreateLabel();
        var done = a.CreateLabel();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(si, message);
        a.Label(ref print);
        a.lodsb();
        a.test(al, al);
        a.jz(done);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.jmp(print);
        a.Label(ref done);
        a.mov(ah, 0x00);
        a.@int(0x16);
        a.push(ax);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.pop(ax);
        a.mov(al, ah);
        a.@out(0xF4, al);
        a.cli();
        a.hlt();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0x7C00);
        var image = new byte[2048 * 512];
        stream.ToArray().CopyTo(image, 0);
        Encoding.ASCII.GetBytes("CURSES OK\0").CopyTo(image, 0x100);
        image[510] = 0x55;
        image[511] = 0xAA;
        string path = Path.Combine(_dir, "boot.raw");
        File.WriteAllBytes(path, image);
        return path;
    }

    /// <summary>The output up to its last complete escape sequence (the process may be mid-write).</summary>
    private static string Complete(string s)
    {
        int esc = s.LastIndexOf('\u001b');
        if (esc < 0) return s;
        for (int i = esc + 2; i < s.Length; i++)
        {
            if (s[i] is >= '@' and <= '~') return s;
        }
        return s[..esc];
    }

    [Fact]
    public async Task Curses_display_shows_the_int10_text_and_types_keys_into_the_guest()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.Environment["EMU_CURSES_FORCE"] = "1";
        foreach (var arg in new[]
        {
            typeof(Program).Assembly.Location, "-bios", SeaBios(), "-display", "curses", "-m", "16", "-hda", BootDisk(),
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        })
        {
            start.ArgumentList.Add(arg);
        }
        using var p = Process.Start(start)!;
        try
        {
            var output = new StringBuilder();
            var reader = Task.Run(() =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = p.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
                {
                    lock (output) output.Append(buffer, 0, n);
                }
            });
            var stderr = p.StandardError.ReadToEndAsync();
            var sw = Stopwatch.StartNew();
            bool shown = false;
            while (!shown && sw.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited)
            {
                await Task.Delay(100);
                string text;
                lock (output) text = output.ToString();
                var model = new AnsiTerminalModel(80, 25);
                model.Feed(Complete(text));
                shown = model.Text.Contains("CURSES OK");
            }
            Assert.True(shown, "CURSES OK never appeared on the terminal; stderr: " + (p.HasExited ? await stderr : ""));
            p.StandardInput.Write("z");
            p.StandardInput.Flush();
            Assert.True(p.WaitForExit(30_000), "emu did not exit after the key");
            await reader.WaitAsync(TimeSpan.FromSeconds(10));
            // isa-debug-exit: (value << 1) | 1 with value = the scan code INT 16h returned for 'z' (set 1: 2Ch).
            Assert.Equal((0x2C << 1) | 1, p.ExitCode);
            string all = output.ToString();
            var final = new AnsiTerminalModel(80, 25);
            final.Feed(all);
            Assert.Contains("CURSES OK", final.Text);
            Assert.Contains("CURSES OKz", final.Text.Replace("\n", ""));
            Assert.StartsWith("\u001b[?1049h", all);               // the alternate screen first …
            Assert.EndsWith("\u001b[?1049l", all);                 // … and left at the end
            Assert.Equal("", await stderr);
        }
        finally
        {
            EmuProcess.Kill(p);
        }
    }

    [Fact]
    public void Display_option_accepts_curses_and_rejects_unknown_parameters()
    {
        Assert.Equal("curses", OptionParser.Parse(["-display", "curses"]).Display);
        Assert.Equal("curses", OptionParser.Parse(["-display", "type=curses"]).Display);
        Assert.Equal("none", OptionParser.Parse(["-display", "none"]).Display);
        var e = Assert.Throws<EmulatorException>(() => OptionParser.Parse(["-display", "curses,charset=CP850"]));
        Assert.Equal("-display: invalid parameter 'charset'", e.Message);
    }

    [Fact]
    public void Curses_without_a_terminal_on_stdout_is_an_error_unless_forced()
    {
        // The test host's stdout is a pipe; the variable is only ever set for child processes.
        Assert.True(Console.IsOutputRedirected);
        Assert.Null(Environment.GetEnvironmentVariable("EMU_CURSES_FORCE"));
        var e = new StringWriter();
        int code = Program.Run(["-bios", EmuProcess.SpinBios(_dir), "-display", "curses", "-m", "16"], new StringReader(""), new StringWriter(), e);
        Assert.Equal(1, code);
        Assert.Equal("emu: -display curses: stdout is not a terminal (set EMU_CURSES_FORCE=1 to draw anyway)" + Environment.NewLine, e.ToString());
    }

    [Theory]
    [InlineData(new[] { "-monitor", "stdio" }, "emu: -display curses and -monitor stdio cannot share stdio")]
    [InlineData(new[] { "-qmp", "stdio" }, "emu: -display curses and -qmp stdio cannot share stdio")]
    [InlineData(new[] { "-serial", "stdio" }, "emu: -display curses and -serial stdio cannot share stdio")]
    [InlineData(new[] { "-serial", "mon:stdio" }, "emu: -display curses and -serial mon:stdio cannot share stdio")]
    [InlineData(new[] { "-debugcon", "stdio" }, "emu: -display curses and -debugcon stdio cannot share stdio")]
    [InlineData(new[] { "-nographic" }, "emu: -nographic cannot be used with -display curses")]
    public void Curses_refuses_other_stdio_users_with_one_line(string[] extra, string message)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(["-bios", EmuProcess.SpinBios(_dir), "-display", "curses", "-m", "16", .. extra], new StringReader(""), o, e);
        Assert.Equal(1, code);
        Assert.Equal(message + Environment.NewLine, e.ToString());
        Assert.Equal("", o.ToString());
    }
}
