namespace Emulator.Machine;

/// <summary>What sits in an IDE slot.</summary>
public enum DriveMedia
{
    Disk,
    Cdrom,
}
