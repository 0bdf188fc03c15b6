using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

public sealed class Uart16550Tests
{
    private sealed class Line : IInterruptLine
    {
        public bool Level;
        public void SetLevel(bool high) => Level = high;
    }

    private sealed class RecordingBackend : ISerialBackend
    {
        public readonly List<byte> Written = new();
        public readonly Queue<byte> Input = new();
        public bool SupportsInput => true;
        public void Write(byte value) => Written.Add(value);
        public bool TryRead(out byte value) => Input.TryDequeue(out value);
        public void Dispose()
        {
        }
    }

    private const ushort Base = 0x3F8;
    private readonly VirtualClock _clock = new();
    private readonly Line _irq = new();
    private readonly RecordingBackend _backend = new();
    private readonly Uart16550 _uart;

    public Uart16550Tests()
    {
        _uart = new Uart16550(_clock, Base, _irq, _backend);
    }

    private byte R(int reg) => (byte)_uart.Read((ushort)(Base + reg), 1);

    private void W(int reg, byte value) => _uart.Write((ushort)(Base + reg), 1, value);

    [Fact]
    public void ResetValues()
    {
        Assert.Equal(0x00, R(1));          // IER
        Assert.Equal(0x01, R(2));          // IIR: no interrupt, FIFOs off
        Assert.Equal(0x00, R(3));
        Assert.Equal(0x00, R(4));
        Assert.Equal(0x60, R(5));          // THRE | TEMT
        Assert.False(_irq.Level);
    }

    [Fact]
    public void DivisorLatchIsBehindDlab()
    {
        W(1, 0x05);
        W(3, 0x83);                        // DLAB, 8N1
        W(0, 0x01);
        W(1, 0x00);
        Assert.Equal(0x01, R(0));
        Assert.Equal(0x00, R(1));
        W(3, 0x03);
        Assert.Equal(0x05, R(1));          // IER untouched by the divisor writes
        Assert.Empty(_backend.Written);
    }

    [Fact]
    public void TransmitGoesToBackendImmediately()
    {
        W(0, (byte)'h');
        W(0, (byte)'i');
        Assert.Equal("hi"u8.ToArray(), _backend.Written);
        Assert.Equal(0x60, R(5) & 0x60);
    }

    [Fact]
    public void ThreInterruptSemantics()
    {
        W(4, 0x08);                        // OUT2: IRQ reaches the PIC
        W(1, 0x02);                        // ETBEI while THR is empty: interrupt at once
        Assert.True(_irq.Level);
        Assert.Equal(0x02, R(2));          // THRE; reading IIR clears it
        Assert.False(_irq.Level);
        Assert.Equal(0x01, R(2));
        W(0, 0x41);                        // THR write; transmitted at once, THR empty again
        Assert.True(_irq.Level);
        W(1, 0x00);
        Assert.False(_irq.Level);
        W(1, 0x02);                        // re-enabling with THR empty interrupts again
        Assert.True(_irq.Level);
    }

    [Fact]
    public void IrqIsGatedByOut2()
    {
        W(1, 0x02);
        Assert.Equal(0x02, R(2) & 0x0F);
        Assert.False(_irq.Level);
        W(1, 0x00);
        W(1, 0x02);
        W(4, 0x08);
        Assert.True(_irq.Level);
    }

    [Fact]
    public void ReceiveWithoutFifo()
    {
        W(4, 0x08);
        W(1, 0x01);
        _uart.Receive(0x33);
        Assert.Equal(0x01, R(5) & 0x01);   // DR
        Assert.True(_irq.Level);
        Assert.Equal(0x04, R(2));
        Assert.Equal(0x33, R(0));
        Assert.Equal(0x00, R(5) & 0x01);
        Assert.False(_irq.Level);
    }

