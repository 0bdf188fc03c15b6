using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using K4os.Compression.LZ4;
using Microsoft.Win32.SafeHandles;

namespace Emulator.Storage;

/// <summary>
/// Reads a snapshot file. Opening checks the header, the footer, the directory and (by default) the checksum of
/// every section's stored bytes, so a damaged or truncated file is refused before anything is applied to a machine;
/// reading a section checks the checksum of its decoded bytes too. Every defect is a <see cref="StorageException"/>.
/// </summary>
public sealed class SnapshotReader : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, Entry> _entries;
    private readonly string _what;

    private SnapshotReader(SafeFileHandle handle, SnapshotInfo info, Dictionary<string, Entry> entries, List<SnapshotSection> sections, string what)
    {
        _handle = handle;
        Info = info;
        _entries = entries;
        Sections = sections;
        _what = what;
    }

    public SnapshotInfo Info { get; }

    /// <summary>Sections in file order.</summary>
    public IReadOnlyList<SnapshotSection> Sections { get; }

    /// <summary>Opens and checks the structure of the snapshot file at <paramref name="path"/>.</summary>
    public static SnapshotReader Open(string path, bool verifyChecksums = true)
    {
        var full = Path.GetFullPath(path);
        var what = $"snapshot file '{full}'";
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (FileNotFoundException ex)
        {
            throw new StorageException($"{what} does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"could not open {what}: {ex.Message}", ex);
        }

        try
        {
            var reader = Load(handle, full, what);
            if (verifyChecksums)
            {
                reader.VerifyStoredChecksums();
            }

            return reader;
        }
        catch (IOException ex)
        {
            handle.Dispose();
            throw new StorageException($"could not read {what}: {ex.Message}", ex);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the header (for listings); checks magic, version and the header checksum.</summary>
    public static SnapshotInfo ReadInfo(string path)
    {
        var full = Path.GetFullPath(path);
        var what = $"snapshot file '{full}'";
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return ReadHeader(handle, full, RandomAccess.GetLength(handle), what).Info;
        }
        catch (FileNotFoundException ex)
        {
            throw new StorageException($"{what} does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"could not read {what}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Throws a <see cref="StorageException"/> naming what differs when this snapshot does not fit the machine:
    /// its configuration string (compared key by key when written as <c>key=value</c> words) or its base image.
    /// </summary>
    public void CheckCompatible(string machineConfig, ImageFingerprint? currentImage, FingerprintCheck check = FingerprintCheck.Strict)
    {
        ArgumentNullException.ThrowIfNull(machineConfig);
        var config = ConfigDifference.Describe(Info.MachineConfig, machineConfig);
        if (config is not null)
        {
            throw new StorageException($"snapshot '{Info.Name}' was taken with {config.Value.Then}, this machine has {config.Value.Now}");
        }

        if (check == FingerprintCheck.None || Info.BaseImage is null)
        {
            return;
        }

        if (currentImage is null)
        {
            throw new StorageException($"snapshot '{Info.Name}' was taken with a disk image, this machine has none");
        }

        var difference = Info.BaseImage.Describe(currentImage, check);
        if (difference is not null)
        {
            throw new StorageException($"the base image has changed since snapshot '{Info.Name}' was taken: {difference}");
        }
    }

    public bool HasSection(string name) => _entries.ContainsKey(name);

    /// <summary>Uncompressed length of a section.</summary>
    public long SectionLength(string name) => Find(name).RawLength;

    /// <summary>Reads a whole section into a new array (for small sections; use the other overloads for RAM).</summary>
    public byte[] ReadSection(string name)
    {
        var entry = Find(name);
        if (entry.RawLength > Array.MaxLength)
        {
            throw new StorageException($"snapshot section '{name}' is too large for one array ({entry.RawLength} bytes)");
        }

        var data = GC.AllocateUninitializedArray<byte>((int)entry.RawLength);
        ReadSection(name, data);
        return data;
    }

    /// <summary>Decodes a section into <paramref name="destination"/>, whose length must be the section's length.</summary>
    public void ReadSection(string name, Span<byte> destination)
    {
        var entry = Find(name);
        if (destination.Length != entry.RawLength)
        {
            throw new StorageException($"snapshot section '{name}' holds {entry.RawLength} bytes, not {destination.Length}");
        }

        var decoder = new ChunkDecoder(this, entry);
        var done = 0;
        while (decoder.Next(destination[done..], out var produced))
        {
            done += produced;
        }

        decoder.Finish();
    }

    /// <summary>
    /// Decodes a section on several threads, chunk by chunk, straight into memory the caller provides:
    /// <paramref name="destination"/> is asked, concurrently and in no particular order, for room for each chunk (its
    /// offset in the decoded section and its length; it must return exactly that many bytes), and the chunk is decoded
    /// there (RAM pages: each chunk lands in its own pages, no copy). Every chunk length is checked before anything is
    /// decoded; both checksums of the whole section are checked at the end (combined from per-chunk ones). A defect is
    /// a <see cref="StorageException"/>; chunks may have been decoded by then. An exception from
    /// <paramref name="destination"/> stops the read and is rethrown as it is.
    /// </summary>
    public void ReadSectionParallel(string name, SectionChunkDestination destination, int maxDegreeOfParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var entry = Find(name);
        var chunks = WalkChunks(entry);
        var storedCrcs = new uint[chunks.Count];
        var rawCrcs = new uint[chunks.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount };
        try
        {
            Parallel.For(
                0,
                chunks.Count,
                options,
                () => ArrayPool<byte>.Shared.Rent(SnapshotFormat.ChunkSize),
                (i, _, buffers) =>
                {
                    var chunk = chunks[i];
                    Span<byte> header = stackalloc byte[SnapshotFormat.ChunkHeaderSize];
                    BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)chunk.RawLength);
                    BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)chunk.StoredLength);
                    var stored = buffers.AsSpan(0, chunk.StoredLength);
                    ReadAt(stored, chunk.StoredOffset);
                    storedCrcs[i] = ~Crc32C.Update(Crc32C.Update(0xFFFFFFFF, header), stored);
                    var output = destination(chunk.RawOffset, chunk.RawLength);
                    if (output.Length != chunk.RawLength)
                    {
                        throw new InvalidOperationException("chunk destination has the wrong length");
                    }

                    if (chunk.StoredLength == 0)
                    {
                        output.Clear();
                    }
                    else if (chunk.StoredLength == chunk.RawLength)
                    {
                        stored.CopyTo(output);
                    }
                    else if (LZ4Codec.Decode(stored, output) != chunk.RawLength)
                    {
                        throw new StorageException($"{_what} is damaged (section '{entry.Name}': compressed chunk does not decode)");
                    }

                    rawCrcs[i] = Crc32C.Compute(output);
                    return buffers;
                },
                buffers => ArrayPool<byte>.Shared.Return(buffers));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }

        uint storedCrc = 0, rawCrc = 0;
        for (var i = 0; i < chunks.Count; i++)
        {
            storedCrc = Crc32C.Combine(storedCrc, storedCrcs[i], SnapshotFormat.ChunkHeaderSize + chunks[i].StoredLength);
            rawCrc = Crc32C.Combine(rawCrc, rawCrcs[i], chunks[i].RawLength);
        }

        if (storedCrc != entry.StoredCrc)
        {
            throw new StorageException($"{_what} is damaged (checksum mismatch in section '{entry.Name}')");
        }

        if (rawCrc != entry.RawCrc)
        {
            throw new StorageException($"{_what} is damaged (section '{entry.Name}': checksum mismatch after decoding)");
        }
    }

    /// <summary>Reads every chunk header of a section and checks the lengths against the directory entry.</summary>
    private List<ChunkPlace> WalkChunks(Entry entry)
    {
        var chunks = new List<ChunkPlace>();
        Span<byte> header = stackalloc byte[SnapshotFormat.ChunkHeaderSize];
        long position = 0, produced = 0;
        while (position < entry.StoredLength)
        {
            if (entry.StoredLength - position < header.Length)
            {
                throw new StorageException($"{_what} is damaged (section '{entry.Name}': chunk header runs past the section)");
            }

            ReadAt(header, entry.Offset + position);
            position += header.Length;
            var rawLength = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var storedLength = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (rawLength is 0 or > SnapshotFormat.ChunkSize || storedLength > rawLength
                || storedLength > entry.StoredLength - position || rawLength > entry.RawLength - produced)
            {
                throw new StorageException($"{_what} is damaged (section '{entry.Name}': bad chunk lengths)");
            }

            chunks.Add(new ChunkPlace(entry.Offset + position, (int)storedLength, produced, (int)rawLength));
            position += storedLength;
            produced += rawLength;
        }

        if (produced != entry.RawLength)
        {
            throw new StorageException($"{_what} is damaged (section '{entry.Name}': section length does not match its chunks)");
        }

        return chunks;
    }

    private readonly record struct ChunkPlace(long StoredOffset, int StoredLength, long RawOffset, int RawLength);

    /// <summary>
    /// A read-only stream over a section's decoded bytes (for sections larger than memory should hold at once).
    /// Reaching its end checks the section's checksum.
    /// </summary>
    public Stream OpenSection(string name) => new SectionStream(new ChunkDecoder(this, Find(name)));

    public void Dispose() => _handle.Dispose();

    /// <summary>Checks every section's stored-bytes checksum (done by <see cref="Open"/> unless told otherwise).</summary>
    public void VerifyStoredChecksums()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SnapshotFormat.ChunkSize);
        try
        {
            foreach (var entry in _entries.Values)
            {
                var crc = 0xFFFFFFFFu;
                for (long done = 0; done < entry.StoredLength;)
                {
                    var n = (int)Math.Min(buffer.Length, entry.StoredLength - done);
                    ReadAt(buffer.AsSpan(0, n), entry.Offset + done);
                    crc = Crc32C.Update(crc, buffer.AsSpan(0, n));
                    done += n;
                }

                if (~crc != entry.StoredCrc)
                {
                    throw new StorageException($"{_what} is damaged (checksum mismatch in section '{entry.Name}')");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (SnapshotInfo Info, long End) ReadHeader(SafeFileHandle handle, string path, long fileLength, string what)
    {
        Span<byte> prefix = stackalloc byte[SnapshotFormat.PrefixSize];
        var got = RandomAccess.Read(handle, prefix, 0);
        var payload = SnapshotFormat.CheckPrefix(prefix[..got], fileLength, what);
        var header = new byte[SnapshotFormat.PrefixSize + payload + 4];
        ReadExactly(handle, header, 0, what);
        return (SnapshotFormat.DecodeHeader(header, path, fileLength, what), header.Length);
    }

    private static SnapshotReader Load(SafeFileHandle handle, string path, string what)
    {
        var fileLength = RandomAccess.GetLength(handle);
        var (info, headerEnd) = ReadHeader(handle, path, fileLength, what);

        Span<byte> footer = stackalloc byte[SnapshotFormat.FooterSize];
        ReadExactly(handle, footer, fileLength - SnapshotFormat.FooterSize, what);
        if (!footer[..8].SequenceEqual(SnapshotFormat.FooterMagic))
        {
            throw new StorageException($"{what} is truncated or damaged (no end marker)");
        }

        var directoryOffset = BinaryPrimitives.ReadInt64LittleEndian(footer[8..]);
        var directoryLength = BinaryPrimitives.ReadUInt32LittleEndian(footer[16..]);
        var directoryCrc = BinaryPrimitives.ReadUInt32LittleEndian(footer[20..]);
        var recordedLength = BinaryPrimitives.ReadInt64LittleEndian(footer[24..]);
        if (recordedLength != fileLength)
        {
            throw new StorageException($"{what} is truncated or damaged (length {fileLength} bytes, expected {recordedLength})");
        }

        if (directoryOffset < headerEnd || directoryOffset + directoryLength != fileLength - SnapshotFormat.FooterSize
            || directoryLength > SnapshotFormat.MaxSections * (SnapshotFormat.MaxNameBytes + 43L) + 4)
        {
            throw new StorageException($"{what} is damaged (bad directory position)");
        }

        var directory = new byte[directoryLength];
        ReadExactly(handle, directory, directoryOffset, what);
        if (Crc32C.Compute(directory) != directoryCrc)
        {
            throw new StorageException($"{what} is damaged (directory checksum mismatch)");
        }

        var r = new SnapshotFormat.ByteReader(directory, what + " directory");
        var count = r.U32();
        if (count > SnapshotFormat.MaxSections)
        {
            throw new StorageException($"{what} is damaged ({count} sections)");
        }

        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var sections = new List<SnapshotSection>();
        var expectedOffset = headerEnd;
        for (var i = 0; i < count; i++)
        {
            var nameLength = r.U16();
            if (nameLength is 0 or > SnapshotFormat.MaxNameBytes)
            {
                throw new StorageException($"{what} is damaged (bad section name)");
            }

            var name = Encoding.UTF8.GetString(r.Bytes(nameLength));
            var flags = r.U8();
            var offset = r.I64();
            var stored = r.I64();
            var raw = r.I64();
            var storedCrc = r.U32();
            var rawCrc = r.U32();
            var maxChunks = stored / SnapshotFormat.ChunkHeaderSize;
            if ((flags & ~SnapshotFormat.FlagCompressed) != 0 || offset != expectedOffset || stored < 0 || raw < 0
                || stored > directoryOffset - offset || raw > maxChunks * SnapshotFormat.ChunkSize)
            {
                throw new StorageException($"{what} is damaged (bad directory entry for section '{name}')");
            }

            if (!entries.TryAdd(name, new Entry(name, offset, stored, raw, storedCrc, rawCrc)))
            {
                throw new StorageException($"{what} is damaged (section '{name}' appears twice)");
            }

            sections.Add(new SnapshotSection(name, raw, stored, (flags & SnapshotFormat.FlagCompressed) != 0));
            expectedOffset = offset + stored;
        }

        r.End();
        if (expectedOffset != directoryOffset)
        {
            throw new StorageException($"{what} is damaged (sections do not fill the file)");
        }

        return new SnapshotReader(handle, info, entries, sections, what);
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string what)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n == 0)
            {
                throw new StorageException($"{what} is truncated");
            }

            done += n;
        }
    }

    private void ReadAt(Span<byte> buffer, long offset)
    {
        try
        {
            ReadExactly(_handle, buffer, offset, _what);
        }
        catch (IOException ex)
        {
            throw new StorageException($"could not read {_what}: {ex.Message}", ex);
        }
    }

    private Entry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _entries.TryGetValue(name, out var entry)
            ? entry
            : throw new StorageException($"snapshot '{Info.Name}' has no section '{name}'");
    }

    private sealed record Entry(string Name, long Offset, long StoredLength, long RawLength, uint StoredCrc, uint RawCrc);

    /// <summary>Walks a section chunk by chunk, checking every length against the directory.</summary>
    private sealed class ChunkDecoder(SnapshotReader reader, Entry entry)
    {
        private readonly byte[] _stored = new byte[(int)Math.Min(SnapshotFormat.ChunkSize, entry.StoredLength)];
        private long _position;
        private long _produced;
        private uint _rawCrc = 0xFFFFFFFF;

        public Entry Entry => entry;

        public bool AtEnd => _position == entry.StoredLength;

        /// <summary>Decodes the next chunk into <paramref name="destination"/> (which must have room for it).</summary>
        public bool Next(Span<byte> destination, out int produced)
        {
            produced = 0;
            if (AtEnd)
            {
                return false;
            }

            Span<byte> header = stackalloc byte[SnapshotFormat.ChunkHeaderSize];
            if (entry.StoredLength - _position < header.Length)
            {
                throw Damaged("chunk header runs past the section");
            }

            reader.ReadAt(header, entry.Offset + _position);
            _position += header.Length;
            var rawLength = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var storedLength = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (rawLength is 0 or > SnapshotFormat.ChunkSize || storedLength > rawLength
                || storedLength > entry.StoredLength - _position || rawLength > entry.RawLength - _produced)
            {
                throw Damaged("bad chunk lengths");
            }

            if (destination.Length < rawLength)
            {
                throw new InvalidOperationException("chunk destination too small");
            }

            var output = destination[..(int)rawLength];
            if (storedLength == 0)
            {
                output.Clear();
            }
            else if (storedLength == rawLength)
            {
                reader.ReadAt(output, entry.Offset + _position);
            }
            else
            {
                var input = _stored.AsSpan(0, (int)storedLength);
                reader.ReadAt(input, entry.Offset + _position);
                if (LZ4Codec.Decode(input, output) != rawLength)
                {
                    throw Damaged("compressed chunk does not decode");
                }
            }

            _position += storedLength;
            _produced += rawLength;
            _rawCrc = Crc32C.Update(_rawCrc, output);
            produced = (int)rawLength;
            return true;
        }

        public void Finish()
        {
            if (!AtEnd || _produced != entry.RawLength)
            {
                throw Damaged("section length does not match its chunks");
            }

            if (~_rawCrc != entry.RawCrc)
            {
                throw Damaged("checksum mismatch after decoding");
            }
        }

        private StorageException Damaged(string why) => new($"{reader._what} is damaged (section '{entry.Name}': {why})");
    }

    private sealed class SectionStream(ChunkDecoder decoder) : Stream
    {
        private readonly byte[] _chunk = new byte[(int)Math.Min(SnapshotFormat.ChunkSize, decoder.Entry.RawLength)];
        private int _chunkLength;
        private int _chunkPosition;
        private long _position;
        private bool _finished;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => decoder.Entry.RawLength;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_chunkPosition == _chunkLength)
            {
                if (!decoder.Next(_chunk, out _chunkLength))
                {
                    if (!_finished)
                    {
                        decoder.Finish();
                        _finished = true;
                    }

                    return 0;
                }

                _chunkPosition = 0;
            }

            var n = Math.Min(buffer.Length, _chunkLength - _chunkPosition);
            _chunk.AsSpan(_chunkPosition, n).CopyTo(buffer);
            _chunkPosition += n;
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
