namespace Emulator.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("emu: the system emulator is not built yet");
        return 1;
    }
}