    [Fact]
    public void OverrunIsLineStatusInterruptWithTopPriority()
    {
        W(4, 0x08);
        W(1, 0x07);                        // ERBFI | ETBEI | ELSI
        _uart.Receive(1);
        _uart.Receive(2);                  // overruns the holding register
        Assert.Equal(0x06, R(2));          // line status outranks data and THRE
        byte lsr = R(5);
        Assert.Equal(0x03, lsr & 0x03);    // OE | DR
        Assert.Equal(0x00, R(5) & 0x02);   // OE cleared by reading LSR
        Assert.Equal(0x04, R(2));          // then received data
        Assert.Equal(2, R(0));             // the newer byte overwrote the older one
        Assert.Equal(0x02, R(2));          // then THRE
        Assert.Equal(0x01, R(2));
    }

    [Fact]
    public void FifoTriggerLevelAndCharacterTimeout()
    {
        W(4, 0x08);
        W(3, 0x83);
        W(0, 0x01);                        // 115200 baud
        W(1, 0x00);
        W(3, 0x03);
        W(2, 0xC7);                        // FIFO on, clear both, trigger 14
        W(1, 0x01);
        Assert.Equal(0xC1, R(2));
        for (int i = 0; i < 13; i++) _uart.Receive((byte)i);
        Assert.Equal(0xC1, R(2));          // below the trigger level
        // Four character times at 115200 8N1 (10 bits each) = 347 us without activity: timeout.
        _clock.AdvanceTo(_clock.Now + 300_000);
        _clock.RunDueTimers();
        Assert.Equal(0xC1, R(2));
        _clock.AdvanceTo(_clock.Now + 100_000);
        _clock.RunDueTimers();
        Assert.Equal(0xCC, R(2));
        Assert.True(_irq.Level);
        Assert.Equal(0, R(0));             // reading clears the timeout
        Assert.Equal(0xC1, R(2));
        _uart.Receive(13);
        _uart.Receive(14);                 // 14 in the FIFO
        Assert.Equal(0xC4, R(2));
        for (int i = 1; i <= 14; i++) Assert.Equal(i, R(0));
        Assert.Equal(0, R(5) & 1);
    }

    [Fact]
    public void FifoOverrunKeepsFifoContents()
    {
        W(2, 0x01);
        for (int i = 0; i < 17; i++) _uart.Receive((byte)(i + 1));
        Assert.Equal(0x03, R(5) & 0x03);
        for (int i = 1; i <= 16; i++) Assert.Equal(i, R(0));
        Assert.Equal(0, R(5) & 1);
    }

    [Fact]
    public void FcrResetClearsReceiveFifo()
    {
        W(2, 0x01);
        _uart.Receive(9);
        W(2, 0x03);
        Assert.Equal(0, R(5) & 1);
        _uart.Receive(9);
        W(2, 0x00);                        // disabling the FIFOs clears them too
        Assert.Equal(0, R(5) & 1);
        Assert.Equal(0x01, R(2));
    }

    [Fact]
    public void LoopbackRoutesTransmitToReceiveAndModemLines()
    {
        W(4, 0x10);                        // loop
        R(6);                              // clear deltas from entering loopback
        W(0, 0x5A);
        Assert.Empty(_backend.Written);
        Assert.Equal(0x5A, R(0));
        W(4, 0x1F);                        // DTR RTS OUT1 OUT2 looped to DSR CTS RI DCD
        byte msr = R(6);
        Assert.Equal(0xF0, msr & 0xF0);
        Assert.Equal(0x0B, msr & 0x0F);    // DCTS DDSR DDCD (TERI only on RI falling)
        W(4, 0x1B);                        // OUT1 off: RI falls
        Assert.Equal(0x04, R(6) & 0x0F);   // TERI
        Assert.Equal(0x00, R(6) & 0x0F);   // cleared by the read
    }

    [Fact]
    public void ModemStatusInterruptHasLowestPriority()
    {
        W(4, 0x18);                        // loop + OUT2 (IRQ gated off in loopback on a PC)
        R(6);
        W(1, 0x0A);                        // EDSSI | ETBEI
        W(4, 0x19);                        // DTR -> DSR changes
        Assert.Equal(0x02, R(2));          // THRE first
        Assert.Equal(0x00, R(2));          // then modem status
        R(6);
        Assert.Equal(0x01, R(2));
        Assert.False(_irq.Level);
    }

