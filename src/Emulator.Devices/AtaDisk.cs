using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// An ATA hard disk (ATA/ATAPI-6, T13/1410D) on an <see cref="IBlockDevice"/>: 28- and 48-bit LBA and CHS
/// addressing, PIO (single sector and multiple) and bus-master DMA transfers, cache flush, power management,
/// SET FEATURES and the IDENTIFY DEVICE data. Guest-supplied addresses are range-checked (IDNF); a read-only
/// or failing block device produces an ATA error, never an exception.
/// </summary>
public sealed class AtaDisk : IdeDevice
{
    /// <summary>Largest READ/WRITE MULTIPLE block (IDENTIFY word 47).</summary>
    public const int MaxMultipleSectors = 16;

    private const int SectorSize = IBlockDevice.SectorSize;
    private const long Lba28Limit = 0x0FFF_FFFF;
    private const int DmaChunkSectors = 128;

    private readonly IBlockDevice _disk;
    private readonly int _defaultCylinders;
    private DiskOp _op;
    private long _lba;
    private int _remaining;
    private int _blockSectors;
    private int _multiple;
    private int _heads;
    private int _sectorsPerTrack;
    private bool _writeCache;
    private bool _standby;

    public AtaDisk(IBlockDevice disk, string model = "EMULATOR HARDDISK", string serial = "EM0000000001", string firmwareRevision = "1.0")
        : base(model, serial, firmwareRevision)
    {
        _disk = disk;
        long chsSectors = Math.Min(disk.SectorCount, 16383L * 16 * 63);
        _defaultCylinders = (int)Math.Max(1, chsSectors / (16 * 63));
        _heads = 16;
        _sectorsPerTrack = 63;
        _writeCache = true;
    }

    public override bool IsPacketDevice => false;

    public IBlockDevice BlockDevice => _disk;

    /// <summary>Current READ/WRITE MULTIPLE block size in sectors (0 = disabled).</summary>
    public int MultipleSectors => _multiple;

    public bool WriteCacheEnabled => _writeCache;

    /// <summary>Default CHS translation (IDENTIFY words 1, 3, 6).</summary>
    public (int Cylinders, int Heads, int SectorsPerTrack) DefaultGeometry => (_defaultCylinders, 16, 63);

    /// <summary>Builds the 256 IDENTIFY DEVICE words (ATA-6 §8.15, Table 16).</summary>
    public ushort[] BuildIdentify()
    {
        var id = new ushort[256];
        long sectors = _disk.SectorCount;
        long lba28 = Math.Min(sectors, Lba28Limit);
        int curCyl = CurrentCylinders;
        long curCapacity = Math.Min((long)curCyl * _heads * _sectorsPerTrack, sectors);
        id[0] = 0x0040;                                 // word 0: ATA device, fixed
        id[1] = (ushort)_defaultCylinders;              // word 1: default cylinders
        id[3] = 16;                                     // word 3: default heads
        id[6] = 63;                                     // word 6: default sectors per track
        FillCommonIdentify(id);
        id[47] = 0x8000 | MaxMultipleSectors;           // word 47: 80h, max sectors per READ/WRITE MULTIPLE
        id[49] = 0x0F00;                                // word 49: IORDY, IORDY disable, LBA, DMA supported
        id[50] = 0x4000;                                // word 50: bit 14 shall be one
        id[53] = 0x0007;                                // word 53: words 54–58, 64–70 and 88 valid
        id[54] = (ushort)curCyl;                        // word 54: current cylinders
        id[55] = (ushort)_heads;                        // word 55: current heads
        id[56] = (ushort)_sectorsPerTrack;              // word 56: current sectors per track
        id[57] = (ushort)curCapacity;                   // words 57–58: current capacity in sectors
        id[58] = (ushort)(curCapacity >> 16);
        id[59] = (ushort)(_multiple != 0 ? 0x0100 | _multiple : 0); // word 59: multiple setting valid + current
        id[60] = (ushort)lba28;                         // words 60–61: total user addressable sectors (28-bit)
        id[61] = (ushort)(lba28 >> 16);
        id[82] = (ushort)(0x4000 | 0x0020 | 0x0008);    // word 82: NOP, write cache, power management supported
        id[83] = (ushort)(0x4000 | 0x2000 | 0x1000 | 0x0400); // word 83: FLUSH CACHE EXT, FLUSH CACHE, 48-bit address
        id[84] = 0x4000;                                // word 84: bit 14 shall be one
        id[85] = (ushort)(0x4000 | (_writeCache ? 0x0020 : 0) | 0x0008); // word 85: enabled features
        id[86] = (ushort)(0x2000 | 0x1000 | 0x0400);    // word 86: FLUSH CACHE EXT, FLUSH CACHE, 48-bit enabled
        id[87] = 0x4000;                                // word 87: bit 14 shall be one
        id[100] = (ushort)sectors;                      // words 100–103: max user LBA for 48-bit + 1
        id[101] = (ushort)(sectors >> 16);
        id[102] = (ushort)(sectors >> 32);
        id[103] = (ushort)(sectors >> 48);
        SetIdentifyChecksum(id);
        return id;
    }

