using System.Runtime.InteropServices;

namespace Emulator.Conformance.Tests.HostDiff;

/// <summary>The few libc calls the native host stub needs (Linux x86-64 values from &lt;sys/mman.h&gt;).</summary>
internal static class LibC
{
    public const int PROT_NONE = 0;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int PROT_EXEC = 4;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public static readonly nint MAP_FAILED = -1;

    [DllImport("libc", SetLastError = true)]
    public static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    public static extern int mprotect(nint addr, nuint length, int prot);

    [DllImport("libc", SetLastError = true)]
    public static extern int munmap(nint addr, nuint length);
}
