namespace Emulator.Storage;

/// <summary>
/// A disk as a storage controller sees it: 512-byte sectors addressed by LBA.
/// Same shape as <c>Emulator.Core.Bus.IBlockDevice</c> (the machine layer adapts one to the other).
/// Out-of-range or misaligned requests throw <see cref="StorageException"/>.
/// </summary>
public interface IDisk : IDisposable
{
    const int SectorSize = 512;

    /// <summary>Full path of the image file behind the disk.</summary>
    string Path { get; }

    long SectorCount { get; }

    bool ReadOnly { get; }

    /// <summary>Reads <c>destination.Length / 512</c> sectors starting at <paramref name="lba"/>.</summary>
    void Read(long lba, Span<byte> destination);

    /// <summary>Writes <c>source.Length / 512</c> sectors starting at <paramref name="lba"/>.</summary>
    void Write(long lba, ReadOnlySpan<byte> source);

    void Flush();
}
