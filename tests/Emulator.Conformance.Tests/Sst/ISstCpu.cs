namespace Emulator.Conformance.Tests.Sst;

/// <summary>
/// What the SingleStepTests 80286 harness drives. One instance per worker thread; it is never shared between threads.
/// </summary>
public interface ISstCpu
{
    // Fresh state: 16 MiB RAM zeroed, real mode, A20 on, port reads return 0xFF.
    // Called once per vector (615k times): it must cost O(bytes touched since the last reset), not a 16 MiB clear.
    void Reset();

    void WriteByte(uint physicalAddress, byte value);

    byte ReadByte(uint physicalAddress);

    // Registers: ax bx cx dx cs ss ds es sp bp si di ip flags (16-bit values); segment loads set base = selector << 4 in real mode.
    void SetRegisters(in SstRegisters regs);

    SstRegisters GetRegisters();

    // Runs until HLT executes (IP then points past the HLT) or maxInstructions retire. Returns the vectors of exceptions/interrupts
    // delivered on the way (real-mode IVT dispatch), in order.
    SstRunResult Run(int maxInstructions);
}
