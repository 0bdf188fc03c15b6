namespace Emulator.Storage;

/// <summary>One named section of a snapshot file as its directory describes it.</summary>
/// <param name="Name">Section name ("cpu", "ram", "devices", "disk-writes", …).</param>
/// <param name="Length">Length of the section's data in bytes (uncompressed).</param>
/// <param name="StoredLength">Bytes it takes in the file (chunk headers and compression included).</param>
/// <param name="Compressed">Whether it was written with LZ4 compression.</param>
public sealed record SnapshotSection(string Name, long Length, long StoredLength, bool Compressed);
