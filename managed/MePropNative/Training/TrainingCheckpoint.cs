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

    public static TrainingProgress Progress(JsonObject header) => new(
        header["epochs_done"]!.GetValue<int>(), header["step"]!.GetValue<long>(), header["examples_seen"]!.GetValue<long>(),
        header["optimizer_steps"]!.GetValue<long>(), header["epochs_without_improvement"]?.GetValue<int>() ?? 0);

    /// <summary>The best and last evaluations and the epoch history of a header.</summary>
    public static (TRecord? Best, TRecord? Last, List<EpochRecord> History) Records<TRecord>(JsonObject header) where TRecord : class =>
        (header["best"]?.Deserialize<TRecord>(), header["last"]?.Deserialize<TRecord>(), header["history"]!.Deserialize<List<EpochRecord>>()!);

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
    public static void RestoreParameters(IBackend backend, IEnumerable<Parameter> parameters, IReadOnlyDictionary<string, TensorFile.Entry> tensors)
    {
        foreach (var p in parameters)
        {
            if (!tensors.TryGetValue(p.Name, out var e)) throw new InvalidDataException($"the checkpoint lacks tensor {p.Name}.");
            if (e.Data.Length != p.Length) throw new InvalidDataException($"checkpoint tensor {p.Name} has {e.Data.Length} elements, the model {p.Length}.");
            backend.Upload(e.Data, p.Value);
            p.OptimizerState = [.. Numbered(backend, tensors, $"{p.Name}.state")];
            p.GradientIsZero = true;
        }
    }

    /// <summary>The tensors "prefix0", "prefix1", ... of a checkpoint, uploaded, up to the first missing number.</summary>
    public static List<Tensor> Numbered(IBackend backend, IReadOnlyDictionary<string, TensorFile.Entry> tensors, string prefix)
    {
        var list = new List<Tensor>();
        for (int i = 0; tensors.TryGetValue($"{prefix}{i}", out var e); i++) list.Add(Upload(backend, e));
        return list;
    }

    public static Tensor Upload(IBackend backend, TensorFile.Entry entry)
    {
        var t = backend.Allocate(entry.Shape);
        backend.Upload(entry.Data, t);
        return t;
    }

    /// <summary>
    /// Reads the checkpoint at <paramref name="path"/> when there is one (else says so and returns null), after checking
    /// its kind and that every configuration key outside <paramref name="mayDiffer"/> has the value it had when it was
    /// written (<paramref name="savedValue"/> reads a saved key, for instance with a default for keys older files lack).
    /// </summary>
    public static (JsonObject Header, Dictionary<string, TensorFile.Entry> Tensors)? ReadIfPresent(string path, string kind, string what,
        JsonObject config, IReadOnlySet<string> mayDiffer, Action<string> message, Func<JsonObject, string, JsonNode?>? savedValue = null)
    {
        if (!File.Exists(path))
        {
            message($"no checkpoint at {path}: starting from the beginning");
            return null;
        }
        var (header, tensors) = TensorFile.Read(path);
        if (header["kind"]?.GetValue<string>() != kind) throw new ConfigException($"{path} is not a {what} checkpoint.");
        var saved = header["config"]!.AsObject();
        savedValue ??= (s, key) => s[key];
        var differences = config.Where(p => !mayDiffer.Contains(p.Key) && !OptionCatalog.SameValue(p.Value, savedValue(saved, p.Key)))
            .Select(p => $"{p.Key}: checkpoint {savedValue(saved, p.Key)?.ToJsonString() ?? "null"}, now {p.Value?.ToJsonString() ?? "null"}").ToList();
        if (differences.Count > 0)
            throw new ConfigException($"{path} was written by a run with another configuration; resume with the same options " +
                $"(only {string.Join(", ", mayDiffer.Order())} may change):\n  " + string.Join("\n  ", differences));
        return (header, tensors);
    }
}