    internal override void ExecuteCommand(byte command)
    {
        switch (command)
        {
            case AtaCommand.ReadSectors or AtaCommand.ReadSectorsNoRetry: StartPio(read: true, ext: false, multiple: false); break;
            case AtaCommand.ReadSectorsExt: StartPio(read: true, ext: true, multiple: false); break;
            case AtaCommand.ReadMultiple: StartPio(read: true, ext: false, multiple: true); break;
            case AtaCommand.ReadMultipleExt: StartPio(read: true, ext: true, multiple: true); break;
            case AtaCommand.WriteSectors or AtaCommand.WriteSectorsNoRetry: StartPio(read: false, ext: false, multiple: false); break;
            case AtaCommand.WriteSectorsExt: StartPio(read: false, ext: true, multiple: false); break;
            case AtaCommand.WriteMultiple: StartPio(read: false, ext: false, multiple: true); break;
            case AtaCommand.WriteMultipleExt: StartPio(read: false, ext: true, multiple: true); break;
            case AtaCommand.ReadDma or AtaCommand.ReadDmaNoRetry: StartDma(read: true, ext: false); break;
            case AtaCommand.ReadDmaExt: StartDma(read: true, ext: true); break;
            case AtaCommand.WriteDma or AtaCommand.WriteDmaNoRetry: StartDma(read: false, ext: false); break;
            case AtaCommand.WriteDmaExt: StartDma(read: false, ext: true); break;
            case AtaCommand.ReadVerifySectors or AtaCommand.ReadVerifySectorsNoRetry: Verify(ext: false); break;
            case AtaCommand.ReadVerifySectorsExt: Verify(ext: true); break;
            case AtaCommand.FlushCache or AtaCommand.FlushCacheExt:
                if (Flush()) CompleteCommand();
                else FailCommand(AtaRegisters.ErrorAbrt);
                break;
            case AtaCommand.IdentifyDevice: Identify(); break;
            case AtaCommand.SetFeatures: SetFeatures(); break;
            case AtaCommand.SetMultipleMode: SetMultipleMode(); break;
            case AtaCommand.InitializeDeviceParameters: InitializeDeviceParameters(); break;
            case >= AtaCommand.Recalibrate and <= 0x1F:
            case >= AtaCommand.Seek and <= 0x7F:
                _standby = false;
                CompleteCommand();
                break;
            case AtaCommand.StandbyImmediate or AtaCommand.StandbyImmediateAlt or AtaCommand.Standby or AtaCommand.StandbyAlt
                or AtaCommand.Sleep or AtaCommand.SleepAlt:
                Flush();
                _standby = true;
                CompleteCommand();
                break;
            case AtaCommand.IdleImmediate or AtaCommand.IdleImmediateAlt or AtaCommand.Idle or AtaCommand.IdleAlt:
                _standby = false;
                CompleteCommand();
                break;
            case AtaCommand.CheckPowerMode or AtaCommand.CheckPowerModeAlt:
                // §8.6: sector count FFh = active or idle, 00h = standby.
                CompleteCommand();
                Regs.SectorCount = _standby ? (byte)0x00 : (byte)0xFF;
                break;
            case AtaCommand.ReadNativeMaxAddress: ReadNativeMax(ext: false); break;
            case AtaCommand.ReadNativeMaxAddressExt: ReadNativeMax(ext: true); break;
            default:
                // NOP, DEVICE RESET, PACKET, IDENTIFY PACKET DEVICE and anything unknown are aborted.
                FailCommand(AtaRegisters.ErrorAbrt);
                break;
        }
    }

