namespace Emulator.Machine.Tests;

/// <summary>A fact that needs SeaBIOS: skipped (with the reason) only when it is missing and cannot be fetched.</summary>
public sealed class SeaBiosFactAttribute : FactAttribute
{
    public SeaBiosFactAttribute()
    {
        if (Firmware.BiosPath is null) Skip = Firmware.MissingReason;
    }
}
