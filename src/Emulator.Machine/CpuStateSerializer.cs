using Emulator.Core.Cpu;

namespace Emulator.Machine;

/// <summary>
/// Saves and restores the architectural state of a <see cref="CpuState"/> (registers, segment caches, control,
/// debug and model-specific registers, x87/SSE state, the retired-instruction count) as a versioned record.
/// </summary>
public static class CpuStateSerializer
{
    private const byte Version = 1;

    public static void Save(CpuState cpu, BinaryWriter w)
    {
        w.Write(Version);
        w.Write(cpu.Model.Name);
        for (int i = 0; i < 16; i++) w.Write(cpu.Gpr(i));
        w.Write(cpu.Rip);
        w.Write(cpu.GetEflags());
        for (int i = 0; i < 8; i++) WriteSegment(w, cpu.Seg(i));
        w.Write(cpu.GdtrBase);
        w.Write(cpu.GdtrLimit);
        w.Write(cpu.IdtrBase);
        w.Write(cpu.IdtrLimit);
        w.Write(cpu.Cr0);
        w.Write(cpu.Cr2);
        w.Write(cpu.Cr3);
        w.Write(cpu.Cr4);
        w.Write(cpu.Efer);
        w.Write(cpu.Dr0);
        w.Write(cpu.Dr1);
        w.Write(cpu.Dr2);
        w.Write(cpu.Dr3);
        w.Write(cpu.Dr6);
        w.Write(cpu.Dr7);
        w.Write(cpu.Retired);
        w.Write(cpu.PendingVector);
        w.Write(cpu.PendingErrorCode);
        w.Write(cpu.PendingHasErrorCode);
        w.Write(cpu.Faulted);
        w.Write(cpu.InterruptShadow);
        w.Write(cpu.Halted);
        w.Write(cpu.NmiPending);
        w.Write(cpu.NmiBlocked);
        w.Write(cpu.A20Enabled);
        w.Write(cpu.TscOffset);
        w.Write(cpu.SysenterCs);
        w.Write(cpu.SysenterEsp);
        w.Write(cpu.SysenterEip);
        w.Write(cpu.Pat);
        w.Write(cpu.MiscEnable);
        w.Write(cpu.ApicBase);
        w.Write(cpu.MtrrDefType);
        w.Write(cpu.MtrrFixed.Length);
        foreach (ulong v in cpu.MtrrFixed) w.Write(v);
        w.Write(cpu.MtrrVariable.Length);
        foreach (ulong v in cpu.MtrrVariable) w.Write(v);
        var f = cpu.Fpu;
        for (int i = 0; i < 8; i++)
        {
            w.Write(f.Mantissa[i]);
            w.Write(f.SignExponent[i]);
        }
        w.Write(f.Control);
        w.Write(f.Status);
        w.Write(f.Tag);
        w.Write(f.LastOpcode);
        w.Write(f.LastInstructionPointer);
        w.Write(f.LastDataPointer);
        w.Write(f.Xmm.Length);
        foreach (ulong v in f.Xmm) w.Write(v);
        w.Write(f.Mxcsr);
        w.Write(f.LastCodeSelector);
        w.Write(f.LastDataSelector);
        w.Write(f.FerrPending);
    }

