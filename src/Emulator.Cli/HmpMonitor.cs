using System.Text;
using Emulator.Core.Cpu;
using Emulator.Core.Memory;
using Emulator.Devices;
using Emulator.Machine;

namespace Emulator.Cli;

/// <summary>
/// A minimal QEMU human monitor: help, info status|registers|snapshots, stop, cont, savevm, loadvm, delvm,
/// system_reset, quit. <see cref="Execute"/> runs on the machine thread; <see cref="Start"/> reads commands on a
/// background thread and posts each one to the machine.
/// </summary>
public sealed class HmpMonitor
{
    public const string Prompt = "(qemu) ";

    private readonly PcMachine _machine;

    public HmpMonitor(PcMachine machine)
    {
        _machine = machine;
    }

    /// <summary>Runs one command line and returns its output (possibly empty). Call on the machine thread.</summary>
    public string Execute(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0) return "";
        try
        {
            return Run(words);
        }
        catch (EmulatorException e)
        {
            return "Error: " + e.Message + "\n";
        }
    }

    private string Run(string[] w)
    {
        string Arg(string usage) => w.Length == 2 ? w[1] : throw new EmulatorException($"usage: {usage}");
        switch (w[0])
        {
            case "help":
            case "?":
                return Help;
            case "info" when w.Length == 2 && w[1] == "status":
                return $"VM status: {_machine.Status}\n";
            case "info" when w.Length == 2 && w[1] == "registers":
                return Registers(_machine.Cpu);
            case "info" when w.Length == 2 && w[1] == "snapshots":
                return Snapshots();
            case "info" when w.Length == 2 && w[1] == "block":
                return Block();
            case "info" when w.Length == 2 && w[1] == "cpus":
                return $"* CPU #0: pc=0x{(uint)(_machine.Cpu.Seg(1).Base + _machine.Cpu.Rip):x8} (halted={(_machine.Cpu.Halted ? 1 : 0)}) thread_id={Environment.CurrentManagedThreadId}\n";
            case "info" when w.Length == 2 && w[1] == "mtree":
                return MemoryTree();
            case "info":
                return "info block|cpus|mtree|registers|snapshots|status\n";
            case "x":
            case "xp":
                return Examine(w, physical: w[0] == "xp");
            case "sendkey":
                return SendKey(Arg("sendkey KEYS"));
            case "system_powerdown":
                _machine.AcpiPm.PressPowerButton();
                return "";
            case "stop":
                _machine.Paused = true;
                return "";
            case "cont":
            case "c":
                _machine.Continue();
                return "";
            case "savevm":
                _machine.SaveVm(Arg("savevm NAME"));
                return "";
            case "loadvm":
                _machine.LoadVm(Arg("loadvm NAME"));
                return "";
            case "delvm":
                string name = Arg("delvm NAME");
                return _machine.DeleteVm(name) ? "" : $"Error: snapshot '{name}' not found\n";
            case "system_reset":
                _machine.RequestReset();
                return "";
            case "screendump":
                {
                    string file = Arg("screendump FILE");
                    if (_machine.Vga is null) return "Error: no display adapter (-vga none)\n";
                    _machine.Vga.SavePng(file);
                    return "";
                }
            case "quit":
            case "q":
                _machine.Quit();
                return "";
            default:
                return $"unknown command: '{w[0]}'\n";
        }
    }

    private const string Help =
        "cont|c -- resume emulation\n" +
        "delvm tag -- delete the VM snapshot 'tag'\n" +
        "help|? -- show the help\n" +
        "info block -- show the block devices\n" +
        "info cpus -- show infos for each CPU\n" +
        "info mtree -- show the memory tree\n" +
        "info status -- show the VM status (running|paused)\n" +
        "info registers -- show the CPU registers\n" +
        "info snapshots -- show the VM snapshots\n" +
        "loadvm tag -- restore the VM snapshot 'tag'\n" +
        "quit|q -- quit the emulator\n" +
        "savevm tag -- save the whole machine as snapshot 'tag' (beside the first disk image)\n" +
        "sendkey keys -- send keys to the VM (e.g. 'sendkey ctrl-alt-delete')\n" +
        "screendump filename -- save the screen as a PNG image\n" +
        "stop -- stop emulation\n" +
        "system_powerdown -- send the ACPI power button event\n" +
        "system_reset -- reset the system\n" +
        "x /fmt addr -- virtual memory dump starting at 'addr'\n" +
        "xp /fmt addr -- physical memory dump starting at 'addr'\n";

    private string Block()
    {
        var sb = new StringBuilder();
        foreach (var d in _machine.Config.Drives.OrderBy(d => d.Index))
        {
            var disk = _machine.GetDisk(d.Index);
            string name = d.Media == DriveMedia.Cdrom ? $"ide{d.Index >> 1}-cd{d.Index & 1}" : $"ide{d.Index >> 1}-hd{d.Index & 1}";
            if (disk is null)
            {
                sb.Append($"{name}: [not inserted]\n");
                continue;
            }
            string format = d.Format ?? (disk.Path.EndsWith(".s2e", StringComparison.OrdinalIgnoreCase) ? "s2e" : "raw");
            sb.Append($"{name} ({name}): {disk.Path} ({format}{(disk.ReadOnly ? ", read-only" : "")})\n");
            sb.Append($"    Attached to:      {name}\n");
            if (d.Media == DriveMedia.Cdrom) sb.Append("    Removable device: not locked, tray closed\n");
            sb.Append($"    Cache mode:       writeback{(d.Snapshot || _machine.Config.Snapshot ? ", snapshot" : "")}\n");
        }
        return sb.Length == 0 ? "" : sb.ToString();
    }

    private string MemoryTree()
    {
        var m = _machine.Memory;
        var sb = new StringBuilder();
        sb.Append("address-space: memory\n");
        sb.Append("  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
        ulong ram = m.RamSize;
        ulong low = Math.Min(ram, 0xA0000);
        sb.Append($"    0000000000000000-{low - 1:x16} (prio 0, ram): pc.ram\n");
        if (ram > 0xA0000)
        {
            sb.Append("    00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n");
            sb.Append("    00000000000c0000-00000000000fffff (prio 1, ram): pc.ram shadow (PAM)\n");
        }
        if (ram > 0x100000) sb.Append($"    0000000000100000-{ram - 1:x16} (prio 0, ram): pc.ram\n");
        // The BIOS: find the ROM below 4 GiB by scanning down from the top for ROM frames.
        ulong biosStart = 1ul << 32;
        while (biosStart > ram && !m.IsRam(biosStart - PhysicalMemory.PageSize) && IsRom(biosStart - PhysicalMemory.PageSize)) biosStart -= PhysicalMemory.PageSize;
        if (biosStart < 1ul << 32)
        {
            sb.Append($"    {biosStart:x16}-00000000ffffffff (prio 0, rom): pc.bios\n");
            ulong isa = 0x100000 - Math.Min((1ul << 32) - biosStart, 0x20000);
            sb.Append($"    {isa:x16}-00000000000fffff (prio 1, rom): isa-bios\n");
        }
        if (_machine.VgaPci is not null) sb.Append("    (VGA: vga.vram linear framebuffer and vga.mmio at the PCI BARs the firmware assigned)\n");
        sb.Append("\naddress-space: I/O\n  0000000000000000-000000000000ffff (prio 0, i/o): io\n");
        return sb.ToString();
    }

    /// <summary>A frame that is not RAM but has a host pointer for reads is ROM (MMIO and unassigned frames have none).</summary>
    private bool IsRom(ulong address) => _machine.Memory.ReadPointer(address >> PhysicalMemory.PageShift) != 0;

    private string Examine(string[] w, bool physical)
    {
        // x /fmt addr: fmt = [count][format][unit]; QEMU's defaults: count 1, format x, unit w.
        string usage = $"{w[0]} /fmt addr";
        string fmt = "";
        string? addrText;
        if (w.Length == 3 && w[1].StartsWith('/')) { fmt = w[1][1..]; addrText = w[2]; }
        else if (w.Length == 2 && w[1].StartsWith('/') && w[1].Contains(' ')) throw new EmulatorException("usage: " + usage);
        else if (w.Length == 2) addrText = w[1];
        else throw new EmulatorException("usage: " + usage);
        int i = 0;
        while (i < fmt.Length && char.IsAsciiDigit(fmt[i])) i++;
        int count = 1;
        if (i > 0 && (!int.TryParse(fmt[..i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count > 65536))
            throw new EmulatorException("invalid count in '" + w[1] + "'");
        char format = 'x';
        int unit = 4;
        bool unitGiven = false;
        foreach (char c in fmt[i..])
        {
            switch (c)
            {
                case 'x' or 'd' or 'u' or 'o' or 'c' or 'i':
                    format = c;
                    break;
                case 'b': unit = 1; unitGiven = true; break;
                case 'h': unit = 2; unitGiven = true; break;
                case 'w': unit = 4; unitGiven = true; break;
                case 'g': unit = 8; unitGiven = true; break;
                default: throw new EmulatorException($"invalid char '{c}' in format");
            }
        }
        if (format == 'c' && !unitGiven) unit = 1;
        if (format == 'i') throw new EmulatorException("format 'i' (disassembly) is not supported");
        ulong addr = ParseNumber(addrText);
        var sb = new StringBuilder();
        int perLine = format == 'c' ? 16 : 16 / unit;
        int lineStart = 0;
        for (int n = 0; n < count; n++)
        {
            ulong a = addr + (ulong)(n * unit);
            if (n % perLine == 0)
            {
                if (n > 0) sb.Append('\n');
                lineStart = sb.Length;
                sb.Append(physical ? $"{a:x16}:" : $"{(uint)a:x8}:");
            }
            ulong v = 0;
            for (int b = 0; b < unit; b++)
            {
                ulong pa = a + (ulong)b;
                if (!physical)
                {
                    if (!Mmu.Translate(_machine.Cpu, (uint)pa, Mmu.Access.Read, false, out pa, out _, out _, probe: true))
                    {
                        if (n % perLine == 0) sb.Length = lineStart;
                        else sb.Append('\n');
                        sb.Append("Cannot access memory\n");
                        return sb.ToString();
                    }
                }
                v |= _machine.Memory.Read(pa, 1) << (8 * b);
            }
            sb.Append(' ');
            sb.Append(format switch
            {
                'x' => "0x" + v.ToString("x" + (unit * 2), System.Globalization.CultureInfo.InvariantCulture),
                'o' => "0" + Convert.ToString((long)v, 8),
                'u' => v.ToString(System.Globalization.CultureInfo.InvariantCulture),
                'd' => (unit switch { 1 => (sbyte)v, 2 => (short)v, 4 => (int)v, _ => (long)v }).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => v is >= 0x20 and < 0x7F ? "'" + (char)v + "'" : $"'\\x{v:x2}'",
            });
        }
        sb.Append('\n');
        return sb.ToString();
    }

    private static ulong ParseNumber(string text)
    {
        var style = System.Globalization.NumberStyles.AllowHexSpecifier;
        string digits = text;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) digits = text[2..];
        else if (text.Length > 0 && text.All(char.IsAsciiDigit)) style = System.Globalization.NumberStyles.None;
        if (!ulong.TryParse(digits, style, System.Globalization.CultureInfo.InvariantCulture, out ulong v))
            throw new EmulatorException($"invalid address '{text}'");
        return v;
    }

    private string SendKey(string keys)
    {
        var names = keys.Split('-');
        var kbd = _machine.Keyboard.Keyboard;
        foreach (var k in names)
        {
            if (!string.Equals(k, Ps2KeyTable.PauseKey, StringComparison.OrdinalIgnoreCase) && !Ps2KeyTable.TryGetScanCodes(k, out _, out _))
                throw new EmulatorException($"unknown key: '{k}'");
        }
        foreach (var k in names) kbd.PressKey(k);
        for (int j = names.Length - 1; j >= 0; j--) kbd.ReleaseKey(names[j]);
        return "";
    }

    private string Snapshots()
    {
        var list = _machine.ListVms();
        if (list.Count == 0) return "There is no snapshot available.\n";
        var sb = new StringBuilder();
        sb.AppendLine("ID        TAG               VM SIZE                DATE     VM CLOCK");
        int id = 1;
        foreach (var s in list)
        {
            var clock = TimeSpan.FromTicks(s.VmClockNs / 100);
            sb.AppendLine($"{id++,-9} {s.Name,-17} {FormatSize(s.FileSize),8} {s.Created.LocalDateTime:yyyy-MM-dd HH:mm:ss} {(int)clock.TotalHours:D2}:{clock.Minutes:D2}:{clock.Seconds:D2}.{clock.Milliseconds:D3}");
        }
        return sb.ToString();
    }

    private static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):F1} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>The CPU state in the layout of QEMU's <c>info registers</c> for a 32-bit guest.</summary>
    public static string Registers(CpuState c)
    {
        var sb = new StringBuilder();
        uint fl = c.GetEflags();
        sb.Append($"EAX={(uint)c.Rax:x8} EBX={(uint)c.Rbx:x8} ECX={(uint)c.Rcx:x8} EDX={(uint)c.Rdx:x8}\n");
        sb.Append($"ESI={(uint)c.Rsi:x8} EDI={(uint)c.Rdi:x8} EBP={(uint)c.Rbp:x8} ESP={(uint)c.Rsp:x8}\n");
        sb.Append($"EIP={(uint)c.Rip:x8} EFL={fl:x8} [{Flag(fl, Eflags.OF, 'O')}{Flag(fl, Eflags.DF, 'D')}{Flag(fl, Eflags.SF, 'S')}{Flag(fl, Eflags.ZF, 'Z')}{Flag(fl, Eflags.AF, 'A')}{Flag(fl, Eflags.PF, 'P')}{Flag(fl, Eflags.CF, 'C')}] CPL={c.Cpl} II={(c.InterruptShadow ? 1 : 0)} A20={(c.A20Enabled ? 1 : 0)} SMM=0 HLT={(c.Halted ? 1 : 0)}\n");
        string[] names = ["ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR"];
        for (int i = 0; i < 8; i++)
        {
            var s = c.Seg(i);
            sb.Append($"{names[i],-3}={s.Selector:x4} {s.Base:x8} {s.Limit:x8} {s.Flags << 8:x8}\n");
        }
        sb.Append($"GDT=     {c.GdtrBase:x8} {c.GdtrLimit:x8}\n");
        sb.Append($"IDT=     {c.IdtrBase:x8} {c.IdtrLimit:x8}\n");
        sb.Append($"CR0={c.Cr0:x8} CR2={c.Cr2:x8} CR3={c.Cr3:x8} CR4={c.Cr4:x8}\n");
        sb.Append($"DR0={c.Dr0:x8} DR1={c.Dr1:x8} DR2={c.Dr2:x8} DR3={c.Dr3:x8}\n");
        sb.Append($"DR6={c.Dr6:x8} DR7={c.Dr7:x8}\n");
        sb.Append($"EFER={c.Efer:x16}\n");
        return sb.ToString();
    }

    private static char Flag(uint flags, uint bit, char name) => (flags & bit) != 0 ? name : '-';

    /// <summary>Called on the machine thread after every command (QMP watches for state changes here).</summary>
    public Action? AfterCommand { get; set; }

    private volatile bool _machineStopped;

    /// <summary>Tells waiting sessions that the machine thread no longer runs posted commands.</summary>
    public void MachineStopped() => _machineStopped = true;

    /// <summary>Runs <paramref name="line"/> on the machine thread and waits for its output (any thread).</summary>
    public string ExecuteOnMachine(string line) => OnMachine(() => Execute(line)) ?? "";

    /// <summary>Runs <paramref name="work"/> on the machine thread; null when the machine has stopped.</summary>
    public T? OnMachine<T>(Func<T> work)
    {
        T? result = default;
        if (_machineStopped) return default;
        var done = new ManualResetEventSlim(false); // not disposed: a late Post may still run after the wait gave up
        try
        {
            _machine.Post(() =>
            {
                try
                {
                    result = work();
                }
                finally
                {
                    AfterCommand?.Invoke();
                    done.Set();
                }
            });
        }
        catch (ObjectDisposedException)
        {
            return default; // the machine ended between the check and the post
        }
        while (!done.Wait(100))
        {
            if (_machineStopped) return default;
        }
        return result;
    }

    /// <summary>Reads commands from <paramref name="input"/> on a background thread; output and prompts go to <paramref name="output"/>.</summary>
    public Thread Start(TextReader input, TextWriter output)
    {
        _machine.MonitorAttached = true;
        var thread = new Thread(() => Serve(input, output)) { IsBackground = true, Name = "hmp monitor" };
        thread.Start();
        return thread;
    }

    /// <summary>One monitor session: banner, then prompt / command / output until end of input or quit.</summary>
    public void Serve(TextReader input, TextWriter output)
    {
        output.Write("QEMU-compatible monitor of emu - type 'help' for more information\n" + Prompt);
        output.Flush();
        string? line;
        while ((line = input.ReadLine()) is not null)
        {
            output.Write(ExecuteOnMachine(line));
            if (line.Trim() is "quit" or "q") break;
            output.Write(Prompt);
            output.Flush();
        }
        output.Flush();
    }
}
