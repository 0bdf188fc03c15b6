using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The PIIX3 reset control register RC at I/O port 0xCF9 (82371SB, "RC—Reset Control Register"): bit 1 SRST selects a hard
/// (system) reset, bit 2 RCPU initiates the reset on a 0→1 transition. Writing 06h therefore requests a hard
/// reset, 04h a soft (CPU INIT) reset. Attach it to <see cref="PciBus.ResetControl"/> (the port shares the
/// CONFIG_ADDRESS dword).
/// </summary>
public sealed class Piix3ResetControl : IPortHandler, IDevice
{
    /// <summary>RC bit 1: SRST, system (hard) reset when RCPU fires.</summary>
    public const byte SystemReset = 0x02;
    /// <summary>RC bit 2: RCPU, reset CPU on a 0→1 transition.</summary>
    public const byte ResetCpu = 0x04;

    private const byte StateVersion = 1;
    private readonly Action<bool> _reset;
    private byte _value;

    /// <param name="reset">Called with true for a hard (system) reset, false for a soft CPU reset.</param>
    public Piix3ResetControl(Action<bool> reset)
    {
        _reset = reset;
    }

    public string Name => "piix3-rc";

    public uint Read(ushort port, int size) => _value;

    public void Write(ushort port, int size, uint value)
    {
        byte v = (byte)value;
        bool fire = (v & ResetCpu) != 0 && (_value & ResetCpu) == 0;
        _value = (byte)(v & SystemReset);
        if (fire) _reset((v & SystemReset) != 0);
    }

    public void Reset() => _value = 0;

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_value);
    }

    public void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException(Name + ": unsupported state version");
        _value = (byte)(reader.ReadByte() & SystemReset);
    }
}
