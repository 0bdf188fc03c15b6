using System.Text;
using Emulator.Core.Cpu;
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
            case "info":
                return "info status|registers|snapshots\n";
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
        "info status -- show the VM status (running|paused)\n" +
        "info registers -- show the CPU registers\n" +
        "info snapshots -- show the VM snapshots\n" +
        "loadvm tag -- restore the VM snapshot 'tag'\n" +
        "quit|q -- quit the emulator\n" +
        "savevm tag -- save the whole machine as snapshot 'tag' (beside the first disk image)\n" +
        "screendump filename -- save the screen as a PNG image\n" +
        "stop -- stop emulation\n" +
        "system_reset -- reset the system\n";

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

    /// <summary>Reads commands from <paramref name="input"/> on a background thread; output and prompts go to <paramref name="output"/>.</summary>
    public Thread Start(TextReader input, TextWriter output)
    {
        _machine.MonitorAttached = true;
        var thread = new Thread(() =>
        {
            output.Write("QEMU-compatible monitor of emu - type 'help' for more information\n" + Prompt);
            output.Flush();
            string? line;
            while ((line = input.ReadLine()) is not null)
            {
                string result = "";
                using var done = new ManualResetEventSlim(false);
                _machine.Post(() =>
                {
                    result = Execute(line);
                    done.Set();
                });
                done.Wait();
                output.Write(result);
                if (line.Trim() is "quit" or "q") break;
                output.Write(Prompt);
                output.Flush();
            }
            output.Flush();
        })
        { IsBackground = true, Name = "hmp monitor" };
        thread.Start();
        return thread;
    }
}
