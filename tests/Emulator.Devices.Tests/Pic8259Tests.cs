using Emulator.Core.Bus;
using Emulator.Devices;
using Xunit;

namespace Emulator.Devices.Tests;

public sealed class Pic8259Tests
{
    private sealed class Line : IInterruptLine
    {
        public bool Level;
        public void SetLevel(bool high) => Level = high;
    }

    private readonly Line _intr = new();
    private readonly DualPic8259 _pic;

    public Pic8259Tests()
    {
        _pic = new DualPic8259(_intr);
        InitPc(_pic);
    }

    /// <summary>The BIOS's standard PC initialisation: vectors 0x08 and 0x70, cascade on IR2, 8086 mode.</summary>
    private static void InitPc(DualPic8259 pic, byte icw4 = 0x01)
    {
        pic.Write(0x20, 1, 0x11); // ICW1: edge, cascade, ICW4 needed
        pic.Write(0x21, 1, 0x08); // ICW2
        pic.Write(0x21, 1, 0x04); // ICW3: slave on IR2
        pic.Write(0x21, 1, icw4); // ICW4
        pic.Write(0xA0, 1, 0x11);
        pic.Write(0xA1, 1, 0x70);
        pic.Write(0xA1, 1, 0x02); // slave ID 2
        pic.Write(0xA1, 1, icw4);
    }

    private byte ReadIsr(ushort cmdPort)
    {
        _pic.Write(cmdPort, 1, 0x0B); // OCW3: read ISR
        byte v = (byte)_pic.Read(cmdPort, 1);
        _pic.Write(cmdPort, 1, 0x0A); // back to IRR
        return v;
    }

    private void Raise(int irq) => _pic.IrqLines[irq].SetLevel(true);

    private void Lower(int irq) => _pic.IrqLines[irq].SetLevel(false);

    [Fact]
    public void EdgeRequestIsAcknowledgedWithVectorAndSetsIsr()
    {
        Assert.False(_pic.InterruptPending);
        Raise(0);
        Assert.True(_pic.InterruptPending);
        Assert.True(_intr.Level);
        Assert.Equal(0x01, (int)_pic.Read(0x20, 1)); // IRR
        Assert.Equal(0x08, _pic.Acknowledge());
        Assert.Equal(0x01, ReadIsr(0x20));
        Assert.Equal(0x00, (int)_pic.Read(0x20, 1)); // IRR cleared by INTA
        Assert.False(_pic.InterruptPending);
        _pic.Write(0x20, 1, 0x20); // non-specific EOI
        Assert.Equal(0x00, ReadIsr(0x20));
        // Edge mode: the line is still high, so no new request without a new rising edge.
        Assert.False(_pic.InterruptPending);
        Lower(0);
        Raise(0);
        Assert.True(_pic.InterruptPending);
    }

    [Fact]
    public void FullyNestedPriority()
    {
        Raise(3);
        Raise(1);
        Assert.Equal(0x09, _pic.Acknowledge()); // IR1 before IR3
        Assert.False(_pic.InterruptPending);    // IR3 is lower than IR1 in service
        Raise(0);
        Assert.True(_pic.InterruptPending);     // IR0 is higher: nests
        Assert.Equal(0x08, _pic.Acknowledge());
        Assert.Equal(0x03, ReadIsr(0x20));
        _pic.Write(0x20, 1, 0x20);              // non-specific EOI clears the highest (IR0)
        Assert.Equal(0x02, ReadIsr(0x20));
        _pic.Write(0x20, 1, 0x20);
        Assert.True(_pic.InterruptPending);
        Assert.Equal(0x0B, _pic.Acknowledge());
    }

    [Fact]
    public void MaskRegisterBlocksRequestsButIrrStillShowsThem()
    {
        _pic.Write(0x21, 1, 0xFB);
        Assert.Equal(0xFB, (int)_pic.Read(0x21, 1));
        Raise(4);
        Assert.False(_pic.InterruptPending);
        Assert.Equal(0x10, (int)_pic.Read(0x20, 1));
        _pic.Write(0x21, 1, 0xEB); // unmask IR4
        Assert.True(_pic.InterruptPending);
        Assert.Equal(0x0C, _pic.Acknowledge());
    }

