using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Nlp;
using MePropNative.Nlp.Parser;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Nlp;

public class ParserTests
{
    /// <summary>A random projective tree over n words with one root word: each span is split around a head chosen at
    /// random, whose left and right parts are built recursively and attached to it.</summary>
    internal static int[] RandomProjectiveTree(int n, Random rng)
    {
        var heads = new int[n + 1];
        heads[0] = -1;
        int Build(int lo, int hi) // words lo..hi inclusive; returns the span's head
        {
            int h = rng.Next(lo, hi + 1);
            // the left part [lo, h-1] and the right part [h+1, hi] each split into one or more projective subtrees
            for (int s = lo; s <= h - 1;)
            {
                int e = rng.Next(s, h);
                heads[Build(s, e)] = h;
                s = e + 1;
            }
            for (int s = h + 1; s <= hi;)
            {
                int e = rng.Next(s, hi + 1);
                heads[Build(s, e)] = h;
                s = e + 1;
            }
            return h;
        }
        heads[Build(1, n)] = 0;
        return heads;
    }

    [Fact]
    public void OracleReproducesEveryProjectiveGoldTreeExactly()
    {
        var rng = new Random(5);
        var set = new TransitionSet(7);
        for (int trial = 0; trial < 3000; trial++)
        {
            int n = 1 + rng.Next(trial < 2000 ? 8 : 40);
            var heads = RandomProjectiveTree(n, rng);
            Assert.True(Projectivity.IsProjective(heads));
            var labels = new int[n + 1];
            for (int i = 1; i <= n; i++) labels[i] = rng.Next(7);
            var seq = StaticOracle.Transitions(heads, labels, set);
            Assert.NotNull(seq);
            Assert.Equal(2 * n, seq!.Count);
            // replaying the sequence rebuilds heads and labels
            var state = new ArcStandardState(n);
            foreach (int t in seq) state.Apply(t, set);
            Assert.True(state.IsTerminal);
            Assert.Equal(heads[1..], state.Heads[1..]);
            Assert.Equal(labels[1..], state.Labels[1..]);
        }
    }

