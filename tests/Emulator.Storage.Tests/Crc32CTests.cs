using System.Text;

namespace Emulator.Storage.Tests;

public class Crc32CTests
{
    [Fact]
    public void Check_value_of_123456789_is_the_published_one()
    {
        // CRC-32C check value from the Rocksoft/Williams catalogue (and RFC 3720's iSCSI CRC): 0xE3069283.
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0xE3069283u, ~Crc32C.UpdateSoftware(0xFFFFFFFF, Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Rfc3720_example_32_zero_bytes()
    {
        // RFC 3720 appendix B.4: 32 bytes of zeros → CRC 0x8A9136AA.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    [Fact]
    public void Hardware_and_table_paths_agree()
    {
        var data = new byte[10_007];
        new Random(5).NextBytes(data);
        for (var length = 0; length < 40; length++)
        {
            Assert.Equal(~Crc32C.UpdateSoftware(0xFFFFFFFF, data.AsSpan(0, length)), Crc32C.Compute(data.AsSpan(0, length)));
        }

        Assert.Equal(~Crc32C.UpdateSoftware(0xFFFFFFFF, data), Crc32C.Compute(data));
    }

    [Fact]
    public void Combining_the_crcs_of_two_pieces_gives_the_crc_of_the_whole()
    {
        var data = new byte[70_001];
        new Random(9).NextBytes(data);
        foreach (var split in new[] { 0, 1, 7, 8, 4096, 65_536, 69_999, 70_001 })
        {
            var a = data.AsSpan(0, split);
            var b = data.AsSpan(split);
            // Independent reference: the table-driven CRC of the concatenation.
            Assert.Equal(~Crc32C.UpdateSoftware(0xFFFFFFFF, data), Crc32C.Combine(Crc32C.Compute(a), Crc32C.Compute(b), b.Length));
        }

        Assert.Equal(0x8A9136AAu, Crc32C.Combine(Crc32C.Compute(new byte[5]), Crc32C.Compute(new byte[27]), 27)); // RFC 3720 B.4
    }
}