    [Fact]
    public void SlaveRequestCascadesThroughIr2()
    {
        Raise(10);
        Assert.True(_pic.InterruptPending);
        Assert.Equal(0x72, _pic.Acknowledge());
        Assert.Equal(0x04, ReadIsr(0x20));
        Assert.Equal(0x04, ReadIsr(0xA0));
        _pic.Write(0xA0, 1, 0x20);
        _pic.Write(0x20, 1, 0x20);
        Assert.Equal(0, ReadIsr(0x20));
        Assert.Equal(0, ReadIsr(0xA0));
    }

    [Fact]
    public void VanishedRequestGivesSpuriousIr7WithoutIsr()
    {
        Raise(5);
        Assert.True(_pic.InterruptPending); // the CPU sees INTR ...
        Lower(5);                           // ... but the request is gone before INTA
        Assert.Equal(0x0F, _pic.Acknowledge());
        Assert.Equal(0, ReadIsr(0x20));
    }

    [Fact]
    public void SlaveWithoutRequestGivesSpuriousIrq15AndMasterKeepsIr2InService()
    {
        // The master commits to IR2 but the slave has no request: the slave answers with its IR7 vector.
        Raise(2);
        Assert.Equal(0x77, _pic.Acknowledge());
        Assert.Equal(0x04, ReadIsr(0x20));
        Assert.Equal(0x00, ReadIsr(0xA0));
    }

    [Fact]
    public void ElcrSelectsLevelTriggeringAndHasReservedBits()
    {
        _pic.Write(0x4D0, 1, 0xFF);
        _pic.Write(0x4D1, 1, 0xFF);
        Assert.Equal(0xF8, (int)_pic.Read(0x4D0, 1)); // IRQ0-2 are edge only
        Assert.Equal(0xDE, (int)_pic.Read(0x4D1, 1)); // IRQ8 and IRQ13 are edge only
        _pic.Write(0x4D0, 1, 0x00);
        _pic.Write(0x4D1, 1, 0x04);               // IRQ10 level
        Raise(10);
        Assert.Equal(0x72, _pic.Acknowledge());
        _pic.Write(0xA0, 1, 0x20);
        _pic.Write(0x20, 1, 0x20);
        Assert.True(_pic.InterruptPending);       // still high: level mode requests again
        Lower(10);
        Assert.False(_pic.InterruptPending);
    }

    [Fact]
    public void Icw1LtimMakesAllInputsLevelTriggered()
    {
        _pic.Write(0x20, 1, 0x19); // ICW1 with LTIM
        _pic.Write(0x21, 1, 0x08);
        _pic.Write(0x21, 1, 0x04);
        _pic.Write(0x21, 1, 0x01);
        Raise(6);
        Assert.Equal(0x0E, _pic.Acknowledge());
        _pic.Write(0x20, 1, 0x66); // specific EOI for IR6
        Assert.True(_pic.InterruptPending);
    }

    [Fact]
    public void AutoEoiLeavesIsrClear()
    {
        InitPc(_pic, icw4: 0x03);
        Raise(1);
        Assert.Equal(0x09, _pic.Acknowledge());
        Assert.Equal(0, ReadIsr(0x20));
        Raise(3);
        Assert.True(_pic.InterruptPending); // nothing in service blocks it
    }

    [Fact]
    public void SpecificEoiClearsOnlyThatLevel()
    {
        Raise(4);
        _pic.Acknowledge();
        Raise(1);
        _pic.Acknowledge();
        Assert.Equal(0x12, ReadIsr(0x20));
        _pic.Write(0x20, 1, 0x64); // specific EOI IR4 (not the highest)
        Assert.Equal(0x02, ReadIsr(0x20));
    }

    [Fact]
    public void RotateOnNonSpecificEoiMakesServicedLevelLowest()
    {
        Raise(0);
        Assert.Equal(0x08, _pic.Acknowledge());
        _pic.Write(0x20, 1, 0xA0); // rotate on non-specific EOI
        Assert.Equal(0, _pic.Master.LowestPriority);
        Lower(0);
        Raise(0);
        Raise(1);
        Assert.Equal(0x09, _pic.Acknowledge()); // IR1 now outranks IR0
    }