    /// <summary>Restores what <see cref="Save"/> wrote; throws <see cref="InvalidDataException"/> on bad data.</summary>
    public static void Load(CpuState cpu, BinaryReader r)
    {
        byte version = r.ReadByte();
        if (version != Version) throw new InvalidDataException($"cpu: unsupported state version {version}");
        string model = r.ReadString();
        if (!string.Equals(model, cpu.Model.Name, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"cpu: the state is of a '{model}' CPU, this machine has '{cpu.Model.Name}'");
        for (int i = 0; i < 16; i++) cpu.Gpr(i) = r.ReadUInt64();
        cpu.Rip = r.ReadUInt64();
        cpu.LazyOp = LazyFlagOp.None;
        cpu.Eflags = (r.ReadUInt32() & Eflags.Writable) | Eflags.Reserved1;
        for (int i = 0; i < 8; i++) cpu.Seg(i) = ReadSegment(r);
        cpu.GdtrBase = r.ReadUInt32();
        cpu.GdtrLimit = r.ReadUInt32();
        cpu.IdtrBase = r.ReadUInt32();
        cpu.IdtrLimit = r.ReadUInt32();
        cpu.Cr0 = r.ReadUInt32();
        cpu.Cr2 = r.ReadUInt32();
        cpu.Cr3 = r.ReadUInt32();
        cpu.Cr4 = r.ReadUInt32();
        cpu.Efer = r.ReadUInt64();
        cpu.Dr0 = r.ReadUInt32();
        cpu.Dr1 = r.ReadUInt32();
        cpu.Dr2 = r.ReadUInt32();
        cpu.Dr3 = r.ReadUInt32();
        cpu.Dr6 = r.ReadUInt32();
        cpu.Dr7 = r.ReadUInt32();
        cpu.Retired = r.ReadInt64();
        if (cpu.Retired < 0) throw new InvalidDataException("cpu: negative instruction count");
        cpu.PendingVector = r.ReadInt32();
        if (cpu.PendingVector is < -1 or > 255) throw new InvalidDataException("cpu: bad pending vector");
        cpu.PendingErrorCode = r.ReadUInt32();
        cpu.PendingHasErrorCode = r.ReadBoolean();
        cpu.Faulted = r.ReadBoolean();
        cpu.InterruptShadow = r.ReadBoolean();
        cpu.Halted = r.ReadBoolean();
        cpu.NmiPending = r.ReadBoolean();
        cpu.NmiBlocked = r.ReadBoolean();
        bool a20 = r.ReadBoolean();
        cpu.TscOffset = r.ReadUInt64();
        cpu.SysenterCs = r.ReadUInt64();
        cpu.SysenterEsp = r.ReadUInt64();
        cpu.SysenterEip = r.ReadUInt64();
        cpu.Pat = r.ReadUInt64();
        cpu.MiscEnable = r.ReadUInt64();
        cpu.ApicBase = r.ReadUInt64();
        cpu.MtrrDefType = r.ReadUInt64();
        ReadArray(r, cpu.MtrrFixed, "MTRR fixed");
        ReadArray(r, cpu.MtrrVariable, "MTRR variable");
        var f = cpu.Fpu;
        for (int i = 0; i < 8; i++)
        {
            f.Mantissa[i] = r.ReadUInt64();
            f.SignExponent[i] = r.ReadUInt16();
        }
        f.Control = r.ReadUInt16();
        f.Status = r.ReadUInt16();
        f.Tag = r.ReadUInt16();
        f.LastOpcode = r.ReadUInt16();
        f.LastInstructionPointer = r.ReadUInt64();
        f.LastDataPointer = r.ReadUInt64();
        ReadArray(r, f.Xmm, "XMM");
        f.Mxcsr = r.ReadUInt32() & Emulator.Core.Cpu.Simd.Mxcsr.Mask;
        f.LastCodeSelector = r.ReadUInt16();
        f.LastDataSelector = r.ReadUInt16();
        f.FerrPending = r.ReadBoolean();

        cpu.StopRequested = false;
        cpu.InterruptCheck = true;
        cpu.A20Enabled = a20;
        cpu.A20Mask = a20 ? 0xFFFF_FFFF : 0xFFEF_FFFF;
        cpu.UpdateAllFastLimits();
        cpu.UpdateCpl();
        cpu.DataBreakpointsArmed = DebugBreakpoints.AnyData(cpu);
        cpu.FlushTlb();
    }

    private static void WriteSegment(BinaryWriter w, in Segment s)
    {
        w.Write(s.Selector);
        w.Write(s.Base);
        w.Write(s.Limit);
        w.Write(s.Flags);
    }

    private static Segment ReadSegment(BinaryReader r) => new()
    {
        Selector = r.ReadUInt16(),
        Base = r.ReadUInt32(),
        Limit = r.ReadUInt32(),
        Flags = r.ReadUInt32(),
    };

    private static void ReadArray(BinaryReader r, ulong[] target, string what)
    {
        int n = r.ReadInt32();
        if (n != target.Length) throw new InvalidDataException($"cpu: {what} register count {n}, expected {target.Length}");
        for (int i = 0; i < n; i++) target[i] = r.ReadUInt64();
    }
}