    [Fact]
    public void NonProjectiveTreesAreDetectedAndLiftedToAProjectiveTreeTheOracleRebuilds()
    {
        // "A hearing is scheduled on the issue today": the arc hearing -> on (2 -> 5) crosses scheduled's subtree
        int[] heads = [-1, 2, 4, 4, 0, 2, 7, 5, 4];
        Assert.False(Projectivity.IsProjective(heads));
        Assert.Equal(5, Projectivity.ShortestNonProjectiveArc(heads));
        Assert.Null(StaticOracle.Transitions(heads, new int[9], new TransitionSet(1)));
        var (lifted, lifts) = Projectivity.Lift(heads);
        Assert.Equal(1, lifts);
        Assert.Equal(4, lifted[5]); // "on" now hangs from "scheduled"
        Assert.True(Projectivity.IsProjective(lifted));
        Assert.NotNull(StaticOracle.Transitions(lifted, new int[9], new TransitionSet(1)));

        var rng = new Random(9);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = 2 + rng.Next(15);
            var h = new int[n + 1];
            h[0] = -1;
            int root = 1 + rng.Next(n);
            for (int i = 1; i <= n; i++) h[i] = i == root ? 0 : -2;
            // random tree: attach each word to an already attached word
            var attached = new List<int> { root };
            foreach (int i in Enumerable.Range(1, n).Where(i => i != root).OrderBy(_ => rng.Next()))
            {
                h[i] = attached[rng.Next(attached.Count)];
                attached.Add(i);
            }
            var (p, _) = Projectivity.Lift(h);
            Assert.True(Projectivity.IsProjective(p));
            Assert.NotNull(StaticOracle.Transitions(p, new int[n + 1], new TransitionSet(1)));
        }
    }

    [Fact]
    public void AttachmentScoresLeaveOutPunctuationAndUnknownHeadsAndLasNeedsTheHeadAndTheLabel()
    {
        static ConlluSentence Sentence(params (string Form, string Upos, string Xpos, int Head, string Deprel)[] words)
        {
            var s = new ConlluSentence();
            for (int i = 0; i < words.Length; i++)
            {
                var (form, upos, xpos, head, deprel) = words[i];
                s.Tokens.Add(new ConlluToken(i + 1, form, "_", upos, xpos, "_", head, deprel, "_", "_"));
            }
            return s;
        }
        ConlluSentence[] gold =
        [
            Sentence(("The", "DET", "DT", 2, "det"), ("dog", "NOUN", "NN", 3, "nsubj"), ("barks", "VERB", "VBZ", 0, "root"), (".", "PUNCT", ".", 3, "punct")),
            // no UPOS: punctuation by its PTB XPOS; the last word's gold head is unknown ("_")
            Sentence(("Hi", "_", "UH", 0, "root"), (",", "_", ",", 1, "punct"), ("you", "_", "PRP", 1, "vocative"), ("x", "_", "NN", -1, "_")),
        ];
        ConlluSentence[] parsed =
        [
            // right; right head, wrong label; right; punctuation on a wrong head (not scored)
            Sentence(("The", "DET", "DT", 2, "det"), ("dog", "NOUN", "NN", 3, "obj"), ("barks", "VERB", "VBZ", 0, "root"), (".", "PUNCT", ".", 1, "punct")),
            // right; punctuation on a wrong head (not scored); wrong head, right label; unknown gold head (not scored)
            Sentence(("Hi", "_", "UH", 0, "root"), (",", "_", ",", 3, "punct"), ("you", "_", "PRP", 2, "vocative"), ("x", "_", "NN", 1, "dep")),
        ];
        var scores = AttachmentScores.Of(gold, parsed);
        Assert.Equal(5, scores.Scored);
        Assert.Equal(100.0 * 4 / 5, scores.Uas, 10);
        Assert.Equal(100.0 * 3 / 5, scores.Las, 10);
        Assert.Equal(new AttachmentScores(0, 0, 0), AttachmentScores.Of([Sentence((".", "PUNCT", ".", 0, "root"))], [Sentence((".", "PUNCT", ".", 0, "root"))]));
    }

    [Fact]
    public void LiftingTakesTheShortestNonProjectiveArcFirst()
    {
        // word 3 is the root, 1 <- 3, 4 <- 1, 2 <- 4: the arcs 4 -> 2 (length 2) and 1 -> 4 (length 3) both pass over
        // word 3, which neither head dominates. Shortest first: 2 goes to 4's head 1, then 4 to 1's head 3. Taking the
        // longer arc first would end with 2 under 3 instead.
        int[] heads = [-1, 3, 4, 0, 1];
        Assert.Equal(2, Projectivity.ShortestNonProjectiveArc(heads));
        var (lifted, lifts) = Projectivity.Lift(heads);
        Assert.Equal([-1, 3, 1, 0, 3], lifted);
        Assert.Equal(2, lifts);
        Assert.Equal([-1, 3, 4, 0, 1], heads); // the input is left alone

        // ties go to the leftmost dependent: 3 -> 1 and 5 -> 3 are both non-projective arcs of length 2
        Assert.Equal(1, Projectivity.ShortestNonProjectiveArc([-1, 3, 4, 5, 0, 4]));
        var (tied, tiedLifts) = Projectivity.Lift([-1, 3, 4, 5, 0, 4]);
        Assert.Equal([-1, 4, 4, 4, 0, 4], tied);
        Assert.Equal(3, tiedLifts);
    }

    /// <summary>HEAD 0, 4, 1, 2: words 2 and 4 head each other and neither reaches ROOT. Lifting such heads used to
    /// loop forever (lifting an arc of a cycle changes nothing), so the calls run under a time limit.</summary>
    [Fact(Timeout = 30_000)]
    public async Task AHeadCycleIsNotATreeTrainingSkipsItLiftingRefusesItScoringTakesIt()
    {
        int[] cycle = [-1, 0, 4, 1, 2];
        Assert.True(Projectivity.HasCycle(cycle));
        Assert.False(Projectivity.HasCycle([-1, 2, 4, 4, 0, 2, 7, 5, 4]));
        Assert.False(Projectivity.HasCycle([-1, 0, 1, 0, -1, 4])); // two roots and an unknown head: not a tree, but no cycle
        var ct = TestContext.Current.CancellationToken;
        var lifting = await Task.Run(() => Record.Exception(() => Projectivity.Lift(cycle)), ct);
        Assert.IsType<ArgumentException>(lifting);
        Assert.Contains("cycle", lifting.Message);

        var sentences = SyntheticTreebank.Sentences(6, seed: 5);
        var cyclic = new ConlluSentence();
        for (int w = 1; w <= 4; w++)
            cyclic.Tokens.Add(new ConlluToken(w, $"w{w}", "_", "X", "T2", "_", cycle[w], w == 1 ? "root" : "left", "_", "_"));
        sentences.Insert(3, cyclic);
        var v = ParserVocabulary.Build(sentences, 1);
        foreach (bool lift in new[] { true, false })
        {
            var ex = await Task.Run(() => ParserExamples.Build(sentences, v, lift), ct);
            Assert.Equal(6, ex.Sentences);
            Assert.Equal(1, ex.SkippedOther);
            Assert.Equal(0, ex.SkippedNonProjective);
        }

        using var backend = new CpuBackend();
        var model = new ParserModel(backend, new ParserOptions { EmbeddingRows = v.EmbeddingRows, Transitions = v.Transitions.Count, Hidden = 8, EmbeddingSize = 4 });
        var decoder = new ParserDecoder(backend, model, v);
        var scores = await Task.Run(() => decoder.Score([cyclic]), ct);
        Assert.Equal(4, scores.Scored);
        Assert.Single(decoder.ParseSentences([cyclic])[0].Tokens, t => t.Head == 0);
    }

    [Fact]
    public void FeaturesFollowChenAndManning()
    {
        var s = Conllu.Parse(ConlluTests.Sample)[0];
        var v = ParserVocabulary.Build([s], minCount: 1);
        var (words, tags) = v.Encode(s);
        var state = new ArcStandardState(s.Count);
        var set = v.Transitions;
        var f = new int[ParserFeatures.Count];
        ParserFeatures.Extract(state, words, tags, v, f);
        // initial: stack [ROOT], buffer 1..: s1 = ROOT, s2 = s3 = NULL, b1..b3 = words 1..3
        Assert.Equal([v.WordNull, v.WordNull, v.WordRoot, words[1], words[2], words[3]], f[..6]);
        Assert.Equal(v.TagOffset + v.TagRoot, f[18 + 2]);
        Assert.All(f[36..], x => Assert.Equal(v.LabelOffset + v.LabelNull, x));
        // SHIFT I, SHIFT do, SHIFT n't, SHIFT know, LEFT n't, LEFT do, LEFT I: know has left dependents I, do, n't
        state.Apply(TransitionSet.Shift, set); state.Apply(TransitionSet.Shift, set); state.Apply(TransitionSet.Shift, set); state.Apply(TransitionSet.Shift, set);
        int advmod = v.LabelId("advmod"), aux = v.LabelId("aux"), nsubj = v.LabelId("nsubj");
        state.Apply(set.Left(advmod), set); state.Apply(set.Left(aux), set); state.Apply(set.Left(nsubj), set);
        ParserFeatures.Extract(state, words, tags, v, f);
        Assert.Equal(words[4], f[2]);                                  // s1 = know
        Assert.Equal(words[1], f[6]);                                  // lc1(s1) = I
        Assert.Equal(words[2], f[8]);                                  // lc2(s1) = do
        Assert.Equal(v.LabelOffset + nsubj + 1, f[36]);                // label of lc1(s1)
        Assert.Equal(v.LabelOffset + aux + 1, f[38]);                  // label of lc2(s1)
        Assert.Equal(v.WordNull, f[7]);                                // rc1(s1): none
    }

    /// <summary>All 48 features of a configuration where s0 and s1 each have dependents on both sides and
    /// grandchildren: stack [ROOT, 1, 5, 11], buffer 15..18; 5 has left dependents 3 (with its own left dependent 2) and
    /// 4, right dependents 6 and 8 (8 with a left dependent 7 and a right one 9); 11 has the left dependent 10 and right
    /// dependents 12 and 13 (13 with a right dependent 14). Word i has form wi, tag Ti and relation di, so every feature
    /// names the token it must be.</summary>
    [Fact]
    public void EveryFeatureOfAStateWithDependentsAndGrandchildrenIsItsChenAndManningToken()
    {
        var s = new ConlluSentence();
        for (int i = 1; i <= 18; i++) s.Tokens.Add(new ConlluToken(i, $"w{i}", "_", "X", $"T{i}", "_", i == 1 ? 0 : 1, $"d{i}", "_", "_"));
        var v = ParserVocabulary.Build([s], minCount: 1);
        var (words, tags) = v.Encode(s);
        var set = v.Transitions;
        var state = new ArcStandardState(s.Count);
        void Shift() => state.Apply(TransitionSet.Shift, set);
        void Left() => state.Apply(set.Left(v.LabelId($"d{state.Stack(1)}")), set);
        void Right() => state.Apply(set.Right(v.LabelId($"d{state.Stack(0)}")), set);
        Shift();                                              // 1 stays on the stack
        Shift(); Shift(); Left();                             // 2 <- 3
        Shift(); Shift(); Left(); Left();                     // 4 <- 5, 3 <- 5
        Shift(); Right();                                     // 5 -> 6
        Shift(); Shift(); Left(); Shift(); Right(); Right();  // 7 <- 8, 8 -> 9, 5 -> 8
        Shift(); Shift(); Left();                             // 10 <- 11
        Shift(); Right(); Shift(); Shift(); Right(); Right(); // 11 -> 12, 13 -> 14, 11 -> 13
        Assert.Equal([11, 5, 1, 0, -1], Enumerable.Range(0, 5).Select(state.Stack));
        Assert.Equal(15, state.Buffer(0));

        int[] expected =
        [
            1, 5, 11, 15, 16, 17, // s3 s2 s1 (the top), b1 b2 b3
            10, 13, -1, 12, -1, 14, // of s1 (11): lc1, rc1, lc2, rc2, lc1(lc1), rc1(rc1)
            3, 8, 4, 6, 2, 9,       // of s2 (5): the same six
        ];
        var f = new int[ParserFeatures.Count];
        ParserFeatures.Extract(state, words, tags, v, f);
        Assert.Equal(expected.Select(t => t < 0 ? v.WordNull : v.Words.Encode($"w{t}")), f[..18]);
        Assert.Equal(expected.Select(t => v.TagOffset + (t < 0 ? v.TagNull : v.Tags.Get($"T{t}"))), f[18..36]);
        Assert.Equal(expected[6..].Select(t => v.LabelOffset + (t < 0 ? v.LabelNull : v.ArcLabels.Get($"d{t}"))), f[36..]);
    }

    [Fact]
    public void ATagTheTrainingDataLacksIsTheUnknownTagRowNotTheNullRow()
    {
        var train = new ConlluSentence();
        train.Tokens.Add(new ConlluToken(1, "a", "_", "X", "NN", "_", 0, "root", "_", "_"));
        var v = ParserVocabulary.Build([train], minCount: 1);
        Assert.Equal(3, new[] { v.TagNull, v.TagRoot, v.TagUnknown }.Distinct().Count());
        var s = new ConlluSentence();
        s.Tokens.Add(new ConlluToken(1, "a", "_", "X", "NN", "_", -1, "_", "_", "_"));
        s.Tokens.Add(new ConlluToken(2, "b", "_", "X", "VB", "_", -1, "_", "_", "_"));
        s.Tokens.Add(new ConlluToken(3, "c", "_", "X", "_", "_", -1, "_", "_", "_"));
        var (words, tags) = v.Encode(s);
        Assert.Equal([v.TagRoot, v.Tags.Get("NN"), v.TagUnknown, v.TagUnknown], tags);
        Assert.Equal(v.WordRoot, words[0]);
        Assert.Equal(v.Words.Encode("a"), words[1]);
    }

    /// <summary>The decoder's masks hold whatever the model prefers: here every root-labelled arc scores above all
    /// else, and still only the arc from ROOT is labelled root (LEFT-ARC(root) and RIGHT-ARC(root) between words are
    /// masked, and RIGHT-ARC onto ROOT takes no other label).</summary>
    [Fact]
    public void OnlyTheArcFromRootIsLabelledRootEvenWhenTheModelPrefersRootArcsEverywhere()
    {
        using var backend = new CpuBackend();
        var sentences = SyntheticTreebank.Sentences(30, seed: 11);
        var v = ParserVocabulary.Build(sentences, 1);
        var set = v.Transitions;
        var model = new ParserModel(backend, new ParserOptions { EmbeddingRows = v.EmbeddingRows, Transitions = set.Count, Hidden = 8, EmbeddingSize = 4 });
        backend.Upload(new float[model.Output.Weight.Value.Length], model.Output.Weight.Value); // scores = bias
        var bias = new float[set.Count];
        bias[set.Left(v.RootLabel)] = 10;
        bias[set.Right(v.RootLabel)] = 10;
        bias[TransitionSet.Shift] = 1;
        backend.Upload(bias, model.Output.Bias!.Value);
        var parsed = new ParserDecoder(backend, model, v).ParseSentences(sentences);
        Assert.Contains(parsed, p => p.Count > 2);
        foreach (var p in parsed)
        {
            Assert.Single(p.Tokens, t => t.Head == 0);
            Assert.All(p.Tokens, t => Assert.Equal(t.Head == 0, t.Deprel == "root"));
        }
    }

    /// <summary>A tree with two root words is no training tree: skipped before it is counted projective or lifted
    /// (train_projective and train_nonprojective_lifted of the data summary count used trees only).</summary>
    [Fact]
    public void TreesWithTwoRootsAreSkippedAndCountedNeitherProjectiveNorLifted()
    {
        static ConlluSentence Tree(params int[] heads)
        {
            var s = new ConlluSentence();
            for (int w = 1; w <= heads.Length; w++)
                s.Tokens.Add(new ConlluToken(w, $"w{w}", "_", "X", "T2", "_", heads[w - 1], heads[w - 1] == 0 ? "root" : "left", "_", "_"));
            return s;
        }
        var sentences = SyntheticTreebank.Sentences(5, seed: 2);
        sentences.Add(Tree(0, 0, 2));    // projective, two roots
        sentences.Add(Tree(3, 0, 0, 2)); // non-projective (3 -> 1 passes over 2, 2 -> 4 over 3), two roots
        var v = ParserVocabulary.Build(sentences, 1);
        foreach (bool lift in new[] { true, false })
        {
            var ex = ParserExamples.Build(sentences, v, lift);
            Assert.Equal((5, 5, 0, 0, 2), (ex.Sentences, ex.Projective, ex.Lifted, ex.SkippedNonProjective, ex.SkippedOther));
        }
    }

    [Fact]
    public void ExamplesFromCoNLLUAndDecodingGiveSingleRootedTrees()
    {
        using var backend = new CpuBackend();
        var sentences = SyntheticTreebank.Sentences(40, seed: 3);
        var v = ParserVocabulary.Build(sentences, 1);
        var ex = ParserExamples.Build(sentences, v, liftNonProjective: true);
        Assert.Equal(sentences.Sum(s => 2 * s.Count), ex.Count);
        Assert.Equal(ex.Count * ParserFeatures.Count, ex.Features.Length);
        var model = new ParserModel(backend, new ParserOptions { EmbeddingRows = v.EmbeddingRows, Transitions = v.Transitions.Count, Hidden = 16, EmbeddingSize = 4 });
        var parsed = new ParserDecoder(backend, model, v, 7).ParseSentences(sentences);
        foreach (var s in parsed)
        {
            Assert.Equal(1, s.Tokens.Count(t => t.Head == 0));
            Assert.Equal("root", s.Tokens.Single(t => t.Head == 0).Deprel);
            Assert.All(s.Tokens, t => Assert.True(t.Head >= 0 && t.Head <= s.Count && t.Head != t.Id));
            Assert.True(Projectivity.IsProjective([-1, .. s.Tokens.Select(t => t.Head)]));
        }
    }

    [Fact]
    public void ParserModelGradientsMatchFiniteDifferences()
    {
        using var backend = new CpuBackend();
        var opts = new ParserOptions { EmbeddingRows = 30, Transitions = 5, EmbeddingSize = 2, Hidden = 6, Activation = "cube", Seed = 3 };
        var model = new ParserModel(backend, opts);
        int rows = 3;
        var rng = new Random(4);
        var ids = Enumerable.Range(0, rows * ParserFeatures.Count).Select(_ => rng.Next(30)).ToArray();
        var idx = backend.AllocateIndices(1, ids.Length);
        backend.Upload(ids, idx);
        var labels = backend.AllocateIndices(rows, 1);
        backend.Upload([1, 4, 0], labels);
        var loss = new SoftmaxCrossEntropyLoss(backend);
        double Loss()
        {
            var s = model.Forward(idx, rows, StepContext.Inference);
            loss.Forward(s, labels, computeGradient: false);
            return loss.ReadAndReset().MeanLoss;
        }
        var scores = model.Forward(idx, rows, StepContext.TrainingStep(0, 0));
        model.Backward(loss.Forward(scores, labels, computeGradient: true)!);
        loss.ReadAndReset();
        foreach (var p in new[] { model.Embedding, model.Hidden.Weight, model.Output.Weight })
        {
            var value = TestData.Host(backend, p.Value);
            FiniteDifferences.Check(p.Name, value, TestData.Host(backend, p.Gradient), v => backend.Upload(v, p.Value), Loss,
                Math.Max(1, value.Length / 25), 3e-3);
        }
    }
}

