namespace Emulator.Devices;

/// <summary>ATA/ATAPI-6 command opcodes (T13/1410D §8, Annex B command table).</summary>
public static class AtaCommand
{
    public const byte Nop = 0x00;
    public const byte DeviceReset = 0x08;
    public const byte Recalibrate = 0x10;
    public const byte ReadSectors = 0x20;
    public const byte ReadSectorsNoRetry = 0x21;
    public const byte ReadSectorsExt = 0x24;
    public const byte ReadDmaExt = 0x25;
    public const byte ReadNativeMaxAddressExt = 0x27;
    public const byte ReadMultipleExt = 0x29;
    public const byte WriteSectors = 0x30;
    public const byte WriteSectorsNoRetry = 0x31;
    public const byte WriteSectorsExt = 0x34;
    public const byte WriteDmaExt = 0x35;
    public const byte WriteMultipleExt = 0x39;
    public const byte ReadVerifySectors = 0x40;
    public const byte ReadVerifySectorsNoRetry = 0x41;
    public const byte ReadVerifySectorsExt = 0x42;
    public const byte Seek = 0x70;
    public const byte ExecuteDeviceDiagnostic = 0x90;
    public const byte InitializeDeviceParameters = 0x91;
    public const byte StandbyImmediateAlt = 0x94;
    public const byte IdleImmediateAlt = 0x95;
    public const byte StandbyAlt = 0x96;
    public const byte IdleAlt = 0x97;
    public const byte CheckPowerModeAlt = 0x98;
    public const byte SleepAlt = 0x99;
    public const byte Packet = 0xA0;
    public const byte IdentifyPacketDevice = 0xA1;
    public const byte ReadMultiple = 0xC4;
    public const byte WriteMultiple = 0xC5;
    public const byte SetMultipleMode = 0xC6;
    public const byte ReadDma = 0xC8;
    public const byte ReadDmaNoRetry = 0xC9;
    public const byte WriteDma = 0xCA;
    public const byte WriteDmaNoRetry = 0xCB;
    public const byte StandbyImmediate = 0xE0;
    public const byte IdleImmediate = 0xE1;
    public const byte Standby = 0xE2;
    public const byte Idle = 0xE3;
    public const byte CheckPowerMode = 0xE5;
    public const byte Sleep = 0xE6;
    public const byte FlushCache = 0xE7;
    public const byte FlushCacheExt = 0xEA;
    public const byte IdentifyDevice = 0xEC;
    public const byte SetFeatures = 0xEF;
    public const byte ReadNativeMaxAddress = 0xF8;

    /// <summary>SET FEATURES subcommand (features register): enable write cache.</summary>
    public const byte FeatureEnableWriteCache = 0x02;
    /// <summary>SET FEATURES subcommand: set transfer mode from the sector count register.</summary>
    public const byte FeatureSetTransferMode = 0x03;
    /// <summary>SET FEATURES subcommand: disable read look-ahead.</summary>
    public const byte FeatureDisableReadLookAhead = 0x55;
    /// <summary>SET FEATURES subcommand: disable reverting to power-on defaults.</summary>
    public const byte FeatureDisableRevertToDefaults = 0x66;
    /// <summary>SET FEATURES subcommand: disable write cache.</summary>
    public const byte FeatureDisableWriteCache = 0x82;
    /// <summary>SET FEATURES subcommand: enable read look-ahead.</summary>
    public const byte FeatureEnableReadLookAhead = 0xAA;
    /// <summary>SET FEATURES subcommand: enable reverting to power-on defaults.</summary>
    public const byte FeatureEnableRevertToDefaults = 0xCC;
}
