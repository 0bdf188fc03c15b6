using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Emulator.Storage;

/// <summary>The few POSIX calls .NET does not offer: allocated size (SEEK_DATA/SEEK_HOLE) and directory fsync.</summary>
internal static partial class NativeFile
{
    // lseek(2) whence values on Linux (<unistd.h>): SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4.
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int ORdOnly = 0;

    /// <summary>Bytes of the file that hold data (holes of a sparse file excluded); the file length where unknown.</summary>
    public static long AllocatedBytes(SafeFileHandle handle, long length)
    {
        if (!OperatingSystem.IsLinux() || length == 0)
        {
            return length;
        }

        try
        {
            var fd = (int)handle.DangerousGetHandle();
            long total = 0;
            long offset = 0;
            while (offset < length)
            {
                var data = LSeek(fd, offset, SeekData);
                if (data < 0)
                {
                    // ENXIO: no data after offset. Any other error: the file system cannot tell; assume all allocated.
                    return Marshal.GetLastPInvokeError() == 6 ? total : length;
                }

                var hole = LSeek(fd, data, SeekHole);
                if (hole < 0)
                {
                    return length;
                }

                total += hole - data;
                offset = hole;
            }

            return total;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return length;
        }
    }

    /// <summary>fsync the directory so a rename inside it survives a crash; best effort.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            var fd = Open(directory, ORdOnly);
            if (fd >= 0)
            {
                _ = FSync(fd);
                _ = Close(fd);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not a glibc/musl system: the rename is still atomic, only its durability is weaker.
        }
    }

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
