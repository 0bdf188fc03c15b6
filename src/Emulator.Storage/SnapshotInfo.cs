namespace Emulator.Storage;

/// <summary>The header of a snapshot file: what <c>info snapshots</c> shows and what <c>loadvm</c> checks.</summary>
public sealed class SnapshotInfo
{
    /// <summary>The tag (<c>savevm NAME</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Full path of the snapshot file (empty before it is written).</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>Size of the snapshot file in bytes (0 before it is written).</summary>
    public long FileSize { get; init; }

    public int FormatVersion { get; init; } = SnapshotFile.FormatVersion;

    /// <summary>Opaque text describing the machine, e.g. <c>"ram=256M cpu=core2duo devices=..."</c>.</summary>
    public required string MachineConfig { get; init; }

    /// <summary>The base image as it was when the snapshot was taken; <c>null</c> for a machine without one.</summary>
    public ImageFingerprint? BaseImage { get; init; }

    public DateTimeOffset Created { get; init; }

    /// <summary>The guest's virtual clock (ns) at the moment of the snapshot.</summary>
    public long VmClockNs { get; init; }
}
