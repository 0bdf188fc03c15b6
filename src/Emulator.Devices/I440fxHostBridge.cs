namespace Emulator.Devices;

/// <summary>
/// The 82441FX PCI and Memory Controller (PMC) host bridge, function 00:00.0 (8086:1237). Models the
/// registers the firmware and OS touch: the PAM registers that map the BIOS area between DRAM and ROM/PCI,
/// the SMRAM control register, and the DRAM row boundary and timing registers as plain storage.
/// </summary>
public sealed class I440fxHostBridge : PciDevice
{
    public const ushort VendorIntel = 0x8086;
    public const ushort DeviceId = 0x1237;

    /// <summary>82441FX §3.2.11: PMCCFG, PMC configuration (16-bit).</summary>
    public const int PmccfgOffset = 0x50;
    /// <summary>82441FX §3.2.13: DBC, deturbo/buffer control.</summary>
    public const int DbcOffset = 0x53;
    /// <summary>82441FX §3.2.16: DRAMC, DRAM control.</summary>
    public const int DramcOffset = 0x57;
    /// <summary>82441FX §3.2.17: DRAMT, DRAM timing.</summary>
    public const int DramtOffset = 0x58;
    /// <summary>82441FX §3.2.18: PAM0 (only bits 5:4, the 0xF0000–0xFFFFF BIOS segment, are implemented).</summary>
    public const int Pam0Offset = 0x59;
    /// <summary>82441FX §3.2.18: PAM6, the last programmable attribute map register.</summary>
    public const int Pam6Offset = 0x5F;
    /// <summary>82441FX §3.2.19: DRB0–DRB7, DRAM row boundaries (units of 8 MB).</summary>
    public const int Drb0Offset = 0x60;
    /// <summary>82441FX §3.2.20: FDHC, fixed DRAM hole control.</summary>
    public const int FdhcOffset = 0x68;
    /// <summary>82441FX §3.2.21: MTT, multi-transaction timer.</summary>
    public const int MttOffset = 0x70;
    /// <summary>82441FX §3.2.22: CLT, CPU latency timer.</summary>
    public const int CltOffset = 0x71;
    /// <summary>82441FX §3.2.23: SMRAM, system management RAM control.</summary>
    public const int SmramOffset = 0x72;
    /// <summary>82441FX §3.2.24: ERRCMD, error command.</summary>
    public const int ErrcmdOffset = 0x90;
    /// <summary>82441FX §3.2.25: ERRSTS, error status (write one to clear).</summary>
    public const int ErrstsOffset = 0x91;
    /// <summary>82441FX §3.2.26: TRC, turbo reset control.</summary>
    public const int TrcOffset = 0x93;

    /// <summary>PAM attribute bit: read enable (reads go to DRAM).</summary>
    public const byte PamReadEnable = 0x1;
    /// <summary>PAM attribute bit: write enable (writes go to DRAM).</summary>
    public const byte PamWriteEnable = 0x2;

    /// <summary>SMRAM bit 6: D_OPEN, SMRAM visible to non-SMM accesses.</summary>
    public const byte SmramDOpen = 0x40;
    /// <summary>SMRAM bit 5: D_CLS, data accesses in SMM go to PCI.</summary>
    public const byte SmramDCls = 0x20;
    /// <summary>SMRAM bit 4: D_LCK, locks D_OPEN (and G_SMRAME, D_LCK) until reset.</summary>
    public const byte SmramDLck = 0x10;
    /// <summary>SMRAM bit 3: G_SMRAME, SMRAM enable.</summary>
    public const byte SmramGSmrame = 0x08;
    /// <summary>SMRAM bits 2:0: C_BASE_SEG, hard-wired to 010 (SMRAM at 0xA0000).</summary>
    public const byte SmramCBaseSeg = 0x02;

    /// <summary>Number of PAM segments: one 64 KiB at 0xF0000 and twelve 16 KiB from 0xC0000.</summary>
    public const int PamSegmentCount = 13;

