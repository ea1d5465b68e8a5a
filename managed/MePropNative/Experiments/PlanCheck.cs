using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>Checks the configuration of every run of an experiment plan before the first run starts: an experiment
/// takes hours, and a bad setting (say `--sweep-epochs 0`) must not surface only when its first affected run begins.</summary>
public static class PlanCheck
{
    public static void Validate(IEnumerable<(string Run, IReadOnlyList<string> Problems)> runs)
    {
        var lines = runs.SelectMany(r => r.Problems.Select(p => (r.Run, Problem: p)))
            .GroupBy(x => x.Problem, x => x.Run)
            .Select(g => $"{Names(g.ToList())}: {g.Key}")
            .ToList();
        if (lines.Count > 0) throw new ConfigException("invalid experiment settings, nothing was run:\n  " + string.Join("\n  ", lines));
    }

    private static string Names(List<string> runs) =>
        runs.Count <= 3 ? string.Join(", ", runs) : $"{string.Join(", ", runs.Take(3))} and {runs.Count - 3} more runs";
}
