using Emulator.Devices;

namespace Emulator.Machine;

/// <summary>Everything that describes one QEMU-"pc"-like machine (the command line, minus the monitor).</summary>
public sealed class MachineConfig
{
    public const ulong DefaultRamSize = 128ul << 20;

    /// <summary>The top of RAM below the PCI hole (QEMU's pc keeps at most this much below 4 GiB).</summary>
    public const ulong MaxRamSize = 0xE000_0000ul;

    public ulong RamSize { get; set; } = DefaultRamSize;

    /// <summary>CPU model name (<c>qemu32</c>, <c>core2duo</c>, <c>pentium</c>).</summary>
    public string CpuModel { get; set; } = "qemu32";

    /// <summary>The BIOS image (e.g. SeaBIOS's bios-256k.bin); its size must be a multiple of 64 KiB, at most 16 MiB.</summary>
    public string? BiosPath { get; set; }

    public List<DriveConfig> Drives { get; } = new();

    /// <summary>QEMU boot order letters: <c>a</c> floppy, <c>c</c> first hard disk, <c>d</c> CD-ROM, <c>n</c> network.</summary>
    public string BootOrder { get; set; } = "cad";

    /// <summary>COM1's host side; null = nothing attached.</summary>
    public ISerialBackend? Serial { get; set; }

    /// <summary>Bytes the guest writes to the debug console (port 0x402); null = no debugcon device.</summary>
    public Action<byte>? DebugConsole { get; set; }

    /// <summary>The isa-debug-exit device's ports, or null for none.</summary>
    public (ushort IoBase, int IoSize)? IsaDebugExit { get; set; }

    /// <summary>
    /// -nographic: tells the firmware (fw_cfg NOGRAPHIC) there is no screen, so SeaBIOS mirrors its console
    /// (INT 10h text) on COM1 ("sercon").
    /// </summary>
    public bool NoGraphic { get; set; }

    /// <summary>
    /// The standard VGA (PCI 1234:1111 with Bochs VBE) and its option ROM (vgabios-stdvga.bin), handed to SeaBIOS
    /// as fw_cfg "vgaroms/vgabios-stdvga.bin". Null: no display adapter (QEMU's -vga none).
    /// </summary>
    public string? VgaBiosPath { get; set; }

    /// <summary>-no-reboot: a guest reset ends the run (exit code 0) instead of rebooting.</summary>
    public bool NoReboot { get; set; }

    /// <summary>-no-shutdown: a guest power-off pauses the machine instead of ending the run.</summary>
    public bool NoShutdown { get; set; }

    /// <summary>-snapshot: every disk in S2E mode (writes never reach the image).</summary>
    public bool Snapshot { get; set; }

    /// <summary>Date and time the RTC starts at (UTC by default: the host's time at start).</summary>
    public DateTime? RtcStart { get; set; }

    /// <summary>-kernel: a Linux bzImage or Multiboot kernel started directly (see <see cref="KernelLoader"/>); null = boot through the BIOS.</summary>
    public string? Kernel { get; set; }

    /// <summary>-initrd: the Linux initrd, or the Multiboot module list ("file arg,file2 arg2").</summary>
    public string? Initrd { get; set; }

    /// <summary>-append: the kernel command line.</summary>
    public string? Append { get; set; }

    /// <summary>Virtual nanoseconds per retired instruction (deterministic time base).</summary>
    public long NanosecondsPerInstruction { get; set; } = 1;

    /// <summary>
    /// Interpreted runs of a guest block before it is compiled to IL (0: compile every block before it first runs).
    /// Guest-visible behaviour does not depend on it; only speed does. RyuJIT costs about 0.7 ms of CPU per block
    /// (≈ 130 µs per guest instruction, measured over 3,000 blocks of a Linux boot), the price of interpreting that
    /// block a few thousand times; on the Linux demo boot, thresholds of 256–1024 used the least main-thread and
    /// total CPU (16: 24.7 s / 45.8 s; 512's neighbours 256: 20.3 s / 30.4 s and 1024: 19.8 s / 25.7 s).
    /// </summary>
    public int TierUpThreshold { get; set; } = 512;

    /// <summary>Compile hot blocks on a thread-pool thread while the guest runs on (false: the guest waits for the JIT).</summary>
    public bool BackgroundCompilation { get; set; } = true;

    /// <summary>
    /// Never let virtual time run ahead of host time: when a slice advanced the virtual clock faster than real time
    /// (an idle guest in HLT skips straight to its next timer), the run loop sleeps the difference. Guest-visible
    /// behaviour is unchanged (time is still the deterministic virtual clock); only wall-clock speed is capped, so an
    /// interactive idle guest does not keep a host core busy.
    /// </summary>
    public bool PaceToHostTime { get; set; }

    /// <summary>Instructions per run-loop slice (between device polls and monitor commands).</summary>
    public long SliceInstructions { get; set; } = 1_000_000;

    /// <summary>The string recorded in snapshots and compared on loadvm (key=value words).</summary>
    public string Describe() => $"machine=pc-i440fx ram={RamSize} cpu={CpuModel.ToLowerInvariant()} smp=1 vga={(VgaBiosPath is null ? "none" : "std")}";
}
