namespace Emulator.Img;

/// <summary>A command-line mistake: reported as one line "emu-img: message", exit code 1.</summary>
internal sealed class ImgException(string message) : Exception(message);
