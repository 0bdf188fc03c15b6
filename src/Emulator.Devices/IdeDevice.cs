using System.Text;

namespace Emulator.Devices;

/// <summary>
/// A device on an <see cref="IdeChannel"/>: an <see cref="AtaDisk"/> or an <see cref="AtapiCdrom"/>.
/// Holds what both share: the transfer-mode settings of SET FEATURES and the IDENTIFY string encoding.
/// </summary>
public abstract class IdeDevice
{
    private protected const int DefaultPioMode = 4;

    private protected IdeDevice(string model, string serial, string firmwareRevision)
    {
        Model = model;
        Serial = serial;
        FirmwareRevision = firmwareRevision;
    }

    public string Model { get; }

    public string Serial { get; }

    public string FirmwareRevision { get; }

    /// <summary>True for a packet (ATAPI) device.</summary>
    public abstract bool IsPacketDevice { get; }

    /// <summary>Selected multiword DMA mode (0–2) or −1.</summary>
    public int MultiwordDmaMode { get; private protected set; } = -1;

    /// <summary>Selected Ultra DMA mode (0–5) or −1.</summary>
    public int UltraDmaMode { get; private protected set; } = 5;

    public int PioMode { get; private protected set; } = DefaultPioMode;

    internal IdeChannel? Channel { get; set; }

    internal int Unit { get; set; }

    private protected IdeTaskFile Regs => Channel!.TaskFiles[Unit];

    /// <summary>DRDY plus, for ATA devices, DSC: the idle status of this device.</summary>
    private protected byte ReadyStatus => IsPacketDevice ? AtaRegisters.StatusDrdy : (byte)(AtaRegisters.StatusDrdy | AtaRegisters.StatusDsc);

    internal abstract void ExecuteCommand(byte command);

    /// <summary>The host has read or written the whole PIO block started by this device.</summary>
    internal abstract void PioBlockDone();

    /// <summary>Performs the pending DMA transfer through <paramref name="busMaster"/> and completes the command.</summary>
    internal abstract void RunDma(IdeBusMaster busMaster);

    /// <summary>Drops any command in progress (new command, SRST).</summary>
    internal abstract void AbortCommand();

    /// <summary>Hardware reset: power-on defaults, signature and status.</summary>
    internal virtual void PowerOnReset()
    {
        MultiwordDmaMode = -1;
        UltraDmaMode = 5;
        PioMode = DefaultPioMode;
        SoftwareReset();
    }

    /// <summary>Software reset / diagnostic: signature and post-reset status (ATA-6 §9.2, §9.12).</summary>
    internal virtual void SoftwareReset()
    {
        AbortCommand();
        Regs.SetSignature(IsPacketDevice);
        Regs.Error = 0x01;
        // §9.12: a packet device clears DRDY after reset; an ATA device sets DRDY.
        Regs.Status = IsPacketDevice ? (byte)0 : (byte)(AtaRegisters.StatusDrdy | AtaRegisters.StatusDsc);
        Regs.InterruptPending = false;
    }

    internal virtual void SaveState(BinaryWriter writer)
    {
        writer.Write((sbyte)MultiwordDmaMode);
        writer.Write((sbyte)UltraDmaMode);
        writer.Write((sbyte)PioMode);
    }

    internal virtual void LoadState(BinaryReader reader)
    {
        int mw = reader.ReadSByte(), udma = reader.ReadSByte(), pio = reader.ReadSByte();
        if (mw is < -1 or > 2 || udma is < -1 or > 5 || pio is < 0 or > 4) throw new InvalidDataException("ide: bad transfer modes");
        MultiwordDmaMode = mw;
        UltraDmaMode = udma;
        PioMode = pio;
    }

    private protected void CompleteCommand()
    {
        Regs.Status = ReadyStatus;
        Regs.Error = 0;
        Channel!.RaiseInterrupt(Unit);
    }

