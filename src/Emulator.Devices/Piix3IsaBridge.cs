using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The 82371SB (PIIX3) PCI-to-ISA bridge, function 00:01.0 (8086:7000). Besides the configuration registers it
/// implements the PIRQ router (§2.2.11, PIRQRC[A:D] at 0x60–0x63): the four PCI interrupt wires PIRQA#–PIRQD#
/// are steered to ISA IRQs, and the bridge drives those ISA lines (the lines of several PIRQs on one IRQ are ORed).
/// The board connects device <c>d</c>'s pin INTx (0 = INTA#) to PIRQ <c>(d + x − 1) mod 4</c>, the PC wiring.
/// </summary>
public sealed class Piix3IsaBridge : PciDevice
{
    public const ushort DeviceId = 0x7000;

    /// <summary>82371SB §2.2.4: IORT, ISA I/O recovery timer (default 4Dh).</summary>
    public const int IortOffset = 0x4C;
    /// <summary>82371SB §2.2.5: XBCS, X-bus chip select enable (16-bit, default 0003h).</summary>
    public const int XbcsOffset = 0x4E;
    /// <summary>82371SB §2.2.6: PIRQRC[A], PIRQ route control; B, C, D follow at 0x61–0x63.</summary>
    public const int PirqrcOffset = 0x60;
    /// <summary>82371SB §2.2.7: TOM, top of memory (default 02h).</summary>
    public const int TomOffset = 0x69;
    /// <summary>82371SB §2.2.8: MSTAT, miscellaneous status (16-bit).</summary>
    public const int MstatOffset = 0x6A;
    /// <summary>82371SB §2.2.9: MBIRQ0, motherboard device IRQ route control 0 (default 80h).</summary>
    public const int Mbirq0Offset = 0x70;
    /// <summary>82371SB §2.2.10: MBDMA0/1, motherboard device DMA control (default 04h each).</summary>
    public const int MbdmaOffset = 0x76;
    /// <summary>82371SB §2.2.12: PCSC, programmable chip select control (16-bit, default 0002h).</summary>
    public const int PcscOffset = 0x78;
    /// <summary>82371SB §2.2.13: APICBASE, I/O APIC base address relocation.</summary>
    public const int ApicbaseOffset = 0x80;
    /// <summary>82371SB §2.2.14: DLC, deterministic latency control.</summary>
    public const int DlcOffset = 0x82;
    /// <summary>82371SB §2.2.15: SMICNTL, SMI control (default 08h).</summary>
    public const int SmicntlOffset = 0xA0;
    /// <summary>82371SB §2.2.16: SMIEN, SMI enable (16-bit).</summary>
    public const int SmienOffset = 0xA2;
    /// <summary>82371SB §2.2.17: SEE, system event enable (32-bit).</summary>
    public const int SeeOffset = 0xA4;
    /// <summary>82371SB §2.2.18: FTMR, fast off timer (default 0Fh).</summary>
    public const int FtmrOffset = 0xA8;
    /// <summary>82371SB §2.2.19: SMIREQ, SMI request (16-bit).</summary>
    public const int SmireqOffset = 0xAA;
    /// <summary>82371SB §2.2.20/21: CTLTMR and CTHTMR, clock scale timers.</summary>
    public const int CtltmrOffset = 0xAC;

    /// <summary>PIRQRC bit 7: IRQROUTEN, 1 = routing disabled.</summary>
    public const byte PirqRoutingDisabled = 0x80;

    private const byte StateVersion = 1;
    private const int SourceCount = 32 * 4;

    private readonly Func<int, IInterruptLine?> _isaIrq;
    private readonly bool[] _sourceLevel = new bool[SourceCount];
    private readonly bool[] _drivenIrq = new bool[16];

