using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// An ATAPI CD-ROM drive (ATA/ATAPI-6 §8.21 PACKET protocol, MMC-3 command set, SPC sense data) reading a
/// read-only image of 2048-byte sectors stored on an <see cref="IBlockDevice"/> (4 block sectors per CD sector).
/// Data-in commands use the byte-count-limited PIO protocol or bus-master DMA (features bit 0 of PACKET).
/// The host changes media with <see cref="InsertMedia"/> and <see cref="EjectMedia"/>.
/// </summary>
public sealed class AtapiCdrom : IdeDevice
{
    public const int CdSectorSize = 2048;

    /// <summary>SPC-3 §4.5.6: sense keys.</summary>
    public const byte SenseNoSense = 0x00;
    public const byte SenseNotReady = 0x02;
    public const byte SenseMediumError = 0x03;
    public const byte SenseIllegalRequest = 0x05;
    public const byte SenseUnitAttention = 0x06;
    public const byte SenseAbortedCommand = 0x0B;

    /// <summary>SPC-3 Annex D: additional sense codes used here.</summary>
    public const byte AscUnrecoveredReadError = 0x11;
    public const byte AscInvalidCommandOperationCode = 0x20;
    public const byte AscLbaOutOfRange = 0x21;
    public const byte AscInvalidFieldInCdb = 0x24;
    public const byte AscMediumMayHaveChanged = 0x28;
    public const byte AscSavingParametersNotSupported = 0x39;
    public const byte AscMediumNotPresent = 0x3A;
    public const byte AscMediumRemovalPrevented = 0x53;

    /// <summary>MMC-3 / SPC-3 operation codes.</summary>
    public const byte OpTestUnitReady = 0x00;
    public const byte OpRequestSense = 0x03;
    public const byte OpInquiry = 0x12;
    public const byte OpModeSense6 = 0x1A;
    public const byte OpStartStopUnit = 0x1B;
    public const byte OpPreventAllowMediumRemoval = 0x1E;
    public const byte OpReadCapacity = 0x25;
    public const byte OpRead10 = 0x28;
    public const byte OpSeek10 = 0x2B;
    public const byte OpReadToc = 0x43;
    public const byte OpGetConfiguration = 0x46;
    public const byte OpGetEventStatusNotification = 0x4A;
    public const byte OpModeSense10 = 0x5A;
    public const byte OpRead12 = 0xA8;
    public const byte OpSetCdSpeed = 0xBB;
    public const byte OpMechanismStatus = 0xBD;

    /// <summary>MMC-3 §5.3: media event codes of GET EVENT STATUS NOTIFICATION.</summary>
    public const byte MediaEventNoChange = 0;
    public const byte MediaEventEjectRequest = 1;
    public const byte MediaEventNewMedia = 2;
    public const byte MediaEventMediaRemoval = 3;

    private const int ReplyCapacity = 512;
    private const int DmaChunk = 0x10000;
    private const byte StateVersion = 1;

    private readonly byte[] _reply = new byte[ReplyCapacity];
    private readonly byte[] _sector = new byte[CdSectorSize];
    private readonly byte[] _cdb = new byte[12];
    private IBlockDevice? _media;
    private CdOp _op;
    private byte _senseKey;
    private byte _asc;
    private byte _ascq;
    private bool _unitAttention;
    private bool _locked;
    private byte _mediaEvent;
    private bool _dma;
    private int _byteCountLimit;
    private long _remainingBytes;
    private bool _fromMedia;
    private int _replyPosition;
    private long _readLba;
    private int _sectorOffset;
    private bool _sectorLoaded;

    public AtapiCdrom(IBlockDevice? media = null, string model = "EMULATOR DVD-ROM", string serial = "EM0000000002", string firmwareRevision = "1.0")
        : base(model, serial, firmwareRevision)
    {
        _media = media;
    }

    public override bool IsPacketDevice => true;

    public bool HasMedia => _media is not null;

    /// <summary>PREVENT ALLOW MEDIUM REMOVAL state.</summary>
    public bool Locked => _locked;

    /// <summary>Raised when the guest ejects the medium with START STOP UNIT (the medium is already removed).</summary>
    public event Action? EjectRequested;

    /// <summary>Number of 2048-byte sectors on the medium (0 without one).</summary>
    public long CapacitySectors => _media is null ? 0 : _media.SectorCount / (CdSectorSize / IBlockDevice.SectorSize);

