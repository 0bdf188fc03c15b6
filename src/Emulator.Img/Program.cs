namespace Emulator.Img;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("emu-img: not built yet");
        return 1;
    }
}
