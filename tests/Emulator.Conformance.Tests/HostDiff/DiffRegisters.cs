using System.Runtime.InteropServices;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>
/// The eight 32-bit GPRs in register-number order (SDM Vol. 2 Table 2-2: EAX=0 … EDI=7) followed by EFLAGS.
/// The layout is also the memory block the native host stub loads from and stores to (offset = 4 × register number, EFLAGS at 32).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct DiffRegisters
{
    public uint Eax;
    public uint Ecx;
    public uint Edx;
    public uint Ebx;
    public uint Esp;
    public uint Ebp;
    public uint Esi;
    public uint Edi;
    public uint Eflags;

    /// <summary>Byte offset of EFLAGS in the block the native stub reads and writes.</summary>
    public const int EflagsOffset = 32;

    /// <summary>Register by number (0 = EAX … 7 = EDI).</summary>
    public uint this[int index]
    {
        readonly get => index switch
        {
            0 => Eax, 1 => Ecx, 2 => Edx, 3 => Ebx, 4 => Esp, 5 => Ebp, 6 => Esi, 7 => Edi,
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };
        set
        {
            switch (index)
            {
                case 0: Eax = value; break;
                case 1: Ecx = value; break;
                case 2: Edx = value; break;
                case 3: Ebx = value; break;
                case 4: Esp = value; break;
                case 5: Ebp = value; break;
                case 6: Esi = value; break;
                case 7: Edi = value; break;
                default: throw new ArgumentOutOfRangeException(nameof(index));
            }
        }
    }

    public override readonly string ToString() =>
        $"EAX={Eax:X8} ECX={Ecx:X8} EDX={Edx:X8} EBX={Ebx:X8} ESP={Esp:X8} EBP={Ebp:X8} ESI={Esi:X8} EDI={Edi:X8} EFLAGS={Eflags:X8} [{EFlags.Describe(Eflags)}]";
}
