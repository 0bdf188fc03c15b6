using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// Reader for the MOO v1 test format (dbalsom/moo, doc/moo_format_v1.md): a sequence of chunks, each a 4-byte ASCII id,
/// a uint32 little-endian payload length and the payload. Unknown chunks (GMET, CYCL, QUEU, …) are skipped by length.
/// Every length and count is checked against the enclosing chunk; a malformed file raises <see cref="InvalidDataException"/>.
/// </summary>
public sealed class MooFile
{
    private const int RegisterCount = 14;

    private MooFile(MooFileHeader header, IReadOnlyList<MooTest> tests)
    {
        Header = header;
        Tests = tests;
    }

    public MooFileHeader Header { get; }

    public IReadOnlyList<MooTest> Tests { get; }

    /// <summary>Loads a file; names ending in .gz are gunzipped first.</summary>
    public static MooFile Load(string path)
    {
        using var file = File.OpenRead(path);
        using var buffer = new MemoryStream();
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            gzip.CopyTo(buffer);
        }
        else
        {
            file.CopyTo(buffer);
        }

        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public static MooFile Parse(ReadOnlySpan<byte> data)
    {
        MooFileHeader? header = null;
        var tests = new List<MooTest>();
        int offset = 0;
        while (offset < data.Length)
        {
            string id = NextChunk(data, ref offset, out var payload);
            switch (id)
            {
                case "MOO ":
                    header = ParseHeader(payload);
                    break;
                case "META":
                    header = ParseMeta(header ?? throw new InvalidDataException("META before MOO chunk"), payload);
                    break;
                case "TEST":
                    tests.Add(ParseTest(payload));
                    break;
                default:
                    break; // Unknown top-level chunk: skipped by its length.
            }
        }

        if (header is null)
        {
            throw new InvalidDataException("no MOO header chunk");
        }

        if (header.TestCount != tests.Count)
        {
            throw new InvalidDataException($"header says {header.TestCount} tests, file holds {tests.Count}");
        }

        return new MooFile(header, tests);
    }

    private static string NextChunk(ReadOnlySpan<byte> data, ref int offset, out ReadOnlySpan<byte> payload)
    {
        if (data.Length - offset < 8)
        {
            throw new InvalidDataException($"truncated chunk header at {offset}");
        }

        string id = Encoding.ASCII.GetString(data.Slice(offset, 4));
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(offset + 4, 4));
        if (length > (uint)(data.Length - offset - 8))
        {
            throw new InvalidDataException($"chunk '{id}' at {offset} claims {length} bytes, only {data.Length - offset - 8} remain");
        }

