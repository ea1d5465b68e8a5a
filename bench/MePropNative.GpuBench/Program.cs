using System.Globalization;
using MePropNative.Backends;
using MePropNative.Bindings;
using MePropNative.GpuBench;

// meprop-gpubench: the GPU benchmark sweep (docs/gpu.md, "Benchmarks"). Usage:
//   meprop-gpubench [--out DIR] [--device cuda:N] [--quick] [--dry-run] [--first-layer] [--only backward|mlp]
//                   [--reps N] [--rounds N] [--n 500,1024,...] [--batch 1,32,...] [--kfrac 0.01,0.02,...]
//   --dry-run: the CPU backend with tiny shapes, to exercise every code path on a machine without a GPU.
var o = BenchOptions.Parse(args);
if (o.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
Directory.CreateDirectory(o.Out);
IBackend backend;
if (o.DryRun) backend = new CpuBackend();
else
{
    var spec = DeviceSpec.Parse(o.Device);
    if (!spec.IsCuda) backend = new CpuBackend();
    else if (!CudaBackend.IsAvailable(spec.Index, out string reason))
    {
        Console.Error.WriteLine($"meprop-gpubench: --device {o.Device}: no CUDA device: {reason}");
        return 2;
    }
    else backend = new CudaBackend(spec.Index);
}
using (backend)
{
    string device = backend is CudaBackend cb ? cb.Description : backend.Name + (o.DryRun ? " (dry run)" : "");
    Console.Error.WriteLine($"[gpubench] {device}; libmeprop {MePropLibrary.BuildInfo}; out {o.Out}");
    var env = new BenchEnvironment(device, MePropLibrary.BuildInfo, DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
    if (o.Only is null or "backward") BackwardSweep.Run(backend, o, env);
    if (o.Only is null or "mlp") MlpStep.Run(backend, o, env);
}
return 0;
