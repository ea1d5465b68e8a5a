using MePropNative.Backends;
using MePropNative.MeProp;

namespace MePropNative.Training;

/// <summary>
/// The device options of a run (config keys device, sparse_algorithm, auto_candidates): validation, and the backend
/// they select. Asking for CUDA where there is none is a configuration error that says why
/// ("--device cuda: no CUDA device: ..."), never a silent fallback to the CPU.
/// </summary>
public static class DeviceOptions
{
    /// <summary>Problems with the values alone (no device is probed). autoCandidates: null when the strategy is not auto.</summary>
    public static IEnumerable<string> Problems(string device, string sparseAlgorithm, string? autoCandidates)
    {
        if (!DeviceSpec.TryParse(device, out var spec, out string error)) { yield return error; yield break; }
        if (!SparseBackwardAlgorithms.ByName.TryGetValue(sparseAlgorithm ?? "", out var algorithm))
            yield return $"sparse_algorithm '{sparseAlgorithm}' is not one of {string.Join(", ", SparseBackwardAlgorithms.ByName.Keys)}.";
        else if (!spec.IsCuda && algorithm != SparseBackwardAlgorithm.Default)
            yield return $"sparse_algorithm {algorithm.ToName()} is a GPU kernel choice: it needs --device cuda (the CPU has one sparse algorithm).";
        if (autoCandidates is not null)
        {
            var names = AutoStrategyOptions.ParseCandidates(autoCandidates);
            if (names.Count == 0) yield return "auto_candidates is empty.";
            foreach (string n in names)
            {
                string kind = n.Split('/')[0].ToLowerInvariant();
                if (kind is not ("dense" or "topk" or "unified"))
                    yield return $"auto candidate '{n}' is not one of dense, topk, topk/ALGORITHM, unified.";
                else if (n.Contains('/') && (kind != "topk" || !SparseBackwardAlgorithms.ByName.ContainsKey(n[(n.IndexOf('/') + 1)..])))
                    yield return $"auto candidate '{n}': only topk takes an algorithm ({string.Join(", ", SparseBackwardAlgorithms.ByName.Keys.Skip(1))}).";
                else if (n.Contains('/') && !spec.IsCuda)
                    yield return $"auto candidate '{n}' names a GPU kernel: it needs --device cuda.";
            }
        }
    }

    /// <summary>The backend a device value selects: a <see cref="CpuBackend"/> with <paramref name="threads"/>, or a
    /// <see cref="CudaBackend"/> on device N with the sparse algorithm set. Throws <see cref="ConfigException"/>
    /// "--device cuda: no CUDA device: REASON" when CUDA cannot be used.</summary>
    public static IBackend CreateBackend(string device, int threads = 0, string sparseAlgorithm = "default")
    {
        if (!DeviceSpec.TryParse(device, out var spec, out string error)) throw new ConfigException(error);
        if (!spec.IsCuda) return new CpuBackend(threads);
        if (!CudaBackend.IsAvailable(spec.Index, out string reason)) throw new ConfigException(NoDeviceMessage(device, reason));
        var backend = new CudaBackend(spec.Index);
        var algorithm = SparseBackwardAlgorithms.Parse(sparseAlgorithm);
        if (algorithm != SparseBackwardAlgorithm.Default) backend.SparseAlgorithm = algorithm;
        return backend;
    }

    /// <summary>The backend of a config; also sets the process-wide auto-strategy candidates from it.</summary>
    public static IBackend CreateBackend(TrainConfig config)
    {
        AutoStrategyOptions.Default = AutoStrategyOptions.Default with { Candidates = AutoStrategyOptions.ParseCandidates(config.AutoCandidates) };
        return CreateBackend(config.Device, config.Threads, config.SparseAlgorithm);
    }

    /// <summary>"--device cuda: no CUDA device: REASON".</summary>
    public static string NoDeviceMessage(string device, string reason) => $"--device {device.Trim()}: no CUDA device: {reason}";
}
