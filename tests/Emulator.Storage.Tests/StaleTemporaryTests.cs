using System.Diagnostics;

namespace Emulator.Storage.Tests;

/// <summary>A savevm killed mid-write leaves its hidden temporary file; the next savevm / listing removes it, safely.</summary>
public class StaleTemporaryTests
{
    private const string Config = "machine=test";

    private static string TempName(string image, string name, string id) =>
        Path.Combine(Path.GetDirectoryName(image)!, "." + Path.GetFileName(image) + "." + name + ".tmp-" + id);

    private static void MakeOld(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));

    /// <summary>A child process that holds an exclusive flock(2) on <paramref name="path"/> (as .NET's FileShare.None does) until killed.</summary>
    private static Process HoldLock(string path)
    {
        var p = Process.Start(new ProcessStartInfo("flock", ["-x", path, "sleep", "60"]) { RedirectStandardError = true })!;
        // Wait until the lock is really held: a non-blocking flock from here must fail.
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var probe = Process.Start(new ProcessStartInfo("flock", ["-xn", path, "true"]))!;
            probe.WaitForExit();
            if (probe.ExitCode != 0) return p;
            Thread.Sleep(20);
        }

        p.Kill(entireProcessTree: true);
        throw new InvalidOperationException("the child never took the lock");
    }

    [Fact]
    public void A_writer_killed_by_sigkill_leaves_a_temporary_that_the_next_listing_removes_once_its_lock_is_gone()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("disk.raw", 64, seed: 1);
        var temp = TempName(image, "ready", "0123456789ab");
        File.WriteAllBytes(temp, [.. SnapshotFormat.Magic, 1, 2, 3]); // a torn snapshot: header start only
        MakeOld(temp);

        var writer = HoldLock(temp);
        try
        {
            Assert.Empty(SnapshotFile.List(image));
            Assert.True(File.Exists(temp), "a temporary locked by a live writer must stay");
        }
        finally
        {
            writer.Kill(entireProcessTree: true); // SIGKILL: the process dies mid-"write", its lock goes with it
            writer.WaitForExit();
        }

        // The kernel drops the lock when the last process holding it is gone (the killed tree is reaped asynchronously).
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var probe = Process.Start(new ProcessStartInfo("flock", ["-xn", temp, "true"]))!;
            probe.WaitForExit();
            if (probe.ExitCode == 0) break;
            Thread.Sleep(20);
        }

        Assert.Empty(SnapshotFile.List(image));
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public void Savevm_removes_stale_temporaries_but_not_other_files_nor_fresh_or_live_ones()
    {
        using var dir = new TempDir();
        var image = dir.RandomImage("disk.raw", 64, seed: 2);
        var staleEmpty = TempName(image, "a", "00000000000f");             // killed before anything was flushed
        var staleOther = TempName(image, "b.c", "abcdefabcdef");
        var fresh = TempName(image, "d", "111111111111");                   // just created: maybe not locked yet
        var notOurs = TempName(image, "e", "111111111111") + "x";            // wrong id length
        var upper = TempName(image, "f", "ABCDEF123456");                   // not our hex
        var foreign = TempName(image, "g", "222222222222");                 // right name, not a snapshot
        var otherImage = TempName(dir.File("other.raw"), "a", "333333333333");
        File.WriteAllBytes(staleEmpty, []);
        File.WriteAllBytes(staleOther, [.. SnapshotFormat.Magic]);
        File.WriteAllBytes(fresh, [.. SnapshotFormat.Magic]);
        File.WriteAllBytes(notOurs, [.. SnapshotFormat.Magic]);
        File.WriteAllBytes(upper, [.. SnapshotFormat.Magic]);
        File.WriteAllText(foreign, "precious data");
        File.WriteAllBytes(otherImage, [.. SnapshotFormat.Magic]);
        foreach (var f in new[] { staleEmpty, staleOther, notOurs, upper, foreign, otherImage }) MakeOld(f);

        string liveTemp;
        using (var live = SnapshotFile.Create(image, "live", Config, vmClockNs: 0)) // a writer in progress (its temporary is locked)
        {
            liveTemp = Directory.GetFiles(dir.Path, ".disk.raw.live.tmp-*").Single();
            MakeOld(liveTemp);
            using (var w = SnapshotFile.Create(image, "ready", Config, vmClockNs: 0))
            {
                w.AddSection("cpu", [1, 2, 3]);
                w.Commit();
            }

            Assert.True(File.Exists(liveTemp));
        }

        Assert.False(File.Exists(staleEmpty));
        Assert.False(File.Exists(staleOther));
        foreach (var kept in new[] { fresh, notOurs, upper, foreign, otherImage }) Assert.True(File.Exists(kept), kept);
        Assert.Equal(["ready"], SnapshotFile.List(image).Select(s => s.Name));
    }
}
