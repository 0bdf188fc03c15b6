namespace Emulator.Devices;

/// <summary>
/// The receiving end of an APIC interrupt message (the APIC bus / system bus as the I/O APIC sees it): a local APIC
/// that checks the destination against its own ID or logical destination and accepts the interrupt.
/// </summary>
public interface IApicInterruptSink
{
    /// <summary>
    /// Delivers one message. <paramref name="destination"/> is an APIC ID (physical) or a message destination address
    /// (logical); 0xFF is a broadcast in both. Returns true when this sink was a destination.
    /// </summary>
    bool AcceptMessage(ApicDeliveryMode mode, byte vector, bool levelTriggered, byte destination, bool logicalDestination);
}
