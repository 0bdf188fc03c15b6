namespace Emulator.Machine;

/// <summary>
/// One IDE drive (QEMU's <c>-drive file=…,if=ide,index=…,media=…</c>). Index 0 = primary master, 1 = primary
/// slave, 2 = secondary master, 3 = secondary slave. A CD-ROM may have no <see cref="Path"/> (empty tray).
/// </summary>
public sealed record DriveConfig
{
    public string? Path { get; init; }

    public int Index { get; init; }

    public DriveMedia Media { get; init; } = DriveMedia.Disk;

    /// <summary><c>null</c> (guess from the name), <c>"raw"</c> or <c>"s2e"</c>.</summary>
    public string? Format { get; init; }

    /// <summary>Keep writes out of the image (S2E mode: they go to the state's write map).</summary>
    public bool Snapshot { get; init; }

    public bool ReadOnly { get; init; }
}
