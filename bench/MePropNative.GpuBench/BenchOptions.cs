using System.Globalization;

namespace MePropNative.GpuBench;

public sealed record BenchEnvironment(string Device, string Library, string Date);

/// <summary>Command-line settings of the harness (plain parsing: the harness is carried trimmed, without System.CommandLine).</summary>
public sealed class BenchOptions
{
    public string Out { get; set; } = ".";
    public string Device { get; set; } = "cuda:0";
    public bool DryRun { get; set; }
    public bool Quick { get; set; }
    public bool FirstLayer { get; set; }
    public bool Help { get; set; }
    public string? Only { get; set; }
    public int Warmup { get; set; } = 3;
    public int Repetitions { get; set; } = 10;
    public int Rounds { get; set; } = 5;
    public int[] Hidden { get; set; } = [500, 1024, 4096, 8192, 16384];
    public int[] Batches { get; set; } = [1, 32, 128, 512, 1024];
    public double[] KFractions { get; set; } = [0.01, 0.02, 0.04, 0.10];
    /// <summary>End-to-end MLP step: hidden sizes and batches (784-H-H-10, unified meProp in the hidden layers).</summary>
    public int[] MlpHidden { get; set; } = [500, 4096];
    public int[] MlpBatches { get; set; } = [128, 1024];
    /// <summary>k / hidden of the MLP's unified meProp (500 -> 20 as in the paper's MNIST runs).</summary>
    public double MlpKFraction { get; set; } = 0.04;

    public const string Usage =
        "meprop-gpubench [--out DIR] [--device cuda[:N]|cpu] [--quick] [--dry-run] [--first-layer] [--only backward|mlp]\n" +
        "                [--warmup N] [--reps N] [--rounds N] [--n LIST] [--batch LIST] [--kfrac LIST] [--mlp-hidden LIST] [--mlp-batch LIST]\n" +
        "  Backward sweep: one linear layer y = x W^T + b (W: n x m, m = n; --first-layer adds m = 784), time of its backward\n" +
        "  (dx, dW, db) per strategy against the cuBLAS dense backward; CUDA events, median over rounds of reps.\n" +
        "  MLP step: forward + loss + backward + Adam of 784-H-H-10, dense and unified meProp (k = 4% of H).\n" +
        "  --dry-run: CPU backend, tiny shapes (exercises every code path without a GPU). --quick: a reduced sweep.\n" +
        "  Writes backward.csv, backward.md, mlp_step.csv, mlp_step.md (+ .json) into --out.";

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value.");
            switch (a)
            {
                case "--out": o.Out = Next(); break;
                case "--device": o.Device = Next(); break;
                case "--dry-run": o.DryRun = true; break;
                case "--quick": o.Quick = true; break;
                case "--first-layer": o.FirstLayer = true; break;
                case "--only": o.Only = Next(); break;
                case "--warmup": o.Warmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--reps": o.Repetitions = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rounds": o.Rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--n": o.Hidden = Ints(Next()); break;
                case "--batch": o.Batches = Ints(Next()); break;
                case "--kfrac": o.KFractions = Next().Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--mlp-hidden": o.MlpHidden = Ints(Next()); break;
                case "--mlp-batch": o.MlpBatches = Ints(Next()); break;
                case "-h" or "--help": o.Help = true; break;
                default: throw new ArgumentException($"unknown argument '{a}'.\n{Usage}");
            }
        }
        if (o.Only is not (null or "backward" or "mlp")) throw new ArgumentException("--only takes backward or mlp.");
        if (o.DryRun)
        {
            o.Hidden = [64, 200];
            o.Batches = [1, 8];
            o.KFractions = [0.05, 0.10];
            o.MlpHidden = [64];
            o.MlpBatches = [16];
            o.Warmup = 1; o.Repetitions = 2; o.Rounds = 2;
        }
        else if (o.Quick)
        {
            o.Hidden = [1024, 8192];
            o.Batches = [32, 512];
            o.KFractions = [0.02, 0.10];
            o.MlpBatches = [128];
            o.Repetitions = 5; o.Rounds = 3;
        }
        return o;
    }

    private static int[] Ints(string s) => s.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}
