using Emulator.Machine;

namespace Emulator.Cli;

/// <summary>What the command line asked for (QEMU's option names).</summary>
public sealed class EmuOptions
{
    public ulong RamSize { get; set; } = MachineConfig.DefaultRamSize;

    public string CpuModel { get; set; } = "qemu32";

    public string? BiosPath { get; set; }

    /// <summary>-kernel/-initrd/-append: direct kernel boot.</summary>
    public string? Kernel { get; set; }

    public string? Initrd { get; set; }

    public string? Append { get; set; }

    public List<DriveConfig> Drives { get; } = new();

    public string BootOrder { get; set; } = "cad";

    public bool NoGraphic { get; set; }

    /// <summary>-display: "none" or "curses" (VGA text mode on the terminal); null = default (none: emu has no window).</summary>
    public string? Display { get; set; }

    /// <summary>The -serial back end text (stdio, file:PATH, tcp:HOST:PORT,server, null, mon:stdio, none); null = default.</summary>
    public string? Serial { get; set; }

    /// <summary>-monitor: "stdio", "none", "tcp:HOST:PORT,server,nowait" or "unix:PATH,server,nowait"; null = default (none).</summary>
    public string? Monitor { get; set; }

    /// <summary>-qmp: "stdio", "tcp:HOST:PORT,server,nowait" or "unix:PATH,server,nowait"; null = none.</summary>
    public string? Qmp { get; set; }

    /// <summary>-debugcon: "stdio", "file:PATH", "null"; null = no debug console.</summary>
    public string? DebugCon { get; set; }

    public (ushort IoBase, int IoSize)? IsaDebugExit { get; set; }

    public bool NoReboot { get; set; }

    public bool NoShutdown { get; set; }

    public bool Snapshot { get; set; }

    public string? LoadVm { get; set; }

    /// <summary>-enable-serial-commands: the guest's <c>?!?MAGIC?!?s NAME </c> / <c>?!?MAGIC?!?k N </c> on COM1 (S2E).</summary>
    public bool SerialCommands { get; set; }

    /// <summary>-k: the keyboard layout name (accepted for compatibility; sendkey always sends US scancodes).</summary>
    public string? KeyboardLayout { get; set; }

    public string? Name { get; set; }

    /// <summary>-vga std (the default, when vgabios-stdvga.bin is found beside the BIOS) or none.</summary>
    public string Vga { get; set; } = "std";

    /// <summary>-rtc base=: null = utc now.</summary>
    public DateTime? RtcStart { get; set; }

    public bool StartPaused { get; set; }

    public bool ShowHelp { get; set; }

    public bool ShowVersion { get; set; }

    /// <summary>The machine configuration these options describe (serial, debugcon and monitor are wired by the caller).</summary>
    public MachineConfig ToMachineConfig()
    {
        var config = new MachineConfig
        {
            RamSize = RamSize,
            CpuModel = CpuModel,
            BiosPath = BiosPath,
            Kernel = Kernel,
            Initrd = Initrd,
            Append = Append,
            BootOrder = BootOrder,
            NoGraphic = NoGraphic,
            IsaDebugExit = IsaDebugExit,
            NoReboot = NoReboot,
            NoShutdown = NoShutdown,
            Snapshot = Snapshot,
            RtcStart = RtcStart,
        };
        config.Drives.AddRange(Drives);
        return config;
    }
}
