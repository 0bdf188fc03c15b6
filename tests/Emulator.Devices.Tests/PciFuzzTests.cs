using System.Buffers.Binary;
using Emulator.Core.Bus;
using Xunit;

namespace Emulator.Devices.Tests;

/// <summary>
/// Hostile-guest test: random port traffic and DMA descriptors against the whole PCI/IDE/fw_cfg/ACPI set.
/// Any exception escaping a handler fails the test.
/// </summary>
public class PciFuzzTests
{
    private static readonly byte[] AtaCommands =
    [
        0x00, 0x08, 0x10, 0x20, 0x21, 0x24, 0x25, 0x27, 0x29, 0x30, 0x31, 0x34, 0x35, 0x39, 0x40, 0x42, 0x70, 0x90, 0x91,
        0xA0, 0xA1, 0xC4, 0xC5, 0xC6, 0xC8, 0xCA, 0xE0, 0xE1, 0xE2, 0xE3, 0xE5, 0xE6, 0xE7, 0xEA, 0xEC, 0xEF, 0xF8,
    ];

    private static readonly byte[] PacketCommands = [0x00, 0x03, 0x12, 0x1A, 0x1B, 0x1E, 0x25, 0x28, 0x2B, 0x43, 0x46, 0x4A, 0x5A, 0xA8, 0xBB, 0xBD];

