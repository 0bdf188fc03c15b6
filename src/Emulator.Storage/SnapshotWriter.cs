using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using K4os.Compression.LZ4;

namespace Emulator.Storage;

/// <summary>
/// Writes one snapshot file atomically: everything goes to a hidden temporary file in the same folder;
/// <see cref="Commit"/> writes the section directory, fsyncs, and renames it over <c>&lt;image&gt;.&lt;NAME&gt;</c>.
/// Disposing without committing leaves no trace. Sections are streamed in 1 MiB chunks (compressed ones with
/// LZ4 on all cores), so a RAM image of any size never needs one big array.
/// </summary>
public sealed class SnapshotWriter : IDisposable
{
    private readonly string _finalPath;
    private readonly string _tempPath;
    private readonly FileStream _file;
    private readonly List<DirectoryEntry> _directory = [];
    private SectionStream? _open;
    private bool _committed;
    private bool _disposed;

    /// <summary>Temporary files are named <c>.&lt;final file name&gt;.tmp-&lt;12 lower-case hex digits&gt;</c>.</summary>
    internal const string TempMarker = ".tmp-";
    internal const int TempIdLength = 12;

    internal SnapshotWriter(string finalPath, SnapshotInfo info)
    {
        _finalPath = finalPath;
        var directory = Path.GetDirectoryName(finalPath)!;
        _tempPath = Path.Combine(directory, "." + Path.GetFileName(finalPath) + TempMarker + Guid.NewGuid().ToString("N")[..TempIdLength]);
        try
        {
            _file = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"could not create snapshot '{info.Name}' in '{directory}': {ex.Message}", ex);
        }

