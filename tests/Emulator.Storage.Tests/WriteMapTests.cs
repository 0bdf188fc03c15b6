namespace Emulator.Storage.Tests;

public class WriteMapTests
{
    private static byte[] Sector(Random random)
    {
        var data = new byte[512];
        random.NextBytes(data);
        return data;
    }

    [Fact]
    public void Empty_map_holds_nothing()
    {
        var map = new WriteMap();
        Assert.Equal(0, map.Count);
        Assert.False(map.TryRead(0, new byte[512]));
        Assert.False(map.Contains(123456789));
        Assert.Empty(map.Sectors);
    }

    [Fact]
    public void Written_sectors_read_back_and_overwrite_in_place()
    {
        var random = new Random(1);
        var map = new WriteMap();
        var a = Sector(random);
        var b = Sector(random);
        map.Write(5, a);
        map.Write(1L << 40, b);
        var buffer = new byte[512];
        Assert.True(map.TryRead(5, buffer));
        Assert.Equal(a, buffer);
        Assert.True(map.TryRead(1L << 40, buffer));
        Assert.Equal(b, buffer);
        map.Write(5, b);
        Assert.True(map.TryRead(5, buffer));
        Assert.Equal(b, buffer);
        Assert.Equal(2, map.Count);
        Assert.Equal([5L, 1L << 40], map.Sectors);
    }

    [Fact]
    public void Bad_sector_numbers_and_sizes_are_storage_errors()
    {
        var map = new WriteMap();
        Assert.Throws<StorageException>(() => map.Write(-1, new byte[512]));
        Assert.Throws<StorageException>(() => map.Write(WriteMap.MaxSector + 1, new byte[512]));
        Assert.Throws<StorageException>(() => map.Write(0, new byte[511]));
        Assert.False(map.TryRead(-5, new byte[512]));
    }

    [Fact]
    public void Forks_never_see_each_others_later_writes()
    {
        var random = new Random(2);
        var parent = new WriteMap();
        var before = Sector(random);
        parent.Write(7, before);
        var child = parent.Fork();
        var childData = Sector(random);
        var parentData = Sector(random);
        child.Write(7, childData);
        parent.Write(7, parentData);
        child.Write(8, childData);
        var buffer = new byte[512];
        Assert.True(parent.TryRead(7, buffer));
        Assert.Equal(parentData, buffer);
        Assert.True(child.TryRead(7, buffer));
        Assert.Equal(childData, buffer);
        Assert.False(parent.Contains(8));
        Assert.Equal(1, parent.Count);
        Assert.Equal(2, child.Count);
    }

    /// <summary>
    /// 1000 forks (a tree: each new state forks a random existing one), random writes in every state, each checked
    /// against an independent reference: one Dictionary per state, copied at fork.
    /// </summary>
    [Fact]
    public void Thousand_way_fork_matches_a_dictionary_per_state()
    {
        var random = new Random(3);
        var maps = new List<WriteMap> { new() };
        var models = new List<Dictionary<long, byte[]>> { new() };
        const long SectorRange = 4096;
        for (var round = 0; round < 1000; round++)
        {
            var from = random.Next(maps.Count);
            maps.Add(maps[from].Fork());
            models.Add(new Dictionary<long, byte[]>(models[from]));
            for (var w = 0; w < 20; w++)
            {
                var which = random.Next(maps.Count);
                var sector = random.NextInt64(SectorRange);
                var data = Sector(random);
                maps[which].Write(sector, data);
                models[which][sector] = data;
            }
        }

        var buffer = new byte[512];
        for (var i = 0; i < maps.Count; i++)
        {
            Assert.Equal(models[i].Count, maps[i].Count);
            Assert.Equal(models[i].Keys.Order(), maps[i].Sectors);
            foreach (var (sector, data) in models[i])
            {
                Assert.True(maps[i].TryRead(sector, buffer));
                Assert.Equal(data, buffer);
            }

            for (var probe = 0; probe < 50; probe++)
            {
                var sector = random.NextInt64(SectorRange);
                Assert.Equal(models[i].ContainsKey(sector), maps[i].Contains(sector));
            }
        }
    }

    [Fact]
    public void Fork_is_constant_time_regardless_of_size()
    {
        var map = new WriteMap();
        var data = new byte[512];
        for (long s = 0; s < 100_000; s++)
        {
            map.Write(s * 3, data);
        }

        const int Forks = 100_000;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Forks; i++)
        {
            map = map.Fork();
        }

        watch.Stop();
        // 100,000 forks of a 100,000-sector map; a copying fork would need minutes. Generous bound for slow CI.
        Assert.True(watch.Elapsed.TotalMilliseconds / Forks < 5, $"fork took {watch.Elapsed.TotalMilliseconds / Forks * 1000:F2} µs");
        Assert.Equal(100_000, map.Count);
    }

    [Fact]
    public void Serialize_round_trips_and_damage_is_refused()
    {
        var random = new Random(4);
        var map = new WriteMap();
        var model = new Dictionary<long, byte[]>();
        for (var i = 0; i < 300; i++)
        {
            var sector = random.NextInt64(1 << 20);
            var data = Sector(random);
            map.Write(sector, data);
            model[sector] = data;
        }

        var stream = new MemoryStream();
        map.Serialize(stream);
        Assert.Equal(map.SerializedLength, stream.Length);
        var bytes = stream.ToArray();
        var copy = WriteMap.Deserialize(new MemoryStream(bytes));
        Assert.Equal(model.Keys.Order(), copy.Sectors);
        var buffer = new byte[512];
        foreach (var (sector, data) in model)
        {
            Assert.True(copy.TryRead(sector, buffer));
            Assert.Equal(data, buffer);
        }

        Assert.Throws<StorageException>(() => WriteMap.Deserialize(new MemoryStream(bytes[..^1])));
        Assert.Throws<StorageException>(() => WriteMap.Deserialize(new MemoryStream(bytes), sectorLimit: 1000));
        var badMagic = (byte[])bytes.Clone();
        badMagic[0] ^= 1;
        Assert.Throws<StorageException>(() => WriteMap.Deserialize(new MemoryStream(badMagic)));
        var unordered = (byte[])bytes.Clone();
        Array.Copy(bytes, 16, unordered, 16 + 520, 8); // second entry gets the first entry's sector number
        Assert.Throws<StorageException>(() => WriteMap.Deserialize(new MemoryStream(unordered)));
    }
}
