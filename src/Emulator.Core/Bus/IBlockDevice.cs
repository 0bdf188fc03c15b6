namespace Emulator.Core.Bus;

/// <summary>The block layer as a storage controller sees it: 512-byte sectors.</summary>
public interface IBlockDevice
{
    const int SectorSize = 512;

    long SectorCount { get; }

    bool ReadOnly { get; }

    /// <summary>Reads <c>destination.Length / 512</c> sectors starting at <paramref name="lba"/>.</summary>
    void Read(long lba, Span<byte> destination);

    void Write(long lba, ReadOnlySpan<byte> source);

    void Flush();
}
