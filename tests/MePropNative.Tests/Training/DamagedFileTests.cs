using System.Buffers.Binary;
using System.Security.Cryptography;
using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Nlp;
using MePropNative.Nlp.Parser;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Training;

/// <summary>
/// Saved models and checkpoints with damaged bytes. Damage as it happens (bytes cut off or changed anywhere in the file)
/// is refused by the file's checksum with an <see cref="InvalidDataException"/>. Damage behind a correct checksum (a
/// file written by a faulty program, or edited and resealed) reaches the loaders' own checks: every loader either loads
/// the file or refuses it with an <see cref="InvalidDataException"/> (or, for a checkpoint whose recorded configuration
/// no longer matches, a <see cref="ConfigException"/>), the two failures the command line reports as such. Never a null
/// reference, an index out of range, a JSON exception or an argument exception from deep inside the loader.
/// </summary>
public class DamagedFileTests : IDisposable
{
    private const int Mutations = 300;
    private static readonly byte[] Replacements = "0123456789-.,:\"{}[] xen\0"u8.ToArray();

    private readonly CpuBackend backend = new();
    private readonly TinyMnist tiny = new(train: 120, test: 40);
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-damaged-").FullName;

    public void Dispose()
    {
        backend.Dispose();
        tiny.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    private static void EveryDamageIsRefusedOrLoads(string path, Action<string> load, bool configMayDiffer = false)
    {
        load(path); // the undamaged file loads
        byte[] whole = File.ReadAllBytes(path);
        byte[] content = whole[..^SHA256.HashSizeInBytes];
        Assert.Equal(SHA256.HashData(content), whole[^SHA256.HashSizeInBytes..]);
        int headerEnd = 16 + BinaryPrimitives.ReadInt32LittleEndian(whole.AsSpan(12));
        string damaged = Path.Combine(Path.GetDirectoryName(path)!, "damaged-" + Path.GetFileName(path));
        var rng = new Random(17);

        var asItHappens = new List<(byte[] Bytes, string What)>();
        for (int i = 0; i < Mutations; i++)
        {
            int length = rng.Next(whole.Length);
            asItHappens.Add((whole[..length], $"cut to {length} bytes"));
            var bytes = (byte[])whole.Clone();
            int at = rng.Next(whole.Length);
            bytes[at] ^= (byte)(1 << rng.Next(8));
            asItHappens.Add((bytes, $"a bit of byte {at} flipped"));
        }
        foreach (var (bytes, what) in asItHappens)
        {
            File.WriteAllBytes(damaged, bytes);
            var e = Record.Exception(() => load(damaged));
            Assert.True(e is InvalidDataException, $"{Path.GetFileName(path)}, {what}: {e?.GetType().Name ?? "loaded"}: {e?.Message}");
        }

        var resealed = Enumerable.Range(0, headerEnd).Select(n => (Bytes: content[..n], What: $"cut to {n} bytes and resealed")).ToList();
        for (int i = 0; i < Mutations; i++)
        {
            var bytes = (byte[])content.Clone();
            int at = rng.Next(headerEnd);
            bytes[at] = Replacements[rng.Next(Replacements.Length)];
            resealed.Add((bytes, $"byte {at} set to '{(char)bytes[at]}' and resealed"));
        }
        foreach (var (bytes, what) in resealed)
        {
            File.WriteAllBytes(damaged, TensorFileTests.Sealed(bytes));
            try { load(damaged); }
            catch (InvalidDataException) { }
            catch (ConfigException) when (configMayDiffer) { }
            catch (Exception e)
            {
                Assert.Fail($"{Path.GetFileName(path)}, {what}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private TrainConfig MlpConfig(string outDir) => new()
    {
        DataDir = tiny.Directory,
        DevSize = 20,
        Hidden = [8, 6],
        Classes = 4,
        Strategy = StrategyKind.Msbp,
        K = [3],
        MeSimp = true,
        BatchSize = 20,
        Epochs = 1,
        EvalBatchSize = 40,
        Out = outDir,
    };

    /// <summary>Trains the MLP one epoch into <paramref name="outDir"/>; returns its data and the config that resumes it.</summary>
    private (DatasetSplits Data, TrainConfig Resume) TrainOneEpoch(string outDir)
    {
        var config = MlpConfig(outDir);
        var data = config.DataFiles().Load(config.DevSize, config.TrainLimit, config.Classes);
        new Trainer(config, backend, data).Run(TestContext.Current.CancellationToken);
        var resume = MlpConfig(outDir);
        resume.Resume = true;
        resume.Epochs = 2;
        return (data, resume);
    }

    [Fact]
    public void MlpModelAndCheckpoint()
    {
        string outDir = Path.Combine(dir, "mlp");
        var (data, resume) = TrainOneEpoch(outDir);

        EveryDamageIsRefusedOrLoads(Path.Combine(outDir, "model.bin"), path => ModelFile.Load(backend, path));

        string saved = Path.Combine(dir, "checkpoint.bin");
        File.Copy(Path.Combine(outDir, "checkpoint.bin"), saved);
        EveryDamageIsRefusedOrLoads(saved, path =>
        {
            File.Copy(path, Path.Combine(outDir, "checkpoint.bin"), overwrite: true);
            _ = new Trainer(resume, backend, data);
        }, configMayDiffer: true);
    }

    [Fact]
    public void ACheckpointTensorOfTheWrongSizeIsNamedWithItsFile()
    {
        string outDir = Path.Combine(dir, "mlp-sizes");
        var (data, resume) = TrainOneEpoch(outDir);
        string checkpoint = Path.Combine(outDir, "checkpoint.bin");
        var (header, tensors) = TensorFile.Read(checkpoint);
        string state = tensors.Keys.First(k => k.EndsWith(".state1", StringComparison.Ordinal));
        var shortState = backend.Allocate(2);
        TensorFile.Write(checkpoint, header.Json,
            tensors.Select(t => (t.Key, t.Key == state ? shortState : TrainingCheckpoint.Upload(backend, checkpoint, t.Value))).ToList());
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(resume, backend, data));
        Assert.StartsWith($"{checkpoint}: checkpoint tensor {state} has 2 elements, its parameter's ", e.Message);
    }

    [Fact]
    public void TaggerModel()
    {
        var words = WordEncoder.Build(["the", "dog", "runs", "the", "dog"], minCount: 2, specials: ["<pad>"]);
        var vocabulary = new TaggerVocabulary(words, new Vocabulary(["DT", "NN", "VBZ"]));
        var model = new LstmTagger(backend, new TaggerOptions { Words = words.Count, Tags = 3, EmbeddingSize = 4, Hidden = 3, BackwardHidden = 2 });
        string path = Path.Combine(dir, "tagger.bin");
        TaggerModelFile.Save(model, vocabulary, path);
        EveryDamageIsRefusedOrLoads(path, p => TaggerModelFile.Load(backend, p));
    }

    [Fact]
    public void CnnModel()
    {
        var model = new MePropNative.Models.Cnn(backend, new CnnOptions
        {
            Height = 8, Width = 8, ConvChannels = [2, 3], Kernel = 3, Hidden = [4], Classes = 3, BatchNorm = true,
        });
        string path = Path.Combine(dir, "cnn.bin");
        CnnModelFile.Save(model, path);
        EveryDamageIsRefusedOrLoads(path, p => CnnModelFile.Load(backend, p));
    }

    [Fact]
    public void ParserModel()
    {
        var words = WordEncoder.Build(["the", "dog", "the", "dog"], minCount: 2, specials: [ParserVocabulary.Null, ParserVocabulary.Root]);
        var vocabulary = new ParserVocabulary(words, new Vocabulary([ParserVocabulary.Null, ParserVocabulary.Root, ParserVocabulary.Unknown, "DT", "NN"]),
            new Vocabulary([ParserVocabulary.Null, "det", "root"]));
        var model = new ParserModel(backend, new ParserOptions
        {
            EmbeddingRows = vocabulary.EmbeddingRows, Transitions = vocabulary.Transitions.Count, EmbeddingSize = 4, Hidden = 5,
        });
        string path = Path.Combine(dir, "parser.bin");
        ParserModelFile.Save(model, vocabulary, path);
        EveryDamageIsRefusedOrLoads(path, p => ParserModelFile.Load(backend, p));
    }
}
