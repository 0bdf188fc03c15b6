namespace Emulator.Devices;

/// <summary>One text-mode character cell: the code point (code page 437) and its attribute byte.</summary>
public readonly record struct VgaTextCell(byte Character, byte Attribute);
