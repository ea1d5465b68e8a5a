using MePropNative.Experiments;

namespace MePropNative.Tests.Experiments;

public class TurnScheduleTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 10, 4)]
    [InlineData(6, 110, 8)]
    [InlineData(2, 5, 8)]
    public void EveryStepOfEveryModelIsMeasuredOnceInOrder(int models, int steps, int turnLength)
    {
        var schedule = TurnSchedule.Create(models, steps, turnLength).ToList();
        for (int m = 0; m < models; m++)
            Assert.Equal(Enumerable.Range(0, steps), schedule.Where(s => s.Model == m && s.Measured).Select(s => s.Step));
        int turns = (steps + turnLength - 1) / turnLength;
        Assert.Equal(models * (steps + turns), schedule.Count);
    }

    [Fact]
    public void EachTurnStartsWithAnUnmeasuredRepeatOfItsFirstStepAndModelsAlternateOrder()
    {
        var schedule = TurnSchedule.Create(models: 3, steps: 7, turnLength: 3).ToList();
        var turnStarts = schedule.Select((s, i) => (s, i)).Where(p => !p.s.Measured).ToList();
        Assert.Equal([0, 1, 2, 2, 1, 0, 0, 1, 2], turnStarts.Select(p => p.s.Model));
        foreach (var (start, i) in turnStarts)
        {
            var next = schedule[i + 1];
            Assert.True(next.Measured);
            Assert.Equal((start.Model, start.Step), (next.Model, next.Step));
            Assert.Equal(0, start.Step % 3);
        }
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TurnSchedule.Create(1, 4, 0).ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => TurnSchedule.Create(-1, 4, 2).ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => TurnSchedule.Create(1, -4, 2).ToList());
        Assert.Empty(TurnSchedule.Create(0, 4, 2));
        Assert.Empty(TurnSchedule.Create(2, 0, 2));
    }
}
