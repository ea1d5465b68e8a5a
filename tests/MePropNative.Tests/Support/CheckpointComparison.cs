using MePropNative.Training;

namespace MePropNative.Tests.Support;

/// <summary>Compares the checkpoints an uninterrupted and a resumed run end with.</summary>
internal static class CheckpointComparison
{
    /// <summary>Asserts that the two checkpoints hold the same <paramref name="counters"/> and the same tensors bit for
    /// bit; returns the names of the tensors, for checks that particular state was saved.</summary>
    public static IReadOnlyCollection<string> AssertSame(string uninterrupted, string resumed, params string[] counters)
    {
        var (ha, ta) = TensorFile.Read(uninterrupted);
        var (hb, tb) = TensorFile.Read(resumed);
        foreach (var key in counters)
            Assert.True(ha.Json[key]?.ToJsonString() == hb.Json[key]?.ToJsonString(),
                $"checkpoint {key}: uninterrupted {ha.Json[key]?.ToJsonString()}, resumed {hb.Json[key]?.ToJsonString()}");
        Assert.Equal(ta.Keys.Order(), tb.Keys.Order());
        foreach (var (key, e) in ta) Assert.True(e.Data.AsSpan().SequenceEqual(tb[key].Data), $"checkpoint tensor {key} differs");
        return ta.Keys;
    }
}
