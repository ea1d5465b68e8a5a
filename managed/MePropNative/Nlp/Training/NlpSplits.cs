using MePropNative.Training;

namespace MePropNative.Nlp.Training;

/// <summary>The training, dev and test sentences of a tagger or parser run, read from its CoNLL-U files before any
/// model is built. A file without a sentence is an error naming it; only a dev file that data_dir lacks (no dev_file
/// given) is allowed, and leaves the run without dev evaluations, so only in a run that needs none (select_by = last,
/// no patience).</summary>
public sealed record NlpSplits(List<ConlluSentence> Train, List<ConlluSentence> Dev, List<ConlluSentence> Test)
{
    public static NlpSplits Read(NlpConfig config)
    {
        var train = Read(config.TrainPath, "training file");
        if (config.TrainLimit > 0 && train.Count > config.TrainLimit) train = train.GetRange(0, config.TrainLimit);
        var dev = File.Exists(config.DevPath) || config.DevFile is not null ? Read(config.DevPath, "dev file") : [];
        if (dev.Count == 0 && DevSetRule.NeedsDev(config.Common.SelectBy, config.Common.Patience))
            throw new ConfigException($"no dev file: {config.DevPath} does not exist, and the run chooses its reported evaluation (select_by = dev) " +
                "or stops early (patience) by the dev accuracy; give dev_file, or select_by = last.");
        return new NlpSplits(train, dev, Read(config.TestPath, "test file"));
    }

    private static List<ConlluSentence> Read(string path, string role) => Conllu.RequireSentences(Conllu.ReadFile(path), path, role);
}
