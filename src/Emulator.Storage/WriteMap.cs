using System.Buffers.Binary;

namespace Emulator.Storage;

/// <summary>
/// The sectors one execution state has written (sector number → 512 bytes), kept out of the base image.
/// A persistent radix trie (64-way, keyed by sector number) with ownership tokens:
/// <see cref="Fork"/> is O(1) — both sides get fresh tokens, so every existing node becomes frozen and is
/// copied (one path, 64 slots per level) the first time either side writes below it. Nodes a map created
/// after its last fork carry its token and are updated in place. No map ever sees another's writes after a fork.
/// A map belongs to one writer at a time (not thread-safe); frozen nodes may be read from any thread.
/// </summary>
public sealed class WriteMap
{
    public const int SectorSize = 512;

    /// <summary>Largest sector number a map can hold (2^54 − 1, i.e. 8 EiB of disk).</summary>
    public const long MaxSector = (1L << 54) - 1;

    private const int Bits = 6;
    private const int Fanout = 1 << Bits;
    private const int Mask = Fanout - 1;

    private static ReadOnlySpan<byte> SerialMagic => "EMUWMAP1"u8;

    private Node? _root;
    private int _shift;
    private object _owner;

    public WriteMap()
    {
        _owner = new object();
    }

    private WriteMap(Node? root, int shift, long count, object owner)
    {
        _root = root;
        _shift = shift;
        Count = count;
        _owner = owner;
    }

    /// <summary>Number of distinct sectors written.</summary>
    public long Count { get; private set; }

    public bool IsEmpty => Count == 0;

    /// <summary>
    /// A new map with the same contents; from now on writes to either map stay private to it. O(1).
    /// </summary>
    public WriteMap Fork()
    {
        _owner = new object();
        return new WriteMap(_root, _shift, Count, new object());
    }

    /// <summary>Stores one 512-byte sector.</summary>
    public void Write(long sector, ReadOnlySpan<byte> data)
    {
        if (data.Length != SectorSize)
        {
            throw new StorageException($"a write-map entry must be exactly {SectorSize} bytes, not {data.Length}");
        }

        CheckSector(sector);
        var owner = _owner;
        if (_root is null)
        {
            _root = new Node(owner);
            _shift = 0;
        }

        while ((sector >> (_shift + Bits)) != 0)
        {
            var grown = new Node(owner);
            grown.Slots[0] = _root;
            _root = grown;
            _shift += Bits;
        }

        if (!ReferenceEquals(_root.Owner, owner))
        {
            _root = _root.CloneFor(owner);
        }

        var node = _root;
        for (var shift = _shift; shift > 0; shift -= Bits)
        {
            var index = (int)((sector >> shift) & Mask);
            var child = (Node?)node.Slots[index];
            if (child is null)
            {
                child = new Node(owner);
                node.Slots[index] = child;
            }
            else if (!ReferenceEquals(child.Owner, owner))
            {
                child = child.CloneFor(owner);
                node.Slots[index] = child;
            }

            node = child;
        }

        var leafIndex = (int)(sector & Mask);
        var bit = 1UL << leafIndex;
        var bytes = (byte[]?)node.Slots[leafIndex];
        if (bytes is null)
        {
            bytes = new byte[SectorSize];
            node.Slots[leafIndex] = bytes;
            node.OwnedData |= bit;
            Count++;
        }
        else if ((node.OwnedData & bit) == 0)
        {
            // The array is shared with a frozen leaf: never overwrite it, take a private one.
            bytes = new byte[SectorSize];
            node.Slots[leafIndex] = bytes;
            node.OwnedData |= bit;
        }

        data.CopyTo(bytes);
    }

    /// <summary>Copies the sector into <paramref name="destination"/> (512 bytes) if this map holds it.</summary>
    public bool TryRead(long sector, Span<byte> destination)
    {
        if (destination.Length != SectorSize)
        {
            throw new StorageException($"a write-map read must be exactly {SectorSize} bytes, not {destination.Length}");
        }

        var bytes = Find(sector);
        if (bytes is null)
        {
            return false;
        }

        bytes.CopyTo(destination);
        return true;
    }

    /// <summary>The stored sector, valid until the next write to this map; false if absent.</summary>
    public bool TryGet(long sector, out ReadOnlySpan<byte> data)
    {
        var bytes = Find(sector);
        data = bytes;
        return bytes is not null;
    }

    public bool Contains(long sector) => Find(sector) is not null;

