using System.CommandLine;
using MePropNative.Bindings;

namespace MePropNative.Cli;

/// <summary>`meprop info`: what libmeprop was built with and what this machine has.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Show the native library's build and the CPU features it uses.");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"library: {MePropLibrary.LoadedFrom}");
            Console.WriteLine(MePropLibrary.BuildInfo);
            Console.WriteLine($"cpu features: {MePropLibrary.CpuFeatures}; kernels: {MePropLibrary.Isa}; threads: {MePropLibrary.NumThreads}; cuda devices: {MePropLibrary.CudaDeviceCount}");
            return 0;
        });
        return cmd;
    }
}
