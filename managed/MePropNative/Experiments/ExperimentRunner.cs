using System.Text.Json.Nodes;
using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>
/// Runs an experiment plan one run at a time, each into OUT/runs/NAME (results.json, results.csv). A run whose
/// results.json exists with the same configuration is not run again, and an interrupted run resumes from its
/// checkpoint, so one command regenerates (or continues) the whole report.
/// </summary>
public sealed class ExperimentRunner(ExperimentSettings settings, Func<TrainConfig, string, RunResult> train)
{
    public string RunDirectory(ExperimentRun run) => Path.Combine(settings.OutDir, "runs", run.Name);

    /// <summary>Throws a <see cref="ConfigException"/> listing the problems of every run of the plan (what
    /// <see cref="RunAll"/> checks before its first run, for a caller with more to check before it).</summary>
    public static void Check(IReadOnlyList<ExperimentRun> plan) => PlanCheck.Validate(plan.Select(r => (r.Name, (IReadOnlyList<string>)r.Config.MlpProblems())));

    public void RunAll(IReadOnlyList<ExperimentRun> plan, bool force, Action<string> log)
    {
        Check(plan);
        for (int i = 0; i < plan.Count; i++)
        {
            var run = plan[i];
            string dir = RunDirectory(run);
            var config = run.Config.Clone();
            config.Out = dir;
            string results = Path.Combine(dir, "results.json");
            if (!force && Cached(results, config) is not null)
            {
                log($"[{i + 1}/{plan.Count}] {run.Name}: cached");
                continue;
            }
            if (force && File.Exists(Path.Combine(dir, "checkpoint.bin"))) File.Delete(Path.Combine(dir, "checkpoint.bin"));
            config.Resume = true;
            log($"[{i + 1}/{plan.Count}] {run.Name} ({run.Group})");
            var r = train(config, $"[{i + 1}/{plan.Count}] {run.Name}");
            log($"[{i + 1}/{plan.Count}] {run.Name}: dev {r.DevAccuracy:F2}% test {r.TestAccuracy:F2}% (epoch {r.BestEpoch}), backward {r.Sums.BackwardSeconds / Math.Max(1, r.Epochs.Count):F2}s/epoch");
            // keep the report folder small: the checkpoint is only for resuming; only meSimp's (small) model is kept
            File.Delete(Path.Combine(dir, "checkpoint.bin"));
            if (!config.MeSimp) File.Delete(Path.Combine(dir, "model.bin"));
        }
    }

    /// <summary>The cached results of every run of the plan that has them.</summary>
    public Dictionary<string, RunResult> LoadCached(IReadOnlyList<ExperimentRun> plan)
    {
        var d = new Dictionary<string, RunResult>();
        foreach (var run in plan)
        {
            var config = run.Config.Clone();
            config.Out = RunDirectory(run);
            if (Cached(Path.Combine(config.Out, "results.json"), config) is { } r) d[run.Name] = r;
        }
        return d;
    }

    private static readonly HashSet<string> Ignored = ["out", "checkpoint", "resume", "threads", "data_dir"];

    /// <summary>What a key missing from an older results.json meant: the default of the option added since.</summary>
    private static readonly JsonObject Defaults = ConfigOptions.ToJson(new TrainConfig());

    private static RunResult? Cached(string path, TrainConfig config)
    {
        if (!File.Exists(path)) return null;
        RunResult r;
        try { r = ResultsWriter.Read(path); }
        catch (InvalidDataException) { return null; }
        var want = ConfigOptions.ToJson(config);
        foreach (var (key, value) in want)
            if (!Ignored.Contains(key) && !OptionCatalog.SameValue(value, OptionCatalog.SavedValue(r.Config, key, Defaults))) return null;
        return r.Epochs.Count > 0 ? r : null;
    }
}