    [Fact]
    public void ScratchRegister()
    {
        W(7, 0xA5);
        Assert.Equal(0xA5, R(7));
    }

    [Fact]
    public void HostInputIsPolledFromBackend()
    {
        _backend.Input.Enqueue(0x61);
        _backend.Input.Enqueue(0x62);
        W(2, 0x01);
        _clock.AdvanceTo(_clock.Now + 2_000_000);
        _clock.RunDueTimers();
        Assert.Equal(0x61, R(0));
        Assert.Equal(0x62, R(0));
    }

    [Fact]
    public void StreamBackendPassesBytesBothWays()
    {
        var output = new MemoryStream();
        using var backend = new SerialStreamBackend(null, output, ownsStreams: false);
        var uart = new Uart16550(_clock, Uart16550.Com2Port, null, backend);
        uart.Write(Uart16550.Com2Port, 1, (byte)'x');
        Assert.Equal("x"u8.ToArray(), output.ToArray());
        backend.Inject("yz"u8);
        uart.PollBackend();
        Assert.Equal((uint)'y', uart.Read(Uart16550.Com2Port, 1));
    }

    [Fact]
    public void FileBackendWritesFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"uart-{Guid.NewGuid():N}.log");
        try
        {
            using (var backend = new SerialFileBackend(path))
            {
                var uart = new Uart16550(_clock, Base, null, backend);
                foreach (byte b in "boot\n"u8) uart.Write(Base, 1, b);
            }
            Assert.Equal("boot\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TcpServerBackendTalksToOneClient()
    {
        using var backend = new SerialTcpServerBackend(0);
        using var client = new System.Net.Sockets.TcpClient();
        client.Connect(System.Net.IPAddress.Loopback, backend.LocalPort);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!backend.ClientConnected && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Assert.True(backend.ClientConnected);
        var uart = new Uart16550(_clock, Base, null, backend);
        uart.Write(Base, 1, (byte)'G');
        var stream = client.GetStream();
        stream.ReadTimeout = 5000;
        Assert.Equal('G', stream.ReadByte());
        stream.Write("H"u8);
        byte got = 0;
        while (DateTime.UtcNow < deadline)
        {
            uart.PollBackend();
            if ((uart.Read(Base + 5, 1) & 1) != 0)
            {
                got = (byte)uart.Read(Base, 1);
                break;
            }
            Thread.Sleep(5);
        }
        Assert.Equal((byte)'H', got);
    }

    [Fact]
    public void SaveAndLoadRoundTrip()
    {
        W(2, 0x81);
        W(1, 0x05);
        W(7, 0x42);
        _uart.Receive(0x10);
        var ms = new MemoryStream();
        _uart.SaveState(new BinaryWriter(ms));
        var copy = new Uart16550(_clock, Base, null);
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        Assert.Equal(0x42u, copy.Read(Base + 7, 1));
        Assert.Equal(0x05u, copy.Read(Base + 1, 1));
        Assert.Equal(0x10u, copy.Read(Base, 1));
        ms.Position = 0;
        ms.WriteByte(3);
        ms.Position = 0;
        Assert.Throws<InvalidDataException>(() => copy.LoadState(new BinaryReader(ms)));
    }

    [Fact]
    public void FuzzedPortAccessNeverThrows()
    {
        var rng = new Random(4242);
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = (ushort)(Base + rng.Next(10) - 1);
            int size = 1 << rng.Next(3);
            switch (rng.Next(5))
            {
                case 0:
                case 1: _uart.Read(port, size); break;
                case 2:
                case 3: _uart.Write(port, size, (uint)rng.Next()); break;
                default:
                    _uart.Receive((byte)rng.Next(256));
                    _clock.AdvanceInstructions(rng.Next(100_000));
                    _clock.RunDueTimers();
                    break;
            }
        }
    }
}
