using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MePropNative.Backends;
using MePropNative.Experiments;
using MePropNative.Nlp;
using MePropNative.Nlp.Experiments;
using MePropNative.Nlp.Parser;
using MePropNative.Nlp.Training;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>`meprop train tagger|parser`, `meprop tag`, `meprop parse` and `meprop experiment nlp`.</summary>
internal static class NlpCommands
{
    // ---- train tagger / train parser -----------------------------------------------------------------------------------

    public static Command Train(string task)
    {
        var cmd = new Command(task, task == "tagger"
            ? "Train the LSTM POS tagger (word embeddings -> BiLSTM hidden 500 -> softmax over XPOS) on UD English EWT, meProp on the LSTM gates " +
              "through back propagation through time. Reports per-word accuracy on dev and test (test at the best dev evaluation)."
            : "Train the arc-standard MLP dependency parser (Chen and Manning 2014 features, 2400 -> 500 cube -> transitions) on UD English EWT, " +
              "meProp on the hidden layer. Reports UAS and LAS without punctuation on dev and test (test at the best dev evaluation).");
        var configFile = new Option<FileInfo?>("--config") { Description = "JSON config file (the snake_case keys of the flags below); flags override it", HelpName = "file.json" };
        var noProgress = new Option<bool>("--no-progress") { Description = "print one line per evaluation instead of a progress bar" };
        cmd.Options.Add(configFile);
        cmd.Options.Add(noProgress);
        var flags = new ConfigFlags<NlpConfig>(cmd, NlpConfigOptions.All.Where(o => o.Key != "model"));
        cmd.SetAction(parse =>
        {
            var file = parse.GetValue(configFile);
            var config = file is null ? new NlpConfig(task) : NlpConfigOptions.Load(file.FullName, task);
            bool any = flags.Apply(parse, config);
            config.Source = file is null ? (any ? "flags" : "defaults") : any ? file.FullName + " + flags" : file.FullName;
            config.Validate();
            var run = TrainRun(config, parse.GetValue(noProgress));
            Summary.Print(run.Common);
            if (run.TestLas is not null)
            {
                // no dev LAS without a dev set (data_dir without a dev file)
                string dev = run.DevLas is { } devLas ? string.Create(CultureInfo.InvariantCulture, $"dev {run.Common.DevAccuracy:F2}/{devLas:F2}, ") : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"UAS/LAS (no punctuation): {dev}test {run.Common.TestAccuracy:F2}/{run.TestLas:F2}"));
            }
            if (config.Common.Out is not null)
                Console.WriteLine($"results: {Path.Combine(config.Common.Out, "results.json")}, results.csv, model.bin");
            return 0;
        });
        return cmd;
    }

    /// <summary>Loads the data, builds the model and trains it with a progress display; used by `train` and `experiment nlp`.</summary>
    public static NlpRunResult TrainRun(NlpConfig config, bool noProgress, string? label = null)
    {
        using var backend = new CpuBackend(config.Common.Threads);
        NlpRunResult? result = null;
        ProgressReporter.Run(label ?? config.RunName(), noProgress, observer =>
        {
            var trainer = new NlpTrainer(config, backend, sizes => CreateTask(config, backend, sizes, observer.OnMessage), observer);
            result = trainer.Run();
            return result.Common;
        });
        return result!;
    }

    public static INlpTask CreateTask(NlpConfig config, IBackend backend, int[]? sizes, Action<string>? log) =>
        config.Task == "tagger" ? new TaggerTask(config, backend, sizes, log) : new ParserTask(config, backend, sizes, log);

    // ---- tag / parse -----------------------------------------------------------------------------------------------------------

    public static Command Tag()
    {
        var cmd = new Command("tag", "POS-tag a CoNLL-U or whitespace-tokenized text file (one sentence per line) with a trained tagger; writes CoNLL-U " +
            "with the XPOS column set (the other columns of a CoNLL-U input are kept).");
        var (model, input, format, output, threads) = IoOptions(cmd, "tagger model (OUT/model.bin of meprop train tagger)");
        cmd.SetAction(parse =>
        {
            using var backend = new CpuBackend(parse.GetValue(threads));
            var sw = Stopwatch.StartNew();
            OutputFolders.PrepareFile("--output", parse.GetValue(output)?.FullName);
            var (m, v) = TaggerModelFile.Load(backend, parse.GetValue(model)!.FullName);
            var sentences = Conllu.ReadAny(parse.GetValue(input)!.FullName, parse.GetValue(format)!);
            var tagged = new TaggerPredictor(backend, m, v).Tag(sentences);
            Write(parse.GetValue(output), tagged);
            Console.Error.WriteLine($"tagged {tagged.Count} sentences, {tagged.Sum(s => s.Count)} words in {sw.Elapsed.TotalSeconds:F1}s");
            return 0;
        });
        return cmd;
    }

    public static Command Parse()
    {
        var cmd = new Command("parse", "Dependency-parse a CoNLL-U or whitespace-tokenized text file with a trained parser; writes CoNLL-U with HEAD and " +
            "DEPREL set (DEPS cleared). The parser reads XPOS tags: give --tagger to tag the input first (needed for plain text).");
        var (model, input, format, output, threads) = IoOptions(cmd, "parser model (OUT/model.bin of meprop train parser)");
        var tagger = new Option<FileInfo?>("--tagger") { Description = "tagger model: tag the input before parsing (replaces its XPOS column)", HelpName = "model.bin" };
        cmd.Options.Add(tagger);
        cmd.SetAction(parse =>
        {
            using var backend = new CpuBackend(parse.GetValue(threads));
            var sw = Stopwatch.StartNew();
            OutputFolders.PrepareFile("--output", parse.GetValue(output)?.FullName);
            var (m, v) = ParserModelFile.Load(backend, parse.GetValue(model)!.FullName);
            var taggerModel = parse.GetValue(tagger) is { } t ? TaggerModelFile.Load(backend, t.FullName) : default;
            var sentences = Conllu.ReadAny(parse.GetValue(input)!.FullName, parse.GetValue(format)!);
            if (taggerModel.Model is not null)
                sentences = new TaggerPredictor(backend, taggerModel.Model, taggerModel.Vocabulary).Tag(sentences);
            else if (sentences.Any(s => s.Tokens.Any(k => k.Xpos == "_")))
                throw new ConfigException("the input has words without an XPOS tag: give --tagger MODEL to tag it first.");
            var parsed = new ParserDecoder(backend, m, v).ParseSentences(sentences);
            Write(parse.GetValue(output), parsed);
            Console.Error.WriteLine($"parsed {parsed.Count} sentences, {parsed.Sum(s => s.Count)} words in {sw.Elapsed.TotalSeconds:F1}s");
            return 0;
        });
        return cmd;
    }

    private static (Option<FileInfo> Model, Option<FileInfo> Input, Option<string> Format, Option<FileInfo?> Output, Option<int> Threads) IoOptions(Command cmd, string modelHelp)
    {
        var model = new Option<FileInfo>("--model") { Description = modelHelp, Required = true, HelpName = "model.bin" };
        var input = new Option<FileInfo>("--input") { Description = "input file: CoNLL-U, or plain text with one whitespace-tokenized sentence per line", Required = true, HelpName = "file" };
        var format = new Option<string>("--format") { Description = "input format (auto: CoNLL-U when a line has a tab or is a CoNLL-U comment such as '# sent_id', '# text =' or '# newdoc'; plain text otherwise)", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong("auto", "conllu", "text");
        var output = new Option<FileInfo?>("--output") { Description = "output CoNLL-U file (default: standard output)", HelpName = "file.conllu" };
        var threads = new Option<int>("--threads") { Description = "libmeprop threads (0: its default)", DefaultValueFactory = _ => 0 };
        foreach (var o in new Option[] { model, input, format, output, threads }) cmd.Options.Add(o);
        return (model, input, format, output, threads);
    }

    private static void Write(FileInfo? output, List<ConlluSentence> sentences)
    {
        if (output is null)
        {
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false));
            Conllu.Write(stdout, sentences);
            stdout.Flush();
        }
        else Conllu.WriteFile(output.FullName, sentences);
    }

    // ---- experiment nlp --------------------------------------------------------------------------------------------------------

    public static Command Experiment()
    {
        var cmd = new Command("nlp", "The paper's POS-tagging and parsing tables on UD English EWT: dense vs meProp top-k at several k (accuracy, backprop " +
            "time and speedup), random-k, unified top-k, meSimp sizes, and a backward-speed benchmark (dense and top-k taking turns on the same batches in one process). " +
            "Writes report.md and PNG/SVG plots.");
        var outDir = new Option<string>("--out") { Description = "report folder (runs are cached under OUT/runs, so a stopped experiment continues)", DefaultValueFactory = _ => "docs/results/nlp" };
        var dataDir = new Option<string>("--data-dir") { Description = "UD English EWT folder", DefaultValueFactory = _ => "data/ud-english-ewt" };
        var taggerEpochs = new Option<int>("--tagger-epochs") { Description = "epochs of the tagger runs", DefaultValueFactory = _ => ExperimentDefaults.TaggerEpochs };
        var parserEpochs = new Option<int>("--parser-epochs") { Description = "epochs of the parser runs", DefaultValueFactory = _ => ExperimentDefaults.ParserEpochs };
        var only = new Option<string?>("--only") { Description = "comma-separated groups: " + string.Join(", ", NlpExperimentPlan.Groups) + " (tagger or parser: all of that task's)" };
        var trainLimit = new Option<int>("--train-limit") { Description = "use only N training sentences (a quick smoke run)", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "rerun runs whose results are cached" };
        var reportOnly = new Option<bool>("--report-only") { Description = "only rebuild report.md and the plots from the cached runs" };
        foreach (var o in new Option[] { outDir, dataDir, taggerEpochs, parserEpochs, only, trainLimit, force, reportOnly }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var settings = new NlpExperimentSettings
            {
                OutDir = parse.GetValue(outDir)!,
                DataDir = parse.GetValue(dataDir)!,
                TaggerEpochs = parse.GetValue(taggerEpochs),
                ParserEpochs = parse.GetValue(parserEpochs),
                TrainLimit = parse.GetValue(trainLimit),
                Groups = ExperimentGroups.Parse(parse.GetValue(only), [.. NlpExperimentPlan.Groups, "tagger", "parser"]),
            };
            var plan = NlpExperimentPlan.Create(settings);
            var runner = new NlpExperimentRunner(settings, (config, label) => TrainRun(config, noProgress: true, label));
            // the report shows every cached run, not only the groups this command runs
            var everyRun = NlpExperimentPlan.Create(settings with { Groups = null });
            string Report() => NlpReportWriter.Write(settings, runner.LoadCached(everyRun), runner.LoadBenchmarks(), Console.WriteLine);
            if (!parse.GetValue(reportOnly))
            {
                // the runs behind the targets first, then the benchmarks (they load the dense models), then the sweeps;
                // the report is rewritten after each stage, so a long experiment shows its results as they come
                var main = plan.Where(r => r.Group.EndsWith("-main", StringComparison.Ordinal)).ToList();
                runner.RunAll(main, parse.GetValue(force), Console.WriteLine);
                Report();
                runner.RunBenchmarks(plan, parse.GetValue(force), Console.WriteLine);
                Report();
                runner.RunAll(plan.Except(main).ToList(), parse.GetValue(force), Console.WriteLine);
            }
            string report = Report();
            Console.WriteLine($"report: {report}");
            return 0;
        });
        return cmd;
    }
}
