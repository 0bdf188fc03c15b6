namespace Emulator.Storage;

/// <summary>
/// The one error type of the storage layer: a bad image, a locked file, an out-of-range access,
/// a damaged or incompatible snapshot. The message is a complete sentence meant for the user.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
