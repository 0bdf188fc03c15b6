using Emulator.Core.Bus;

namespace Emulator.Devices.Tests;

/// <summary>Port-level helpers and the standard BIOS mode register tables (IBM VGA Technical Reference / FreeVGA).</summary>
internal static class VgaTestSupport
{
    public static void Out(this VgaDevice vga, ushort port, byte value) => vga.Write(port, 1, value);

    public static byte In(this VgaDevice vga, ushort port) => (byte)vga.Read(port, 1);

    public static void SetSeq(this VgaDevice vga, int index, byte value)
    {
        vga.Out(0x3C4, (byte)index);
        vga.Out(0x3C5, value);
    }

    public static byte GetSeq(this VgaDevice vga, int index)
    {
        vga.Out(0x3C4, (byte)index);
        return vga.In(0x3C5);
    }

    public static void SetGc(this VgaDevice vga, int index, byte value)
    {
        vga.Out(0x3CE, (byte)index);
        vga.Out(0x3CF, value);
    }

    public static byte GetGc(this VgaDevice vga, int index)
    {
        vga.Out(0x3CE, (byte)index);
        return vga.In(0x3CF);
    }

    public static void SetCrtc(this VgaDevice vga, int index, byte value)
    {
        vga.Out(0x3D4, (byte)index);
        vga.Out(0x3D5, value);
    }

    public static byte GetCrtc(this VgaDevice vga, int index)
    {
        vga.Out(0x3D4, (byte)index);
        return vga.In(0x3D5);
    }

    /// <summary>Writes an attribute register the documented way: reset the flip-flop via 0x3DA, index, data; PAS set again.</summary>
    public static void SetAc(this VgaDevice vga, int index, byte value)
    {
        vga.In(0x3DA);
        vga.Out(0x3C0, (byte)index);
        vga.Out(0x3C0, value);
        vga.Out(0x3C0, 0x20);
    }

    public static void SetDac(this VgaDevice vga, int index, byte r, byte g, byte b)
    {
        vga.Out(0x3C8, (byte)index);
        vga.Out(0x3C9, r);
        vga.Out(0x3C9, g);
        vga.Out(0x3C9, b);
    }

    public static void Poke(this VgaDevice vga, uint physical, byte value) => vga.LegacyWindow.Write(physical - 0xA0000, 1, value);

    public static byte Peek(this VgaDevice vga, uint physical) => (byte)vga.LegacyWindow.Read(physical - 0xA0000, 1);

    /// <summary>Loads a full register set: misc, sequencer 0–4, CRTC 0–18h, GC 0–8, AC 0–14h.</summary>
    public static void ProgramMode(this VgaDevice vga, byte misc, byte[] seq, byte[] crtc, byte[] gc, byte[] ac)
    {
        vga.Out(0x3C2, misc);
        for (int i = 0; i < seq.Length; i++) vga.SetSeq(i, seq[i]);
        vga.SetCrtc(0x11, (byte)(crtc[0x11] & 0x7F)); // unprotect 0–7 first
        for (int i = 0; i < crtc.Length; i++) vga.SetCrtc(i, crtc[i]);
        for (int i = 0; i < gc.Length; i++) vga.SetGc(i, gc[i]);
        vga.In(0x3DA);
        for (int i = 0; i < ac.Length; i++)
        {
            vga.Out(0x3C0, (byte)i);
            vga.Out(0x3C0, ac[i]);
        }
        vga.Out(0x3C0, 0x20);
    }

    /// <summary>BIOS mode 13h, 320x200 256 colours (chain-4).</summary>
    public static void SetMode13(this VgaDevice vga) => vga.ProgramMode(
        0x63,
        [0x03, 0x01, 0x0F, 0x00, 0x0E],
        [0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
         0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF],
        [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF],
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
         0x41, 0x00, 0x0F, 0x00, 0x00]);

    /// <summary>BIOS mode 12h, 640x480 16 colours (planar).</summary>
    public static void SetMode12(this VgaDevice vga) => vga.ProgramMode(
        0xE3,
        [0x03, 0x01, 0x0F, 0x00, 0x06],
        [0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
         0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF],
        [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF],
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
         0x01, 0x00, 0x0F, 0x00, 0x00]);

    /// <summary>BIOS mode 3, 80x25 colour text.</summary>
    public static void SetMode3(this VgaDevice vga) => vga.ProgramMode(
        0x67,
        [0x03, 0x00, 0x03, 0x00, 0x02],
        [0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
         0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF],
        [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF],
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
         0x0C, 0x00, 0x0F, 0x08, 0x00]);

    /// <summary>Planar access to plane memory at 0xA0000 (64 KiB window, sequential addressing), as BIOS font loaders set it up.</summary>
    public static void SetPlanarAccess(this VgaDevice vga)
    {
        vga.SetSeq(4, 0x06);
        vga.SetGc(5, 0x00);
        vga.SetGc(6, 0x05);
        vga.SetSeq(2, 0x0F);
        vga.SetGc(8, 0xFF);
        vga.SetGc(1, 0x00);
        vga.SetGc(3, 0x00);
    }

    public static void VbeWrite(this VgaDevice vga, int index, ushort value)
    {
        vga.Write(0x1CE, 2, (uint)index);
        vga.Write(0x1CF, 2, value);
    }

    public static ushort VbeRead(this VgaDevice vga, int index)
    {
        vga.Write(0x1CE, 2, (uint)index);
        return (ushort)vga.Read(0x1CF, 2);
    }

    public static VirtualClock NewClock() => new();
}
