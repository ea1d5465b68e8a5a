using MePropNative.Backends;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Training;

/// <summary>meSimp's rules (docs/design.md): at a pruning point, units selected in fewer than mesimp_threshold of the
/// back propagations counted since the previous point are removed (at least one unit stays) and the counts restart;
/// the optimizer state is reset at each cycle start. TrainerTests checks that a meSimp run shrinks the network; these
/// check the rules themselves.</summary>
public class MeSimpTests : IDisposable
{
    private const int Units = 5, Examples = 40;
    private readonly CpuBackend backend = new();
    private readonly TinyMnist tiny = new(train: 280, test: 80);

    public void Dispose() => tiny.Dispose();

    /// <summary>Counts one back propagation of <see cref="Examples"/> rows, row r selecting <paramref name="selected"/>(r).</summary>
    private void Record(SelectionStatistics st, int k, Func<int, int[]> selected)
    {
        var idx = backend.AllocateIndices(Examples, k);
        backend.Upload(Enumerable.Range(0, Examples).SelectMany(selected).ToArray(), idx);
        st.Record(Examples, k, idx, perRow: true);
    }

    private int[] Keep(SelectionStatistics st, float threshold) =>
        Trainer.UnitsToKeep(backend, st, threshold) ?? throw new InvalidOperationException("nothing was counted");

    private SelectionStatistics Counting() => new(backend, Units) { CountUnits = true };

    /// <summary>Unit 0 in every row; unit 1 in 10 rows, unit 2 in 9, unit 3 in none, unit 4 in 21.</summary>
    private static int[] Pattern(int r) => [0, r < 10 ? 1 : r < 19 ? 2 : 4];

    [Fact]
    public void UnitsSelectedInAtLeastTheThresholdFractionAreKeptAndTheOthersRemoved()
    {
        var st = Counting();
        Record(st, 2, Pattern);
        // 0.25 of 40 back propagations is 10: unit 1 (10) stays, unit 2 (9) and unit 3 (0) go
        Assert.Equal([0, 1, 4], Keep(st, 0.25f));
    }

    [Fact]
    public void TheThresholdIsComparedExactlyNotRoundedToWholeSelections()
    {
        // 0.24 of 40 is 9.6: unit 2 (9 selections, 22.5%) is below it, although 9.6 rounds down to 9
        var st = Counting();
        Record(st, 2, Pattern);
        Assert.Equal([0, 1, 4], Keep(st, 0.24f));
        // the same rule for every model: 10 of 21 (47.6%) is below 0.5
        Assert.Equal([1], MeSimpRule.UnitsToKeep([10f, 11f], 21, 0.5f));
        Assert.Equal([0, 1], MeSimpRule.UnitsToKeep([10.5f, 11f], 21, 0.5f));
        Assert.Equal([1], MeSimpRule.UnitsToKeep([2f, 7f, 7f], 100, 0.5f)); // none reaches it: the first most selected
    }

    [Fact]
    public void ThresholdZeroKeepsEveryUnitEvenOneNeverSelected()
    {
        var st = Counting();
        Record(st, 2, Pattern);
        Assert.Equal([0, 1, 2, 3, 4], Keep(st, 0f));
    }

    [Fact]
    public void WhenNoUnitReachesTheThresholdTheMostSelectedOneStays()
    {
        var st = Counting();
        Record(st, 1, r => [Pattern(r)[1]]); // 10, 9, 21 of 40: none reaches 0.6
        Assert.Equal([4], Keep(st, 0.6f));
    }

    [Fact]
    public void CountsRestartAtEachPruningPoint()
    {
        var st = Counting();
        Record(st, 2, r => [0, 1]);
        Assert.Equal([0, 1, 2, 3, 4], Keep(st, 0f));
        Assert.Equal(0, st.CountedExamples);
        Assert.All(TestData.Host(backend, st.UnitCounts!), c => Assert.Equal(0f, c));
        // Unit 1 was in every row before the first point but is in 5 of 40 after it: below 0.25 since that point (it
        // would be above over both intervals, 45 of 80).
        Record(st, 2, r => [0, r < 5 ? 1 : 2 + r % 3]);
        Assert.Equal([0, 2, 3, 4], Keep(st, 0.25f));
    }

    private TrainConfig Config(bool meSimp, int epochs) => new()
    {
        DataDir = tiny.Directory,
        DevSize = 40,
        Hidden = [24, 24],
        Classes = 4,
        Strategy = StrategyKind.TopK,
        K = [1],
        BatchSize = 16,
        Epochs = epochs,
        EvalBatchSize = 32,
        Seed = 5,
        Dropout = 0,
        MeSimp = meSimp,
        MeSimpThreshold = 0f,
        MeSimpCycle = 2,
        EvalsPerEpoch = 1000, // a pruning point after every step
    };

    private Trainer Run(TrainConfig c)
    {
        var trainer = new Trainer(c, backend, c.DataFiles().Load(c.DevSize, c.TrainLimit, c.Classes));
        trainer.Run();
        return trainer;
    }

    [Fact]
    public void ATrainingRunWithThresholdZeroPrunesNothing()
    {
        // k = 1 of 24 units and 16 examples between pruning points: at least 8 units are not selected in an interval,
        // and none may go, since no unit is selected in fewer than 0 of the back propagations.
        var trainer = Run(Config(meSimp: true, epochs: 2));
        Assert.Equal([tiny.Features, 24, 24, 4], trainer.Model.Sizes);
    }

    [Fact]
    public void TheOptimizerStateIsResetAtEachCycleStart()
    {
        // Cycles of 2 epochs: resets before epochs 3 and 5, so after 5 epochs Adam has counted the last epoch's steps only.
        var meSimp = Run(Config(meSimp: true, epochs: 5));
        Assert.Equal(meSimp.StepsPerEpoch, meSimp.Optimizer.Steps);
        var plain = Run(Config(meSimp: false, epochs: 5));
        Assert.Equal(5L * plain.StepsPerEpoch, plain.Optimizer.Steps);
    }
}
