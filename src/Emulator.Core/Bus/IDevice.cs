namespace Emulator.Core.Bus;

/// <summary>Every device: reset, and a versioned state section for snapshots.</summary>
public interface IDevice
{
    /// <summary>The section name in a snapshot; unique within a machine.</summary>
    string Name { get; }

    void Reset();

    void SaveState(BinaryWriter writer);

    /// <summary>Restores what <see cref="SaveState"/> wrote; throws <see cref="InvalidDataException"/> on bad data.</summary>
    void LoadState(BinaryReader reader);
}
