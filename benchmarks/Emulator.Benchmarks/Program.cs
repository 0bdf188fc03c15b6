using BenchmarkDotNet.Running;

namespace Emulator.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        // --cpu-time [seconds]: CPU-time figures of the floating-point kernels (for loaded machines), no BenchmarkDotNet.
        if (args.Length > 0 && args[0] == "--cpu-time")
        {
            FloatingPointBenchmarks.CpuTime(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