    /// <summary>Inserts a medium; the next command other than INQUIRY, REQUEST SENSE, GET CONFIGURATION and GET EVENT STATUS NOTIFICATION reports UNIT ATTENTION.</summary>
    public void InsertMedia(IBlockDevice image)
    {
        _media = image;
        _unitAttention = true;
        _mediaEvent = MediaEventNewMedia;
    }

    /// <summary>Removes the medium; refused while the guest has locked it unless <paramref name="force"/>.</summary>
    public bool EjectMedia(bool force = false)
    {
        if (_locked && !force) return false;
        if (_media is null) return true;
        _media = null;
        _unitAttention = false;
        _mediaEvent = MediaEventMediaRemoval;
        return true;
    }

    /// <summary>Builds the 256 IDENTIFY PACKET DEVICE words (ATA-6 §8.16).</summary>
    public ushort[] BuildIdentify()
    {
        var id = new ushort[256];
        // word 0: 10b ATAPI, 00101b CD-ROM, removable, DRQ within 50 µs, 12-byte packets
        id[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
        FillCommonIdentify(id);
        id[49] = 0x0F00;                            // word 49: IORDY, IORDY disable, LBA, DMA supported
        id[50] = 0x4000;
        id[53] = 0x0006;                            // word 53: words 64–70 and 88 valid
        id[82] = (ushort)(0x4000 | 0x0200 | 0x0010 | 0x0008); // word 82: NOP, DEVICE RESET, PACKET, power management
        id[83] = 0x4000;
        id[84] = 0x4000;
        id[85] = (ushort)(0x0200 | 0x0010 | 0x0008); // word 85: enabled
        id[87] = 0x4000;
        SetIdentifyChecksum(id);
        return id;
    }

    internal override void ExecuteCommand(byte command)
    {
        switch (command)
        {
            case AtaCommand.Packet:
                // §8.21: features bit 0 = DMA, LBA mid/high = byte count limit.
                _dma = (Regs.Features & 0x01) != 0;
                _byteCountLimit = Regs.LbaMid | (Regs.LbaHigh << 8);
                _op = CdOp.AwaitPacket;
                Regs.SectorCount = AtaRegisters.InterruptReasonCoD;
                Regs.Status = AtaRegisters.StatusDrdy | AtaRegisters.StatusDrq;
                Channel!.StartPioOut(Unit, 12);
                break;
            case AtaCommand.IdentifyPacketDevice:
                WordsToBytes(BuildIdentify(), Channel!.Buffer);
                _op = CdOp.Identify;
                Regs.Status = AtaRegisters.StatusDrdy | AtaRegisters.StatusDrq;
                Channel.StartPioIn(Unit, 512);
                Channel.RaiseInterrupt(Unit);
                break;
            case AtaCommand.DeviceReset:
                // §8.7: signature posted, no interrupt.
                SoftwareReset();
                break;
            case AtaCommand.IdentifyDevice or AtaCommand.ReadSectors or AtaCommand.ReadSectorsNoRetry:
                // §8.15: a packet device aborts IDENTIFY DEVICE and posts its signature.
                Regs.SetSignature(packetDevice: true);
                FailCommand(AtaRegisters.ErrorAbrt);
                break;
            case AtaCommand.SetFeatures:
                if (Regs.Features == AtaCommand.FeatureSetTransferMode && !SetTransferMode(Regs.SectorCount)) FailCommand(AtaRegisters.ErrorAbrt);
                else CompleteCommand();
                break;
            case AtaCommand.CheckPowerMode or AtaCommand.CheckPowerModeAlt:
                CompleteCommand();
                Regs.SectorCount = 0xFF;
                break;
            case AtaCommand.IdleImmediate or AtaCommand.IdleImmediateAlt or AtaCommand.StandbyImmediate or AtaCommand.StandbyImmediateAlt
                or AtaCommand.Idle or AtaCommand.IdleAlt or AtaCommand.Standby or AtaCommand.StandbyAlt:
                CompleteCommand();
                break;
            default:
                FailCommand(AtaRegisters.ErrorAbrt);
                break;
        }
    }

    internal override void PioBlockDone()
    {
        switch (_op)
        {
            case CdOp.AwaitPacket:
                Channel!.Buffer.AsSpan(0, 12).CopyTo(_cdb);
                _op = CdOp.None;
                ExecutePacket();
                break;
            case CdOp.DataIn:
                if (_remainingBytes > 0) SendPioChunk();
                else CompletePacket();
                break;
            case CdOp.Identify:
                _op = CdOp.None;
                Regs.Status = ReadyStatus;
                break;
        }
    }

    internal override void RunDma(IdeBusMaster busMaster)
    {
        if (_op != CdOp.DmaIn) return;
        byte[] buffer = Channel!.Buffer;
        while (_remainingBytes > 0)
        {
            int n = (int)Math.Min(_remainingBytes, DmaChunk);
            if (!Produce(buffer.AsSpan(0, n)))
            {
                PacketError(SenseMediumError, AscUnrecoveredReadError, 0);
                return;
            }
            _remainingBytes -= n;
            if (!busMaster.ToMemory(buffer.AsSpan(0, n)))
            {
                PacketError(SenseAbortedCommand, 0, 0);
                return;
            }
        }
        CompletePacket();
    }

    internal override void AbortCommand()
    {
        _op = CdOp.None;
        _remainingBytes = 0;
    }

    internal override void PowerOnReset()
    {
        _senseKey = _asc = _ascq = 0;
        _locked = false;
        base.PowerOnReset();
    }

    internal override void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        base.SaveState(writer);
        writer.Write((byte)_op);
        writer.Write(_senseKey); writer.Write(_asc); writer.Write(_ascq);
        writer.Write(_unitAttention); writer.Write(_locked); writer.Write(_mediaEvent);
        writer.Write(_dma); writer.Write(_byteCountLimit); writer.Write(_remainingBytes);
        writer.Write(_fromMedia); writer.Write(_replyPosition); writer.Write(_readLba); writer.Write(_sectorOffset);
        writer.Write(_reply);
    }

