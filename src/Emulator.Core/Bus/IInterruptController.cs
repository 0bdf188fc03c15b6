namespace Emulator.Core.Bus;

/// <summary>What the CPU sees of the interrupt controller that drives its INTR pin.</summary>
public interface IInterruptController
{
    /// <summary>True while INTR is asserted (an unmasked request is pending).</summary>
    bool InterruptPending { get; }

    /// <summary>The interrupt-acknowledge cycle: returns the vector and updates the controller's in-service state.</summary>
    byte Acknowledge();
}
