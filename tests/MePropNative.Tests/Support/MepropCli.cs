using System.Diagnostics;

namespace MePropNative.Tests.Support;

/// <summary>The `meprop` tool built beside the tests, run as a separate process.</summary>
internal static class MepropCli
{
    /// <summary>Runs `dotnet meprop.dll args...` and returns its exit code, standard output and standard error.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args) => RunFrom(AppContext.BaseDirectory, args);

    /// <summary>The same with the meprop.dll in <paramref name="directory"/>.</summary>
    public static (int Code, string Out, string Err) RunFrom(string directory, params string[] args) =>
        RunWith(directory, new Dictionary<string, string?>(), args);

    /// <summary>The same with environment variables set (a null value removes the variable).</summary>
    public static (int Code, string Out, string Err) RunWith(string directory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        psi.ArgumentList.Add(Path.Combine(directory, "meprop.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, err);
    }
}
