using System.Globalization;
using System.Text;
using Emulator.Devices;

namespace Emulator.Cli;

/// <summary>
/// <c>-enable-serial-commands</c>, as in S2E: passes every byte the guest sends to the real back end, and watches for
/// <c>?!?MAGIC?!?s NAME </c> (save snapshot NAME, then exit) and <c>?!?MAGIC?!?k N </c> (exit with status N). The
/// argument ends at the next space; a command that is malformed (unknown letter, no space, a control character, an
/// argument over 200 characters) is ignored. The callbacks run on the machine thread, inside the UART write.
/// </summary>
public sealed class SerialCommandFilter(ISerialBackend inner, Action<string> save, Action<int> kill) : ISerialBackend
{
    private const int MaxArgument = 200;
    private static ReadOnlySpan<byte> Magic => "?!?MAGIC?!?"u8;

    private readonly StringBuilder _argument = new();
    private int _matched; // bytes of the magic seen so far
    private State _state;
    private byte _command;

    private enum State { Magic, Command, Space, Argument }

    public bool SupportsInput => inner.SupportsInput;

    public bool TryRead(out byte value) => inner.TryRead(out value);

    public void Write(byte value)
    {
        inner.Write(value);
        switch (_state)
        {
            case State.Magic:
                if (value == Magic[_matched])
                {
                    if (++_matched == Magic.Length) _state = State.Command;
                }
                else
                {
                    _matched = Restart(value);
                }
                break;
            case State.Command:
                _command = value;
                _state = value is (byte)'s' or (byte)'k' ? State.Space : Reset(value);
                break;
            case State.Space:
                _state = value == (byte)' ' ? State.Argument : Reset(value);
                break;
            case State.Argument:
                if (value == (byte)' ' && _argument.Length > 0)
                {
                    string argument = _argument.ToString();
                    _argument.Clear();
                    _state = State.Magic;
                    _matched = 0;
                    Execute(argument);
                }
                else if (value < 0x21 || value > 0x7E || _argument.Length >= MaxArgument)
                {
                    _argument.Clear();
                    _state = Reset(value);
                }
                else
                {
                    _argument.Append((char)value);
                }
                break;
        }
    }

    public void Dispose() => inner.Dispose();

    private void Execute(string argument)
    {
        if (_command == (byte)'s') save(argument);
        else if (int.TryParse(argument, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int status)) kill(status);
    }

    /// <summary>After a broken command: start over, counting <paramref name="value"/> as the magic's first byte if it is one.</summary>
    private State Reset(byte value)
    {
        _matched = value == Magic[0] ? 1 : 0;
        return State.Magic;
    }

    /// <summary>
    /// After the first <see cref="_matched"/> bytes of the magic and then <paramref name="value"/>, which does not continue
    /// it: the longest tail of what was seen that starts the magic again (e.g. "?!?!?MAGIC?!?" still matches).
    /// </summary>
    private int Restart(byte value)
    {
        for (int length = _matched; length > 0; length--)
        {
            // Candidate: the last length-1 matched bytes followed by value, as the magic's first length bytes.
            if (Magic[length - 1] == value && Magic[..(length - 1)].SequenceEqual(Magic.Slice(_matched - length + 1, length - 1))) return length;
        }
        return 0;
    }
}
