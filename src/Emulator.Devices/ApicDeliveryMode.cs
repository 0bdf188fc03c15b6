namespace Emulator.Devices;

/// <summary>
/// The delivery-mode field (bits 10:8) of local APIC LVT entries and the ICR (SDM Vol. 3A §11.5.1, §11.6.1) and of
/// 82093AA I/O APIC redirection entries (datasheet §3.2.4). Values 3 is reserved; 6 is StartUp in the ICR only.
/// </summary>
public enum ApicDeliveryMode
{
    Fixed = 0,
    LowestPriority = 1,
    Smi = 2,
    Nmi = 4,
    Init = 5,
    StartUp = 6,
    ExtInt = 7,
}
