namespace MePropNative.Training;

/// <summary>The rule of the MLP and CNN runs about the dev set (the first dev_size training examples): a run that
/// chooses its reported evaluation on dev (select_by = dev) or stops early on it (patience) needs one.</summary>
public static class DevSetRule
{
    /// <summary>Whether the run reads the dev accuracy: it chooses its reported evaluation or its early stop by it.</summary>
    public static bool NeedsDev(string selectBy, int patience) => selectBy == "dev" || patience > 0;

    /// <summary>The problems of dev_size with select_by and patience (a config without early stopping passes 0).</summary>
    public static IEnumerable<string> Problems(int devSize, string selectBy, int patience)
    {
        if (devSize < 0) yield return $"dev_size = {devSize} must be >= 0.";
        if (devSize != 0) yield break;
        if (selectBy == "dev")
            yield return "dev_size = 0 leaves no dev set to choose the reported evaluation by (select_by = dev): give dev_size >= 1, or select_by = last.";
        if (patience > 0) yield return $"patience = {patience} stops on the dev accuracy, but dev_size = 0 leaves no dev set.";
    }
}