    [Theory]
    [InlineData(12345)]
    [InlineData(2)]
    [InlineData(31337)]
    public void HundredThousandRandomOperationsNeverThrow(int seed)
    {
        var rng = new Random(seed);
        var ram = new FakeDmaMemory(0x20000);
        var clock = new VirtualClock();
        var ports = new PortBus();
        var lines = Enumerable.Range(0, 16).Select(_ => new FakeLine()).ToArray();
        var isa = new Piix3IsaBridge(i => lines[i]);
        var ide0 = new IdeChannel("ide0", 0x1F0, 0x3F6, lines[14], ram);
        var ide1 = new IdeChannel("ide1", 0x170, 0x376, lines[15], ram);
        var disk = new FakeBlockDevice(2048);
        var roDisk = new FakeBlockDevice(64, readOnly: true);
        var iso = new FakeBlockDevice(4 * 200, readOnly: true);
        var cd = new AtapiCdrom(iso);
        ide0.Attach(0, new AtaDisk(disk));
        ide0.Attach(1, new AtaDisk(roDisk));
        ide1.Attach(0, cd);
        var ide = new Piix3Ide(ide0, ide1, ports);
        var host = new I440fxHostBridge();
        int resets = 0, powerOffs = 0;
        var pci = new PciBus { IntxRouter = isa.GetIntxLine, ResetControl = new Piix3ResetControl(_ => resets++) };
        pci.Attach(0, 0, host);
        pci.Attach(1, 0, isa);
        pci.Attach(1, 1, ide);
        var fw = new FwCfg(ram);
        fw.SetAcpiTables(new AcpiTableBuilder().Build());
        fw.AddFile("etc/writable", new byte[64], (_, _) => { });
        var pm = new AcpiPm(clock, lines[9], () => powerOffs++);
        ports.Register(0xCF8, 8, pci);
        ports.Register(0x1F0, 8, ide0);
        ports.Register(0x3F6, 1, ide0);
        ports.Register(0x170, 8, ide1);
        ports.Register(0x376, 1, ide1);
        ports.Register(0x510, 2, fw);
        ports.Register(0x514, 8, fw);
        ports.Register(0x600, 16, pm);
        ide.WriteConfig(0x20, 4, 0xC000);
        ide.WriteConfig(0x04, 2, 0x0005);
        ushort[] interesting = [0xCF8, 0xCF9, 0xCFC, 0xCFD, 0xCFE, 0xCFF, 0x1F0, 0x1F1, 0x1F2, 0x1F3, 0x1F4, 0x1F5, 0x1F6, 0x1F7, 0x3F6,
            0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376, 0x510, 0x511, 0x514, 0x518, 0x600, 0x602, 0x604, 0x605, 0x608, 0x60C,
            0xC000, 0xC002, 0xC004, 0xC008, 0xC00A, 0xC00C];
        int[] sizes = [1, 1, 1, 2, 2, 4];

        for (int op = 0; op < 100_000; op++)
        {
            int kind = rng.Next(100);
            ushort port = interesting[rng.Next(interesting.Length)];
            int size = sizes[rng.Next(sizes.Length)];
            if (kind < 35)
            {
                ports.Read(port, size);
            }
            else if (kind < 70)
            {
                uint value = (uint)rng.NextInt64(0, 1L << 32);
                if ((port & 0xFFF7) == 0x1F7 || (port & 0xFFF7) == 0x177) value = AtaCommands[rng.Next(AtaCommands.Length)];
                if (port == 0xCF8 && rng.Next(2) == 0) { value = 0x8000_0000u | (uint)rng.Next(0, 0x1000) << 8 | (uint)rng.Next(256); size = 4; }
                ports.Write(port, size, value);
            }
            else if (kind < 78)
            {
                // a random PRD table, sometimes pointing outside memory or without EOT
                int table = rng.Next(0, 0x20000 / 8) * 8;
                for (int e = 0; e < 4 && table + e * 8 + 8 <= ram.Bytes.Length; e++)
                {
                    var s = ram.Bytes.AsSpan(table + e * 8, 8);
                    BinaryPrimitives.WriteUInt32LittleEndian(s, rng.Next(3) == 0 ? (uint)rng.NextInt64(0, 1L << 32) : (uint)rng.Next(0, 0x20000));
                    BinaryPrimitives.WriteUInt16LittleEndian(s[4..], (ushort)rng.Next(0, 0x10000));
                    BinaryPrimitives.WriteUInt16LittleEndian(s[6..], (ushort)(rng.Next(3) == 0 ? 0x8000 : 0));
                }
                ushort bm = (ushort)(0xC000 + (rng.Next(2) * 8));
                ports.Write((ushort)(bm + 4), 4, (uint)(rng.Next(4) == 0 ? rng.NextInt64(0, 1L << 32) : table));
                ports.Write(bm, 1, 0);
                ports.Write(bm, 1, (uint)(1 | (rng.Next(2) << 3)));
            }
            else if (kind < 85)
            {
                // an ATAPI packet with random fields
                ports.Write(0x176, 1, 0xA0);
                ports.Write(0x171, 1, (uint)rng.Next(2));
                ports.Write(0x174, 1, (uint)rng.Next(256));
                ports.Write(0x175, 1, (uint)rng.Next(256));
                ports.Write(0x177, 1, 0xA0);
                var cdb = new byte[12];
                rng.NextBytes(cdb);
                cdb[0] = PacketCommands[rng.Next(PacketCommands.Length)];
                for (int i = 0; i < 12; i += 2) ports.Write(0x170, 2, (uint)(cdb[i] | (cdb[i + 1] << 8)));
                for (int i = 0; i < 64 && (ports.Read(0x376, 1) & 0x08) != 0; i++) ports.Read(0x170, 4);
            }
            else if (kind < 92)
            {
                // an fw_cfg DMA request with random control/length/address
                int at = rng.Next(0, 0x20000 - 16);
                var s = ram.Bytes.AsSpan(at, 16);
                BinaryPrimitives.WriteUInt32BigEndian(s, (uint)(rng.Next(0, 0x40) << 16) | (uint)rng.Next(0, 32));
                BinaryPrimitives.WriteUInt32BigEndian(s[4..], rng.Next(2) == 0 ? (uint)rng.Next(0, 0x4000) : (uint)rng.NextInt64(0, 1L << 32));
                BinaryPrimitives.WriteUInt64BigEndian(s[8..], rng.Next(2) == 0 ? (ulong)rng.Next(0, 0x20000) : (ulong)rng.NextInt64());
                ulong target = rng.Next(8) == 0 ? (ulong)rng.NextInt64() : (ulong)at;
                ports.Write(0x514, 4, BinaryPrimitives.ReverseEndianness((uint)(target >> 32)));
                ports.Write(0x518, 4, BinaryPrimitives.ReverseEndianness((uint)target));
            }
            else if (kind < 97)
            {
                // random configuration space traffic through the device API
                var f = (rng.Next(4)) switch { 0 => (PciDevice)host, 1 => isa, _ => ide };
                f.WriteConfig(rng.Next(-4, 260), sizes[rng.Next(sizes.Length)], (uint)rng.NextInt64(0, 1L << 32));
                f.ReadConfig(rng.Next(-4, 260), sizes[rng.Next(sizes.Length)]);
            }
            else if (kind < 99)
            {
                clock.AdvanceInstructions(rng.Next(1, 5_000_000));
                clock.RunDueTimers();
            }
            else
            {
                // snapshot round trip
                var ms = new MemoryStream();
                var w = new BinaryWriter(ms);
                ide0.SaveState(w); ide1.SaveState(w); fw.SaveState(w); pm.SaveState(w);
                ms.Position = 0;
                var r = new BinaryReader(ms);
                ide0.LoadState(r); ide1.LoadState(r); fw.LoadState(r); pm.LoadState(r);
                if (rng.Next(20) == 0)
                {
                    if (cd.HasMedia) cd.EjectMedia(force: true);
                    else cd.InsertMedia(iso);
                }
            }
        }
        Assert.True(resets + powerOffs >= 0);
    }

    [Fact]
    public void GarbageSnapshotsAreRejectedWithInvalidDataException()
    {
        var ch = new IdeChannel("ide0", 0x1F0, 0x3F6, null, null);
        ch.Attach(0, new AtaDisk(new FakeBlockDevice(16)));
        var ms = new MemoryStream();
        ch.SaveState(new BinaryWriter(ms));
        var bytes = ms.ToArray();
        bytes[0] = 99;
        Assert.Throws<InvalidDataException>(() => ch.LoadState(new BinaryReader(new MemoryStream(bytes))));
        bytes = ms.ToArray();
        bytes[2] = 7; // transfer kind out of range
        Assert.Throws<InvalidDataException>(() => ch.LoadState(new BinaryReader(new MemoryStream(bytes))));
    }
}