    internal override void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException("atapi: unsupported state version");
        base.LoadState(reader);
        byte op = reader.ReadByte();
        if (op > (byte)CdOp.Identify) throw new InvalidDataException("atapi: bad operation");
        _op = (CdOp)op;
        _senseKey = reader.ReadByte(); _asc = reader.ReadByte(); _ascq = reader.ReadByte();
        _unitAttention = reader.ReadBoolean(); _locked = reader.ReadBoolean(); _mediaEvent = reader.ReadByte();
        _dma = reader.ReadBoolean(); _byteCountLimit = reader.ReadInt32(); _remainingBytes = reader.ReadInt64();
        _fromMedia = reader.ReadBoolean(); _replyPosition = reader.ReadInt32(); _readLba = reader.ReadInt64(); _sectorOffset = reader.ReadInt32();
        if (reader.Read(_reply, 0, ReplyCapacity) != ReplyCapacity) throw new InvalidDataException("atapi: truncated state");
        _sectorLoaded = false;
        if (_byteCountLimit is < 0 or > 0xFFFF || _remainingBytes < 0 || _replyPosition is < 0 or > ReplyCapacity
            || _sectorOffset is < 0 or >= CdSectorSize || _readLba < 0 || _mediaEvent > MediaEventMediaRemoval
            || (!_fromMedia && _replyPosition + _remainingBytes > ReplyCapacity))
        {
            throw new InvalidDataException("atapi: bad state");
        }
    }

    // ---- packet commands ----

    private void ExecutePacket()
    {
        byte op = _cdb[0];
        bool reportsAttention = op is not (OpInquiry or OpRequestSense or OpGetConfiguration or OpGetEventStatusNotification);
        if (_unitAttention && reportsAttention)
        {
            _unitAttention = false;
            PacketError(SenseUnitAttention, AscMediumMayHaveChanged, 0);
            return;
        }
        switch (op)
        {
            case OpTestUnitReady:
                if (RequireMedia()) CompletePacket();
                break;
            case OpRequestSense: RequestSense(); break;
            case OpInquiry: Inquiry(); break;
            case OpStartStopUnit: StartStopUnit(); break;
            case OpPreventAllowMediumRemoval:
                _locked = (_cdb[4] & 0x01) != 0;
                CompletePacket();
                break;
            case OpReadCapacity: ReadCapacity(); break;
            case OpRead10: Read(Be32(2), Be16(7)); break;
            case OpRead12: Read(Be32(2), Be32(6)); break;
            case OpSeek10:
                if (!RequireMedia()) break;
                if (Be32(2) >= CapacitySectors) PacketError(SenseIllegalRequest, AscLbaOutOfRange, 0);
                else CompletePacket();
                break;
            case OpReadToc: ReadToc(); break;
            case OpGetConfiguration: GetConfiguration(); break;
            case OpGetEventStatusNotification: GetEventStatusNotification(); break;
            case OpModeSense10: ModeSense10(); break;
            case OpMechanismStatus: MechanismStatus(); break;
            case OpSetCdSpeed: CompletePacket(); break;
            default:
                PacketError(SenseIllegalRequest, AscInvalidCommandOperationCode, 0);
                break;
        }
    }

    private bool RequireMedia()
    {
        if (_media is not null) return true;
        PacketError(SenseNotReady, AscMediumNotPresent, 0);
        return false;
    }

    /// <summary>SPC-3 §4.5.3: fixed-format sense data, 18 bytes.</summary>
    private void RequestSense()
    {
        var r = _reply.AsSpan(0, 18);
        r.Clear();
        byte key = _senseKey, asc = _asc, ascq = _ascq;
        if (_unitAttention)
        {
            _unitAttention = false;
            key = SenseUnitAttention;
            asc = AscMediumMayHaveChanged;
            ascq = 0;
        }
        r[0] = 0x70;   // current error, fixed format
        r[2] = key;
        r[7] = 10;     // additional sense length
        r[12] = asc;
        r[13] = ascq;
        _senseKey = _asc = _ascq = 0;
        SendReply(18, _cdb[4]);
    }

    /// <summary>SPC-3 §6.4.2: standard INQUIRY data, 36 bytes.</summary>
    private void Inquiry()
    {
        if ((_cdb[1] & 0x01) != 0)
        {
            PacketError(SenseIllegalRequest, AscInvalidFieldInCdb, 0);
            return;
        }
        var r = _reply.AsSpan(0, 36);
        r.Clear();
        r[0] = 0x05;   // peripheral device type: CD/DVD
        r[1] = 0x80;   // RMB: removable
        r[2] = 0x00;   // version
        r[3] = 0x21;   // ATAPI transport version 2, response data format 1
        r[4] = 31;     // additional length
        WriteAscii(r.Slice(8, 8), "EMULATOR");
        WriteAscii(r.Slice(16, 16), Model);
        WriteAscii(r.Slice(32, 4), FirmwareRevision);
        SendReply(36, (_cdb[3] << 8) | _cdb[4]);
    }

    /// <summary>MMC-3 §6.1.35 START STOP UNIT: LoEj with Start=0 ejects unless removal is prevented.</summary>
    private void StartStopUnit()
    {
        bool loej = (_cdb[4] & 0x02) != 0;
        bool start = (_cdb[4] & 0x01) != 0;
        if (loej && !start)
        {
            if (_locked)
            {
                PacketError(SenseIllegalRequest, AscMediumRemovalPrevented, 0x02);
                return;
            }
            if (_media is not null)
            {
                _media = null;
                _mediaEvent = MediaEventMediaRemoval;
                EjectRequested?.Invoke();
            }
        }
        CompletePacket();
    }

    /// <summary>MMC-3 §6.1.18 READ CAPACITY: last LBA and block length 2048, big-endian.</summary>
    private void ReadCapacity()
    {
        if (!RequireMedia()) return;
        long last = Math.Min(CapacitySectors - 1, 0xFFFF_FFFFL);
        PutBe32(_reply, 0, (uint)Math.Max(last, 0));
        PutBe32(_reply, 4, CdSectorSize);
        SendReply(8, 8);
    }

    private void Read(long lba, long count)
    {
        if (!RequireMedia()) return;
        if (lba + count > CapacitySectors)
        {
            PacketError(SenseIllegalRequest, AscLbaOutOfRange, 0);
            return;
        }
        if (count == 0)
        {
            CompletePacket();
            return;
        }
        _fromMedia = true;
        _readLba = lba;
        _sectorOffset = 0;
        _sectorLoaded = false;
        StartDataIn(count * CdSectorSize);
    }

    /// <summary>MMC-3 §6.1.28 READ TOC/PMA/ATIP, formats 0 (TOC) and 1 (session information), LBA or MSF.</summary>
    private void ReadToc()
    {
        if (!RequireMedia()) return;
        bool msf = (_cdb[1] & 0x02) != 0;
        int format = _cdb[2] & 0x0F;
        if (format == 0) format = _cdb[9] >> 6; // SFF-8020 placed the format in the control byte
        int alloc = Be16(7);
        var r = _reply.AsSpan();
        int len;
        if (format == 0)
        {
            int start = _cdb[6];
            if (start > 1 && start != 0xAA)
            {
                PacketError(SenseIllegalRequest, AscInvalidFieldInCdb, 0);
                return;
            }
            len = 4;
            if (start <= 1) len += TrackDescriptor(r[len..], 1, 0, msf);
            len += TrackDescriptor(r[len..], 0xAA, CapacitySectors, msf);
            r[2] = 1; // first track
            r[3] = 1; // last track
        }
        else if (format == 1)
        {
            len = 4 + TrackDescriptor(r[4..], 1, 0, msf);
            r[2] = 1; // first complete session
            r[3] = 1; // last complete session
        }
        else
        {
            PacketError(SenseIllegalRequest, AscInvalidFieldInCdb, 0);
            return;
        }
        PutBe16(_reply, 0, len - 2);
        SendReply(len, alloc);
    }

    private static int TrackDescriptor(Span<byte> d, int track, long lba, bool msf)
    {
        d[..8].Clear();
        d[1] = 0x14; // ADR 1 (Q sub-channel position), control 4 (data track)
        d[2] = (byte)track;
        if (msf)
        {
            long frames = lba + 150; // MMC: MSF addresses count the 2-second pre-gap
            d[5] = (byte)Math.Min(frames / (75 * 60), 255);
            d[6] = (byte)(frames / 75 % 60);
            d[7] = (byte)(frames % 75);
        }
        else
        {
            uint v = (uint)Math.Min(lba, 0xFFFF_FFFFL);
            d[4] = (byte)(v >> 24); d[5] = (byte)(v >> 16); d[6] = (byte)(v >> 8); d[7] = (byte)v;
        }
        return 8;
    }

    /// <summary>MMC-3 §6.1.4 GET CONFIGURATION with the CD-ROM profile and its basic features.</summary>
    private void GetConfiguration()
    {
        int rt = _cdb[1] & 0x03;
        int first = Be16(2);
        if (rt == 3)
        {
            PacketError(SenseIllegalRequest, AscInvalidFieldInCdb, 0);
            return;
        }
        bool media = _media is not null;
        var r = _reply.AsSpan();
        r[..8].Clear();
        PutBe16(_reply, 6, media ? 0x0008 : 0x0000); // current profile: CD-ROM
        int len = 8;
        void Feature(int code, bool current, ReadOnlySpan<byte> data)
        {
            bool wanted = rt switch { 0 => code >= first, 1 => code >= first && current, _ => code == first };
            if (!wanted) return;
            PutBe16(_reply, len, code);
            // byte 2: version 0, persistent (bit 1) for always-present features, current (bit 0)
            _reply[len + 2] = (byte)((code is 0x0000 or 0x0001 or 0x0002 or 0x0003 ? 0x02 : 0x00) | (current ? 0x01 : 0x00));
            _reply[len + 3] = (byte)data.Length;
            data.CopyTo(_reply.AsSpan(len + 4));
            len += 4 + data.Length;
        }
        Feature(0x0000, true, [0x00, 0x08, (byte)(media ? 0x01 : 0x00), 0x00]);  // profile list: CD-ROM
        Feature(0x0001, true, [0x00, 0x00, 0x00, 0x02]);                          // core: physical interface ATAPI
        Feature(0x0002, true, [0x02, 0x00, 0x00, 0x00]);                          // morphing: OCEvent
        Feature(0x0003, true, [0x29, 0x00, 0x00, 0x00]);                          // removable medium: tray, eject, lock
        Feature(0x0010, media, [0x00, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00]); // random readable: 2048-byte blocks, blocking 1
        Feature(0x001E, media, []);                                               // CD read
        PutBe32(_reply, 0, (uint)(len - 4));
        SendReply(len, Be16(7));
    }

    /// <summary>MMC-3 §6.1.5 GET EVENT STATUS NOTIFICATION (polled), media class.</summary>
    private void GetEventStatusNotification()
    {
        if ((_cdb[1] & 0x01) == 0)
        {
            PacketError(SenseIllegalRequest, AscInvalidFieldInCdb, 0);
            return;
        }
        int alloc = Be16(7);
        _reply[3] = 0x10; // supported event classes: media
        if ((_cdb[4] & 0x10) != 0)
        {
            PutBe16(_reply, 0, 6);
            _reply[2] = 0x04; // notification class: media
            _reply[4] = _mediaEvent;
            _reply[5] = (byte)(_media is not null ? 0x02 : 0x01); // media present / tray open
            _reply[6] = 0;
            _reply[7] = 0;
            _mediaEvent = MediaEventNoChange;
            SendReply(8, alloc);
        }
        else
        {
            PutBe16(_reply, 0, 2);
            _reply[2] = 0x80; // NEA: no event of the requested classes available
            SendReply(4, alloc);
        }
    }

    /// <summary>MMC-3 §6.1.13 MODE SENSE (10): read/write error recovery (01h) and capabilities (2Ah) pages.</summary>
    private void ModeSense10()
    {
        int pc = _cdb[2] >> 6;
        int page = _cdb[2] & 0x3F;
        if (pc == 3)
        {
            PacketError(SenseIllegalRequest, AscSavingParametersNotSupported, 0);
            return;
        }
        if (page is not (0x01 or 0x2A or 0x3F))
        {
            PacketError(SenseIllegalRequest, AscInvalidFieldInCdb, 0);
            return;
        }
        var r = _reply.AsSpan();
        r[..8].Clear();
        r[2] = (byte)(_media is not null ? 0x01 : 0x70); // medium type: 120 mm data CD / door open, no disc
        int len = 8;
        bool changeable = pc == 1;
        if (page is 0x01 or 0x3F)
        {
            var p = r.Slice(len, 8);
            p.Clear();
            p[0] = 0x01;
            p[1] = 0x06;
            if (!changeable) p[3] = 0x05; // read retry count
            len += 8;
        }
        if (page is 0x2A or 0x3F)
        {
            var p = r.Slice(len, 22);
            p.Clear();
            p[0] = 0x2A;
            p[1] = 0x14;
            if (!changeable)
            {
                p[4] = 0x71;                                      // audio play, composite, digital ports, multi-session
                p[5] = 0x00;
                p[6] = (byte)(0x29 | (_locked ? 0x02 : 0x00));   // tray loading, eject, lock supported, lock state
                p[8] = 0x05; p[9] = 0x83;                        // maximum read speed 1411 kB/s (8x)
                p[10] = 0x01; p[11] = 0x00;                      // 256 volume levels
                p[12] = 0x02; p[13] = 0x00;                      // 512 KiB buffer
                p[14] = 0x05; p[15] = 0x83;                      // current read speed
            }
            len += 22;
        }
        PutBe16(_reply, 0, len - 2);
        SendReply(len, Be16(7));
    }

    /// <summary>MMC-3 §6.1.7 MECHANISM STATUS: header only (no changer).</summary>
    private void MechanismStatus()
    {
        _reply.AsSpan(0, 8).Clear();
        _reply[1] = (byte)(_media is null ? 0x10 : 0x00); // door open
        SendReply(8, Be16(8));
    }

    // ---- transfer engine ----

    private void SendReply(int length, int allocationLength)
    {
        _fromMedia = false;
        _replyPosition = 0;
        long n = Math.Min(length, allocationLength);
        if (n == 0)
        {
            CompletePacket();
            return;
        }
        StartDataIn(n);
    }

    private void StartDataIn(long bytes)
    {
        _remainingBytes = bytes;
        if (_dma)
        {
            _op = CdOp.DmaIn;
            Regs.Status = AtaRegisters.StatusDrdy | AtaRegisters.StatusDrq;
            Channel!.RequestDma(Unit);
        }
        else
        {
            SendPioChunk();
        }
    }

    /// <summary>§8.21.5: one DRQ data block of at most the byte count limit (even unless it is the last).</summary>
    private void SendPioChunk()
    {
        int limit = _byteCountLimit is 0 or 0xFFFF ? 0xFFFE : _byteCountLimit;
        int n = (int)Math.Min(_remainingBytes, limit);
        if (n < _remainingBytes && (n & 1) != 0) n--;
        if (n <= 0) n = (int)Math.Min(_remainingBytes, 2);
        if (!Produce(Channel!.Buffer.AsSpan(0, n)))
        {
            PacketError(SenseMediumError, AscUnrecoveredReadError, 0);
            return;
        }
        _remainingBytes -= n;
        _op = CdOp.DataIn;
        Regs.LbaMid = (byte)n;
        Regs.LbaHigh = (byte)(n >> 8);
        Regs.SectorCount = AtaRegisters.InterruptReasonIo;
        Regs.Status = AtaRegisters.StatusDrdy | AtaRegisters.StatusDrq;
        Channel.StartPioIn(Unit, n);
        Channel.RaiseInterrupt(Unit);
    }

    private bool Produce(Span<byte> dest)
    {
        if (!_fromMedia)
        {
            if (_replyPosition + dest.Length > ReplyCapacity) return false;
            _reply.AsSpan(_replyPosition, dest.Length).CopyTo(dest);
            _replyPosition += dest.Length;
            return true;
        }
        while (!dest.IsEmpty)
        {
            if (!_sectorLoaded)
            {
                var media = _media;
                if (media is null || _readLba >= CapacitySectors) return false;
                try
                {
                    media.Read(_readLba * (CdSectorSize / IBlockDevice.SectorSize), _sector);
                }
                catch (IOException)
                {
                    return false;
                }
                _sectorLoaded = true;
            }
            int n = Math.Min(dest.Length, CdSectorSize - _sectorOffset);
            _sector.AsSpan(_sectorOffset, n).CopyTo(dest);
            dest = dest[n..];
            _sectorOffset += n;
            if (_sectorOffset == CdSectorSize)
            {
                _sectorOffset = 0;
                _readLba++;
                _sectorLoaded = false;
            }
        }
        return true;
    }

    /// <summary>Command completion: interrupt reason IO|CoD, DRDY, sense cleared.</summary>
    private void CompletePacket()
    {
        _op = CdOp.None;
        _remainingBytes = 0;
        if (_cdb[0] != OpRequestSense) _senseKey = _asc = _ascq = 0;
        Regs.SectorCount = AtaRegisters.InterruptReasonIo | AtaRegisters.InterruptReasonCoD;
        Regs.Status = AtaRegisters.StatusDrdy;
        Regs.Error = 0;
        Channel!.RaiseInterrupt(Unit);
    }

    /// <summary>CHECK CONDITION: sense key in error bits 7:4, ERR in status, status phase.</summary>
    private void PacketError(byte key, byte asc, byte ascq)
    {
        _op = CdOp.None;
        _remainingBytes = 0;
        Channel!.CancelTransfer();
        _senseKey = key;
        _asc = asc;
        _ascq = ascq;
        Regs.SectorCount = AtaRegisters.InterruptReasonIo | AtaRegisters.InterruptReasonCoD;
        Regs.Status = AtaRegisters.StatusDrdy | AtaRegisters.StatusErr;
        Regs.Error = (byte)(key << 4);
        Channel.RaiseInterrupt(Unit);
    }

    private int Be16(int offset) => (_cdb[offset] << 8) | _cdb[offset + 1];

    private long Be32(int offset) => ((long)_cdb[offset] << 24) | ((long)_cdb[offset + 1] << 16) | ((long)_cdb[offset + 2] << 8) | _cdb[offset + 3];

    private static void PutBe16(byte[] b, int offset, int value)
    {
        b[offset] = (byte)(value >> 8);
        b[offset + 1] = (byte)value;
    }

    private static void PutBe32(byte[] b, int offset, uint value)
    {
        b[offset] = (byte)(value >> 24);
        b[offset + 1] = (byte)(value >> 16);
        b[offset + 2] = (byte)(value >> 8);
        b[offset + 3] = (byte)value;
    }

    private static void WriteAscii(Span<byte> dest, string s)
    {
        dest.Fill((byte)' ');
        for (int i = 0; i < dest.Length && i < s.Length; i++) dest[i] = s[i] < 0x80 ? (byte)s[i] : (byte)'?';
    }

    private enum CdOp : byte
    {
        None,
        AwaitPacket,
        DataIn,
        DmaIn,
        Identify,
    }
}
