using System.Text.Json.Nodes;
using MePropNative.Layers;
using MePropNative.Tensors;
using MePropNative.Training;

namespace MePropNative.Nlp.Training;

/// <summary>Scores of a model on a data set: the tagger's per-word accuracy, or the parser's UAS and LAS
/// (punctuation excluded), all in percent.</summary>
public sealed record NlpScores(double Accuracy, double? Las, long Tokens);

/// <summary>A strategy's carried tensors (MSBP memory), for checkpoints.</summary>
public sealed record StrategyState(string Name, IReadOnlyList<Tensor> Tensors, Action<IReadOnlyList<Tensor>> Restore);

/// <summary>
/// What <see cref="NlpTrainer"/> trains: a model with its data, seen as mini-batches of (scores, gold labels) rows —
/// tokens for the tagger, parser transitions for the parser — plus evaluation, meSimp pruning and model export.
/// </summary>
public interface INlpTask
{
    /// <summary>"tagger" or "parser".</summary>
    string Name { get; }
    string Description { get; }
    /// <summary>Facts about the data (sentences, tokens, skipped or projectivized trees ...), recorded in results.json.</summary>
    JsonObject DataSummary { get; }
    IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>Every linear layer (backprop ratio, checkpointed statistics).</summary>
    IReadOnlyList<Linear> LinearLayers { get; }
    IReadOnlyList<StrategyState> StrategyStates { get; }
    /// <summary>Layer sizes (the model's shape after meSimp): tagger [E, H fw, H bw, tags], parser [inputs, hidden, transitions].</summary>
    int[] Sizes { get; }
    /// <summary>Rows of one epoch (tokens or transitions).</summary>
    long TrainRows { get; }
    int TrainSentences { get; }
    int DevSentences { get; }
    int TestSentences { get; }
    int BatchesPerEpoch { get; }
    /// <summary>Where the gate / hidden-layer backward time (what meProp sparsifies) and the output layer's are added up.</summary>
    LayerTimings SparsifiedTimings { get; }
    LayerTimings DenseTimings { get; }

    /// <summary>Orders the epoch's batches (a pure function of the seed and the epoch).</summary>
    void BeginEpoch(int epoch);
    /// <summary>Scores (rows x classes) and gold labels (rows x 1) of batch <paramref name="batch"/> of the current epoch.</summary>
    (Tensor Scores, IndexTensor Labels) Forward(int batch, in StepContext context);
    void Backward(Tensor scoresGradient);

    /// <summary>Scores the model on "dev" or "test".</summary>
    NlpScores Evaluate(string split);

    /// <summary>meSimp: turns the counting of top-k selections per hidden unit on or off (off also clears the counts).</summary>
    void CountSelections(bool on);
    /// <summary>meSimp: removes the hidden units selected in fewer than <paramref name="threshold"/> of the back
    /// propagations since the last pruning; returns a message per pruned layer.</summary>
    IReadOnlyList<string> PruneSeldomSelected(float threshold);

    /// <summary>The model file for `meprop tag` / `meprop parse` (weights and vocabularies), not copied.</summary>
    ModelFileContents ModelContents();
}
