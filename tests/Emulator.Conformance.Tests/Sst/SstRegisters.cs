namespace Emulator.Conformance.Tests.Sst;

/// <summary>The 8086/80286 register file as the MOO format stores it (REGS chunk order).</summary>
public struct SstRegisters
{
    public ushort Ax;
    public ushort Bx;
    public ushort Cx;
    public ushort Dx;
    public ushort Cs;
    public ushort Ss;
    public ushort Ds;
    public ushort Es;
    public ushort Sp;
    public ushort Bp;
    public ushort Si;
    public ushort Di;
    public ushort Ip;
    public ushort Flags;

    /// <summary>Reads a register by its MOO REGS bit index (0 = ax … 13 = flags).</summary>
    public readonly ushort Get(MooRegister register) => register switch
    {
        MooRegister.Ax => Ax,
        MooRegister.Bx => Bx,
        MooRegister.Cx => Cx,
        MooRegister.Dx => Dx,
        MooRegister.Cs => Cs,
        MooRegister.Ss => Ss,
        MooRegister.Ds => Ds,
        MooRegister.Es => Es,
        MooRegister.Sp => Sp,
        MooRegister.Bp => Bp,
        MooRegister.Si => Si,
        MooRegister.Di => Di,
        MooRegister.Ip => Ip,
        MooRegister.Flags => Flags,
        _ => throw new ArgumentOutOfRangeException(nameof(register)),
    };

    /// <summary>Writes a register by its MOO REGS bit index.</summary>
    public void Set(MooRegister register, ushort value)
    {
        switch (register)
        {
            case MooRegister.Ax: Ax = value; break;
            case MooRegister.Bx: Bx = value; break;
            case MooRegister.Cx: Cx = value; break;
            case MooRegister.Dx: Dx = value; break;
            case MooRegister.Cs: Cs = value; break;
            case MooRegister.Ss: Ss = value; break;
            case MooRegister.Ds: Ds = value; break;
            case MooRegister.Es: Es = value; break;
            case MooRegister.Sp: Sp = value; break;
            case MooRegister.Bp: Bp = value; break;
            case MooRegister.Si: Si = value; break;
            case MooRegister.Di: Di = value; break;
            case MooRegister.Ip: Ip = value; break;
            case MooRegister.Flags: Flags = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(register));
        }
    }

    public override readonly string ToString() =>
        $"ax={Ax:X4} bx={Bx:X4} cx={Cx:X4} dx={Dx:X4} cs={Cs:X4} ss={Ss:X4} ds={Ds:X4} es={Es:X4} " +
        $"sp={Sp:X4} bp={Bp:X4} si={Si:X4} di={Di:X4} ip={Ip:X4} flags={Flags:X4}";
}
