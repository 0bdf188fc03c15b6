namespace Emulator.Storage;

/// <summary>
/// Snapshot files beside a disk image, S2E style: <c>savevm NAME</c> writes <c>&lt;image path&gt;.NAME</c>
/// (e.g. <c>my_image.raw.s2e.ready</c>) once, atomically; <c>loadvm</c> reads it back after checking the machine
/// configuration and the base image; <c>info snapshots</c> lists them; <c>delvm</c> deletes one.
/// </summary>
public static class SnapshotFile
{
    public const int FormatVersion = 1;

    /// <summary>The file a snapshot named <paramref name="name"/> of <paramref name="imagePath"/> lives in.</summary>
    public static string PathFor(string imagePath, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        ValidateName(name);
        return Path.GetFullPath(imagePath) + "." + name;
    }

    /// <summary>A tag is one file-name suffix: not empty, at most 200 characters, no '/', '\', control characters, "." or "..".</summary>
    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Length > 200 || name is "." or ".." || name.Any(c => c is '/' or '\\' || char.IsControl(c)))
        {
            throw new StorageException($"'{name}' is not a valid snapshot name (use letters, digits, '-', '_' or '.')");
        }
    }

    /// <summary>
    /// Starts writing snapshot <paramref name="name"/> of <paramref name="imagePath"/>. The caller adds sections
    /// ("cpu", "ram", "devices", "disk-writes", …) and calls <see cref="SnapshotWriter.Commit"/>.
    /// <paramref name="baseImage"/>: the fingerprint to record (<see cref="RawImage.ComputeFingerprint"/> or
    /// <see cref="ImageFingerprint.Compute(string)"/>); <c>null</c> computes it from <paramref name="imagePath"/>.
    /// </summary>
    public static SnapshotWriter Create(string imagePath, string name, string machineConfig, long vmClockNs, ImageFingerprint? baseImage = null, DateTimeOffset? created = null)
    {
        ArgumentNullException.ThrowIfNull(machineConfig);
        var path = PathFor(imagePath, name);
        RemoveStaleTemporaries(imagePath);
        var info = new SnapshotInfo
        {
            Name = name,
            MachineConfig = machineConfig,
            BaseImage = baseImage ?? ImageFingerprint.Compute(imagePath),
            Created = created ?? DateTimeOffset.UtcNow,
            VmClockNs = vmClockNs,
        };
        return new SnapshotWriter(path, info);
    }

    /// <summary>Starts writing a snapshot file at an explicit path with an explicit header (no image involved).</summary>
    public static SnapshotWriter CreateAt(string snapshotPath, SnapshotInfo info)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotPath);
        ArgumentNullException.ThrowIfNull(info);
        ValidateName(info.Name);
        return new SnapshotWriter(Path.GetFullPath(snapshotPath), info);
    }

    /// <summary>
    /// Opens snapshot <paramref name="name"/> of <paramref name="imagePath"/> for loadvm: the file is checked
    /// (structure and checksums), then compared with <paramref name="machineConfig"/> and the image's current
    /// fingerprint (<paramref name="currentImage"/>, or computed from <paramref name="imagePath"/> when null).
    /// Any problem is one <see cref="StorageException"/> saying what differs.
    /// </summary>
    public static SnapshotReader Open(string imagePath, string name, string machineConfig, FingerprintCheck check = FingerprintCheck.Strict, ImageFingerprint? currentImage = null)
    {
        var path = PathFor(imagePath, name);
        if (!File.Exists(path))
        {
            throw new StorageException($"no snapshot '{name}' for '{Path.GetFullPath(imagePath)}' (no file '{path}')");
        }

        var reader = SnapshotReader.Open(path);
        try
        {
            if (check != FingerprintCheck.None && reader.Info.BaseImage is not null)
            {
                currentImage ??= ImageFingerprint.Compute(imagePath);
            }

            reader.CheckCompatible(machineConfig, currentImage, check);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Snapshot files named <c>&lt;image file name&gt;.*</c> in the image's folder whose header reads, oldest first.</summary>
    public static IReadOnlyList<SnapshotInfo> List(string imagePath)
    {
        var result = new List<SnapshotInfo>();
        RemoveStaleTemporaries(imagePath);
        foreach (var (file, name) in Candidates(imagePath))
        {
            try
            {
                var info = SnapshotReader.ReadInfo(file);
                result.Add(new SnapshotInfo
                {
                    Name = name,
                    Path = info.Path,
                    FileSize = info.FileSize,
                    FormatVersion = info.FormatVersion,
                    MachineConfig = info.MachineConfig,
                    BaseImage = info.BaseImage,
                    Created = info.Created,
                    VmClockNs = info.VmClockNs,
                });
            }
            catch (StorageException)
            {
                // Not a snapshot (another file that shares the prefix, or damaged beyond reading its header).
            }
        }

        result.Sort((a, b) => a.Created != b.Created ? a.Created.CompareTo(b.Created) : string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>
    /// Paths of files named <c>&lt;image file name&gt;.*</c> that start with the snapshot magic, whether or not the
    /// rest reads (for checkers, which must report a damaged header rather than skip the file).
    /// </summary>
    public static IReadOnlyList<string> FindFiles(string imagePath) =>
        Candidates(imagePath).Where(c => HasMagic(c.Path)).Select(c => c.Path).Order(StringComparer.Ordinal).ToList();

    /// <summary>Deletes snapshot <paramref name="name"/> (only a file whose header reads as a snapshot); false if there is none.</summary>
    public static bool Delete(string imagePath, string name)
    {
        var path = PathFor(imagePath, name);
        if (!File.Exists(path))
        {
            return false;
        }

        _ = SnapshotReader.ReadInfo(path);
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"could not delete snapshot '{name}': {ex.Message}", ex);
        }
    }

    /// <summary>How old (last write) a temporary file must be before a sweep considers it (covers a writer between create and lock).</summary>
    public static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Deletes hidden temporary files a savevm left beside the image when it was killed mid-write
    /// (<c>.&lt;image file name&gt;.&lt;NAME&gt;.tmp-&lt;12 hex digits&gt;</c>, our own naming only): a file is removed only
    /// when no live writer holds its lock (the writer keeps it open with an exclusive lock until it is renamed into
    /// place; a killed process's lock is gone), it was last written at least <paramref name="minimumAge"/>
    /// (default <see cref="StaleTemporaryAge"/>) ago, it is a regular file, and it is empty or starts with the snapshot
    /// magic. Returns the paths removed; never throws for a file it cannot remove.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string imagePath, TimeSpan? minimumAge = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        var full = Path.GetFullPath(imagePath);
        var directory = Path.GetDirectoryName(full)!;
        var prefix = "." + Path.GetFileName(full) + ".";
        var age = minimumAge ?? StaleTemporaryAge;
        var removed = new List<string>();
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(directory, "." + "*" + SnapshotWriter.TempMarker + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }

        Span<byte> head = stackalloc byte[SnapshotFormat.Magic.Length];
        foreach (var file in files)
        {
            if (!IsOwnTemporaryName(Path.GetFileName(file), prefix))
            {
                continue;
            }

            try
            {
                var fileInfo = new FileInfo(file);
                if (fileInfo.LinkTarget is not null || (fileInfo.Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    continue;
                }

                if (DateTime.UtcNow - fileInfo.LastWriteTimeUtc < age)
                {
                    continue;
                }

                // Exclusive open: fails while a live writer holds its lock. Only a file that is empty or starts with
                // (a prefix of) the snapshot magic is ours; it is deleted while the lock is held (Unix) or just after.
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1))
                {
                    int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
                    if (!head[..read].SequenceEqual(SnapshotFormat.Magic[..read]))
                    {
                        continue;
                    }

                    if (!OperatingSystem.IsWindows())
                    {
                        File.Delete(file);
                    }
                }

                if (OperatingSystem.IsWindows())
                {
                    File.Delete(file);
                }

                removed.Add(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Locked by a live writer, or gone already: leave it.
            }
        }

        return removed;
    }

    private static bool IsOwnTemporaryName(string fileName, string prefix)
    {
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int marker = fileName.LastIndexOf(SnapshotWriter.TempMarker, StringComparison.Ordinal);
        if (marker <= prefix.Length || fileName.Length - marker - SnapshotWriter.TempMarker.Length != SnapshotWriter.TempIdLength)
        {
            return false;
        }

        var id = fileName.AsSpan(marker + SnapshotWriter.TempMarker.Length);
        foreach (var c in id)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }

        var name = fileName[prefix.Length..marker];
        return name.Length <= 200 && name is not ("." or "..") && !name.Any(c => c is '/' or '\\' || char.IsControl(c));
    }

    private static bool HasMagic(string file)
    {
        try
        {
            using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> magic = stackalloc byte[8];
            return RandomAccess.Read(handle, magic, 0) == magic.Length && magic.SequenceEqual(SnapshotFormat.Magic);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Files named <c>&lt;image file name&gt;.SUFFIX</c> beside the image, with their suffix.</summary>
    private static List<(string Path, string Name)> Candidates(string imagePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        var full = Path.GetFullPath(imagePath);
        var directory = Path.GetDirectoryName(full)!;
        var prefix = Path.GetFileName(full) + ".";
        try
        {
            return Directory.EnumerateFiles(directory)
                .Select(f => (Path: f, FileName: Path.GetFileName(f)))
                .Where(f => f.FileName.StartsWith(prefix, StringComparison.Ordinal) && f.FileName.Length > prefix.Length)
                .Select(f => (f.Path, f.FileName[prefix.Length..]))
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"could not list '{directory}': {ex.Message}", ex);
        }
    }
}