    private protected void FailCommand(byte error)
    {
        Regs.Status = (byte)(ReadyStatus | AtaRegisters.StatusErr);
        Regs.Error = error;
        Channel!.RaiseInterrupt(Unit);
    }

    /// <summary>SET FEATURES 03h (ATA-6 §8.37.10): the transfer mode in the sector count register. False if invalid.</summary>
    private protected bool SetTransferMode(byte value)
    {
        int mode = value & 0x07;
        switch (value >> 3)
        {
            case 0: // PIO default mode (with or without IORDY)
                if (mode > 1) return false;
                PioMode = DefaultPioMode;
                return true;
            case 1: // PIO flow control transfer mode x
                if (mode > 4) return false;
                PioMode = mode;
                return true;
            case 4: // multiword DMA mode x
                if (mode > 2) return false;
                MultiwordDmaMode = mode;
                UltraDmaMode = -1;
                return true;
            case 8: // Ultra DMA mode x
                if (mode > 5) return false;
                UltraDmaMode = mode;
                MultiwordDmaMode = -1;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Fills the IDENTIFY words common to ATA and packet devices: strings, timing and transfer modes.</summary>
    private protected void FillCommonIdentify(ushort[] id)
    {
        WriteAtaString(id, 10, 10, Serial);       // words 10–19: serial number
        WriteAtaString(id, 23, 4, FirmwareRevision); // words 23–26: firmware revision
        WriteAtaString(id, 27, 20, Model);        // words 27–46: model number
        id[51] = 0x0200;                          // word 51: PIO data transfer cycle timing mode (obsolete), mode 2
        id[63] = (ushort)(0x0007 | (MultiwordDmaMode >= 0 ? 0x0100 << MultiwordDmaMode : 0)); // word 63: MWDMA 0–2 supported
        id[64] = 0x0003;                          // word 64: PIO modes 3 and 4 supported
        id[65] = 120;                             // word 65: minimum MWDMA cycle time (ns)
        id[66] = 120;                             // word 66: recommended MWDMA cycle time
        id[67] = 120;                             // word 67: minimum PIO cycle time without flow control
        id[68] = 120;                             // word 68: minimum PIO cycle time with IORDY
        id[80] = 0x007E;                          // word 80: major version, ATA-1 … ATA/ATAPI-6
        id[88] = (ushort)(0x003F | (UltraDmaMode >= 0 ? 0x0100 << UltraDmaMode : 0)); // word 88: UDMA 0–5 supported
        id[93] = 0x6001;                          // word 93: hardware reset result, 80-conductor cable detected
    }

    /// <summary>
    /// ATA string encoding (ATA-6 §8.15.8): ASCII padded with spaces, two characters per word with the first
    /// character in bits 15:8.
    /// </summary>
    public static void WriteAtaString(ushort[] words, int firstWord, int wordCount, string text)
    {
        Span<byte> chars = stackalloc byte[wordCount * 2];
        chars.Fill((byte)' ');
        int n = Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, chars.Length)), chars);
        _ = n;
        for (int i = 0; i < wordCount; i++) words[firstWord + i] = (ushort)((chars[2 * i] << 8) | chars[2 * i + 1]);
    }

    /// <summary>Word 255 (ATA-6 §8.15.62): signature A5h in bits 7:0, bits 15:8 make all 512 bytes sum to zero.</summary>
    public static void SetIdentifyChecksum(ushort[] words)
    {
        int sum = 0xA5;
        for (int i = 0; i < 255; i++) sum += (words[i] & 0xFF) + (words[i] >> 8);
        words[255] = (ushort)(0xA5 | (((-sum) & 0xFF) << 8));
    }

    private protected static void WordsToBytes(ushort[] words, Span<byte> dest)
    {
        for (int i = 0; i < 256; i++)
        {
            dest[2 * i] = (byte)words[i];
            dest[2 * i + 1] = (byte)(words[i] >> 8);
        }
    }
}
