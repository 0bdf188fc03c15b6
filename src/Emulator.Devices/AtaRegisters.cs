namespace Emulator.Devices;

/// <summary>ATA/ATAPI-6 register bit definitions (T13/1410D §7: status, error, device control).</summary>
public static class AtaRegisters
{
    /// <summary>§7.15.6: BSY, device busy.</summary>
    public const byte StatusBsy = 0x80;
    /// <summary>§7.15.6: DRDY, device ready.</summary>
    public const byte StatusDrdy = 0x40;
    /// <summary>§7.15.6: DF, device fault.</summary>
    public const byte StatusDf = 0x20;
    /// <summary>§7.15.6: DSC (seek complete; command dependent in ATA-6, SERV for packet devices).</summary>
    public const byte StatusDsc = 0x10;
    /// <summary>§7.15.6: DRQ, data request.</summary>
    public const byte StatusDrq = 0x08;
    /// <summary>§7.15.6: ERR, an error occurred (details in the error register).</summary>
    public const byte StatusErr = 0x01;

    /// <summary>§7.11: ICRC, interface CRC error.</summary>
    public const byte ErrorIcrc = 0x80;
    /// <summary>§7.11: UNC, uncorrectable data error.</summary>
    public const byte ErrorUnc = 0x40;
    /// <summary>§7.11: MC, media changed.</summary>
    public const byte ErrorMc = 0x20;
    /// <summary>§7.11: IDNF, requested address not found / out of range.</summary>
    public const byte ErrorIdnf = 0x10;
    /// <summary>§7.11: MCR, media change request.</summary>
    public const byte ErrorMcr = 0x08;
    /// <summary>§7.11: ABRT, command aborted.</summary>
    public const byte ErrorAbrt = 0x04;
    /// <summary>§7.11: NM, no media.</summary>
    public const byte ErrorNm = 0x02;

    /// <summary>§7.9: device control bit 1, nIEN (interrupt disable).</summary>
    public const byte ControlNien = 0x02;
    /// <summary>§7.9: device control bit 2, SRST (software reset).</summary>
    public const byte ControlSrst = 0x04;
    /// <summary>§7.9: device control bit 7, HOB (read the previous value of the 48-bit FIFO registers).</summary>
    public const byte ControlHob = 0x80;

    /// <summary>§7.10: device register bit 6, LBA addressing.</summary>
    public const byte DeviceLba = 0x40;
    /// <summary>§7.10: device register bit 4, DEV (device 1 selected).</summary>
    public const byte DeviceDev = 0x10;

    /// <summary>§8.21.6 (ATAPI): interrupt reason bit 0, CoD (command packet / status phase).</summary>
    public const byte InterruptReasonCoD = 0x01;
    /// <summary>§8.21.6 (ATAPI): interrupt reason bit 1, IO (transfer to the host).</summary>
    public const byte InterruptReasonIo = 0x02;
}
