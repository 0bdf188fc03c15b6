using Emulator.Core.Bus;
using Emulator.Storage;

namespace Emulator.Machine;

/// <summary>Adapts a Storage <see cref="IDisk"/> to the block layer the IDE devices use.</summary>
public sealed class DiskBlockDevice : IBlockDevice
{
    public DiskBlockDevice(IDisk disk)
    {
        Disk = disk;
    }

    public IDisk Disk { get; }

    public long SectorCount => Disk.SectorCount;

    public bool ReadOnly => Disk.ReadOnly;

    public void Read(long lba, Span<byte> destination)
    {
        try
        {
            Disk.Read(lba, destination);
        }
        catch (StorageException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    public void Write(long lba, ReadOnlySpan<byte> source)
    {
        try
        {
            Disk.Write(lba, source);
        }
        catch (StorageException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    public void Flush()
    {
        try
        {
            Disk.Flush();
        }
        catch (StorageException e)
        {
            throw new IOException(e.Message, e);
        }
    }
}
