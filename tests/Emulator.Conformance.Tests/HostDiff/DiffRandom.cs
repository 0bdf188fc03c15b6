namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>SplitMix64: a tiny deterministic generator, so a seed names the same cases on every machine and .NET version.</summary>
public sealed class DiffRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public uint NextUInt32() => (uint)(NextUInt64() >> 32);

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)((NextUInt32() * (ulong)n) >> 32);

    public bool OneIn(int n) => Next(n) == 0;

    public T Pick<T>(T[] items) => items[Next(items.Length)];
}
