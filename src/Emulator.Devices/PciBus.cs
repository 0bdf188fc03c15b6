using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// PCI bus 0 and the host's configuration mechanism #1 (PCI Local Bus Specification 3.0 §3.2.2.3.2):
/// CONFIG_ADDRESS at 0xCF8 (dword access only; bit 31 enable, bits 23:16 bus, 15:11 device, 10:8 function,
/// 7:2 register) and CONFIG_DATA at 0xCFC–0xCFF (byte, word or dword). A byte access to 0xCF9 goes to the
/// PIIX reset control register when one is attached. Register the handler at 0xCF8 for 8 ports.
/// </summary>
public sealed class PciBus : IPortHandler, IDevice
{
    /// <summary>PCI 3.0 §3.2.2.3.2: CONFIG_ADDRESS.</summary>
    public const ushort ConfigAddressPort = 0xCF8;
    /// <summary>PCI 3.0 §3.2.2.3.2: CONFIG_DATA.</summary>
    public const ushort ConfigDataPort = 0xCFC;
    /// <summary>82371SB: reset control register (RC) shares the 0xCF8 dword, byte lane 1.</summary>
    public const ushort ResetControlPort = 0xCF9;

    /// <summary>Bit 31 enable, bits 23:2 address; bits 30:24 and 1:0 are reserved and read as zero.</summary>
    private const uint ConfigAddressMask = 0x80FF_FFFC;
    private const uint ConfigEnable = 0x8000_0000;
    private const byte StateVersion = 1;

    private readonly PciDevice?[] _functions = new PciDevice?[32 * 8];
    private uint _configAddress;

    public string Name => "pci-bus";

    /// <summary>The 0xCF9 reset control register (see <see cref="Piix3ResetControl"/>), or null.</summary>
    public IPortHandler? ResetControl { get; set; }

    /// <summary>
    /// Board wiring of INTx pins: (device number, pin 0 = INTA# … 3 = INTD#) → the line it drives.
    /// Consulted when a function is attached; <see cref="Piix3IsaBridge.GetIntxLine"/> is the PC's.
    /// </summary>
    public Func<int, int, IInterruptLine?>? IntxRouter { get; set; }

    public uint ConfigAddress => _configAddress;

    public void Attach(int device, int function, PciDevice pciFunction)
    {
        if ((uint)device >= 32) throw new ArgumentOutOfRangeException(nameof(device));
        if ((uint)function >= 8) throw new ArgumentOutOfRangeException(nameof(function));
        if (_functions[device * 8 + function] is not null) throw new InvalidOperationException($"PCI slot {device:X2}.{function} is taken");
        _functions[device * 8 + function] = pciFunction;
        int pin = (int)pciFunction.ReadConfig(PciDevice.InterruptPinOffset, 1);
        if (pin is >= 1 and <= 4 && IntxRouter is not null) pciFunction.Intx = IntxRouter(device, pin - 1);
    }

    public PciDevice? GetFunction(int device, int function) =>
        (uint)device < 32 && (uint)function < 8 ? _functions[device * 8 + function] : null;

    public IEnumerable<(int Device, int Function, PciDevice Pci)> Functions
    {
        get
        {
            for (int i = 0; i < _functions.Length; i++)
            {
                if (_functions[i] is { } f) yield return (i / 8, i % 8, f);
            }
        }
    }

    /// <summary>A configuration read as the host bridge performs it; absent functions read all ones.</summary>
    public uint ReadConfig(int bus, int device, int function, int offset, int size)
    {
        var f = bus == 0 ? GetFunction(device, function) : null;
        if (f is null) return size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };
        return f.ReadConfig(offset & 0xFF, size);
    }

    public void WriteConfig(int bus, int device, int function, int offset, int size, uint value)
    {
        var f = bus == 0 ? GetFunction(device, function) : null;
        f?.WriteConfig(offset & 0xFF, size, value);
    }

    public uint Read(ushort port, int size)
    {
        if (port == ConfigAddressPort && size == 4) return _configAddress;
        if (port == ResetControlPort && size == 1 && ResetControl is not null) return ResetControl.Read(port, 1);
        if (port >= ConfigDataPort && port <= ConfigDataPort + 3 && (_configAddress & ConfigEnable) != 0)
        {
            int lane = port - ConfigDataPort;
            int n = Math.Min(size, 4 - lane);
            uint v = ReadConfig(Bus, DeviceNumber, FunctionNumber, Register + lane, n);
            if (n < size) v |= 0xFFFF_FFFFu << (8 * n);
            return v;
        }
        return 0xFFFF_FFFFu;
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port == ConfigAddressPort && size == 4)
        {
            _configAddress = value & ConfigAddressMask;
            return;
        }
        if (port == ResetControlPort && size == 1)
        {
            ResetControl?.Write(port, 1, value);
            return;
        }
        if (port >= ConfigDataPort && port <= ConfigDataPort + 3 && (_configAddress & ConfigEnable) != 0)
        {
            int lane = port - ConfigDataPort;
            int n = Math.Min(size, 4 - lane);
            WriteConfig(Bus, DeviceNumber, FunctionNumber, Register + lane, n, value);
        }
    }

    public void Reset()
    {
        // Each attached function is its own IDevice and is reset by the machine.
        _configAddress = 0;
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_configAddress);
    }

    public void LoadState(BinaryReader reader)
    {
        if (reader.ReadByte() != StateVersion) throw new InvalidDataException("pci-bus: unsupported state version");
        _configAddress = reader.ReadUInt32() & ConfigAddressMask;
    }

    private int Bus => (int)((_configAddress >> 16) & 0xFF);
    private int DeviceNumber => (int)((_configAddress >> 11) & 0x1F);
    private int FunctionNumber => (int)((_configAddress >> 8) & 0x7);
    private int Register => (int)(_configAddress & 0xFC);
}
