namespace MePropNative.MeProp;

/// <summary>meSimp's pruning decision (Sun et al., "Training Simplification and Model Simplification for Deep
/// Learning"): a unit stays when it was selected in at least a threshold fraction of the back propagations counted since
/// the previous pruning point. One rule for every model.</summary>
public static class MeSimpRule
{
    /// <summary>The units (ascending) whose count is at least <paramref name="threshold"/> x
    /// <paramref name="countedExamples"/>, compared exactly (a unit at 47.6% of the examples is below 0.5); the most
    /// selected unit (the first of equals) when none is, so a layer never loses all its units.</summary>
    public static int[] UnitsToKeep(ReadOnlySpan<float> counts, long countedExamples, float threshold)
    {
        if (counts.IsEmpty) throw new ArgumentException("a layer has at least one unit.", nameof(counts));
        if (countedExamples < 1) throw new ArgumentOutOfRangeException(nameof(countedExamples), countedExamples, "nothing was counted.");
        double limit = countedExamples * (double)threshold;
        var keep = new List<int>();
        int most = 0;
        for (int j = 0; j < counts.Length; j++)
        {
            if (counts[j] >= limit) keep.Add(j);
            if (counts[j] > counts[most]) most = j;
        }
        return keep.Count > 0 ? keep.ToArray() : [most];
    }
}