/// <summary>Tiny synthetic treebanks: random projective trees whose words and tags determine heads and labels
/// (so a parser can learn them), and sentences whose tag is a function of the word.</summary>
internal static class SyntheticTreebank
{
    public static List<ConlluSentence> Sentences(int count, int seed, int maxLength = 9)
    {
        var rng = new Random(seed);
        var list = new List<ConlluSentence>();
        for (int i = 0; i < count; i++)
        {
            int n = 1 + rng.Next(maxLength);
            var heads = ParserTests.RandomProjectiveTree(n, rng);
            var s = new ConlluSentence();
            for (int w = 1; w <= n; w++)
            {
                string rel = heads[w] == 0 ? "root" : heads[w] < w ? "right" : "left";
                string form = $"w{rng.Next(12)}";
                s.Tokens.Add(new ConlluToken(w, form, form, "X", $"T{form.Length + w % 3}", "_", heads[w], rel, "_", "_"));
            }
            list.Add(s);
        }
        return list;
    }

    /// <summary>Trees a parser can learn from the tags: the word tagged R is the root, the words before it hang from it
    /// as "left", the words after it from the word before them ("right") — a chain, so arcs of both directions appear.</summary>
    public static List<ConlluSentence> Learnable(int count, int seed, int maxLength = 7)
    {
        var rng = new Random(seed);
        var list = new List<ConlluSentence>();
        for (int i = 0; i < count; i++)
        {
            int n = 1 + rng.Next(maxLength), root = 1 + rng.Next(n);
            var s = new ConlluSentence();
            for (int w = 1; w <= n; w++)
            {
                int head = w == root ? 0 : w < root ? root : w - 1;
                string rel = head == 0 ? "root" : w < root ? "left" : "right";
                string form = $"w{rng.Next(20)}";
                s.Tokens.Add(new ConlluToken(w, form, form, "X", w == root ? "R" : w < root ? "A" : "B", "_", head, rel, "_", "_"));
            }
            list.Add(s);
        }
        return list;
    }
}
