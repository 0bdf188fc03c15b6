namespace Emulator.Machine;

/// <summary>
/// The one user-facing error type: a bad option, a missing file, an incompatible snapshot. Its message is one
/// line meant for the user (the CLI prints <c>emu: message</c> and exits 1).
/// </summary>
public sealed class EmulatorException : Exception
{
    public EmulatorException(string message)
        : base(message)
    {
    }

    public EmulatorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
