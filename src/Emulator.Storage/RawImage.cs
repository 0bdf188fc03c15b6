using Microsoft.Win32.SafeHandles;

namespace Emulator.Storage;

/// <summary>
/// A raw disk image file. Opened either read-write with an exclusive lock (normal mode: writes reach the file;
/// a second writer, or an S2E reader, is refused) or read-only with a shared lock (base of S2E mode:
/// any number of readers, no writer). Thread-safe for concurrent reads (positional I/O).
/// </summary>
public sealed class RawImage : IDisk
{
    private readonly SafeFileHandle _handle;

    private RawImage(string path, SafeFileHandle handle, bool readOnly)
    {
        Path = path;
        _handle = handle;
        ReadOnly = readOnly;
        Length = RandomAccess.GetLength(handle);
    }

    public string Path { get; }

    /// <summary>File length in bytes.</summary>
    public long Length { get; private set; }

    /// <summary>Length in sectors, rounded up (a partial last sector reads as zero-padded).</summary>
    public long SectorCount => (Length + IDisk.SectorSize - 1) / IDisk.SectorSize;

    public bool ReadOnly { get; }

    /// <summary>The open handle, for callers that must read the file while it is locked (fingerprints).</summary>
    internal SafeFileHandle Handle => _handle;

    /// <summary>
    /// Opens an existing raw image. <paramref name="writable"/>: read-write with an exclusive lock; otherwise
    /// read-only with a shared lock.
    /// </summary>
    public static RawImage Open(string path, bool writable)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        var handle = OpenHandle(full, FileMode.Open, writable);
        return new RawImage(full, handle, !writable);
    }

    /// <summary>Creates (or truncates) a sparse raw image of <paramref name="size"/> bytes.</summary>
    public static void Create(string path, long size)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (size < 0)
        {
            throw new StorageException("image size must not be negative");
        }

        var full = System.IO.Path.GetFullPath(path);
        using var handle = OpenHandle(full, FileMode.Create, writable: true);
        try
        {
            RandomAccess.SetLength(handle, size);
        }
        catch (IOException ex)
        {
            throw new StorageException($"could not create '{full}' with {size} bytes: {ex.Message}", ex);
        }
    }

    /// <summary>The name of a non-raw format the file's first bytes show, or <c>null</c>.</summary>
    public string? DetectForeignFormat() => ImageFormatProbe.Detect(_handle);

    /// <summary>Bytes the file occupies on disk (holes of a sparse file excluded, where the OS tells).</summary>
    public long AllocatedBytes() => NativeFile.AllocatedBytes(_handle, Length);

    /// <summary>The fingerprint a snapshot records of this image (size, time, sampled content).</summary>
    public ImageFingerprint ComputeFingerprint() => ImageFingerprint.Compute(_handle, Path);

    public void Read(long lba, Span<byte> destination)
    {
        CheckRange(lba, destination.Length);
        ReadBytes(lba * IDisk.SectorSize, destination);
    }

    public void Write(long lba, ReadOnlySpan<byte> source)
    {
        if (ReadOnly)
        {
            throw new StorageException($"'{Path}' is open read-only");
        }

        CheckRange(lba, source.Length);
        try
        {
            RandomAccess.Write(_handle, source, lba * IDisk.SectorSize);
        }
        catch (IOException ex)
        {
            throw new StorageException($"write to '{Path}' failed: {ex.Message}", ex);
        }

        var end = (lba * IDisk.SectorSize) + source.Length;
        if (end > Length)
        {
            Length = end;
        }
    }

    public void Flush()
    {
        if (ReadOnly)
        {
            return;
        }

        try
        {
            RandomAccess.FlushToDisk(_handle);
        }
        catch (IOException ex)
        {
            throw new StorageException($"flush of '{Path}' failed: {ex.Message}", ex);
        }
    }

    public void Dispose() => _handle.Dispose();

    internal void ReadBytes(long offset, Span<byte> destination)
    {
        var done = 0;
        try
        {
            while (done < destination.Length)
            {
                var n = RandomAccess.Read(_handle, destination[done..], offset + done);
                if (n == 0)
                {
                    destination[done..].Clear();
                    break;
                }

                done += n;
            }
        }
        catch (IOException ex)
        {
            throw new StorageException($"read from '{Path}' failed: {ex.Message}", ex);
        }
    }

    internal void CheckRange(long lba, int byteLength)
    {
        if (byteLength % IDisk.SectorSize != 0)
        {
            throw new StorageException($"disk transfer of {byteLength} bytes is not a whole number of {IDisk.SectorSize}-byte sectors");
        }

        var count = byteLength / IDisk.SectorSize;
        if (lba < 0 || lba > SectorCount || count > SectorCount - lba)
        {
            throw new StorageException($"disk access to sectors {lba}..{lba + count - 1} is beyond the end of '{Path}' ({SectorCount} sectors)");
        }
    }

    private static SafeFileHandle OpenHandle(string full, FileMode mode, bool writable)
    {
        try
        {
            return writable
                ? File.OpenHandle(full, mode, FileAccess.ReadWrite, FileShare.None)
                : File.OpenHandle(full, mode, FileAccess.Read, FileShare.Read);
        }
        catch (FileNotFoundException ex)
        {
            throw new StorageException($"could not open '{full}': no such file", ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new StorageException($"could not open '{full}': no such directory", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StorageException($"could not open '{full}': permission denied", ex);
        }
        catch (IOException ex)
        {
            var why = writable
                ? "it is in use by another process (an emulator already has it open; a disk may have only one writer)"
                : "another process has it open for writing";
            throw new StorageException($"could not open '{full}': {why} ({ex.Message})", ex);
        }
    }
}
