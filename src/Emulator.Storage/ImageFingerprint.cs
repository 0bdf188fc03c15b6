using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Emulator.Storage;

/// <summary>
/// What a snapshot remembers of its base image: size, modification time (what S2E checks) and a SHA-256 over
/// sampled content — the size, the first MiB, the last MiB and 64 evenly spaced 4 KiB blocks — which stays
/// fast for images of any size (about 2.3 MiB read) and catches a changed image even when its time was kept.
/// </summary>
public sealed class ImageFingerprint
{
    public ImageFingerprint(long size, DateTime modifiedUtc, byte[] sampleHash)
    {
        ArgumentNullException.ThrowIfNull(sampleHash);
        Size = size;
        ModifiedUtc = modifiedUtc;
        SampleHash = sampleHash;
    }

    public const int EdgeBytes = 1 << 20;
    public const int SampleBlocks = 64;
    public const int SampleBlockBytes = 4096;

    public long Size { get; }

    public DateTime ModifiedUtc { get; }

    /// <summary>SHA-256 (32 bytes) over the size and the sampled blocks.</summary>
    public byte[] SampleHash { get; }

    /// <summary>Computes the fingerprint of the file at <paramref name="path"/> (opened read-only, shared).</summary>
    public static ImageFingerprint Compute(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return Compute(handle, full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"could not read base image '{full}': {ex.Message}", ex);
        }
    }

    internal static ImageFingerprint Compute(SafeFileHandle handle, string path)
    {
        var size = RandomAccess.GetLength(handle);
        var modified = File.GetLastWriteTimeUtc(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> sizeBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(sizeBytes, size);
        hash.AppendData(sizeBytes);
        var buffer = new byte[EdgeBytes];
        AppendRange(hash, handle, buffer, 0, Math.Min(EdgeBytes, size));
        AppendRange(hash, handle, buffer, Math.Max(0, size - EdgeBytes), Math.Min(EdgeBytes, size));
        if (size >= SampleBlockBytes)
        {
            var span = size - SampleBlockBytes;
            for (var i = 0; i < SampleBlocks; i++)
            {
                var offset = (long)((UInt128)(ulong)span * (ulong)i / (SampleBlocks - 1));
                AppendRange(hash, handle, buffer, offset, SampleBlockBytes);
            }
        }

        return new ImageFingerprint(size, modified, hash.GetHashAndReset());
    }

    /// <summary>
    /// A sentence saying how <paramref name="current"/> differs from this recorded fingerprint under
    /// <paramref name="check"/>, or <c>null</c> when they match.
    /// </summary>
    public string? Describe(ImageFingerprint current, FingerprintCheck check)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (check == FingerprintCheck.None)
        {
            return null;
        }

        if (Size != current.Size)
        {
            return $"its size was {Size} bytes, now it is {current.Size} bytes";
        }

        if (!SampleHash.AsSpan().SequenceEqual(current.SampleHash))
        {
            return "its content differs (sampled SHA-256 " + Convert.ToHexStringLower(SampleHash.AsSpan(0, 8))
                + "… then, " + Convert.ToHexStringLower(current.SampleHash.AsSpan(0, 8)) + "… now)";
        }

        if (check == FingerprintCheck.Strict && ModifiedUtc != current.ModifiedUtc)
        {
            return $"its modification time was {ModifiedUtc:yyyy-MM-dd HH:mm:ss.fffffff} UTC, now it is {current.ModifiedUtc:yyyy-MM-dd HH:mm:ss.fffffff} UTC";
        }

        return null;
    }

    private static void AppendRange(IncrementalHash hash, SafeFileHandle handle, byte[] buffer, long offset, long count)
    {
        var span = buffer.AsSpan(0, (int)count);
        var done = 0;
        while (done < span.Length)
        {
            var n = RandomAccess.Read(handle, span[done..], offset + done);
            if (n == 0)
            {
                span[done..].Clear();
                break;
            }

            done += n;
        }

        hash.AppendData(span);
    }
}
