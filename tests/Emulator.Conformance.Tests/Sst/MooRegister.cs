namespace Emulator.Conformance.Tests.Sst;

/// <summary>Bit index of each register in a MOO v1 REGS chunk mask (doc/moo_format_v1.md, "REGS").</summary>
public enum MooRegister
{
    Ax = 0,
    Bx = 1,
    Cx = 2,
    Dx = 3,
    Cs = 4,
    Ss = 5,
    Ds = 6,
    Es = 7,
    Sp = 8,
    Bp = 9,
    Si = 10,
    Di = 11,
    Ip = 12,
    Flags = 13,
}
