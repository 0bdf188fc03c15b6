using Emulator.Core.Memory;
using Xunit;

namespace Emulator.Core.Tests;

/// <summary>
/// The soft TLB's flushes visit only the slots logged as filled (all of them once the log overflowed): checked here
/// against a scan of every entry, with fills as <c>Mmu.Fill</c> makes them (entry written, slot logged).
/// </summary>
public unsafe class TlbTests
{
    private static void Fill(Tlb tlb, int set, uint linear, ulong frame, bool global, bool write)
    {
        int index = (int)((linear >> 12) & (Tlb.Entries - 1));
        tlb.Filled(set, index);
        ref var r = ref tlb.Read(set)[index];
        r.Tag = linear & ~0xFFFu;
        r.Frame = frame;
        r.Global = global ? 1ul : 0;
        if (!write) return;
        ref var w = ref tlb.Write(set)[index];
        w.Tag = linear & ~0xFFFu;
        w.Frame = frame;
        w.Global = global ? 1ul : 0;
    }

    private static IEnumerable<TlbEntry> All(Tlb tlb)
    {
        var list = new List<TlbEntry>();
        for (int set = 0; set < 2; set++)
        {
            for (int i = 0; i < Tlb.Entries; i++)
            {
                list.Add(tlb.Read(set)[i]);
                list.Add(tlb.Write(set)[i]);
            }
        }
        return list;
    }

    [Theory]
    [InlineData(50)]
    [InlineData(Tlb.Entries * 3)] // overflows the fill log
    public void FlushesLeaveOnlyGlobalEntriesThenNothing(int fills)
    {
        using var tlb = new Tlb();
        var rng = new Random(fills);
        for (int round = 0; round < 3; round++)
        {
            for (int k = 0; k < fills; k++)
            {
                uint linear = (uint)rng.Next() << 1;
                int set = rng.Next(2);
                bool global = rng.Next(8) == 0;
                Fill(tlb, set, linear, (ulong)rng.Next(1 << 20), global, rng.Next(2) == 0);
            }
            tlb.FlushNonGlobal();
            Assert.All(All(tlb), e => Assert.True(e.Tag == TlbEntry.Invalid || e.Global != 0));
            Assert.Contains(All(tlb), e => e.Tag != TlbEntry.Invalid);
            // A second non-global flush keeps them; a full flush (CR4.PGE cleared) must still find every one.
            tlb.FlushNonGlobal();
            Assert.Contains(All(tlb), e => e.Tag != TlbEntry.Invalid);
            tlb.FlushAll();
            Assert.All(All(tlb), e => Assert.Equal(TlbEntry.Invalid, e.Tag));
        }
    }

    [Theory]
    [InlineData(50)]
    [InlineData(Tlb.Entries * 3)]
    public void FlushWritesToFrameDropsEveryWriteEntryOfTheFrameAndNothingElse(int fills)
    {
        using var tlb = new Tlb();
        var rng = new Random(fills + 1);
        const ulong frame = 0x12345; // above every other frame drawn below
        for (int k = 0; k < fills; k++)
        {
            uint linear = (uint)rng.Next() << 1;
            bool ofFrame = rng.Next(4) == 0 || k == fills - 1; // the newest fill too
            Fill(tlb, rng.Next(2), linear, ofFrame ? frame : 1 + (ulong)rng.Next(1 << 12), false, true);
        }
        int readsOfFrame = All(tlb).Count(e => e.Tag != TlbEntry.Invalid && e.Frame == frame);
        int others = All(tlb).Count(e => e.Tag != TlbEntry.Invalid && e.Frame != frame);
        tlb.FlushWritesToFrame(frame);
        int writesOfFrame = 0, readsLeft = 0;
        for (int set = 0; set < 2; set++)
        {
            for (int i = 0; i < Tlb.Entries; i++)
            {
                if (tlb.Write(set)[i].Tag != TlbEntry.Invalid && tlb.Write(set)[i].Frame == frame) writesOfFrame++;
                if (tlb.Read(set)[i].Tag != TlbEntry.Invalid && tlb.Read(set)[i].Frame == frame) readsLeft++;
            }
        }
        Assert.Equal(0, writesOfFrame);
        Assert.True(readsLeft > 0 && readsLeft == readsOfFrame / 2, $"read entries of the frame: {readsLeft} of {readsOfFrame}");
        Assert.Equal(others, All(tlb).Count(e => e.Tag != TlbEntry.Invalid && e.Frame != frame));
    }
}
