namespace RelReason.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("relreason: no command yet");
        return args.Length == 0 ? 0 : 2;
    }
}
