namespace Emulator.Storage;

/// <summary>Opens a disk image the way the command line asks for it.</summary>
public static class DiskImage
{
    /// <summary>
    /// True when the image is used in S2E mode: the name ends in <c>.s2e</c>, <c>format=s2e</c> was given,
    /// or <c>-snapshot</c> was.
    /// </summary>
    public static bool IsS2EMode(string path, DiskOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        return options.Snapshot
            || string.Equals(options.Format, "s2e", StringComparison.Ordinal)
            || path.EndsWith(".s2e", StringComparison.Ordinal);
    }

    /// <summary>
    /// Normal mode: a <see cref="RawImage"/> (read-write, exclusive lock, unless <see cref="DiskOpenOptions.ReadOnly"/>).
    /// S2E mode: an <see cref="S2EDisk"/> over the image opened read-only with a shared lock.
    /// Formats other than raw and s2e, and files whose content shows another format (QCOW2, VMDK, VDI, VHDX…)
    /// when the format was not given explicitly as raw, are refused.
    /// </summary>
    public static IDisk Open(string path, DiskOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DiskOpenOptions();
        if (options.Format is not null and not "raw" and not "s2e")
        {
            throw new StorageException($"format '{options.Format}' is not supported (only raw and s2e)");
        }

        var s2e = IsS2EMode(path, options);
        var image = RawImage.Open(path, writable: !s2e && !options.ReadOnly);
        try
        {
            var foreign = image.DetectForeignFormat();
            if (foreign is not null && (s2e || options.Format is null))
            {
                throw new StorageException(
                    $"'{image.Path}' is a {foreign} image, not a raw one; an S2E image (.s2e) must be raw byte for byte " +
                    $"(convert it first, e.g. qemu-img convert -O raw)");
            }

            return s2e ? new S2EDisk(image) : image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }
}
