namespace MePropNative.Nlp.Parser;

/// <summary>
/// The transitions of a labeled arc-standard parser over L labels: 0 = SHIFT, 1 + l = LEFT-ARC(l) (the second stack
/// item s1 becomes a dependent of the top s0 and is popped), 1 + L + l = RIGHT-ARC(l) (s0 becomes a dependent of s1 and
/// is popped).
/// </summary>
public readonly record struct TransitionSet(int Labels)
{
    public const int Shift = 0;
    public int Count => 1 + 2 * Labels;
    public int Left(int label) => 1 + label;
    public int Right(int label) => 1 + Labels + label;
    public bool IsLeft(int t) => t >= 1 && t <= Labels;
    public bool IsRight(int t) => t > Labels && t < Count;
    public int LabelOf(int t) => IsLeft(t) ? t - 1 : IsRight(t) ? t - 1 - Labels : -1;
}

/// <summary>
/// A parser configuration of the arc-standard system (Nivre 2004) for a sentence of n words (1..n; 0 is ROOT):
/// the stack (ROOT at its bottom), the buffer (words next..n), and the arcs built so far, with each word's left and
/// right dependents kept sorted for the Chen and Manning (2014) features.
/// </summary>
public sealed class ArcStandardState
{
    private readonly List<int> stack = [0];
    private readonly List<int>[] leftChildren;   // ascending: [0] is the leftmost
    private readonly List<int>[] rightChildren;  // descending: [0] is the rightmost

    public ArcStandardState(int words)
    {
        if (words < 1) throw new ArgumentOutOfRangeException(nameof(words), "a sentence needs at least one word.");
        Words = words;
        Heads = new int[words + 1];
        Labels = new int[words + 1];
        Array.Fill(Heads, -1);
        Array.Fill(Labels, -1);
        leftChildren = new List<int>[words + 1];
        rightChildren = new List<int>[words + 1];
        for (int i = 0; i <= words; i++) { leftChildren[i] = []; rightChildren[i] = []; }
        BufferNext = 1;
    }

    public int Words { get; }
    /// <summary>Head of each word (index 1..n; -1 while unattached; [0] unused).</summary>
    public int[] Heads { get; }
    /// <summary>Label id of each word's arc (-1 while unattached).</summary>
    public int[] Labels { get; }
    public int BufferNext { get; private set; }
    public int StackCount => stack.Count;
    public bool IsTerminal => BufferNext > Words && stack.Count == 1;

    /// <summary>The i-th stack item from the top (0 = s0), or -1.</summary>
    public int Stack(int i) => i < stack.Count ? stack[stack.Count - 1 - i] : -1;
    /// <summary>The i-th buffer word (0 = b0), or -1.</summary>
    public int Buffer(int i) => BufferNext + i <= Words ? BufferNext + i : -1;

    /// <summary>The cnt-th leftmost dependent left of k (cnt = 1, 2), or -1.</summary>
    public int LeftChild(int k, int cnt = 1) => k < 0 || leftChildren[k].Count < cnt ? -1 : leftChildren[k][cnt - 1];
    /// <summary>The cnt-th rightmost dependent right of k (cnt = 1, 2), or -1.</summary>
    public int RightChild(int k, int cnt = 1) => k < 0 || rightChildren[k].Count < cnt ? -1 : rightChildren[k][cnt - 1];

    public bool CanShift => BufferNext <= Words;
    public bool CanLeft => stack.Count > 2;
    /// <summary>RIGHT-ARC onto ROOT only when the buffer is empty, so a parse has exactly one root word.</summary>
    public bool CanRight => stack.Count > 2 || (stack.Count == 2 && BufferNext > Words);

    public bool IsLegal(int transition, TransitionSet set) =>
        transition == TransitionSet.Shift ? CanShift : set.IsLeft(transition) ? CanLeft : set.IsRight(transition) && CanRight;

    public void Apply(int transition, TransitionSet set)
    {
        if (!IsLegal(transition, set)) throw new InvalidOperationException($"transition {transition} is not legal here.");
        if (transition == TransitionSet.Shift) { stack.Add(BufferNext++); return; }
        int s0 = stack[^1], s1 = stack[^2], label = set.LabelOf(transition);
        if (set.IsLeft(transition))
        {
            Attach(s0, s1, label);
            stack.RemoveAt(stack.Count - 2);
        }
        else
        {
            Attach(s1, s0, label);
            stack.RemoveAt(stack.Count - 1);
        }
    }

    private void Attach(int head, int dependent, int label)
    {
        Heads[dependent] = head;
        Labels[dependent] = label;
        if (dependent < head) InsertSorted(leftChildren[head], dependent, ascending: true);
        else InsertSorted(rightChildren[head], dependent, ascending: false);
    }

    private static void InsertSorted(List<int> list, int x, bool ascending)
    {
        int i = 0;
        while (i < list.Count && (ascending ? list[i] < x : list[i] > x)) i++;
        list.Insert(i, x);
    }
}

