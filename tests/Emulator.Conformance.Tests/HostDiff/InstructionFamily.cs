namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>The instruction families the host-differential generator draws from.</summary>
public enum InstructionFamily
{
    Alu,            // ADD OR ADC SBB AND SUB XOR CMP: reg,reg and reg,imm
    Test,           // TEST reg,reg and reg,imm
    Unary,          // NEG NOT INC DEC
    Shift,          // SHL SHR SAR by 1, CL, imm8
    Rotate,         // ROL ROR RCL RCR by 1, CL, imm8
    DoubleShift,    // SHLD SHRD by CL, imm8
    Multiply,       // MUL, IMUL (1, 2 and 3 operands)
    Divide,         // DIV IDIV (non-faulting, plus some #DE cases checked against the SDM, never run on the host)
    BitScan,        // BSF BSR
    BitTest,        // BT BTS BTR BTC, reg and imm8 offsets
    ConditionalMove,// CMOVcc
    SetByte,        // SETcc
    ByteSwap,       // BSWAP
    ExchangeAdd,    // XADD
    CompareExchange,// CMPXCHG
    MoveExtend,     // MOVZX MOVSX
    Lea,            // LEA with 32-bit addressing
    Exchange,       // XCHG
    SignExtend,     // CBW CWDE CWD CDQ
    FlagControl,    // LAHF SAHF CMC CLC STC
}
