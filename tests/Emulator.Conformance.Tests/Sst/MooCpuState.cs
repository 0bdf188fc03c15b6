namespace Emulator.Conformance.Tests.Sst;

/// <summary>An INIT or FINA state: the present registers (REGS mask) and the RAM entries.</summary>
public sealed class MooCpuState
{
    private readonly ushort[] registers;

    public MooCpuState(ushort registerMask, ushort[] registers, MooRamEntry[] ram)
    {
        if (registers.Length != 14)
        {
            throw new ArgumentException("14 register slots expected", nameof(registers));
        }

        RegisterMask = registerMask;
        this.registers = registers;
        Ram = ram;
    }

    /// <summary>Bit n set: register n (see <see cref="MooRegister"/>) is present.</summary>
    public ushort RegisterMask { get; }

    public IReadOnlyList<MooRamEntry> Ram { get; }

    public bool Has(MooRegister register) => (RegisterMask & (1 << (int)register)) != 0;

    /// <summary>The register value; only meaningful when <see cref="Has"/> is true.</summary>
    public ushort Get(MooRegister register) => registers[(int)register];

    public bool TryGet(MooRegister register, out ushort value)
    {
        value = registers[(int)register];
        return Has(register);
    }
}
