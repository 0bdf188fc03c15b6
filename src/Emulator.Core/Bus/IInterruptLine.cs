namespace Emulator.Core.Bus;

/// <summary>One interrupt request wire (an IRQ pin of a PIC or I/O APIC, the CPU's INTR or NMI pin).</summary>
public interface IInterruptLine
{
    /// <summary>Drives the wire high (true) or low (false). Edge-triggered receivers act on a low-to-high change.</summary>
    void SetLevel(bool high);
}
