namespace Emulator.Devices;

/// <summary>
/// One PAM-controlled region of the 0xC0000–0xFFFFF BIOS area (82441FX §3.2.18, PAM0–PAM6):
/// whether reads and writes go to DRAM (true) or are forwarded to PCI/ROM (false).
/// </summary>
public readonly record struct I440fxPamSegment(int Index, uint BaseAddress, uint Size, bool ReadRam, bool WriteRam);
