using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// One ATA channel (ATA/ATAPI-6 §7): the command block registers at <see cref="CommandBase"/>..+7, the device
/// control / alternate status register at <see cref="ControlPort"/>, two device slots (0 = master, 1 = slave),
/// the PIO data buffer and the channel's bus-master DMA engine. Register the handler for both ranges:
/// <c>ports.Register(CommandBase, 8, channel); ports.Register(ControlPort, 1, channel);</c>
/// </summary>
public sealed class IdeChannel : IPortHandler, IDevice
{
    public const ushort PrimaryCommandBase = 0x1F0;
    public const ushort PrimaryControlPort = 0x3F6;
    public const int PrimaryIrq = 14;
    public const ushort SecondaryCommandBase = 0x170;
    public const ushort SecondaryControlPort = 0x376;
    public const int SecondaryIrq = 15;

    /// <summary>§7.6: data register (16-bit PIO).</summary>
    public const int DataRegister = 0;
    /// <summary>§7.11/§7.12: error (read) / features (write).</summary>
    public const int ErrorFeaturesRegister = 1;
    /// <summary>§7.17: sector count (ATAPI: interrupt reason).</summary>
    public const int SectorCountRegister = 2;
    /// <summary>§7.13: LBA low (sector number).</summary>
    public const int LbaLowRegister = 3;
    /// <summary>§7.13: LBA mid (cylinder low; ATAPI byte count low).</summary>
    public const int LbaMidRegister = 4;
    /// <summary>§7.13: LBA high (cylinder high; ATAPI byte count high).</summary>
    public const int LbaHighRegister = 5;
    /// <summary>§7.10: device/head.</summary>
    public const int DeviceRegister = 6;
    /// <summary>§7.15/§7.4: status (read) / command (write).</summary>
    public const int StatusCommandRegister = 7;

    /// <summary>Large enough for a 16-sector READ MULTIPLE block and an ATAPI 0xFFFE-byte DRQ block.</summary>
    internal const int BufferSize = 0x20000;

    private const byte StateVersion = 1;

    private readonly IdeDevice?[] _drives = new IdeDevice?[2];
    private readonly IInterruptLine? _irq;
    private byte _control;
    private TransferKind _transfer;
    private int _transferUnit;
    private int _position;
    private int _length;
    private bool _dmaPending;
    private int _dmaUnit;
    private bool _irqLevel;

    /// <param name="name">Snapshot section name, e.g. "ide0".</param>
    /// <param name="commandBase">0x1F0 (primary) or 0x170 (secondary).</param>
    /// <param name="controlPort">0x3F6 (primary) or 0x376 (secondary).</param>
    /// <param name="irq">IRQ 14 or 15 line.</param>
    /// <param name="dmaMemory">Guest memory for bus-master DMA; null disables DMA (transfers fail with an error).</param>
    public IdeChannel(string name, ushort commandBase, ushort controlPort, IInterruptLine? irq, IDmaMemory? dmaMemory)
    {
        Name = name;
        CommandBase = commandBase;
        ControlPort = controlPort;
        _irq = irq;
        BusMaster = new IdeBusMaster(dmaMemory) { StartRequested = OnBusMasterStart };
        TaskFiles = [new IdeTaskFile(), new IdeTaskFile()];
        Reset();
    }

    public string Name { get; }

    public ushort CommandBase { get; }

    public ushort ControlPort { get; }

    public IdeBusMaster BusMaster { get; }

    /// <summary>The device control register as last written (nIEN, SRST, HOB).</summary>
    public byte DeviceControl => _control;

    /// <summary>The currently selected unit (DEV bit of the device register).</summary>
    public int SelectedUnit => (TaskFiles[0].Device & AtaRegisters.DeviceDev) != 0 ? 1 : 0;

    /// <summary>The level of the channel's INTRQ wire.</summary>
    public bool InterruptAsserted => _irqLevel;

    internal IdeTaskFile[] TaskFiles { get; }

    internal byte[] Buffer { get; } = new byte[BufferSize];

    public IdeDevice? GetDevice(int unit) => (uint)unit < 2 ? _drives[unit] : null;