    internal override void PioBlockDone()
    {
        switch (_op)
        {
            case DiskOp.PioRead:
                int done = Math.Min(_blockSectors, _remaining);
                _lba += done;
                _remaining -= done;
                if (_remaining > 0) SendReadBlock();
                else
                {
                    _op = DiskOp.None;
                    Regs.Status = ReadyStatus;
                }
                break;
            case DiskOp.PioWrite:
                int n = Math.Min(_blockSectors, _remaining);
                if (!WriteDisk(_lba, n, Channel!.Buffer.AsSpan(0, n * SectorSize)))
                {
                    EndWithError(AtaRegisters.ErrorAbrt);
                    return;
                }
                _lba += n;
                _remaining -= n;
                if (_remaining > 0)
                {
                    RequestWriteBlock();
                    Channel.RaiseInterrupt(Unit);
                }
                else
                {
                    _op = DiskOp.None;
                    CompleteCommand();
                }
                break;
            case DiskOp.Identify:
                _op = DiskOp.None;
                Regs.Status = ReadyStatus;
                break;
        }
    }

    internal override void RunDma(IdeBusMaster busMaster)
    {
        if (_op is not (DiskOp.DmaRead or DiskOp.DmaWrite)) return;
        bool read = _op == DiskOp.DmaRead;
        byte[] buffer = Channel!.Buffer;
        while (_remaining > 0)
        {
            int n = Math.Min(DmaChunkSectors, _remaining);
            var span = buffer.AsSpan(0, n * SectorSize);
            if (read)
            {
                if (!ReadDisk(_lba, n, span))
                {
                    EndWithError(AtaRegisters.ErrorUnc);
                    return;
                }
                if (!busMaster.ToMemory(span))
                {
                    EndWithError(AtaRegisters.ErrorAbrt);
                    return;
                }
            }
            else
            {
                if (!busMaster.FromMemory(span))
                {
                    EndWithError(AtaRegisters.ErrorAbrt);
                    return;
                }
                if (!WriteDisk(_lba, n, span))
                {
                    EndWithError(AtaRegisters.ErrorAbrt);
                    return;
                }
            }
            _lba += n;
            _remaining -= n;
        }
        _op = DiskOp.None;
        CompleteCommand();
    }

    internal override void AbortCommand()
    {
        _op = DiskOp.None;
        _remaining = 0;
    }

    internal override void PowerOnReset()
    {
        _multiple = 0;
        _heads = 16;
        _sectorsPerTrack = 63;
        _writeCache = true;
        _standby = false;
        base.PowerOnReset();
    }

    private const byte StateVersion = 1;