    /// <param name="isaIrq">The ISA IRQ input (0–15) the bridge drives, usually the 8259 pair's input pins.</param>
    public Piix3IsaBridge(Func<int, IInterruptLine?> isaIrq)
        : base("piix3-isa", I440fxHostBridge.VendorIntel, DeviceId, revisionId: 0x00, classCode: 0x060100, headerType: 0x80, interruptPin: 0)
    {
        _isaIrq = isaIrq;
        // §2.2.2/§2.2.3: PCICMD default 0007h, only special-cycle enable (bit 3) writable; PCISTS default 0200h.
        SetConfigWord(CommandOffset, 0x0007);
        SetWriteMask(CommandOffset, 2, 0x0008);
        SetConfigWord(StatusOffset, 0x0200);
        SetW1cMask(StatusOffset, 2, 0x7800);
        SetConfigByte(IortOffset, 0x4D);
        SetWriteMask(IortOffset, 1, 0xFF);
        SetConfigWord(XbcsOffset, 0x0003);
        SetWriteMask(XbcsOffset, 2, 0x07FF);
        for (int i = 0; i < 4; i++)
        {
            SetConfigByte(PirqrcOffset + i, PirqRoutingDisabled);
            SetWriteMask(PirqrcOffset + i, 1, 0x8F);
        }
        SetConfigByte(TomOffset, 0x02);
        SetWriteMask(TomOffset, 1, 0xFF);
        SetWriteMask(MstatOffset, 2, 0x0001);
        SetConfigByte(Mbirq0Offset, 0x80);
        SetWriteMask(Mbirq0Offset, 1, 0xEF);
        SetConfigByte(Mbirq0Offset + 1, 0x80);
        SetWriteMask(Mbirq0Offset + 1, 1, 0xEF);
        SetConfigByte(MbdmaOffset, 0x04);
        SetConfigByte(MbdmaOffset + 1, 0x04);
        SetWriteMask(MbdmaOffset, 2, 0x8787);
        SetConfigWord(PcscOffset, 0x0002);
        SetWriteMask(PcscOffset, 2, 0xFFFF);
        SetWriteMask(ApicbaseOffset, 1, 0x7F);
        SetWriteMask(DlcOffset, 1, 0x0F);
        SetConfigByte(SmicntlOffset, 0x08);
        SetWriteMask(SmicntlOffset, 1, 0x1F);
        SetWriteMask(SmienOffset, 2, 0x00FF);
        SetWriteMask(SeeOffset, 4, 0xE000_FFFF);
        SetConfigByte(FtmrOffset, 0x0F);
        SetWriteMask(FtmrOffset, 1, 0xFF);
        SetWriteMask(SmireqOffset, 2, 0x01FF);
        SetWriteMask(CtltmrOffset, 1, 0xFF);
        SetWriteMask(CtltmrOffset + 2, 1, 0xFF);
        CaptureDefaults();
    }

    /// <summary>Raised after a PIRQ route register changed (the machine may log or rebuild its IRQ map).</summary>
    public event Action? RoutingChanged;

    /// <summary>The board's PIRQ wiring: PIRQ index 0–3 (A–D) for device <paramref name="device"/>, pin 0–3 (INTA#–INTD#).</summary>
    public static int PirqForIntx(int device, int pin) => (device + pin - 1) & 3;

    /// <summary>The ISA IRQ that PIRQ <paramref name="pirq"/> (0–3) is routed to, or −1 when routing is disabled or reserved.</summary>
    public int GetPirqIrq(int pirq)
    {
        if ((uint)pirq >= 4) return -1;
        byte r = ConfigByte(PirqrcOffset + pirq);
        if ((r & PirqRoutingDisabled) != 0) return -1;
        int irq = r & 0x0F;
        // §2.2.6: IRQ0–2, 8 and 13 are reserved encodings.
        return irq is 0 or 1 or 2 or 8 or 13 ? -1 : irq;
    }

    /// <summary>The ISA IRQ device <paramref name="device"/>'s pin <paramref name="pin"/> currently reaches, or −1.</summary>
    public int GetIrqForIntx(int device, int pin) => GetPirqIrq(PirqForIntx(device, pin));

    /// <summary>The wire for one PCI INTx pin; pass <c>GetIntxLine</c> to <see cref="PciBus.IntxRouter"/>.</summary>
    public IInterruptLine GetIntxLine(int device, int pin)
    {
        if ((uint)device >= 32) throw new ArgumentOutOfRangeException(nameof(device));
        if ((uint)pin >= 4) throw new ArgumentOutOfRangeException(nameof(pin));
        return new IntxLine(this, device * 4 + pin);
    }

    public bool IsPirqAsserted(int pirq)
    {
        for (int s = 0; s < SourceCount; s++)
        {
            if (_sourceLevel[s] && PirqForIntx(s / 4, s % 4) == pirq) return true;
        }
        return false;
    }

    public override void Reset()
    {
        base.Reset();
        UpdateIrqs();
    }

    public override void SaveState(BinaryWriter writer)
    {
        base.SaveState(writer);
        writer.Write(StateVersion);
        for (int i = 0; i < SourceCount; i++) writer.Write(_sourceLevel[i]);
    }

    public override void LoadState(BinaryReader reader)
    {
        base.LoadState(reader);
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException(Name + ": unsupported state version");
        for (int i = 0; i < SourceCount; i++) _sourceLevel[i] = reader.ReadBoolean();
        UpdateIrqs();
    }

    protected override void OnConfigWritten(int offset, int size)
    {
        if (offset < PirqrcOffset + 4 && offset + size > PirqrcOffset)
        {
            UpdateIrqs();
            RoutingChanged?.Invoke();
        }
    }

    private void SetSource(int source, bool level)
    {
        if (_sourceLevel[source] == level) return;
        _sourceLevel[source] = level;
        UpdateIrqs();
    }

    private void UpdateIrqs()
    {
        Span<bool> want = stackalloc bool[16];
        for (int p = 0; p < 4; p++)
        {
            int irq = GetPirqIrq(p);
            if (irq >= 0 && IsPirqAsserted(p)) want[irq] = true;
        }
        for (int irq = 0; irq < 16; irq++)
        {
            if (want[irq] == _drivenIrq[irq]) continue;
            _drivenIrq[irq] = want[irq];
            _isaIrq(irq)?.SetLevel(want[irq]);
        }
    }

    private sealed class IntxLine(Piix3IsaBridge bridge, int source) : IInterruptLine
    {
        public void SetLevel(bool high) => bridge.SetSource(source, high);
    }
}