        Info = info;
        Guard(() => _file.Write(SnapshotFormat.EncodeHeader(info)));
    }

    /// <summary>The header being written.</summary>
    public SnapshotInfo Info { get; }

    /// <summary>Where the file will be once committed.</summary>
    public string FinalPath => _finalPath;

    /// <summary>Adds a section from memory.</summary>
    public void AddSection(string name, ReadOnlySpan<byte> data, bool compress = false)
    {
        using var stream = BeginSection(name, compress);
        stream.Write(data);
    }

    /// <summary>Adds a section whose content <paramref name="write"/> streams into the given stream.</summary>
    public void AddSection(string name, Action<Stream> write, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var stream = BeginSection(name, compress);
        write(stream);
    }

    /// <summary>
    /// Starts a section; write its bytes to the returned stream and dispose it to end the section.
    /// One section at a time. <paramref name="compress"/>: LZ4 per 1 MiB chunk (for RAM-sized sections);
    /// all-zero chunks take 8 bytes either way.
    /// </summary>
    public Stream BeginSection(string name, bool compress = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException("the snapshot is already committed");
        }

        if (_open is not null)
        {
            throw new InvalidOperationException($"section '{_open.Name}' is still open");
        }

        var nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes is 0 or > SnapshotFormat.MaxNameBytes)
        {
            throw new StorageException($"bad snapshot section name '{name}'");
        }

        if (_directory.Exists(e => e.Name == name))
        {
            throw new StorageException($"snapshot section '{name}' added twice");
        }

        if (_directory.Count >= SnapshotFormat.MaxSections)
        {
            throw new StorageException("too many snapshot sections");
        }

        _open = new SectionStream(this, name, compress, _file.Position);
        return _open;
    }

    /// <summary>Writes the directory and footer, fsyncs, and renames the file into place (replacing an older one).</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            return;
        }

        if (_open is not null)
        {
            throw new InvalidOperationException($"section '{_open.Name}' is still open");
        }

        Guard(() =>
        {
            var dir = new SnapshotFormat.ByteWriter();
            dir.U32((uint)_directory.Count);
            foreach (var e in _directory)
            {
                var name = Encoding.UTF8.GetBytes(e.Name);
                dir.U16((ushort)name.Length);
                dir.Bytes(name);
                dir.U8(e.Compressed ? SnapshotFormat.FlagCompressed : (byte)0);
                dir.I64(e.Offset);
                dir.I64(e.StoredLength);
                dir.I64(e.RawLength);
                dir.U32(e.StoredCrc);
                dir.U32(e.RawCrc);
            }

            var directory = dir.ToArray();
            var directoryOffset = _file.Position;
            _file.Write(directory);
            Span<byte> footer = stackalloc byte[SnapshotFormat.FooterSize];
            SnapshotFormat.FooterMagic.CopyTo(footer);
            BinaryPrimitives.WriteInt64LittleEndian(footer[8..], directoryOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(footer[16..], (uint)directory.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(footer[20..], Crc32C.Compute(directory));
            BinaryPrimitives.WriteInt64LittleEndian(footer[24..], directoryOffset + directory.Length + SnapshotFormat.FooterSize);
            _file.Write(footer);
            _file.Flush(flushToDisk: true);
            if (OperatingSystem.IsWindows())
            {
                _file.Dispose();
                File.Move(_tempPath, _finalPath, overwrite: true);
            }
            else
            {
                // Renamed while still open (and locked), so a stale-temporary sweep never sees it unlocked.
                File.Move(_tempPath, _finalPath, overwrite: true);
                _file.Dispose();
            }
        });
        _committed = true;
        NativeFile.SyncDirectory(Path.GetDirectoryName(_finalPath)!);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _open?.Abandon();
        _file.Dispose();
        if (!_committed)
        {
            try
            {
                File.Delete(_tempPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: a hidden temporary file stays behind.
            }
        }
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"could not write snapshot '{Info.Name}': {ex.Message}", ex);
        }
    }

    private sealed record DirectoryEntry(string Name, bool Compressed, long Offset, long StoredLength, long RawLength, uint StoredCrc, uint RawCrc);

    /// <summary>Cuts the section into chunks; compressed chunks are encoded in parallel and written in order.</summary>
    private sealed class SectionStream : Stream
    {
        private readonly SnapshotWriter _writer;
        private readonly bool _compress;
        private readonly long _offset;
        private readonly Queue<Task<Chunk>> _pending = new();
        private readonly int _maxPending = Math.Max(2, Environment.ProcessorCount * 2);
        private byte[] _buffer;
        private int _filled;
        private long _rawLength;
        private long _storedLength;
        private uint _rawCrc = 0xFFFFFFFF;
        private uint _storedCrc = 0xFFFFFFFF;
        private bool _closed;

        public SectionStream(SnapshotWriter writer, string name, bool compress, long offset)
        {
            _writer = writer;
            Name = name;
            _compress = compress;
            _offset = offset;
            _buffer = ArrayPool<byte>.Shared.Rent(SnapshotFormat.ChunkSize);
        }

        public string Name { get; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => !_closed;

        public override long Length => _rawLength + _filled;

        public override long Position
        {
            get => Length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            while (!buffer.IsEmpty)
            {
                var n = Math.Min(buffer.Length, SnapshotFormat.ChunkSize - _filled);
                buffer[..n].CopyTo(_buffer.AsSpan(_filled));
                _filled += n;
                buffer = buffer[n..];
                if (_filled == SnapshotFormat.ChunkSize)
                {
                    EmitChunk();
                }
            }
        }

        public override void WriteByte(byte value) => Write([value]);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public void Abandon()
        {
            _closed = true;
            while (_pending.Count > 0)
            {
                var chunk = _pending.Dequeue().Result;
                chunk.Return();
            }

            ArrayPool<byte>.Shared.Return(_buffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_closed)
            {
                if (_filled > 0)
                {
                    EmitChunk();
                }

                while (_pending.Count > 0)
                {
                    WriteOut(_pending.Dequeue().Result);
                }

                _closed = true;
                ArrayPool<byte>.Shared.Return(_buffer);
                _writer._directory.Add(new DirectoryEntry(Name, _compress, _offset, _storedLength, _rawLength, ~_storedCrc, ~_rawCrc));
                _writer._open = null;
            }

            base.Dispose(disposing);
        }

        private void EmitChunk()
        {
            var raw = _buffer;
            var length = _filled;
            _rawCrc = Crc32C.Update(_rawCrc, raw.AsSpan(0, length));
            _rawLength += length;
            _buffer = ArrayPool<byte>.Shared.Rent(SnapshotFormat.ChunkSize);
            _filled = 0;
            if (_compress)
            {
                _pending.Enqueue(Task.Run(() => Encode(raw, length, compress: true)));
                while (_pending.Count >= _maxPending)
                {
                    WriteOut(_pending.Dequeue().Result);
                }
            }
            else
            {
                WriteOut(Encode(raw, length, compress: false));
            }
        }

        private static Chunk Encode(byte[] raw, int length, bool compress)
        {
            var data = raw.AsSpan(0, length);
            if (!data.ContainsAnyExcept((byte)0))
            {
                return new Chunk(raw, length, null, 0);
            }

            if (compress)
            {
                var output = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(length));
                var encoded = LZ4Codec.Encode(data, output, LZ4Level.L00_FAST);
                if (encoded > 0 && encoded < length)
                {
                    return new Chunk(raw, length, output, encoded);
                }

                ArrayPool<byte>.Shared.Return(output);
            }

            return new Chunk(raw, length, raw, length);
        }

        private void WriteOut(Chunk chunk)
        {
            Span<byte> header = stackalloc byte[SnapshotFormat.ChunkHeaderSize];
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)chunk.RawLength);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)chunk.StoredLength);
            var stored = chunk.Stored is null ? default : chunk.Stored.AsSpan(0, chunk.StoredLength);
            _storedCrc = Crc32C.Update(_storedCrc, header);
            _storedCrc = Crc32C.Update(_storedCrc, stored);
            _storedLength += header.Length + stored.Length;
            var file = _writer._file;
            try
            {
                file.Write(header);
                file.Write(stored);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageException($"could not write snapshot '{_writer.Info.Name}': {ex.Message}", ex);
            }
            finally
            {
                chunk.Return();
            }
        }

        private sealed record Chunk(byte[] Raw, int RawLength, byte[]? Stored, int StoredLength)
        {
            public void Return()
            {
                if (Stored is not null && !ReferenceEquals(Stored, Raw))
                {
                    ArrayPool<byte>.Shared.Return(Stored);
                }

                ArrayPool<byte>.Shared.Return(Raw);
            }
        }
    }
}