    internal override void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        base.SaveState(writer);
        writer.Write((byte)_op);
        writer.Write(_lba);
        writer.Write(_remaining);
        writer.Write(_blockSectors);
        writer.Write(_multiple);
        writer.Write(_heads);
        writer.Write(_sectorsPerTrack);
        writer.Write(_writeCache);
        writer.Write(_standby);
    }

    internal override void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException("ata disk: unsupported state version");
        base.LoadState(reader);
        byte op = reader.ReadByte();
        if (op > (byte)DiskOp.Identify) throw new InvalidDataException("ata disk: bad operation");
        _op = (DiskOp)op;
        _lba = reader.ReadInt64();
        _remaining = reader.ReadInt32();
        _blockSectors = reader.ReadInt32();
        _multiple = reader.ReadInt32();
        _heads = reader.ReadInt32();
        _sectorsPerTrack = reader.ReadInt32();
        _writeCache = reader.ReadBoolean();
        _standby = reader.ReadBoolean();
        if (_lba < 0 || _remaining is < 0 or > 65536 || _blockSectors is < 0 or > MaxMultipleSectors
            || _multiple is < 0 or > MaxMultipleSectors || _heads is < 1 or > 16 || _sectorsPerTrack is < 1 or > 255
            || _lba + _remaining > _disk.SectorCount)
        {
            throw new InvalidDataException("ata disk: bad state");
        }
    }

    private int CurrentCylinders
    {
        get
        {
            long chs = Math.Min(_disk.SectorCount, 16514064L);
            return (int)Math.Min(65535, chs / (_heads * _sectorsPerTrack));
        }
    }

    /// <summary>Decodes the command's address and count (ATA-6 §7.13, §6.2.1); false and an error posted if invalid.</summary>
    private bool DecodeAddress(bool ext, out long lba, out int count)
    {
        var r = Regs;
        if (ext)
        {
            lba = ((long)r.LbaHighPrevious << 40) | ((long)r.LbaMidPrevious << 32) | ((long)r.LbaLowPrevious << 24)
                | ((long)r.LbaHigh << 16) | ((long)r.LbaMid << 8) | r.LbaLow;
            count = (r.SectorCountPrevious << 8) | r.SectorCount;
            if (count == 0) count = 65536;
        }
        else
        {
            count = r.SectorCount == 0 ? 256 : r.SectorCount;
            if ((r.Device & AtaRegisters.DeviceLba) != 0)
            {
                lba = ((long)(r.Device & 0x0F) << 24) | ((long)r.LbaHigh << 16) | ((long)r.LbaMid << 8) | r.LbaLow;
            }
            else
            {
                int cylinder = (r.LbaHigh << 8) | r.LbaMid;
                int head = r.Device & 0x0F;
                int sector = r.LbaLow;
                if (sector == 0 || sector > _sectorsPerTrack || head >= _heads || cylinder >= CurrentCylinders)
                {
                    lba = 0;
                    FailCommand(AtaRegisters.ErrorIdnf);
                    return false;
                }
                lba = ((long)cylinder * _heads + head) * _sectorsPerTrack + sector - 1;
            }
        }
        if (lba + count > _disk.SectorCount)
        {
            FailCommand(AtaRegisters.ErrorIdnf);
            return false;
        }
        return true;
    }

    private void StartPio(bool read, bool ext, bool multiple)
    {
        if (multiple && _multiple == 0)
        {
            FailCommand(AtaRegisters.ErrorAbrt);
            return;
        }
        if (!read && _disk.ReadOnly)
        {
            FailCommand(AtaRegisters.ErrorAbrt);
            return;
        }
        if (!DecodeAddress(ext, out long lba, out int count)) return;
        _standby = false;
        _lba = lba;
        _remaining = count;
        _blockSectors = multiple ? _multiple : 1;
        if (read)
        {
            _op = DiskOp.PioRead;
            SendReadBlock();
        }
        else
        {
            _op = DiskOp.PioWrite;
            RequestWriteBlock(); // §9.8: no interrupt before the first block of a PIO data-out command
        }
    }

    private void SendReadBlock()
    {
        int n = Math.Min(_blockSectors, _remaining);
        if (!ReadDisk(_lba, n, Channel!.Buffer.AsSpan(0, n * SectorSize)))
        {
            EndWithError(AtaRegisters.ErrorUnc);
            return;
        }
        Regs.Status = (byte)(ReadyStatus | AtaRegisters.StatusDrq);
        Channel.StartPioIn(Unit, n * SectorSize);
        Channel.RaiseInterrupt(Unit);
    }

    private void RequestWriteBlock()
    {
        int n = Math.Min(_blockSectors, _remaining);
        Regs.Status = (byte)(ReadyStatus | AtaRegisters.StatusDrq);
        Channel!.StartPioOut(Unit, n * SectorSize);
    }

    private void StartDma(bool read, bool ext)
    {
        if (!read && _disk.ReadOnly)
        {
            FailCommand(AtaRegisters.ErrorAbrt);
            return;
        }
        if (!DecodeAddress(ext, out long lba, out int count)) return;
        _standby = false;
        _lba = lba;
        _remaining = count;
        _op = read ? DiskOp.DmaRead : DiskOp.DmaWrite;
        Regs.Status = (byte)(ReadyStatus | AtaRegisters.StatusDrq);
        Channel!.RequestDma(Unit);
    }

    private void Verify(bool ext)
    {
        if (!DecodeAddress(ext, out _, out _)) return;
        CompleteCommand();
    }

    private void Identify()
    {
        WordsToBytes(BuildIdentify(), Channel!.Buffer);
        _op = DiskOp.Identify;
        Regs.Status = (byte)(ReadyStatus | AtaRegisters.StatusDrq);
        Channel.StartPioIn(Unit, 512);
        Channel.RaiseInterrupt(Unit);
    }

    private void SetFeatures()
    {
        switch (Regs.Features)
        {
            case AtaCommand.FeatureEnableWriteCache:
                _writeCache = true;
                break;
            case AtaCommand.FeatureDisableWriteCache:
                _writeCache = false;
                Flush();
                break;
            case AtaCommand.FeatureSetTransferMode:
                if (!SetTransferMode(Regs.SectorCount))
                {
                    FailCommand(AtaRegisters.ErrorAbrt);
                    return;
                }
                break;
            case AtaCommand.FeatureDisableReadLookAhead or AtaCommand.FeatureEnableReadLookAhead
                or AtaCommand.FeatureDisableRevertToDefaults or AtaCommand.FeatureEnableRevertToDefaults:
                break;
            default:
                FailCommand(AtaRegisters.ErrorAbrt);
                return;
        }
        CompleteCommand();
    }

    /// <summary>§8.39: block size a power of two up to word 47's maximum; 0 disables multiple mode.</summary>
    private void SetMultipleMode()
    {
        int count = Regs.SectorCount;
        if (count > MaxMultipleSectors || (count & (count - 1)) != 0)
        {
            FailCommand(AtaRegisters.ErrorAbrt);
            return;
        }
        _multiple = count;
        CompleteCommand();
    }

    /// <summary>§8.16: sectors per track from the sector count, heads from device bits 3:0 plus one.</summary>
    private void InitializeDeviceParameters()
    {
        int spt = Regs.SectorCount;
        int heads = (Regs.Device & 0x0F) + 1;
        if (spt == 0)
        {
            FailCommand(AtaRegisters.ErrorAbrt);
            return;
        }
        _sectorsPerTrack = spt;
        _heads = heads;
        CompleteCommand();
    }

    private void ReadNativeMax(bool ext)
    {
        long max = (ext ? _disk.SectorCount : Math.Min(_disk.SectorCount, Lba28Limit + 1)) - 1;
        if (max < 0) max = 0;
        CompleteCommand();
        var r = Regs;
        r.LbaLow = (byte)max;
        r.LbaMid = (byte)(max >> 8);
        r.LbaHigh = (byte)(max >> 16);
        if (ext)
        {
            r.LbaLowPrevious = (byte)(max >> 24);
            r.LbaMidPrevious = (byte)(max >> 32);
            r.LbaHighPrevious = (byte)(max >> 40);
        }
        else
        {
            r.Device = (byte)((r.Device & 0xF0) | (int)((max >> 24) & 0x0F));
        }
    }

    /// <summary>An error ends the command; the LBA registers report the first failing sector (§8.x normal/error outputs).</summary>
    private void EndWithError(byte error)
    {
        _op = DiskOp.None;
        Channel!.CancelTransfer();
        var r = Regs;
        r.LbaLow = (byte)_lba;
        r.LbaMid = (byte)(_lba >> 8);
        r.LbaHigh = (byte)(_lba >> 16);
        FailCommand(error);
    }

    private bool ReadDisk(long lba, int count, Span<byte> destination)
    {
        if (lba < 0 || lba + count > _disk.SectorCount) return false;
        try
        {
            _disk.Read(lba, destination[..(count * SectorSize)]);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private bool WriteDisk(long lba, int count, ReadOnlySpan<byte> source)
    {
        if (_disk.ReadOnly || lba < 0 || lba + count > _disk.SectorCount) return false;
        try
        {
            _disk.Write(lba, source[..(count * SectorSize)]);
            if (!_writeCache) _disk.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    private bool Flush()
    {
        if (_disk.ReadOnly) return true;
        try
        {
            _disk.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            return false;
        }
    }

    private enum DiskOp : byte
    {
        None,
        PioRead,
        PioWrite,
        DmaRead,
        DmaWrite,
        Identify,
    }
}
