namespace Emulator.Storage;

/// <summary>
/// S2E mode: the base image is opened read-only with a shared lock and never written; every write goes into
/// <see cref="Writes"/>, the current execution state's <see cref="WriteMap"/>; reads merge it over the base.
/// <see cref="Fork"/> gives an independent disk for a new state in O(1) (copy-on-write map, shared base).
/// The base file is closed when the last disk sharing it is disposed.
/// </summary>
public sealed class S2EDisk : IDisk
{
    private readonly SharedBase _base;
    private WriteMap _writes;
    private bool _disposed;

    /// <summary>Takes ownership of <paramref name="baseImage"/> (normally opened read-only).</summary>
    public S2EDisk(RawImage baseImage)
        : this(new SharedBase(baseImage), new WriteMap())
    {
    }

    private S2EDisk(SharedBase shared, WriteMap writes)
    {
        _base = shared;
        _writes = writes;
    }

    public string Path => _base.Image.Path;

    public RawImage Base => _base.Image;

    public long SectorCount => _base.Image.SectorCount;

    /// <summary>Always false: the guest may write; its writes only stay out of the file.</summary>
    public bool ReadOnly => false;

    /// <summary>
    /// The current state's writes. Setting it switches this disk to another state's map (a map has one
    /// writer at a time; use <see cref="WriteMap.Fork"/> to give a copy to someone else).
    /// </summary>
    public WriteMap Writes
    {
        get => _writes;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _writes = value;
        }
    }

    /// <summary>A disk for a new execution state: same base, a fork of <see cref="Writes"/>.</summary>
    public S2EDisk Fork()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _base.AddRef();
        return new S2EDisk(_base, _writes.Fork());
    }

    public void Read(long lba, Span<byte> destination)
    {
        var image = _base.Image;
        image.CheckRange(lba, destination.Length);
        var count = destination.Length / IDisk.SectorSize;
        if (_writes.IsEmpty)
        {
            image.ReadBytes(lba * IDisk.SectorSize, destination);
            return;
        }

        // Runs of sectors absent from the map are read from the base in one call each.
        var runStart = -1;
        for (var i = 0; i < count; i++)
        {
            var slice = destination.Slice(i * IDisk.SectorSize, IDisk.SectorSize);
            if (_writes.TryGet(lba + i, out var data))
            {
                if (runStart >= 0)
                {
                    ReadBase(image, lba, destination, runStart, i);
                    runStart = -1;
                }

                data.CopyTo(slice);
            }
            else if (runStart < 0)
            {
                runStart = i;
            }
        }

        if (runStart >= 0)
        {
            ReadBase(image, lba, destination, runStart, count);
        }
    }

    public void Write(long lba, ReadOnlySpan<byte> source)
    {
        _base.Image.CheckRange(lba, source.Length);
        var count = source.Length / IDisk.SectorSize;
        for (var i = 0; i < count; i++)
        {
            _writes.Write(lba + i, source.Slice(i * IDisk.SectorSize, IDisk.SectorSize));
        }
    }

    /// <summary>Nothing to flush: the writes live in memory until a snapshot stores them.</summary>
    public void Flush()
    {
    }

    /// <summary>Stores <see cref="Writes"/> (for a snapshot's "disk-writes" section).</summary>
    public void SaveWrites(Stream stream) => _writes.Serialize(stream);

    /// <summary>
    /// Replaces <see cref="Writes"/> with the map read from <paramref name="stream"/> (loadvm: the current
    /// state's writes are dropped). Sectors beyond the disk are refused.
    /// </summary>
    public void LoadWrites(Stream stream) => _writes = WriteMap.Deserialize(stream, SectorCount);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _base.Release();
    }

    private static void ReadBase(RawImage image, long lba, Span<byte> destination, int from, int to)
    {
        image.ReadBytes((lba + from) * IDisk.SectorSize, destination[(from * IDisk.SectorSize)..(to * IDisk.SectorSize)]);
    }

    private sealed class SharedBase(RawImage image)
    {
        private int _references = 1;

        public RawImage Image { get; } = image;

        public void AddRef() => Interlocked.Increment(ref _references);

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                Image.Dispose();
            }
        }
    }
}