    public I440fxHostBridge()
        : base("i440fx", VendorIntel, DeviceId, revisionId: 0x02, classCode: 0x060000, headerType: 0x00, interruptPin: 0)
    {
        // §3.2.3/§3.2.4: PCICMD bits 2:1 (bus master, memory) hard-wired to 1; only SERR# enable (bit 8) is writable.
        SetConfigWord(CommandOffset, 0x0006);
        SetWriteMask(CommandOffset, 2, 0x0100);
        // §3.2.4: PCISTS default 0280h (fast back-to-back, DEVSEL medium); error bits are write-one-to-clear.
        SetConfigWord(StatusOffset, 0x0280);
        SetW1cMask(StatusOffset, 2, 0xF900);
        SetWriteMask(LatencyTimerOffset, 1, 0xF8);
        SetWriteMask(PmccfgOffset, 2, 0xFFFF);
        SetConfigByte(DbcOffset, 0x80);
        SetWriteMask(DbcOffset, 1, 0xFF);
        SetWriteMask(0x55, 2, 0xFFFF);
        SetConfigByte(DramcOffset, 0x01);
        SetWriteMask(DramcOffset, 1, 0xFF);
        SetConfigByte(DramtOffset, 0x10);
        SetWriteMask(DramtOffset, 1, 0xFF);
        SetWriteMask(Pam0Offset, 1, 0x30);
        for (int r = Pam0Offset + 1; r <= Pam6Offset; r++) SetWriteMask(r, 1, 0x33);
        for (int i = 0; i < 8; i++)
        {
            SetConfigByte(Drb0Offset + i, 0x01);
            SetWriteMask(Drb0Offset + i, 1, 0xFF);
        }
        SetWriteMask(FdhcOffset, 1, 0xC0);
        SetConfigByte(MttOffset, 0x20);
        SetWriteMask(MttOffset, 1, 0xF8);
        SetConfigByte(CltOffset, 0x10);
        SetWriteMask(CltOffset, 1, 0xFF);
        SetConfigByte(SmramOffset, SmramCBaseSeg);
        SetWriteMask(SmramOffset, 1, 0x78);
        SetWriteMask(ErrcmdOffset, 1, 0xFF);
        SetW1cMask(ErrstsOffset, 1, 0xFF);
        SetWriteMask(TrcOffset, 1, 0x0E);
        CaptureDefaults();
    }

    /// <summary>Raised when a PAM segment's attributes change, and for every segment on reset/restore.</summary>
    public event Action<I440fxPamSegment>? PamChanged;

    /// <summary>Raised with the new SMRAM register value when it changes (and on reset/restore).</summary>
    public event Action<byte>? SmramChanged;

    public byte Smram => ConfigByte(SmramOffset);

    /// <summary>True when non-SMM accesses to 0xA0000–0xBFFFF hit SMRAM (G_SMRAME and D_OPEN).</summary>
    public bool SmramOpen => (Smram & (SmramGSmrame | SmramDOpen)) == (SmramGSmrame | SmramDOpen);

    /// <summary>The base address and size of PAM segment <paramref name="index"/> (0 = 0xF0000 64 KiB, 1–12 = 0xC0000 + 16 KiB × (index − 1)).</summary>
    public static (uint BaseAddress, uint Size) PamSegmentRange(int index)
    {
        if ((uint)index >= PamSegmentCount) throw new ArgumentOutOfRangeException(nameof(index));
        return index == 0 ? (0xF0000u, 0x10000u) : (0xC0000u + 0x4000u * (uint)(index - 1), 0x4000u);
    }

    public I440fxPamSegment GetPamSegment(int index)
    {
        var (b, s) = PamSegmentRange(index);
        byte attr = PamAttributes(index);
        return new I440fxPamSegment(index, b, s, (attr & PamReadEnable) != 0, (attr & PamWriteEnable) != 0);
    }

    public override void Reset()
    {
        base.Reset();
        NotifyAll();
    }

    public override void LoadState(BinaryReader reader)
    {
        base.LoadState(reader);
        NotifyAll();
    }

    protected override void OnConfigWritten(int offset, int size)
    {
        // Called after the masked write; PAM changes are reported per segment.
        for (int off = offset; off < offset + size; off++)
        {
            if (off is >= Pam0Offset and <= Pam6Offset)
            {
                int lowSeg = off == Pam0Offset ? -1 : 2 * (off - Pam0Offset) - 1;
                if (lowSeg >= 0) Notify(lowSeg);
                Notify(off == Pam0Offset ? 0 : lowSeg + 1);
            }
        }
        if (offset <= SmramOffset && offset + size > SmramOffset) SmramChanged?.Invoke(Smram);
    }

    // §3.2.23: once D_LCK is set, D_OPEN is forced to 0 and D_LCK, G_SMRAME and D_OPEN are read-only until reset.
    protected override byte FilterConfigWrite(int offset, byte oldValue, byte maskedValue)
    {
        if (offset != SmramOffset) return maskedValue;
        if ((oldValue & SmramDLck) != 0)
        {
            return (byte)((maskedValue & SmramDCls) | (oldValue & (SmramDLck | SmramGSmrame)) | SmramCBaseSeg);
        }
        if ((maskedValue & SmramDLck) != 0) return (byte)(maskedValue & ~SmramDOpen);
        return maskedValue;
    }

    private byte PamAttributes(int segment)
    {
        if (segment == 0) return (byte)((ConfigByte(Pam0Offset) >> 4) & 3);
        byte reg = ConfigByte(Pam0Offset + (segment + 1) / 2);
        return (byte)((segment & 1) == 1 ? reg & 3 : (reg >> 4) & 3);
    }

    private void Notify(int segment) => PamChanged?.Invoke(GetPamSegment(segment));

    private void NotifyAll()
    {
        for (int i = 0; i < PamSegmentCount; i++) Notify(i);
        SmramChanged?.Invoke(Smram);
    }
}
