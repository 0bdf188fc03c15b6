using System.Collections.Concurrent;
using System.Text;
using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Execution;
using Emulator.Core.Memory;
using Emulator.Devices;
using Emulator.Storage;

namespace Emulator.Machine;

/// <summary>
/// A QEMU-"pc"-like machine: i440FX host bridge, PIIX3 ISA bridge and IDE, 8259 pair, 8254 PIT, MC146818 RTC,
/// 16550 UART on COM1, 8042 keyboard controller, fw_cfg with ACPI tables, ACPI PM at 0x600, optional debugcon and
/// isa-debug-exit, and one IA-32 CPU. Deterministic: time comes from retired instructions only.
/// Everything runs on the thread that calls <see cref="RunUntilStop"/>; other threads talk to it through
/// <see cref="Post"/> (the monitor does).
/// </summary>
public sealed class PcMachine : IDisposable
{
    /// <summary>CMOS registers SeaBIOS and DOS read (the IBM PC/AT CMOS map).</summary>
    private const int CmosBaseMemLow = 0x15;
    private const int CmosExtMemLow = 0x17;
    private const int CmosExtMem2Low = 0x30;
    private const int CmosBootFlag1 = 0x38;
    private const int CmosBootFlag2 = 0x3D;
    private const int CmosMemAbove16MLow = 0x34;
    private const int CmosMemAbove4GLow = 0x5B;
    private const int CmosCpuCountMinusOne = 0x5F;

    private const ushort PrimaryCommandBase = 0x1F0;
    private const ushort PrimaryControlPort = 0x3F6;
    private const ushort SecondaryCommandBase = 0x170;
    private const ushort SecondaryControlPort = 0x376;
    private const ushort Com1Base = 0x3F8;

    /// <summary>The 128 KiB below 1 MiB that alias the top of the BIOS image (QEMU's "isa-bios").</summary>
    private const uint IsaBiosWindow = 0x20000;

    private readonly MachineConfig _config;
    private readonly List<IDevice> _devices = new();
    private readonly List<IDisposable> _owned = new();
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly AutoResetEvent _commandPosted = new(false);
    private readonly IDisk?[] _disks = new IDisk?[4];
    private readonly bool _hasInput;
    private MachineExit? _pendingExit;
    private bool _resetPending;
    private bool _disposed;

