using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// One ISA IRQ wire that reaches several interrupt controllers, as on a PC with both 8259s and an I/O APIC: every
/// level change goes to each of them.
/// </summary>
public sealed class IrqFanOut(params IInterruptLine[] targets) : IInterruptLine
{
    private readonly IInterruptLine[] _targets = targets;

    public void SetLevel(bool high)
    {
        foreach (var t in _targets) t.SetLevel(high);
    }
}