    /// <summary>Written sector numbers in ascending order.</summary>
    public IEnumerable<long> Sectors
    {
        get
        {
            if (_root is null)
            {
                yield break;
            }

            var stack = new Stack<(Node Node, int Shift, long Base, int Next)>();
            stack.Push((_root, _shift, 0, 0));
            while (stack.Count > 0)
            {
                var (node, shift, baseSector, next) = stack.Pop();
                if (shift == 0)
                {
                    for (var i = 0; i < Fanout; i++)
                    {
                        if (node.Slots[i] is not null)
                        {
                            yield return baseSector + i;
                        }
                    }

                    continue;
                }

                for (var i = next; i < Fanout; i++)
                {
                    if (node.Slots[i] is Node child)
                    {
                        stack.Push((node, shift, baseSector, i + 1));
                        stack.Push((child, shift - Bits, baseSector + ((long)i << shift), 0));
                        break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Writes the map: magic "EMUWMAP1", count (u64), then count × (sector u64, 512 bytes), sectors ascending,
    /// little-endian.
    /// </summary>
    public void Serialize(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> head = stackalloc byte[16];
        SerialMagic.CopyTo(head);
        BinaryPrimitives.WriteInt64LittleEndian(head[8..], Count);
        stream.Write(head);
        var entry = new byte[8 + SectorSize];
        foreach (var sector in Sectors)
        {
            BinaryPrimitives.WriteInt64LittleEndian(entry, sector);
            Find(sector)!.CopyTo(entry.AsSpan(8));
            stream.Write(entry);
        }
    }

    /// <summary>Serialized size in bytes.</summary>
    public long SerializedLength => 16 + (Count * (8 + SectorSize));

    /// <summary>
    /// Reads a map written by <see cref="Serialize"/>. Any damage (bad magic, truncation, sectors out of order
    /// or beyond <paramref name="sectorLimit"/>) throws <see cref="StorageException"/>.
    /// </summary>
    public static WriteMap Deserialize(Stream stream, long sectorLimit = MaxSector + 1)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> head = stackalloc byte[16];
        ReadExactly(stream, head);
        if (!head[..8].SequenceEqual(SerialMagic))
        {
            throw new StorageException("the disk write map is damaged (bad magic)");
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(head[8..]);
        if (count < 0 || count > sectorLimit)
        {
            throw new StorageException($"the disk write map is damaged (impossible sector count {count})");
        }

        if (stream.CanSeek && count > (stream.Length - stream.Position) / (8 + SectorSize))
        {
            throw new StorageException("the disk write map is truncated");
        }

        var map = new WriteMap();
        var entry = new byte[8 + SectorSize];
        var previous = -1L;
        for (long i = 0; i < count; i++)
        {
            ReadExactly(stream, entry);
            var sector = BinaryPrimitives.ReadInt64LittleEndian(entry);
            if (sector <= previous || sector >= sectorLimit || sector > MaxSector)
            {
                throw new StorageException($"the disk write map is damaged (sector {sector} out of order or beyond the disk)");
            }

            map.Write(sector, entry.AsSpan(8));
            previous = sector;
        }

        return map;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException ex)
        {
            throw new StorageException("the disk write map is truncated", ex);
        }
    }

    private static void CheckSector(long sector)
    {
        if (sector < 0 || sector > MaxSector)
        {
            throw new StorageException($"sector {sector} is outside the range a write map can hold");
        }
    }

    private byte[]? Find(long sector)
    {
        var node = _root;
        if (node is null || sector < 0 || (sector >> (_shift + Bits)) != 0)
        {
            return null;
        }

        for (var shift = _shift; shift > 0; shift -= Bits)
        {
            node = (Node?)node.Slots[(int)((sector >> shift) & Mask)];
            if (node is null)
            {
                return null;
            }
        }

        return (byte[]?)node.Slots[(int)(sector & Mask)];
    }

    private sealed class Node
    {
        public Node(object owner)
        {
            Owner = owner;
            Slots = new object?[Fanout];
        }

        private Node(object owner, object?[] slots)
        {
            Owner = owner;
            Slots = slots;
        }

        public object Owner { get; }

        /// <summary>Children (<see cref="Node"/>) on inner levels, sector arrays (<c>byte[512]</c>) on the leaf level.</summary>
        public object?[] Slots { get; }

        /// <summary>Leaf level: bit i set when the array in slot i belongs to this node alone (may be overwritten).</summary>
        public ulong OwnedData { get; set; }

        public Node CloneFor(object owner) => new(owner, (object?[])Slots.Clone());
    }
}
