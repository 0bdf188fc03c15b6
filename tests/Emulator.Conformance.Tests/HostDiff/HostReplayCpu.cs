using Iced.Intel;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// A stand-in <see cref="IDiffCpu"/> for testing the harness itself: decodes the 32-bit bytes, re-encodes them for 64-bit mode
/// (<see cref="CaseGenerator.HostTwin"/>) and runs them on the host; a divide that would fault reports #DE (vector 0) with the state unchanged.
/// It is the host, so it must pass every case; it says nothing about the emulator.
/// </summary>
public sealed class HostReplayCpu(HostCpu host) : IDiffCpu
{
    private readonly ByteCodeWriter _writer = new();

    public DiffResult Execute(ReadOnlySpan<byte> code32, in DiffRegisters input)
    {
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(code32.ToArray()), 0x1000);
        decoder.Decode(out Instruction instr);
        if (instr.Code == Code.INVALID || instr.Length != code32.Length) return new DiffResult(input, 6); // #UD
        if (DivideCheck.WouldFault(instr, input)) return new DiffResult(input, 0);
        instr.Code = CaseGenerator.HostTwin(instr.Code);
        _writer.Clear();
        var encoder = Encoder.Create(64, _writer);
        if (!encoder.TryEncode(instr, 0x1000, out _, out string? error)) throw new InvalidOperationException(error);
        DiffRegisters result = host.Run(_writer.Written, input);
        result.Eflags = (result.Eflags & EFlags.Comparable) | EFlags.Reserved1 | (input.Eflags & ~(EFlags.Comparable | EFlags.Reserved1));
        return new DiffResult(result);
    }
}
