namespace Emulator.Storage;

/// <summary>How to open a disk image (the <c>-drive</c>/<c>-hda</c>/<c>-snapshot</c> options of the command line).</summary>
public sealed record DiskOpenOptions
{
    /// <summary><c>null</c> (guess from the name), <c>"raw"</c> or <c>"s2e"</c>.</summary>
    public string? Format { get; init; }

    /// <summary>QEMU's <c>-snapshot</c>: keep every write out of the image (S2E mode over any raw image).</summary>
    public bool Snapshot { get; init; }

    /// <summary>Normal mode only: open the image read-only with a shared lock; writes are refused.</summary>
    public bool ReadOnly { get; init; }
}
