using BenchmarkDotNet.Running;
using MePropNative.Bindings;
using MePropNative.Benchmarks;

Console.WriteLine($"# {MePropLibrary.BuildInfo}; ISA {MePropLibrary.Isa}; threads {MePropLibrary.NumThreads}; " +
                  $"OpenBLAS {(OpenBlas.IsAvailable ? OpenBlas.CoreName : "not installed")}");
BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args);