        payload = data.Slice(offset + 8, (int)length);
        offset += 8 + (int)length;
        return id;
    }

    private static MooFileHeader ParseHeader(ReadOnlySpan<byte> p)
    {
        Require(p, 12, "MOO ");
        return new MooFileHeader(
            p[0],
            p[1],
            checked((int)BinaryPrimitives.ReadUInt32LittleEndian(p.Slice(4, 4))),
            Encoding.ASCII.GetString(p.Slice(8, 4)),
            null,
            null,
            null,
            null);
    }

    // META: major, minor, cpu_type, opcode (uint32), mnemonic (8 ASCII), test_ct (uint32), file_seed (uint64), cpu_mode, 3 reserved.
    private static MooFileHeader ParseMeta(MooFileHeader header, ReadOnlySpan<byte> p)
    {
        Require(p, 28, "META");
        return header with
        {
            MetaOpcode = BinaryPrimitives.ReadUInt32LittleEndian(p.Slice(3, 4)),
            MetaMnemonic = Encoding.ASCII.GetString(p.Slice(7, 8)).TrimEnd(),
            MetaTestCount = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(p.Slice(15, 4))),
            MetaCpuMode = p[27],
        };
    }

    private static MooTest ParseTest(ReadOnlySpan<byte> p)
    {
        Require(p, 4, "TEST");
        int index = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(p));
        string? name = null;
        byte[]? bytes = null;
        MooCpuState? initial = null;
        MooCpuState? final = null;
        MooException? exception = null;
        string? hash = null;

        int offset = 4;
        while (offset < p.Length)
        {
            string id = NextChunk(p, ref offset, out var c);
            switch (id)
            {
                case "NAME":
                    name = Encoding.ASCII.GetString(LengthPrefixed(c, id));
                    break;
                case "BYTS":
                    bytes = LengthPrefixed(c, id).ToArray();
                    break;
                case "INIT":
                    initial = ParseState(c);
                    break;
                case "FINA":
                    final = ParseState(c);
                    break;
                case "EXCP":
                    Require(c, 5, id);
                    exception = new MooException(c[0], BinaryPrimitives.ReadUInt32LittleEndian(c.Slice(1, 4)));
                    break;
                case "HASH":
                    Require(c, 20, id);
                    hash = Convert.ToHexStringLower(c[..20]);
                    break;
                default:
                    break; // GMET, CYCL, IDX …: not needed here.
            }
        }

        return new MooTest(
            index,
            name ?? throw new InvalidDataException($"test {index}: no NAME"),
            bytes ?? throw new InvalidDataException($"test {index}: no BYTS"),
            initial ?? throw new InvalidDataException($"test {index}: no INIT"),
            final ?? throw new InvalidDataException($"test {index}: no FINA"),
            exception,
            hash ?? throw new InvalidDataException($"test {index}: no HASH"));
    }

    private static MooCpuState ParseState(ReadOnlySpan<byte> p)
    {
        ushort mask = 0;
        var registers = new ushort[RegisterCount];
        MooRamEntry[] ram = [];
        int offset = 0;
        while (offset < p.Length)
        {
            string id = NextChunk(p, ref offset, out var c);
            switch (id)
            {
                case "REGS":
                    Require(c, 2, id);
                    mask = BinaryPrimitives.ReadUInt16LittleEndian(c);
                    if ((mask >> RegisterCount) != 0)
                    {
                        throw new InvalidDataException($"REGS mask {mask:X4} names registers beyond flags");
                    }

                    int at = 2;
                    for (int r = 0; r < RegisterCount; r++)
                    {
                        if ((mask & (1 << r)) != 0)
                        {
                            Require(c, at + 2, id);
                            registers[r] = BinaryPrimitives.ReadUInt16LittleEndian(c.Slice(at, 2));
                            at += 2;
                        }
                    }

                    break;
                case "RAM ":
                    Require(c, 4, id);
                    uint count = BinaryPrimitives.ReadUInt32LittleEndian(c);
                    if (count > (uint)(c.Length - 4) / 5)
                    {
                        throw new InvalidDataException($"RAM chunk claims {count} entries in {c.Length} bytes");
                    }

                    ram = new MooRamEntry[count];
                    for (int i = 0; i < ram.Length; i++)
                    {
                        var e = c.Slice(4 + (5 * i), 5);
                        ram[i] = new MooRamEntry(BinaryPrimitives.ReadUInt32LittleEndian(e), e[4]);
                    }

                    break;
                default:
                    break; // QUEU, RMSK (absent in the 286 set), …
            }
        }

        return new MooCpuState(mask, registers, ram);
    }

    private static ReadOnlySpan<byte> LengthPrefixed(ReadOnlySpan<byte> c, string id)
    {
        Require(c, 4, id);
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(c);
        if (n > (uint)(c.Length - 4))
        {
            throw new InvalidDataException($"{id} claims {n} bytes in a {c.Length}-byte chunk");
        }

        return c.Slice(4, (int)n);
    }

    private static void Require(ReadOnlySpan<byte> payload, int length, string id)
    {
        if (payload.Length < length)
        {
            throw new InvalidDataException($"{id} chunk is {payload.Length} bytes, at least {length} expected");
        }
    }
}
