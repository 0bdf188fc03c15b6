using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Emulator.Cli.Tests;

/// <summary>Starts emu as a real process (<c>dotnet emu.dll</c> from the test's output folder).</summary>
internal static class EmuProcess
{
    public static Process Start(params string[] args)
    {
        var dll = typeof(Program).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>, retrying while the process starts (up to 10 s).</summary>
    public static TcpClient Connect(int port, Process? process)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var c = new TcpClient();
            try
            {
                c.Connect(IPAddress.Loopback, port);
                c.ReceiveTimeout = 10_000;
                return c;
            }
            catch (SocketException) when (sw.ElapsedMilliseconds < 10_000 && process?.HasExited != true)
            {
                c.Dispose();
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>A 64 KiB BIOS that spins at F000:0000 (JMP $) after the reset vector's far jump.</summary>
    public static string SpinBios(string dir)
    {
        var rom = new byte[0x10000];
        rom[0] = 0xEB;
        rom[1] = 0xFE;
        new byte[] { 0xEA, 0x00, 0x00, 0x00, 0xF0 }.CopyTo(rom, 0xFFF0);
        string path = Path.Combine(dir, "spin.bin");
        File.WriteAllBytes(path, rom);
        return path;
    }

    public static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill();
        }
        catch (InvalidOperationException)
        {
        }
    }
}
