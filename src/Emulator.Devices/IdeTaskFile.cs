namespace Emulator.Devices;

/// <summary>
/// One device's command block registers (ATA-6 §7). Both devices on a channel latch every host write; the
/// 48-bit registers are two deep (the "previous" byte is read with HOB=1).
/// </summary>
internal sealed class IdeTaskFile
{
    public byte Features;
    public byte FeaturesPrevious;
    public byte SectorCount;
    public byte SectorCountPrevious;
    public byte LbaLow;
    public byte LbaLowPrevious;
    public byte LbaMid;
    public byte LbaMidPrevious;
    public byte LbaHigh;
    public byte LbaHighPrevious;
    public byte Device;
    public byte Status;
    public byte Error;
    public bool InterruptPending;

    public void Clear()
    {
        Features = FeaturesPrevious = SectorCount = SectorCountPrevious = 0;
        LbaLow = LbaLowPrevious = LbaMid = LbaMidPrevious = LbaHigh = LbaHighPrevious = 0;
        Device = Status = Error = 0;
        InterruptPending = false;
    }

    /// <summary>ATA-6 §9.12: the signature a device leaves after reset or EXECUTE DEVICE DIAGNOSTIC.</summary>
    public void SetSignature(bool packetDevice)
    {
        SectorCount = 1;
        LbaLow = 1;
        LbaMid = packetDevice ? (byte)0x14 : (byte)0x00;
        LbaHigh = packetDevice ? (byte)0xEB : (byte)0x00;
        Device = 0;
    }

    public void Save(BinaryWriter w)
    {
        w.Write(Features); w.Write(FeaturesPrevious); w.Write(SectorCount); w.Write(SectorCountPrevious);
        w.Write(LbaLow); w.Write(LbaLowPrevious); w.Write(LbaMid); w.Write(LbaMidPrevious);
        w.Write(LbaHigh); w.Write(LbaHighPrevious); w.Write(Device); w.Write(Status); w.Write(Error);
        w.Write(InterruptPending);
    }

    public void Load(BinaryReader r)
    {
        Features = r.ReadByte(); FeaturesPrevious = r.ReadByte(); SectorCount = r.ReadByte(); SectorCountPrevious = r.ReadByte();
        LbaLow = r.ReadByte(); LbaLowPrevious = r.ReadByte(); LbaMid = r.ReadByte(); LbaMidPrevious = r.ReadByte();
        LbaHigh = r.ReadByte(); LbaHighPrevious = r.ReadByte(); Device = r.ReadByte(); Status = r.ReadByte(); Error = r.ReadByte();
        InterruptPending = r.ReadBoolean();
    }
}
