using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

public sealed class I8042ControllerTests
{
    private sealed class Line : IInterruptLine
    {
        public bool Level;
        public int Rises;

        public void SetLevel(bool high)
        {
            if (high && !Level) Rises++;
            Level = high;
        }
    }

    private readonly Line _irq1 = new();
    private readonly Line _irq12 = new();
    private readonly List<bool> _a20 = new();
    private int _resets;
    private readonly I8042Controller _kbc;

    public I8042ControllerTests()
    {
        _kbc = new I8042Controller(_irq1, _irq12, _a20.Add, () => _resets++);
    }

    private void Command(byte command) => _kbc.Write(0x64, 1, command);

    private void Data(byte value) => _kbc.Write(0x60, 1, value);

    private byte Status => (byte)_kbc.Read(0x64, 1);

    /// <summary>Reads everything in the output buffer, like a polling driver.</summary>
    private List<byte> Drain()
    {
        var bytes = new List<byte>();
        while ((Status & 0x01) != 0) bytes.Add((byte)_kbc.Read(0x60, 1));
        return bytes;
    }

    private void SetCommandByte(byte value)
    {
        Command(0x60);
        Data(value);
    }

    [Fact]
    public void SelfTestAndInterfaceTests()
    {
        Command(0xAA);
        Assert.Equal(new byte[] { 0x55 }, Drain());
        Command(0xAB);
        Assert.Equal(new byte[] { 0x00 }, Drain());
        Command(0xA9);
        Assert.Equal(new byte[] { 0x00 }, Drain());
        Assert.Equal(0x04, Status & 0x04); // SYS flag after self test
    }

    [Fact]
    public void CommandByteReadAndWrite()
    {
        SetCommandByte(0x47);
        Command(0x20);
        Assert.Equal(new byte[] { 0x47 }, Drain());
        Assert.Equal(0x08, Status & 0x08); // last write went to the command port
        Data(0xF4);
        Assert.Equal(0x00, Status & 0x08);
    }

    [Fact]
    public void KeyboardResetAndIdentifyThroughTranslation()
    {
        SetCommandByte(0x45);              // translate on, IRQ1 on
        Data(0xFF);
        Assert.Equal(new byte[] { 0xFA, 0xAA }, Drain());
        Data(0xF2);
        Assert.Equal(new byte[] { 0xFA, 0xAB, 0x41 }, Drain()); // 0x83 reads as 0x41 through translation
        SetCommandByte(0x05);              // translation off
        Data(0xF2);
        Assert.Equal(new byte[] { 0xFA, 0xAB, 0x83 }, Drain());
    }

    [Fact]
    public void KeyPressesAreTranslatedToSet1()
    {
        SetCommandByte(0x45);
        Assert.True(_kbc.Keyboard.PressKey("a"));
        Assert.True(_kbc.Keyboard.ReleaseKey("a"));
        Assert.Equal(new byte[] { 0x1E, 0x9E }, Drain());
        _kbc.Keyboard.PressKey("up");
        _kbc.Keyboard.ReleaseKey("up");
        Assert.Equal(new byte[] { 0xE0, 0x48, 0xE0, 0xC8 }, Drain());
        _kbc.Keyboard.PressKey("ret");
        Assert.Equal(new byte[] { 0x1C }, Drain());
        Assert.False(_kbc.Keyboard.PressKey("no_such_key"));
    }

    [Fact]
    public void UntranslatedSet2Codes()
    {
        SetCommandByte(0x05);
        _kbc.Keyboard.PressKey("a");
        _kbc.Keyboard.ReleaseKey("a");
        _kbc.Keyboard.PressKey("kp_enter");
        _kbc.Keyboard.ReleaseKey("kp_enter");
        Assert.Equal(new byte[] { 0x1C, 0xF0, 0x1C, 0xE0, 0x5A, 0xE0, 0xF0, 0x5A }, Drain());
    }

    [Fact]
    public void PauseKeySequences()
    {
        SetCommandByte(0x45);
        _kbc.Keyboard.PressKey("pause");
        Assert.Equal(new byte[] { 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5 }, Drain());
    }