/// <summary>The static arc-standard oracle: LEFT-ARC when s1's gold head is s0; RIGHT-ARC when s0's gold head is s1 and
/// every gold dependent of s0 is attached; otherwise SHIFT. On a projective tree it rebuilds the tree exactly.</summary>
public static class StaticOracle
{
    /// <param name="heads">gold head per word, index 1..n ([0] unused).</param>
    /// <param name="labels">gold label id per word.</param>
    public static int Next(ArcStandardState state, int[] heads, int[] labels, int[] attachedDependents, int[] goldDependents, TransitionSet set)
    {
        int s0 = state.Stack(0), s1 = state.Stack(1);
        if (s1 > 0 && heads[s1] == s0 && state.CanLeft) return set.Left(labels[s1]);
        if (s1 >= 0 && s0 > 0 && heads[s0] == s1 && attachedDependents[s0] == goldDependents[s0] && state.CanRight) return set.Right(labels[s0]);
        if (state.CanShift) return TransitionSet.Shift;
        return -1; // stuck: the tree is not reachable (not projective, or several roots)
    }

    /// <summary>The oracle's transition sequence for a gold tree, or null when it does not rebuild the tree exactly.</summary>
    public static List<int>? Transitions(int[] heads, int[] labels, TransitionSet set, Action<ArcStandardState, int>? visit = null)
    {
        int n = heads.Length - 1;
        var state = new ArcStandardState(n);
        var gold = new int[n + 1];
        for (int i = 1; i <= n; i++) if (heads[i] >= 0) gold[heads[i]]++;
        var attached = new int[n + 1];
        var list = new List<int>(2 * n);
        while (!state.IsTerminal)
        {
            int t = Next(state, heads, labels, attached, gold, set);
            if (t < 0) return null;
            visit?.Invoke(state, t);
            if (t != TransitionSet.Shift)
            {
                int head = set.IsLeft(t) ? state.Stack(0) : state.Stack(1);
                attached[head]++;
            }
            state.Apply(t, set);
            list.Add(t);
        }
        for (int i = 1; i <= n; i++)
            if (state.Heads[i] != heads[i] || state.Labels[i] != labels[i]) return null;
        return list;
    }
}

/// <summary>Projectivity and pseudo-projective lifting (Nivre and Nilsson 2005, without the label encoding).</summary>
public static class Projectivity
{
    /// <summary>True when no arc crosses another (every word between a head and its dependent descends from the head).</summary>
    public static bool IsProjective(int[] heads) => ShortestNonProjectiveArc(heads) < 0;

    /// <summary>The dependent of the shortest non-projective arc (ties: leftmost), or -1 when the tree is projective.</summary>
    public static int ShortestNonProjectiveArc(int[] heads)
    {
        int n = heads.Length - 1, best = -1, bestLength = int.MaxValue;
        for (int d = 1; d <= n; d++)
        {
            int h = heads[d];
            if (h < 0) continue;
            int lo = Math.Min(h, d), hi = Math.Max(h, d);
            if (hi - lo >= bestLength) continue;
            for (int k = lo + 1; k < hi; k++)
                if (!Dominates(heads, h, k)) { best = d; bestLength = hi - lo; break; }
        }
        return best;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="node"/> or one of its ancestors.</summary>
    public static bool Dominates(int[] heads, int ancestor, int node)
    {
        for (int steps = 0; node >= 0 && steps < heads.Length; steps++)
        {
            if (node == ancestor) return true;
            if (node == 0) return false;
            node = heads[node];
        }
        return false;
    }

    /// <summary>True when some word's chain of heads runs in a circle instead of ending at ROOT (or at an unknown head,
    /// -1): the words on the cycle are not connected to the root, so the heads are not a tree.</summary>
    public static bool HasCycle(int[] heads)
    {
        int n = heads.Length - 1;
        for (int d = 1; d <= n; d++)
        {
            int node = d;
            for (int steps = 0; node > 0; steps++)
            {
                if (steps > n) return true;
                node = heads[node];
            }
        }
        return false;
    }

    /// <summary>
    /// Lifts the shortest non-projective arc (its dependent is re-attached to its head's head) until the tree is
    /// projective; labels are kept. Returns the projective heads and the number of lifts (0: already projective).
    /// Heads with a cycle are refused (<see cref="ArgumentException"/>): lifting an arc of a cycle changes nothing.
    /// Without one every lift moves a word one level closer to ROOT, so the lifting ends.
    /// </summary>
    public static (int[] Heads, int Lifts) Lift(int[] heads)
    {
        if (HasCycle(heads)) throw new ArgumentException("the heads hold a cycle (words not connected to ROOT): not a tree, cannot be projectivized.", nameof(heads));
        var h = (int[])heads.Clone();
        int lifts = 0;
        for (int d; (d = ShortestNonProjectiveArc(h)) >= 0;)
        {
            if (h[d] == 0) break; // cannot lift above ROOT (only possible with several roots)
            h[d] = h[h[d]];
            lifts++;
        }
        return (h, lifts);
    }
}