    [Fact]
    public void SetPriorityCommand()
    {
        _pic.Write(0x20, 1, 0xC3); // IR3 lowest, so IR4 highest
        Raise(0);
        Raise(4);
        Assert.Equal(0x0C, _pic.Acknowledge());
        _pic.Write(0x20, 1, 0xE4); // rotate on specific EOI 4: IR4 lowest, IR5 highest
        Assert.Equal(4, _pic.Master.LowestPriority);
        Assert.Equal(0x08, _pic.Acknowledge());
    }

    [Fact]
    public void RotateInAutoEoiMode()
    {
        InitPc(_pic, icw4: 0x03);
        _pic.Write(0x20, 1, 0x80); // rotate in AEOI (set)
        Raise(2 + 1);
        Assert.Equal(0x0B, _pic.Acknowledge());
        Assert.Equal(3, _pic.Master.LowestPriority);
    }

    [Fact]
    public void PollCommandReturnsLevelAndActsAsAcknowledge()
    {
        Raise(6);
        _pic.Write(0x20, 1, 0x0C); // OCW3 poll
        Assert.Equal(0x86, (int)_pic.Read(0x20, 1));
        Assert.Equal(0x40, ReadIsr(0x20));
        _pic.Write(0x20, 1, 0x0C);
        Assert.Equal(0x00, (int)_pic.Read(0x20, 1)); // no request
    }

    [Fact]
    public void SpecialMaskModeEnablesLowerLevels()
    {
        Raise(3);
        _pic.Acknowledge();
        Raise(5);
        Assert.False(_pic.InterruptPending); // IR3 in service blocks IR5
        _pic.Write(0x21, 1, 0x08);           // mask IR3
        _pic.Write(0x20, 1, 0x68);           // OCW3: set special mask mode
        Assert.True(_pic.Master.SpecialMaskMode);
        Assert.True(_pic.InterruptPending);
        Assert.Equal(0x0D, _pic.Acknowledge());
        _pic.Write(0x20, 1, 0x48);           // reset special mask mode
        Assert.False(_pic.Master.SpecialMaskMode);
    }

    [Fact]
    public void Icw1ResetsMaskAndInService()
    {
        _pic.Write(0x21, 1, 0xFF);
        Raise(1);
        _pic.Write(0x21, 1, 0x00);
        _pic.Acknowledge();
        InitPc(_pic);
        Assert.Equal(0, (int)_pic.Read(0x21, 1));
        Assert.Equal(0, ReadIsr(0x20));
    }

    [Fact]
    public void IntrChangedEventFollowsInt()
    {
        var seen = new List<bool>();
        _pic.IntrChanged += seen.Add;
        Raise(7);
        _pic.Acknowledge();
        Assert.Equal(new[] { true, false }, seen);
    }

    [Fact]
    public void SaveAndLoadRoundTrip()
    {
        Raise(1);
        _pic.Acknowledge();
        _pic.Write(0x21, 1, 0x30);
        _pic.Write(0x4D1, 1, 0x08);
        var ms = new MemoryStream();
        _pic.SaveState(new BinaryWriter(ms));
        var copy = new DualPic8259();
        ms.Position = 0;
        copy.LoadState(new BinaryReader(ms));
        Assert.Equal(0x30, (int)copy.Read(0x21, 1));
        Assert.Equal(0x08, (int)copy.Read(0x4D1, 1));
        Assert.Equal(0x02, copy.Master.Isr);
        ms.Position = 0;
        ms.WriteByte(99);
        ms.Position = 0;
        Assert.Throws<InvalidDataException>(() => copy.LoadState(new BinaryReader(ms)));
    }

    [Fact]
    public void FuzzedPortAccessNeverThrows()
    {
        var rng = new Random(1234);
        ushort[] ports = [0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1, 0x22];
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = ports[rng.Next(ports.Length)];
            int size = 1 << rng.Next(3);
            switch (rng.Next(4))
            {
                case 0: _pic.Read(port, size); break;
                case 1: _pic.Write(port, size, (uint)rng.Next()); break;
                case 2: _pic.IrqLines[rng.Next(16)].SetLevel(rng.Next(2) == 0); break;
                default:
                    if (_pic.InterruptPending) _pic.Acknowledge();
                    break;
            }
        }
        _pic.SetIrq(-1, true);
        _pic.SetIrq(16, true);
    }
}