    public PcMachine(MachineConfig config)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        if (config.RamSize < (2ul << 20) || config.RamSize > MachineConfig.MaxRamSize || config.RamSize % PhysicalMemory.PageSize != 0)
            throw new EmulatorException($"RAM size {config.RamSize} is not supported (2 MiB to {MachineConfig.MaxRamSize >> 20} MiB, whole 4 KiB pages)");
        var model = CpuModel.Find(config.CpuModel)
            ?? throw new EmulatorException($"unknown CPU model '{config.CpuModel}' (known: {string.Join(", ", CpuModel.All.Select(m => m.Name))})");
        if (config.NanosecondsPerInstruction <= 0) throw new EmulatorException("nanoseconds per instruction must be positive");
        if (config.SliceInstructions <= 0) throw new EmulatorException("slice length must be positive");
        byte[] bios = LoadBios(config.BiosPath);
        if (config.Kernel is not null) _kernelLoader = new KernelLoader(config.Kernel, config.Initrd, config.Append, config.RamSize); // direct kernel boot
        ConfigDescription = config.Describe() + " bios=" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bios))[..16];

        try
        {
            Clock = new VirtualClock(config.NanosecondsPerInstruction);
            Memory = new PhysicalMemory(config.RamSize);
            Ports = new PortBus();
            Cpu = new CpuState(Memory, Ports) { Model = model };
            Cpu.Reset();
            Core = new CpuCore(Cpu, Clock);
            Core.Cache.TierUpThreshold = config.TierUpThreshold;
            Core.Cache.BackgroundCompilation = config.BackgroundCompilation;

            // BIOS ROM at the top of 4 GiB, and its last 128 KiB below 1 MiB behind the PAM shadow logic.
            Memory.MapRom((1ul << 32) - (ulong)bios.Length, bios);
            int isaLength = (int)Math.Min((uint)bios.Length, IsaBiosWindow);
            Memory.MapRom(0x100000ul - (ulong)isaLength, bios.AsSpan(bios.Length - isaLength));

            var irq = WireInterruptControllers(model);

            var ferr = new FerrLatch(irq[13], () => Cpu.Fpu.FerrPending = false);
            ferr.RegisterPorts(Ports);
            Cpu.FerrAsserted = ferr.Assert;
            Add(ferr);

            Pit = new Pit8254(Clock, irq[0]);
            Pit.RegisterPorts(Ports);
            Add(Pit);
            var port61 = new SystemControlPortB(Pit, Clock);
            port61.RegisterPorts(Ports);
            Add(port61);
            Port92 = new SystemControlPortA(_ => UpdateA20(), () => RequestReset());
            Port92.RegisterPorts(Ports);
            Add(Port92);

            Rtc = new RtcMc146818(Clock, irq[8], config.RtcStart ?? DateTime.UtcNow);
            Rtc.RegisterPorts(Ports);
            Add(Rtc);

            var serial = config.Serial ?? new SerialNullBackend();
            _hasInput = serial.SupportsInput;
            Uart = new Uart16550(Clock, Com1Base, irq[4], serial);
            Uart.RegisterPorts(Ports);
            Add(Uart);

            Keyboard = new I8042Controller(irq[1], irq[12], _ => UpdateA20(), () => RequestReset());
            Keyboard.RegisterPorts(Ports);
            Add(Keyboard);

            // PCI: host bridge 00:00.0, PIIX3 ISA 00:01.0, PIIX3 IDE 00:01.1.
            PciBus = new PciBus();
            HostBridge = new I440fxHostBridge();
            IsaBridge = new Piix3IsaBridge(n => (uint)n < 16 ? irq[n] : null);
            PciBus.IntxRouter = IsaBridge.GetIntxLine;
            var resetControl = new Piix3ResetControl(_ => RequestReset());
            PciBus.ResetControl = resetControl;
            Ports.Register(PciBus.ConfigAddressPort, 8, PciBus);
            IdePrimary = new IdeChannel("ide0", PrimaryCommandBase, PrimaryControlPort, irq[14], Memory);
            IdeSecondary = new IdeChannel("ide1", SecondaryCommandBase, SecondaryControlPort, irq[15], Memory);
            Ports.Register(PrimaryCommandBase, 8, IdePrimary);
            Ports.Register(PrimaryControlPort, 1, IdePrimary);
            Ports.Register(SecondaryCommandBase, 8, IdeSecondary);
            Ports.Register(SecondaryControlPort, 1, IdeSecondary);
            Ide = new Piix3Ide(IdePrimary, IdeSecondary, Ports);
            foreach (var f in new PciDevice[] { HostBridge, IsaBridge, Ide }) f.SetSubsystemId(QemuSubsystemVendor, QemuSubsystemId);
            PciBus.Attach(0, 0, HostBridge);
            PciBus.Attach(1, 0, IsaBridge);
            PciBus.Attach(1, 1, Ide);
            HostBridge.PamChanged += OnPamChanged;
            Add(PciBus);
            Add(resetControl);
            Add(HostBridge);
            Add(IsaBridge);
            Add(Ide);
            Add(IdePrimary);
            Add(IdeSecondary);
            AttachDrives();

            if (config.VgaBiosPath is { } vgaBios) AttachVga(vgaBios);

            FwCfg = new FwCfg(Memory);
            Ports.Register(FwCfg.SelectorPort, 2, FwCfg);
            Ports.Register(FwCfg.DmaAddressHighPort, 8, FwCfg);
            FillFwCfg();
            if (_vgaRom is not null) FwCfg.AddFile("vgaroms/vgabios-stdvga.bin", _vgaRom);
            Add(FwCfg);

            AcpiPm = new AcpiPm(Clock, irq[9], () => RequestExit(new MachineExit(MachineStopReason.PowerOff, 0)));
            Ports.Register(AcpiPm.DefaultBase, AcpiPm.RegisterBlockSize, AcpiPm);
            Add(AcpiPm);

            if (config.DebugConsole is { } debugOut)
            {
                var debugcon = new DebugConsole(debugOut);
                debugcon.RegisterPorts(Ports);
                Add(debugcon);
            }
            if (config.IsaDebugExit is { } exit)
            {
                if (exit.IoSize is < 1 or > 4 || exit.IoBase + exit.IoSize > 0x10000)
                    throw new EmulatorException($"isa-debug-exit: bad iobase/iosize 0x{exit.IoBase:x}/{exit.IoSize}");
                DebugExit = new IsaDebugExit(code => RequestExit(new MachineExit(MachineStopReason.DebugExit, code)), exit.IoBase, exit.IoSize);
                DebugExit.RegisterPorts(Ports);
                Add(DebugExit);
            }

            ResetDevices();
            BootKernel(); // direct kernel boot
        }
        catch
        {
            DisposeResources();
            throw;
        }
    }

    /// <summary>
    /// The 8259 pair, and with a CPU model that has an APIC the local APIC (the CPU's interrupt controller, the 8259's INTR
    /// on its LINT0) and the I/O APIC at 0xFEC00000. Returns the ISA IRQ lines devices drive: with an I/O APIC each reaches
    /// both the 8259 and the I/O APIC pin of the same number, except IRQ0 (the PIT), which is I/O APIC pin 2 as in QEMU
    /// and the MADT's interrupt source override.
    /// </summary>
    private IReadOnlyList<IInterruptLine> WireInterruptControllers(CpuModel model)
    {
        if ((model.Features1Edx & CpuModel.ApicFeature) == 0)
        {
            Pic = new DualPic8259();
            Pic.IntrChanged += high => { if (high) Cpu.InterruptCheck = true; };
            Cpu.InterruptController = Pic;
            Pic.RegisterPorts(Ports);
            Add(Pic);
            return Pic.IrqLines;
        }
        var lapic = new LocalApic(Clock);
        LocalApic = lapic;
        lapic.InterruptRequested += () => Cpu.InterruptCheck = true;
        lapic.NmiRequested += () =>
        {
            Cpu.NmiPending = true;
            Cpu.InterruptCheck = true;
        };
        lapic.BaseChanged += RemapLocalApic;
        Cpu.LocalApic = lapic;
        Cpu.InterruptController = lapic;
        Add(lapic);
        RemapLocalApic();

        Pic = new DualPic8259(lapic.Lint0);
        lapic.ExtIntController = Pic;
        Pic.RegisterPorts(Ports);
        Add(Pic);

        var ioapic = new IoApic(lapic, initialId: 1); // the ID the MADT gives it (after the one CPU's)
        IoApic = ioapic;
        lapic.EoiBroadcast += ioapic.EndOfInterrupt;
        Memory.MapMmio(IoApic.DefaultBase, IoApic.MmioSize, ioapic);
        Add(ioapic);

        var lines = new IInterruptLine[16];
        for (int n = 0; n < 16; n++)
        {
            lines[n] = n switch
            {
                0 => new IrqFanOut(Pic.IrqLines[0], ioapic.Pins[2]),
                2 => Pic.IrqLines[2], // the cascade: no ISA device drives it
                _ => new IrqFanOut(Pic.IrqLines[n], ioapic.Pins[n]),
            };
        }
        return lines;
    }

    private ulong? _lapicMapping;

    /// <summary>
    /// Maps the local APIC's register page where IA32_APIC_BASE puts it while it is globally enabled. A page that RAM,
    /// ROM or another device already holds is left to them (a guest can program any base).
    /// </summary>
    private void RemapLocalApic()
    {
        if (LocalApic is not { } lapic) return;
        if (_lapicMapping is { } old)
        {
            Memory.Unmap(old, LocalApic.MmioSize);
            _lapicMapping = null;
        }
        ulong address = lapic.MmioBase;
        if (lapic.GloballyEnabled && address + LocalApic.MmioSize <= 1ul << 32 && Memory.IsUnassigned(address))
        {
            Memory.MapMmio(address, LocalApic.MmioSize, lapic);
            _lapicMapping = address;
        }
        Cpu.FlushTlb();
    }

    private byte[]? _vgaRom;
    private (ulong Address, ulong Size)? _lfbMapping, _vgaMmioMapping;

    /// <summary>The standard VGA, or null when the machine has none.</summary>
    public VgaDevice? Vga { get; private set; }

    /// <summary>The VGA's PCI function (00:02.0), or null.</summary>
    public VgaPciFunction? VgaPci { get; private set; }

    /// <summary>Standard VGA at 00:02.0: legacy ports and the A0000–BFFFF window, the linear framebuffer and BAR2 mapped where the firmware puts them.</summary>
    private void AttachVga(string romPath)
    {
        try
        {
            _vgaRom = File.ReadAllBytes(romPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EmulatorException($"cannot read VGA BIOS '{romPath}': {e.Message}");
        }
        Vga = new VgaDevice(Clock);
        Vga.RegisterPorts(Ports);
        Memory.MapMmio(0xA0000, 0x20000, Vga.LegacyWindow);
        VgaPci = new VgaPciFunction(Vga);
        VgaPci.SetSubsystemId(QemuSubsystemVendor, QemuSubsystemId);
        VgaPci.DecodeChanged += _ => RemapVgaBars();
        PciBus.Attach(2, 0, VgaPci);
        Add(VgaPci);
    }

    private void RemapVgaBars()
    {
        if (Vga is null || VgaPci is null) return;
        // Both BARs are unmapped, then mapped again where they now are (they may overlap each other, or the BIOS ROM,
        // which shows again when they move away); code translated from any of those frames is dropped.
        Unmap(ref _lfbMapping);
        Unmap(ref _vgaMmioMapping);
        Map(ref _lfbMapping, VgaPci.FramebufferAddress, (ulong)Vga.VramSize, Vga.LinearFramebuffer);
        Map(ref _vgaMmioMapping, VgaPci.MmioAddress, 0x1000, VgaPci.MmioRegion);
        Cpu.FlushTlb();
    }

    private void Unmap(ref (ulong Address, ulong Size)? current)
    {
        if (current is not { } old) return;
        Memory.Unmap(old.Address, old.Size);
        InvalidateFrames(old.Address, old.Size);
        current = null;
    }

    private void Map(ref (ulong Address, ulong Size)? current, uint address, ulong size, IMmioHandler handler)
    {
        // A BAR is only mapped where it fits below 4 GiB and above RAM (a guest can program nonsense; it then reaches nothing).
        if (address == 0 || address < Memory.RamSize || (ulong)address + size > 1ul << 32) return;
        Memory.MapMmio(address, size, handler);
        InvalidateFrames(address, size);
        current = (address, size);
    }

    private void InvalidateFrames(ulong address, ulong size)
    {
        for (ulong f = address >> PhysicalMemory.PageShift; f < (address + size + PhysicalMemory.PageSize - 1) >> PhysicalMemory.PageShift; f++)
            Core.Cache.InvalidateFrame(f);
    }

    /// <summary>PCI subsystem vendor / ID that QEMU gives its devices (Red Hat, "QEMU virtual machine"); SeaBIOS checks them.</summary>
    public const ushort QemuSubsystemVendor = 0x1AF4;
    public const ushort QemuSubsystemId = 0x1100;

    public MachineConfig Config => _config;

    /// <summary>What snapshots record and loadvm compares: <see cref="MachineConfig.Describe"/> plus the BIOS image's hash.</summary>
    public string ConfigDescription { get; }

    public VirtualClock Clock { get; } = null!;

    public PhysicalMemory Memory { get; } = null!;

    public PortBus Ports { get; } = null!;

    public CpuState Cpu { get; } = null!;

    public CpuCore Core { get; } = null!;

    public DualPic8259 Pic { get; private set; } = null!;

    /// <summary>The CPU's local APIC, or null when the CPU model has none.</summary>
    public LocalApic? LocalApic { get; private set; }

    /// <summary>The I/O APIC at 0xFEC00000, or null when the CPU model has no APIC.</summary>
    public IoApic? IoApic { get; private set; }

    public Pit8254 Pit { get; } = null!;

    public SystemControlPortA Port92 { get; } = null!;

    public RtcMc146818 Rtc { get; } = null!;

    public Uart16550 Uart { get; } = null!;

    public I8042Controller Keyboard { get; } = null!;

    public PciBus PciBus { get; } = null!;

    public I440fxHostBridge HostBridge { get; } = null!;

    public Piix3IsaBridge IsaBridge { get; } = null!;

    public Piix3Ide Ide { get; } = null!;

    public IdeChannel IdePrimary { get; } = null!;

    public IdeChannel IdeSecondary { get; } = null!;

    public FwCfg FwCfg { get; } = null!;

    public AcpiPm AcpiPm { get; } = null!;

    public IsaDebugExit? DebugExit { get; }

    /// <summary>Every device, in reset and snapshot order.</summary>
    public IReadOnlyList<IDevice> Devices => _devices;

    /// <summary>The opened disk of IDE slot 0–3, or null.</summary>
    public IDisk? GetDisk(int index) => (uint)index < 4 ? _disks[index] : null;

    /// <summary>The image snapshots are stored beside: the first drive with an image (QEMU's first writable disk).</summary>
    public string? SnapshotImagePath => _disks.FirstOrDefault(d => d is not null)?.Path;

    /// <summary>True while the machine does not execute (the monitor's <c>stop</c>, <c>-S</c>, or -no-shutdown after power-off).</summary>
    public bool Paused
    {
        get => _paused;
        set
        {
            if (_paused == value) return;
            _paused = value;
            StateChanged?.Invoke();
        }
    }

    private bool _paused;

    /// <summary>
    /// Raised on the thread that made the change, at once, whenever <see cref="Status"/> or <see cref="ResetCount"/>
    /// changes (stop, cont, a -no-shutdown power-off, any reset): monitors push their events from it instead of polling.
    /// </summary>
    public event Action? StateChanged;

    /// <summary>"running", "paused" or "shutdown", as <c>info status</c> shows.</summary>
    public string Status => Paused ? (_shutdownPaused ? "shutdown" : "paused") : "running";

    private bool _shutdownPaused;

    /// <summary>Number of resets taken (guest-requested or system_reset).</summary>
    public int ResetCount { get; private set; }

    /// <summary>Queues <paramref name="command"/> to run on the machine thread between slices (thread-safe).</summary>
    public void Post(Action command)
    {
        _commands.Enqueue(command);
        Cpu.StopRequested = true;
        _commandPosted.Set();
    }

    /// <summary>Ends <see cref="RunUntilStop"/> with <see cref="MachineStopReason.Quit"/> (call on the machine thread or via <see cref="Post"/>).</summary>
    public void Quit() => RequestExit(new MachineExit(MachineStopReason.Quit, 0));

    /// <summary>Like <see cref="Quit()"/>, with the process exit code <paramref name="exitCode"/> (S2E's serial kill command).</summary>
    public void Quit(int exitCode) => RequestExit(new MachineExit(MachineStopReason.Quit, exitCode));

    /// <summary>
    /// Runs until the guest powers off, asks to exit, resets with -no-reboot, halts for good, or (when given)
    /// <paramref name="maxInstructions"/> more instructions have retired.
    /// </summary>
    public MachineExit RunUntilStop(long maxInstructions = long.MaxValue)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long end = maxInstructions == long.MaxValue ? long.MaxValue : Cpu.Retired + maxInstructions;
        while (true)
        {
            DrainCommands();
            if (_pendingExit is { } done)
            {
                _pendingExit = null;
                return done;
            }
            if (_resetPending)
            {
                _resetPending = false;
                if (_config.NoReboot) return new MachineExit(MachineStopReason.Reset, 0);
                SystemReset();
                continue;
            }
            if (Paused)
            {
                _commandPosted.WaitOne(50);
                continue;
            }
            if (Cpu.Retired >= end) return new MachineExit(MachineStopReason.InstructionLimit, 0);
            if (_hasInput) Uart.PollBackend();
            long slice = Math.Min(_config.SliceInstructions, end - Cpu.Retired);
            long virtualBefore = Clock.Now;
            long hostBefore = System.Diagnostics.Stopwatch.GetTimestamp();
            var reason = Core.Run(slice);
            if (_config.PaceToHostTime) Pace(Clock.Now - virtualBefore, hostBefore);
            if (Core.ShutdownPending)
            {
                // Triple fault: the processor shuts down and the chipset resets the machine.
                Core.ShutdownPending = false;
                _resetPending = true;
                continue;
            }
            switch (reason)
            {
                case StopReason.HaltedForever:
                    if (_pendingExit is null && !_resetPending && _commands.IsEmpty)
                    {
                        // Only a monitor command (reset, quit) can end this halt; an embedder that gave a budget
                        // gets control back instead of blocking here (it may post such a command itself).
                        if (!_hasInput && !MonitorAttached || maxInstructions != long.MaxValue)
                            return new MachineExit(MachineStopReason.HaltedForever, 0);
                        _commandPosted.WaitOne(10);
                    }
                    break;
                case StopReason.Idle:
                    if (_pendingExit is null && !_resetPending && _commands.IsEmpty)
                    {
                        if (!_hasInput && !MonitorAttached) return new MachineExit(MachineStopReason.Idle, 0);
                        // Waiting for host input: nothing in the guest can happen before it arrives.
                        _commandPosted.WaitOne(1);
                    }
                    break;
            }
        }
    }

    /// <summary>Sleeps until host time has caught up with the slice's virtual time (in waits of at most 50 ms; a posted command ends it).</summary>
    private void Pace(long virtualNs, long hostStart)
    {
        while (true)
        {
            long hostNs = (long)(System.Diagnostics.Stopwatch.GetElapsedTime(hostStart).TotalMilliseconds * 1_000_000);
            long aheadMs = (virtualNs - hostNs) / 1_000_000;
            if (aheadMs < 1) return;
            // A posted command (monitor, quit) ends the wait at once.
            if (_commandPosted.WaitOne((int)Math.Min(aheadMs, 50))) return;
        }
    }

    /// <summary>True when a monitor may post commands (idle guests then wait instead of ending the run).</summary>
    public bool MonitorAttached { get; set; }

    /// <summary>A full system reset (the monitor's <c>system_reset</c>, 0xCF9, the 8042's pulse, port 0x92, triple fault).</summary>
    public void SystemReset()
    {
        ResetCount++;
        Cpu.Reset();
        Core.ShutdownPending = false;
        ResetDevices();
        Core.Cache.Flush();
        Cpu.FlushTlb();
        BootKernel(); // direct kernel boot
        StateChanged?.Invoke();
    }

    // ---- direct kernel boot (-kernel/-initrd/-append): KernelLoader places the kernel and starts the CPU at its entry ----
    private readonly KernelLoader? _kernelLoader;

    /// <summary>The ACPI tables given to SeaBIOS through fw_cfg; direct kernel boot places them itself.</summary>
    private AcpiTables? _acpiTables;

    /// <summary>The -kernel loader, or null when the machine boots through the BIOS.</summary>
    public KernelLoader? KernelLoader => _kernelLoader;

    private void BootKernel()
    {
        if (_kernelLoader is null) return;
        Port92.Write(SystemControlPortA.Port, 1, SystemControlPortA.FastA20); // A20 on, as a boot loader leaves it
        // What the firmware would have done before a boot loader ran: enable decoding of both IDE channels
        // (82371SB §2.6.8 IDETIM bit 15, IDE Decode Enable), which OS drivers check before probing a channel.
        Ide.WriteConfig(Piix3Ide.IdetimOffset, 2, 0x8000);
        Ide.WriteConfig(Piix3Ide.IdetimOffset + 2, 2, 0x8000);
        _kernelLoader.Boot(Memory, Cpu, _acpiTables);
        Core.Cache.Flush();
    }
    // ---- end of direct kernel boot ----

    private void ResetDevices()
    {
        foreach (var d in _devices) d.Reset();
        FillCmos();
        UpdateA20();
        Cpu.InterruptCheck = true;
    }

    /// <summary>Asks the run loop to reset the machine at the next block boundary (device callbacks).</summary>
    public void RequestReset()
    {
        _resetPending = true;
        Cpu.StopRequested = true;
    }

    private void RequestExit(MachineExit exit)
    {
        if (exit.Reason == MachineStopReason.PowerOff && _config.NoShutdown)
        {
            _shutdownPaused = true;
            if (Paused) StateChanged?.Invoke();
            Paused = true;
            Cpu.StopRequested = true;
            return;
        }
        _pendingExit ??= exit;
        Cpu.StopRequested = true;
    }

    /// <summary>Resumes after <c>stop</c> (and after a -no-shutdown power-off).</summary>
    public void Continue()
    {
        bool wasShutdown = _shutdownPaused;
        _shutdownPaused = false;
        if (!Paused && wasShutdown) StateChanged?.Invoke();
        Paused = false;
    }

    private void DrainCommands()
    {
        while (_commands.TryDequeue(out var command)) command();
    }

    private void Add(IDevice device) => _devices.Add(device);

    private void UpdateA20() => Cpu.SetA20(Port92.A20Enabled || Keyboard.A20Enabled);

    private void OnPamChanged(I440fxPamSegment segment)
    {
        Memory.SetShadow(segment.BaseAddress, segment.Size, segment.ReadRam, segment.WriteRam);
        // What the CPU fetched from these frames may now come from elsewhere (ROM ↔ RAM).
        for (ulong f = segment.BaseAddress >> PhysicalMemory.PageShift; f < (segment.BaseAddress + segment.Size) >> PhysicalMemory.PageShift; f++)
            Core.Cache.InvalidateFrame(f);
        Cpu.FlushTlb();
    }

    private static byte[] LoadBios(string? path)
    {
        if (string.IsNullOrEmpty(path)) throw new EmulatorException("no BIOS image given (use -bios PATH; fetch SeaBIOS with firmware/fetch-seabios.sh)");
        byte[] bios;
        try
        {
            bios = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new EmulatorException($"could not load BIOS '{path}': {e.Message}", e);
        }
        if (bios.Length == 0 || bios.Length % 0x10000 != 0 || bios.Length > 16 << 20)
            throw new EmulatorException($"BIOS '{path}' has {bios.Length} bytes; it must be a non-empty multiple of 64 KiB, at most 16 MiB");
        return bios;
    }

    private void AttachDrives()
    {
        var seen = new HashSet<int>();
        foreach (var drive in _config.Drives)
        {
            if ((uint)drive.Index >= 4) throw new EmulatorException($"IDE index {drive.Index} is out of range (0-3)");
            if (!seen.Add(drive.Index)) throw new EmulatorException($"IDE index {drive.Index} is used twice");
            IBlockDevice? block = null;
            if (drive.Path is not null)
            {
                IDisk disk;
                try
                {
                    var options = new DiskOpenOptions
                    {
                        Format = drive.Format,
                        Snapshot = drive.Snapshot || _config.Snapshot,
                        ReadOnly = drive.ReadOnly || drive.Media == DriveMedia.Cdrom,
                    };
                    if (drive.Media == DriveMedia.Cdrom && DiskImage.IsS2EMode(drive.Path, options)) options = options with { ReadOnly = false };
                    disk = DiskImage.Open(drive.Path, options);
                }
                catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
                {
                    throw new EmulatorException($"could not open disk image '{drive.Path}': {e.Message}", e);
                }
                _disks[drive.Index] = disk;
                _owned.Add(disk);
                block = new DiskBlockDevice(disk);
            }
            var channel = drive.Index < 2 ? IdePrimary : IdeSecondary;
            IdeDevice device = drive.Media == DriveMedia.Cdrom
                ? new AtapiCdrom(block)
                : new AtaDisk(block ?? throw new EmulatorException($"IDE index {drive.Index}: a disk needs an image file"));
            channel.Attach(drive.Index & 1, device);
        }
    }

    private void FillFwCfg()
    {
        FwCfg.SetRamSize(_config.RamSize);
        FwCfg.SetCpuCount(1, 1);
        FwCfg.AddItem(FwCfgKeys.BootMenu, [0, 0]);
        FwCfg.AddItem(FwCfgKeys.NoGraphic, [_config.NoGraphic ? (byte)1 : (byte)0, 0]);
        FwCfg.SetE820(new FwCfgE820Table().Add(0, _config.RamSize, 1));
        var paths = new List<string>();
        foreach (char c in _config.BootOrder)
        {
            var media = c switch { 'c' => DriveMedia.Disk, 'd' => DriveMedia.Cdrom, _ => (DriveMedia?)null };
            if (media is null) continue;
            foreach (var d in _config.Drives.Where(d => d.Media == media).OrderBy(d => d.Index))
                paths.Add($"/pci@i0cf8/ide@1,1/drive@{d.Index >> 1:x}/disk@{d.Index & 1:x}");
        }
        if (paths.Count > 0) FwCfg.SetBootOrder(paths);
        _acpiTables = new AcpiTableBuilder
        {
            CpuCount = 1,
            PciMemoryStart = (uint)Math.Min(_config.RamSize, MachineConfig.MaxRamSize),
        }.Build();
        FwCfg.SetAcpiTables(_acpiTables);
    }

    private void FillCmos()
    {
        ulong ram = _config.RamSize;
        SetCmosWord(CmosBaseMemLow, 640);
        ulong ext = ram > (1ul << 20) ? Math.Min((ram >> 10) - 1024, 0xFFFF) : 0;
        SetCmosWord(CmosExtMemLow, (ushort)ext);
        SetCmosWord(CmosExtMem2Low, (ushort)ext);
        ulong above16 = ram > (16ul << 20) ? Math.Min((ram - (16ul << 20)) >> 16, 0xFFFF) : 0;
        SetCmosWord(CmosMemAbove16MLow, (ushort)above16);
        Rtc.SetCmosByte(CmosMemAbove4GLow, 0);
        Rtc.SetCmosByte(CmosMemAbove4GLow + 1, 0);
        Rtc.SetCmosByte(CmosMemAbove4GLow + 2, 0);
        Rtc.SetCmosByte(CmosCpuCountMinusOne, 0);
        // Boot order: register 3Dh holds the first (bits 3:0) and second (7:4) device, 38h bits 7:4 the third.
        var codes = _config.BootOrder.Select(c => c switch { 'a' => 1, 'c' => 2, 'd' => 3, 'n' => 4, _ => 0 }).Where(v => v != 0).Take(3).ToArray();
        int At(int i) => i < codes.Length ? codes[i] : 0;
        Rtc.SetCmosByte(CmosBootFlag2, (byte)(At(0) | (At(1) << 4)));
        Rtc.SetCmosByte(CmosBootFlag1, (byte)((At(2) << 4) | 0x01)); // bit 0: skip the floppy boot-signature check
    }

    private void SetCmosWord(int index, ushort value)
    {
        Rtc.SetCmosByte(index, (byte)value);
        Rtc.SetCmosByte(index + 1, (byte)(value >> 8));
    }

    // ---- snapshots ----

    private const string SectionMachine = "machine";
    private const string SectionCpu = "cpu";
    /// <summary>Version 1 RAM: (u64 size, then u64 frame + 4 KiB page per non-zero page, u64 ~0) in one stream. Still read.</summary>
    private const string SectionRamV1 = "ram";
    /// <summary>u64 RAM size, then one bit per page (bit f%8 of byte f/8): set for a page that is in "ram-pages".</summary>
    private const string SectionRamMap = "ram-map";
    /// <summary>The non-zero pages in frame order, 4 KiB each: every 1 MiB chunk holds 256 whole pages, so chunks decode in parallel.</summary>
    private const string SectionRamPages = "ram-pages";
    private const string DevicePrefix = "dev/";
    private const string DiskPrefix = "disk-writes/";
    /// <summary>2: RAM as "ram-map" + "ram-pages" (1: one "ram" stream; still loaded).</summary>
    private const byte MachineStateVersion = 2;

    /// <summary>Writes the whole machine (clock, CPU, RAM, every device, S2E disk write maps) into <paramref name="writer"/>.</summary>
    public void SaveState(SnapshotWriter writer)
    {
        writer.AddSection(SectionMachine, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            w.Write(MachineStateVersion);
            w.Write(Clock.Now);
            w.Write(_resetPending);
            w.Write(ResetCount);
        });
        writer.AddSection(SectionCpu, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            CpuStateSerializer.Save(Cpu, w);
        });
        var map = new byte[RamMapBytes];
        writer.AddSection(SectionRamPages, s => SaveRamPages(s, map), compress: true);
        writer.AddSection(SectionRamMap, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            w.Write(_config.RamSize);
            w.Write(map);
        });
        foreach (var d in _devices)
        {
            writer.AddSection(DevicePrefix + d.Name, s =>
            {
                using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
                d.SaveState(w);
            });
        }
        for (int i = 0; i < 4; i++)
        {
            if (_disks[i] is S2EDisk s2e) writer.AddSection(DiskPrefix + i, s2e.SaveWrites);
        }
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote. Throws <see cref="EmulatorException"/> when the state does not fit.</summary>
    public void LoadState(SnapshotReader reader)
    {
        byte version;
        try
        {
            using (var r = new BinaryReader(reader.OpenSection(SectionMachine)))
            {
                version = r.ReadByte();
                if (version is not (1 or MachineStateVersion)) throw new InvalidDataException($"machine: unsupported state version {version}");
                long now = r.ReadInt64();
                if (now < 0) throw new InvalidDataException("machine: negative clock");
                Clock.Restore(now);
                _resetPending = r.ReadBoolean();
                ResetCount = r.ReadInt32();
            }
            using (var r = new BinaryReader(reader.OpenSection(SectionCpu)))
                CpuStateSerializer.Load(Cpu, r);
            Core.ResyncClock(); // the restored retired count is the clock's base: devices below read the restored time
            if (version == 1)
            {
                using var s = reader.OpenSection(SectionRamV1);
                LoadRamV1(s);
            }
            else
            {
                LoadRamPages(reader);
            }
            foreach (var d in _devices)
            {
                string name = DevicePrefix + d.Name;
                if (!reader.HasSection(name)) throw new InvalidDataException($"the snapshot has no state for device '{d.Name}'");
                using var r = new BinaryReader(reader.OpenSection(name));
                d.LoadState(r);
            }
            for (int i = 0; i < 4; i++)
            {
                string name = DiskPrefix + i;
                if (_disks[i] is S2EDisk s2e)
                {
                    if (reader.HasSection(name))
                    {
                        using var s = reader.OpenSection(name);
                        s2e.LoadWrites(s);
                    }
                    else
                    {
                        using var empty = new MemoryStream();
                        new WriteMap().Serialize(empty);
                        empty.Position = 0;
                        s2e.LoadWrites(empty);
                    }
                }
                else if (reader.HasSection(name))
                {
                    throw new InvalidDataException($"the snapshot holds disk writes for IDE slot {i}, which is not in S2E mode here (use -snapshot or an .s2e image)");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or StorageException)
        {
            throw new EmulatorException($"could not restore the machine state: {e.Message}", e);
        }
        Core.Cache.Flush();
        Core.ResyncClock();
        Core.ShutdownPending = false;
        Cpu.FlushTlb();
        Cpu.InterruptCheck = true;
        Cpu.StopRequested = false;
        UpdateA20AfterLoad();
    }

    private void UpdateA20AfterLoad()
    {
        // The CPU's A20 state was restored with it; devices report theirs the same way.
        bool want = Port92.A20Enabled || Keyboard.A20Enabled;
        if (want != Cpu.A20Enabled) Cpu.SetA20(want);
    }

    private int RamMapBytes => (int)(((_config.RamSize >> PhysicalMemory.PageShift) + 7) / 8);

    /// <summary>
    /// Writes every non-zero RAM page (read straight from the page, whatever ROM or MMIO is mapped over it; a page
    /// never written is not even read) and sets its bit in <paramref name="map"/>.
    /// </summary>
    private void SaveRamPages(Stream stream, byte[] map)
    {
        ulong pages = _config.RamSize >> PhysicalMemory.PageShift;
        for (ulong f = 0; f < pages; f++)
        {
            var page = Memory.RamPageContent(f);
            if (page.IsEmpty || !page.ContainsAnyExcept((byte)0)) continue;
            map[f >> 3] |= (byte)(1 << (int)(f & 7));
            stream.Write(page);
        }
    }

    /// <summary>
    /// Restores RAM from "ram-map" and "ram-pages": all of RAM becomes zero, then the listed pages are decoded on every
    /// core straight into their frames (pages not listed are never touched).
    /// </summary>
    private void LoadRamPages(SnapshotReader reader)
    {
        if (!reader.HasSection(SectionRamMap) || !reader.HasSection(SectionRamPages)) throw new InvalidDataException("the snapshot has no RAM");
        if (reader.SectionLength(SectionRamMap) != 8 + RamMapBytes)
            throw new InvalidDataException($"ram: the page map has {reader.SectionLength(SectionRamMap)} bytes, this machine needs {8 + RamMapBytes}");
        var mapSection = reader.ReadSection(SectionRamMap);
        ulong size = BitConverter.ToUInt64(mapSection, 0);
        if (size != _config.RamSize) throw new InvalidDataException($"ram: the state has {size} bytes of RAM, this machine {_config.RamSize}");
        var map = mapSection.AsSpan(8);
        ulong pages = size >> PhysicalMemory.PageShift;
        var frameList = new List<uint>();
        for (ulong f = 0; f < (ulong)map.Length * 8; f++)
        {
            if ((map[(int)(f >> 3)] & (1 << (int)(f & 7))) == 0) continue;
            if (f >= pages) throw new InvalidDataException("ram: page map marks a page beyond the end of RAM");
            frameList.Add((uint)f);
        }
        var frames = frameList.ToArray();
        if (reader.SectionLength(SectionRamPages) != (long)frames.Length * PhysicalMemory.PageSize)
            throw new InvalidDataException($"ram: {reader.SectionLength(SectionRamPages)} bytes of pages for {frames.Length} pages in the map");
        Memory.ClearRam();
        try
        {
            reader.ReadSectionParallel(SectionRamPages, (offset, length) =>
            {
                if (offset % PhysicalMemory.PageSize != 0 || length % PhysicalMemory.PageSize != 0)
                    throw new InvalidDataException("ram: a chunk of pages does not hold whole pages");
                return Memory.RestoreRamPages(frames.AsSpan((int)(offset / PhysicalMemory.PageSize), length / PhysicalMemory.PageSize));
            });
        }
        catch
        {
            Memory.ClearRam(); // no half-decoded (or never-written) host memory stays visible to the guest
            throw;
        }
    }

    private void LoadRamV1(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        ulong size = r.ReadUInt64();
        if (size != _config.RamSize) throw new InvalidDataException($"ram: the state has {size} bytes of RAM, this machine {_config.RamSize}");
        ulong pages = size >> PhysicalMemory.PageShift;
        Memory.ClearRam();
        var page = new byte[PhysicalMemory.PageSize];
        WithShadowOpen(() =>
        {
            while (true)
            {
                ulong f = r.ReadUInt64();
                if (f == ulong.MaxValue) break;
                if (f >= pages) throw new InvalidDataException("ram: page number out of range");
                r.BaseStream.ReadExactly(page);
                Memory.WritePhysical(f << PhysicalMemory.PageShift, page);
            }
        });
    }

    /// <summary>Runs <paramref name="action"/> with the whole BIOS area as plain RAM, then restores the PAM mapping.</summary>
    private void WithShadowOpen(Action action)
    {
        Memory.SetShadow(0xC0000, 0x40000, readRam: true, writeRam: true);
        try
        {
            action();
        }
        finally
        {
            for (int i = 0; i < I440fxHostBridge.PamSegmentCount; i++) OnPamChanged(HostBridge.GetPamSegment(i));
        }
    }

    /// <summary>
    /// <c>savevm NAME</c>: writes <c>&lt;image&gt;.NAME</c> beside the first disk image, atomically.
    /// </summary>
    public string SaveVm(string name)
    {
        string image = SnapshotImagePath ?? throw new EmulatorException("savevm needs a disk image to store the snapshot beside");
        try
        {
            using var writer = SnapshotFile.Create(image, name, ConfigDescription, Clock.Now, SnapshotDiskFingerprint());
            SaveState(writer);
            writer.Commit();
            return writer.FinalPath;
        }
        catch (StorageException e)
        {
            throw new EmulatorException(e.Message, e);
        }
    }

    /// <summary>
    /// The fingerprint of the image snapshots are stored beside, taken through the disk this machine holds open
    /// (a writable raw image is locked exclusively, so it cannot be reopened by path).
    /// </summary>
    private ImageFingerprint? SnapshotDiskFingerprint() => _disks.FirstOrDefault(d => d is not null) switch
    {
        S2EDisk s2e => s2e.Base.ComputeFingerprint(),
        RawImage raw => raw.ComputeFingerprint(),
        _ => null,
    };

    /// <summary><c>loadvm NAME</c>: restores <c>&lt;image&gt;.NAME</c> after checking the machine and the base image.</summary>
    public void LoadVm(string name)
    {
        string image = SnapshotImagePath ?? throw new EmulatorException("loadvm needs a disk image the snapshot was stored beside");
        try
        {
            using var reader = SnapshotFile.Open(image, name, ConfigDescription, currentImage: SnapshotDiskFingerprint());
            LoadState(reader);
        }
        catch (StorageException e)
        {
            throw new EmulatorException(e.Message, e);
        }
    }

    /// <summary><c>delvm NAME</c>; false when there was no such snapshot.</summary>
    public bool DeleteVm(string name)
    {
        string image = SnapshotImagePath ?? throw new EmulatorException("delvm needs a disk image");
        try
        {
            return SnapshotFile.Delete(image, name);
        }
        catch (StorageException e)
        {
            throw new EmulatorException(e.Message, e);
        }
    }

    /// <summary><c>info snapshots</c>.</summary>
    public IReadOnlyList<SnapshotInfo> ListVms()
    {
        string? image = SnapshotImagePath;
        return image is null ? [] : SnapshotFile.List(image);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeResources();
    }

    private void DisposeResources()
    {
        foreach (var d in _owned)
        {
            try
            {
                d.Dispose();
            }
            catch (IOException)
            {
            }
        }
        _owned.Clear();
        Uart?.Backend.Dispose();
        Cpu?.Tlb.Dispose();
        Memory?.Dispose();
        _commandPosted.Dispose();
    }
}
