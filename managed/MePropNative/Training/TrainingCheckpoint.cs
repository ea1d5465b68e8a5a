using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>Where a run stands: what a checkpoint must bring back besides tensors.</summary>
public record struct TrainingProgress(int EpochsDone, long Step, long ExamplesSeen, long OptimizerSteps, int EpochsWithoutImprovement);

/// <summary>
/// What every trainer's checkpoint shares (<see cref="Trainer"/>, <see cref="CnnTrainer"/>, the NLP trainer): a header
/// with the kind, the configuration, the progress counters and the best/last/history records; the parameters with their
/// optimizer state as tensors; and the check that a resumed run has the checkpointed configuration. Files are written
/// atomically by <see cref="TensorFile"/>.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The header of a checkpoint of <paramref name="kind"/>; trainers add their own entries to it.</summary>
    public static JsonObject Header<TRecord>(string kind, JsonObject config, TrainingProgress progress, TRecord? best, TRecord? last,
        IReadOnlyList<EpochRecord> history) where TRecord : class => new()
    {
        ["kind"] = kind,
        ["config"] = config,
        ["epochs_done"] = progress.EpochsDone,
        ["step"] = progress.Step,
        ["examples_seen"] = progress.ExamplesSeen,
        ["optimizer_steps"] = progress.OptimizerSteps,
        ["epochs_without_improvement"] = progress.EpochsWithoutImprovement,
        ["best"] = best is null ? null : JsonSerializer.SerializeToNode(best),
        ["last"] = last is null ? null : JsonSerializer.SerializeToNode(last),
        ["history"] = JsonSerializer.SerializeToNode(history),
    };

    public static TrainingProgress Progress(TensorFileHeader header) => new(
        header.Int("epochs_done", min: 0), header.Long("step"), header.Long("examples_seen"),
        header.Long("optimizer_steps"), header.OptionalInt("epochs_without_improvement", min: 0) ?? 0);

    /// <summary>The best and last evaluations and the epoch history of a header.</summary>
    public static (TRecord? Best, TRecord? Last, List<EpochRecord> History) Records<TRecord>(TensorFileHeader header) where TRecord : class =>
        (header.Deserialize<TRecord>("best", optional: true), header.Deserialize<TRecord>("last", optional: true),
            header.Deserialize<List<EpochRecord>>("history")!);

    /// <summary>Each parameter's value as "name" and its optimizer state as "name.state0", "name.state1", ...</summary>
    public static void AddParameters(List<(string Name, Tensor Tensor)> tensors, IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters)
        {
            tensors.Add((p.Name, p.Value));
            for (int i = 0; i < p.OptimizerState.Length; i++) tensors.Add(($"{p.Name}.state{i}", p.OptimizerState[i]));
        }
    }

    /// <summary>Uploads every parameter's value and recreates its optimizer state from the checkpoint.</summary>
    public static void RestoreParameters(IBackend backend, string path, IEnumerable<Parameter> parameters, IReadOnlyDictionary<string, TensorFile.Entry> tensors)
    {
        foreach (var p in parameters)
        {
            if (!tensors.TryGetValue(p.Name, out var e)) throw new InvalidDataException($"{path}: checkpoint tensor {p.Name} is missing.");
            backend.Upload(Sized(path, e, p.Length, "the model's").Data, p.Value);
            var state = new List<Tensor>();
            for (int i = 0; tensors.TryGetValue($"{p.Name}.state{i}", out var s); i++)
            {
                var t = backend.Allocate(p.Value.Shape.ToArray());
                backend.Upload(Sized(path, s, p.Length, "its parameter's").Data, t);
                state.Add(t);
            }
            p.OptimizerState = [.. state];
            p.GradientIsZero = true;
        }
    }

    /// <summary>The tensors "prefix0", "prefix1", ... of a checkpoint, uploaded, up to the first missing number.</summary>
    public static List<Tensor> Numbered(IBackend backend, string path, IReadOnlyDictionary<string, TensorFile.Entry> tensors, string prefix)
    {
        var list = new List<Tensor>();
        for (int i = 0; tensors.TryGetValue($"{prefix}{i}", out var e); i++) list.Add(Upload(backend, path, e));
        return list;
    }

    /// <summary>A checkpoint tensor on the backend, in its saved shape (which must be one the backend can hold).</summary>
    public static Tensor Upload(IBackend backend, string path, TensorFile.Entry entry)
    {
        if (entry.Shape.Length is not (1 or 2 or 4) || entry.Shape.Any(d => d < 1))
            throw new InvalidDataException($"{path}: checkpoint tensor {entry.Name} has the shape [{string.Join(", ", entry.Shape)}], which no state of this program has.");
        var t = backend.Allocate(entry.Shape);
        backend.Upload(entry.Data, t);
        return t;
    }

    /// <summary>Each linear layer's meSimp selection counts, where the checkpoint holds them.</summary>
    public static void RestoreSelectionCounts(TensorFileHeader header, IReadOnlyList<Linear> linears, IReadOnlyDictionary<string, TensorFile.Entry> tensors)
    {
        var counted = header.LongArray("counted_examples", min: 0, length: linears.Count);
        for (int i = 0; i < linears.Count; i++)
            if (tensors.TryGetValue($"{linears[i].Name}.counts", out var c))
                linears[i].Statistics.RestoreCounts(Sized(header.Path, c, linears[i].Statistics.Units, "the layer's unit count").Data, counted[i]);
    }

    private static TensorFile.Entry Sized(string path, TensorFile.Entry e, long length, string what) => e.Data.Length == length
        ? e : throw new InvalidDataException($"{path}: checkpoint tensor {e.Name} has {e.Data.Length} elements, {what} {length}.");

    /// <summary>
    /// Reads the checkpoint at <paramref name="path"/> when there is one (else says so and returns null), after checking
    /// its kind and that every configuration key outside <paramref name="mayDiffer"/> has the value it had when it was
    /// written (<paramref name="savedValue"/> reads a saved key, for instance with a default for keys older files lack).
    /// </summary>
    public static (TensorFileHeader Header, Dictionary<string, TensorFile.Entry> Tensors)? ReadIfPresent(string path, string kind, string what,
        JsonObject config, IReadOnlySet<string> mayDiffer, Action<string> message, Func<JsonObject, string, JsonNode?>? savedValue = null)
    {
        if (!File.Exists(path))
        {
            message($"no checkpoint at {path}: starting from the beginning");
            return null;
        }
        var (header, tensors) = TensorFile.Read(path);
        if (header.Tag("kind") != kind) throw new ConfigException($"{path} is not a {what} checkpoint.");
        var saved = header.Object("config");
        savedValue ??= (s, key) => s[key];
        var differences = config.Where(p => !mayDiffer.Contains(p.Key) && !OptionCatalog.SameValue(p.Value, savedValue(saved, p.Key)))
            .Select(p => $"{p.Key}: checkpoint {savedValue(saved, p.Key)?.ToJsonString() ?? "null"}, now {p.Value?.ToJsonString() ?? "null"}").ToList();
        if (differences.Count > 0)
            throw new ConfigException($"{path} was written by a run with another configuration; resume with the same options " +
                $"(only {string.Join(", ", mayDiffer.Order())} may change):\n  " + string.Join("\n  ", differences));
        return (header, tensors);
    }
}