    [Fact]
    public void ScanCodeSetSelection()
    {
        SetCommandByte(0x45);
        Data(0xF0);
        Data(0x00);
        Assert.Equal(new byte[] { 0xFA, 0xFA, 0x41 }, Drain()); // set 2, as read through translation
        SetCommandByte(0x05);
        Data(0xF0);
        Data(0x01);
        Assert.Equal(new byte[] { 0xFA, 0xFA }, Drain());
        Assert.Equal(1, _kbc.Keyboard.ScanCodeSet);
        _kbc.Keyboard.PressKey("esc");
        _kbc.Keyboard.ReleaseKey("esc");
        Assert.Equal(new byte[] { 0x01, 0x81 }, Drain());
    }

    [Fact]
    public void LedsTypematicEnableDisable()
    {
        Data(0xED);
        Data(0x07);
        Assert.Equal(new byte[] { 0xFA, 0xFA }, Drain());
        Assert.Equal(7, _kbc.Keyboard.Leds);
        Data(0xF3);
        Data(0x20);
        Assert.Equal(new byte[] { 0xFA, 0xFA }, Drain());
        Assert.Equal(0x20, _kbc.Keyboard.Typematic);
        Data(0xF5);
        Assert.Equal(new byte[] { 0xFA }, Drain());
        _kbc.Keyboard.PressKey("b");
        Assert.Empty(Drain());             // scanning disabled
        Data(0xF4);
        Drain();
        _kbc.Keyboard.PressKey("b");
        Assert.Single(Drain());
        Data(0xEE);
        Assert.Equal(new byte[] { 0xEE }, Drain());
        Data(0x12);                        // not a command
        Assert.Equal(new byte[] { 0xFE }, Drain());
    }

    [Fact]
    public void Irq1FollowsOutputBufferAndCommandByte()
    {
        SetCommandByte(0x45);
        _kbc.Keyboard.PressKey("a");
        _kbc.Keyboard.PressKey("s");
        Assert.True(_irq1.Level);
        _kbc.Read(0x60, 1);                // next byte moves in: IRQ1 pulses low and high again
        Assert.True(_irq1.Level);
        Assert.Equal(2, _irq1.Rises);
        _kbc.Read(0x60, 1);
        Assert.False(_irq1.Level);
        SetCommandByte(0x44);              // keyboard interrupt off
        _kbc.Keyboard.PressKey("d");
        Assert.False(_irq1.Level);
        Assert.Equal(0x01, Status & 0x01);
    }

    [Fact]
    public void DisabledKeyboardHoldsItsData()
    {
        SetCommandByte(0x45);
        Command(0xAD);
        Assert.Equal(0x10, _kbc.CommandByte & 0x10);
        _kbc.Keyboard.PressKey("x");
        Assert.Equal(0, Status & 0x01);
        Command(0xAE);
        Assert.Equal(new byte[] { 0x2D }, Drain());
    }

    [Fact]
    public void OutputPortDrivesA20AndReset()
    {
        Command(0xD0);
        Assert.Equal(0x03, Drain()[0] & 0x03); // reset line high, A20 on
        Command(0xD1);
        Data(0x01);                        // A20 off
        Assert.Equal(new[] { false }, _a20);
        Assert.Equal(0, _resets);
        Command(0xD1);
        Data(0x03);
        Assert.Equal(new[] { false, true }, _a20);
        Command(0xD1);
        Data(0x02);                        // bit 0 low: CPU reset
        Assert.Equal(1, _resets);
        Command(0xFE);                     // pulse reset line
        Assert.Equal(2, _resets);
        Command(0xFF);                     // pulse nothing
        Assert.Equal(2, _resets);
    }

    [Fact]
    public void WriteOutputBuffersForKeyboardAndMouse()
    {
        SetCommandByte(0x47);              // both interrupts on
        Command(0xD2);
        Data(0x99);
        Assert.Equal(0x01, Status & 0x21);
        Assert.True(_irq1.Level);
        Assert.Equal(0x99u, _kbc.Read(0x60, 1));
        Command(0xD3);
        Data(0x77);
        Assert.Equal(0x21, Status & 0x21); // AUXB
        Assert.True(_irq12.Level);
        Assert.False(_irq1.Level);
        Assert.Equal(0x77u, _kbc.Read(0x60, 1));
        Assert.False(_irq12.Level);
    }

