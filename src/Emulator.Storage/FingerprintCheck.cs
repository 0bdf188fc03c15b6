namespace Emulator.Storage;

/// <summary>What must match between a snapshot's recorded base image and the image present now.</summary>
public enum FingerprintCheck
{
    /// <summary>Size, modification time and sampled content (S2E checks the time; we add size and content).</summary>
    Strict,

    /// <summary>Size and sampled content only (an image copied elsewhere keeps its content but not its time).</summary>
    ContentOnly,

    /// <summary>No check at all (the caller takes the risk).</summary>
    None,
}