    /// <summary>Puts <paramref name="device"/> in slot <paramref name="unit"/> (0 master, 1 slave).</summary>
    public void Attach(int unit, IdeDevice device)
    {
        if ((uint)unit >= 2) throw new ArgumentOutOfRangeException(nameof(unit));
        if (_drives[unit] is not null) throw new InvalidOperationException($"{Name}: unit {unit} is taken");
        if (device.Channel is not null) throw new InvalidOperationException("device already attached");
        _drives[unit] = device;
        device.Channel = this;
        device.Unit = unit;
        device.PowerOnReset();
    }

    public uint Read(ushort port, int size)
    {
        uint value = 0;
        if (port == ControlPort)
        {
            value = AlternateStatus();
            for (int i = 1; i < size; i++) value |= 0xFFu << (8 * i);
            return value;
        }
        int reg = port - CommandBase;
        if (reg is < 0 or > 7) return 0xFFFF_FFFF;
        if (reg == DataRegister) return ReadData(size);
        for (int i = 0; i < size; i++)
        {
            uint b = reg + i <= 7 ? ReadRegister(reg + i) : 0xFFu;
            value |= b << (8 * i);
        }
        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port == ControlPort)
        {
            WriteDeviceControl((byte)value);
            return;
        }
        int reg = port - CommandBase;
        if (reg is < 0 or > 7) return;
        if (reg == DataRegister)
        {
            WriteData(size, value);
            return;
        }
        for (int i = 0; i < size && reg + i <= 7; i++) WriteRegister(reg + i, (byte)(value >> (8 * i)));
    }

    /// <summary>Reads the 8-bit bus master register <paramref name="offset"/> (0–7) of this channel.</summary>
    public byte ReadBusMaster(int offset) => BusMaster.ReadRegister(offset);

    public void WriteBusMaster(int offset, byte value) => BusMaster.WriteRegister(offset, value);

    /// <summary>Hardware reset (power-on / RESET-): both devices, the task files and the bus master.</summary>
    public void Reset()
    {
        _control = 0;
        _transfer = TransferKind.None;
        _dmaPending = false;
        _position = _length = 0;
        BusMaster.Reset();
        for (int u = 0; u < 2; u++)
        {
            TaskFiles[u].Clear();
            if (_drives[u] is { } d) d.PowerOnReset();
            else AbsentSignature(u);
        }
        UpdateIrq();
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_control);
        writer.Write((byte)_transfer);
        writer.Write(_transferUnit);
        writer.Write(_position);
        writer.Write(_length);
        writer.Write(_dmaPending);
        writer.Write(_dmaUnit);
        writer.Write(Buffer, 0, _transfer == TransferKind.None ? 0 : _length);
        TaskFiles[0].Save(writer);
        TaskFiles[1].Save(writer);
        BusMaster.Save(writer);
        for (int u = 0; u < 2; u++)
        {
            writer.Write(_drives[u] is not null);
            _drives[u]?.SaveState(writer);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException(Name + ": unsupported state version");
        _control = reader.ReadByte();
        byte kind = reader.ReadByte();
        if (kind > (byte)TransferKind.PioOut) throw new InvalidDataException(Name + ": bad transfer kind");
        _transfer = (TransferKind)kind;
        _transferUnit = reader.ReadInt32();
        _position = reader.ReadInt32();
        _length = reader.ReadInt32();
        _dmaPending = reader.ReadBoolean();
        _dmaUnit = reader.ReadInt32();
        if ((uint)_transferUnit > 1 || (uint)_dmaUnit > 1 || _length is < 0 or > BufferSize || _position < 0 || _position > _length)
        {
            throw new InvalidDataException(Name + ": bad transfer state");
        }
        int n = _transfer == TransferKind.None ? 0 : _length;
        if (reader.Read(Buffer, 0, n) != n) throw new InvalidDataException(Name + ": truncated buffer");
        TaskFiles[0].Load(reader);
        TaskFiles[1].Load(reader);
        BusMaster.Load(reader);
        for (int u = 0; u < 2; u++)
        {
            bool present = reader.ReadBoolean();
            if (present != (_drives[u] is not null)) throw new InvalidDataException(Name + ": drive configuration differs from snapshot");
            _drives[u]?.LoadState(reader);
        }
        _irqLevel = !_irqLevel;
        UpdateIrq();
    }

    // ---- services for the devices ----

    /// <summary>Starts a device-to-host PIO block of <paramref name="length"/> bytes already in <see cref="Buffer"/>.</summary>
    internal void StartPioIn(int unit, int length) => StartPio(TransferKind.PioIn, unit, length);

    /// <summary>Starts a host-to-device PIO block of <paramref name="length"/> bytes into <see cref="Buffer"/>.</summary>
    internal void StartPioOut(int unit, int length) => StartPio(TransferKind.PioOut, unit, length);

    /// <summary>The device is ready for a DMA transfer; it runs as soon as the bus master is started.</summary>
    internal void RequestDma(int unit)
    {
        _dmaPending = true;
        _dmaUnit = unit;
        if (BusMaster.Active) RunDma();
    }

    /// <summary>The device asserts INTRQ (ATA-6 §5.2.9): sets its interrupt pending and the bus master IDEINTS bit.</summary>
    internal void RaiseInterrupt(int unit)
    {
        TaskFiles[unit].InterruptPending = true;
        BusMaster.SignalInterrupt();
        UpdateIrq();
    }

    internal void CancelTransfer()
    {
        _transfer = TransferKind.None;
        _position = _length = 0;
        _dmaPending = false;
    }

    // ---- register file ----

    private byte AlternateStatus()
    {
        int u = SelectedUnit;
        return _drives[u] is null ? (byte)0 : TaskFiles[u].Status;
    }

    private byte ReadRegister(int reg)
    {
        int u = SelectedUnit;
        var tf = TaskFiles[u];
        bool hob = (_control & AtaRegisters.ControlHob) != 0;
        switch (reg)
        {
            case ErrorFeaturesRegister: return tf.Error;
            case SectorCountRegister: return hob ? tf.SectorCountPrevious : tf.SectorCount;
            case LbaLowRegister: return hob ? tf.LbaLowPrevious : tf.LbaLow;
            case LbaMidRegister: return hob ? tf.LbaMidPrevious : tf.LbaMid;
            case LbaHighRegister: return hob ? tf.LbaHighPrevious : tf.LbaHigh;
            case DeviceRegister: return tf.Device;
            default:
                if (_drives[u] is null) return 0;
                // §7.15: reading the status register clears a pending interrupt.
                tf.InterruptPending = false;
                UpdateIrq();
                return tf.Status;
        }
    }

    private void WriteRegister(int reg, byte value)
    {
        if (reg == StatusCommandRegister)
        {
            ExecuteCommand(value);
            return;
        }
        // §7.9: a write to any command block register clears HOB.
        _control &= unchecked((byte)~AtaRegisters.ControlHob);
        foreach (var tf in TaskFiles)
        {
            switch (reg)
            {
                case ErrorFeaturesRegister: tf.FeaturesPrevious = tf.Features; tf.Features = value; break;
                case SectorCountRegister: tf.SectorCountPrevious = tf.SectorCount; tf.SectorCount = value; break;
                case LbaLowRegister: tf.LbaLowPrevious = tf.LbaLow; tf.LbaLow = value; break;
                case LbaMidRegister: tf.LbaMidPrevious = tf.LbaMid; tf.LbaMid = value; break;
                case LbaHighRegister: tf.LbaHighPrevious = tf.LbaHigh; tf.LbaHigh = value; break;
                case DeviceRegister: tf.Device = value; break;
            }
        }
        if (reg == DeviceRegister) UpdateIrq();
    }

    private void WriteDeviceControl(byte value)
    {
        bool wasReset = (_control & AtaRegisters.ControlSrst) != 0;
        bool reset = (value & AtaRegisters.ControlSrst) != 0;
        _control = value;
        if (reset && !wasReset)
        {
            // §9.2: SRST set — devices go busy and abandon any command.
            CancelTransfer();
            for (int u = 0; u < 2; u++)
            {
                _drives[u]?.AbortCommand();
                TaskFiles[u].InterruptPending = false;
                if (_drives[u] is not null) TaskFiles[u].Status = AtaRegisters.StatusBsy;
            }
        }
        else if (!reset && wasReset)
        {
            // §9.2: SRST cleared — each device completes its reset protocol and posts its signature.
            for (int u = 0; u < 2; u++)
            {
                if (_drives[u] is { } d) d.SoftwareReset();
                else AbsentSignature(u);
            }
        }
        UpdateIrq();
    }

    private void ExecuteCommand(byte command)
    {
        int u = SelectedUnit;
        if (command == AtaCommand.ExecuteDeviceDiagnostic)
        {
            ExecuteDiagnostic();
            return;
        }
        var drive = _drives[u];
        if (drive is null) return; // an absent device ignores the command register
        if ((TaskFiles[u].Status & AtaRegisters.StatusBsy) != 0) return;
        _control &= unchecked((byte)~AtaRegisters.ControlHob);
        CancelTransfer();
        drive.AbortCommand();
        TaskFiles[u].InterruptPending = false;
        UpdateIrq();
        drive.ExecuteCommand(command);
    }

    /// <summary>§8.11: EXECUTE DEVICE DIAGNOSTIC runs on both devices whatever DEV says; device 0 reports.</summary>
    private void ExecuteDiagnostic()
    {
        CancelTransfer();
        for (int u = 0; u < 2; u++)
        {
            TaskFiles[u].InterruptPending = false;
            if (_drives[u] is { } d)
            {
                d.AbortCommand();
                d.SoftwareReset();
            }
            else
            {
                AbsentSignature(u);
            }
            // §8.11.5: 01h = device 0 passed, device 1 passed or not present.
            TaskFiles[u].Error = 0x01;
        }
        int reporter = _drives[0] is not null ? 0 : 1;
        if (_drives[reporter] is not null) RaiseInterrupt(reporter);
        else UpdateIrq();
    }

    private void AbsentSignature(int unit)
    {
        var tf = TaskFiles[unit];
        tf.SectorCount = 1;
        tf.LbaLow = 1;
        tf.LbaMid = 0xFF;
        tf.LbaHigh = 0xFF;
        tf.Device = 0;
        tf.Status = 0;
        tf.Error = 0x01;
    }

    // ---- data port ----

    private void StartPio(TransferKind kind, int unit, int length)
    {
        if (length is <= 0 or > BufferSize) throw new InvalidOperationException("PIO block length out of range");
        _transfer = kind;
        _transferUnit = unit;
        _position = 0;
        _length = length;
    }

    private uint ReadData(int size)
    {
        if (_transfer != TransferKind.PioIn || _transferUnit != SelectedUnit) return size == 4 ? 0xFFFF_FFFFu : 0xFFFFu;
        uint v = 0;
        for (int i = 0; i < size; i++)
        {
            uint b = 0;
            if (_position < _length) b = Buffer[_position++];
            v |= b << (8 * i);
        }
        if (_position >= _length) FinishPioBlock();
        return v;
    }

    private void WriteData(int size, uint value)
    {
        if (_transfer != TransferKind.PioOut || _transferUnit != SelectedUnit) return;
        for (int i = 0; i < size && _position < _length; i++) Buffer[_position++] = (byte)(value >> (8 * i));
        if (_position >= _length) FinishPioBlock();
    }

    private void FinishPioBlock()
    {
        int unit = _transferUnit;
        _transfer = TransferKind.None;
        _drives[unit]?.PioBlockDone();
    }

    // ---- DMA ----

    private void OnBusMasterStart()
    {
        if (_dmaPending) RunDma();
    }

    private void RunDma()
    {
        _dmaPending = false;
        var drive = _drives[_dmaUnit];
        if (drive is null) return;
        drive.RunDma(BusMaster);
        BusMaster.FinishTransfer();
    }

    private void UpdateIrq()
    {
        bool level = (_control & AtaRegisters.ControlNien) == 0 && TaskFiles[SelectedUnit].InterruptPending;
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq?.SetLevel(level);
    }

    private enum TransferKind : byte
    {
        None,
        PioIn,
        PioOut,
    }
}