    [Fact]
    public void MouseCommandsAndStreamPackets()
    {
        SetCommandByte(0x47);
        Command(0xA8);
        Command(0xD4);
        Data(0xFF);
        Assert.Equal(new byte[] { 0xFA, 0xAA, 0x00 }, Drain());
        Command(0xD4);
        Data(0xF2);
        Assert.Equal(new byte[] { 0xFA, 0x00 }, Drain());
        Command(0xD4);
        Data(0xF4);
        Assert.Equal(new byte[] { 0xFA }, Drain());
        _kbc.Mouse.Move(5, -3, 0, 0x01);
        Assert.True(_irq12.Level);
        Assert.Equal(new byte[] { 0x29, 0x05, 0xFD }, Drain()); // left, always-1, Y sign
        _kbc.Mouse.Move(-300, 10, 0, 0);
        Assert.Equal(new byte[] { 0x58, 0x00, 0x0A }, Drain()); // X overflow + X sign, saturated to -256
        Command(0xD4);
        Data(0xE9);
        Assert.Equal(new byte[] { 0xFA, 0x20, 0x02, 100 }, Drain()); // enabled, 4 counts/mm, 100/s
    }

    [Fact]
    public void IntelliMouseSampleRateSequenceSwitchesToId3()
    {
        foreach (byte rate in new byte[] { 200, 100, 80 })
        {
            Command(0xD4);
            Data(0xF3);
            Command(0xD4);
            Data(rate);
        }
        Drain();
        Command(0xD4);
        Data(0xF2);
        Assert.Equal(new byte[] { 0xFA, 0x03 }, Drain());
        Command(0xD4);
        Data(0xF4);
        Drain();
        _kbc.Mouse.Move(0, 0, -1, 0);
        Assert.Equal(new byte[] { 0x08, 0x00, 0x00, 0xFF }, Drain()); // wheel -1
    }

    [Fact]
    public void MouseDisabledByA7()
    {
        Command(0xA7);
        Assert.Equal(0x20, _kbc.CommandByte & 0x20);
        Command(0xD4);
        Data(0xF2);
        Assert.Empty(Drain());
        Command(0xA8);
        Assert.Equal(new byte[] { 0xFA, 0x00 }, Drain());
    }

    [Fact]
    public void EveryKeyNameProducesCodes()
    {
        SetCommandByte(0x05);
        foreach (string name in Ps2KeyTable.KeyNames)
        {
            Assert.True(_kbc.Keyboard.PressKey(name), name);
            Assert.NotEmpty(Drain());
        }
        Assert.True(Ps2KeyTable.IsKnown("altgr"));
    }

    [Fact]
    public void SaveAndLoadRoundTrip()
    {
        SetCommandByte(0x65);
        _kbc.Keyboard.PressKey("q");
        var ms = new MemoryStream();
        _kbc.SaveState(new BinaryWriter(ms));
        var copy = new I8042Controller(null, null);
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        Assert.Equal(0x65, copy.CommandByte);
        Assert.Equal(0x10u, copy.Read(0x60, 1));
        ms.Position = 0;
        ms.WriteByte(2);
        ms.Position = 0;
        Assert.Throws<InvalidDataException>(() => copy.LoadState(new BinaryReader(ms)));
    }

    [Fact]
    public void FuzzedPortAccessNeverThrows()
    {
        var rng = new Random(8042);
        var names = Ps2KeyTable.KeyNames.ToArray();
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = rng.Next(3) switch { 0 => 0x60, 1 => 0x64, _ => (ushort)rng.Next(0x10000) };
            int size = 1 << rng.Next(3);
            switch (rng.Next(6))
            {
                case 0:
                case 1: _kbc.Read(port, size); break;
                case 2:
                case 3: _kbc.Write(port, size, (uint)rng.Next()); break;
                case 4: _kbc.Keyboard.SendKey(names[rng.Next(names.Length)], rng.Next(2) == 0); break;
                default: _kbc.Mouse.Move(rng.Next(-1000, 1000), rng.Next(-1000, 1000), rng.Next(-5, 5), (byte)rng.Next(256)); break;
            }
        }
    }
}
