namespace Emulator.Storage;

/// <summary>
/// Gives <see cref="SnapshotReader.ReadSectionParallel"/> the memory one decoded chunk goes to: exactly
/// <paramref name="length"/> bytes for the chunk that starts at <paramref name="offset"/> in the decoded section.
/// </summary>
public delegate Span<byte> SectionChunkDestination(long offset, int length);
