using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>One generated instruction with its inputs and what of its result the SDM defines.</summary>
public sealed class DiffCase
{
    public required InstructionFamily Family { get; init; }

    /// <summary>The instruction as the emulator sees it (32-bit mode).</summary>
    public required Instruction Guest { get; init; }

    /// <summary>Its 32-bit-mode encoding (given to <see cref="IDiffCpu.Execute"/>).</summary>
    public required byte[] Code32 { get; init; }

    /// <summary>The same instruction encoded for the 64-bit host: no REX, so it has the same 32-bit semantics.</summary>
    public required byte[] Code64 { get; init; }

    public required DiffRegisters Input { get; init; }

    /// <summary>EFLAGS bits to compare.</summary>
    public required uint FlagMask { get; init; }

    /// <summary>A destination register (8/16/32-bit) whose value is undefined for this case, or None.</summary>
    public required Register UndefinedRegister { get; init; }

    /// <summary>-1, or the vector the SDM requires (0 = #DE); such cases never run on the host.</summary>
    public required int ExpectedVector { get; init; }

    /// <summary>Bits of GPR <paramref name="number"/> (0..7) that the SDM defines after this case.</summary>
    public uint DefinedBits(int number)
    {
        if (UndefinedRegister == Register.None || GuestRegisters.Number(UndefinedRegister) != number) return uint.MaxValue;
        return GuestRegisters.Width(UndefinedRegister) switch
        {
            32 => 0,
            16 => 0xFFFF_0000,
            _ => UndefinedRegister >= Register.AH ? 0xFFFF_00FF : 0xFFFF_FF00,
        };
    }
}
