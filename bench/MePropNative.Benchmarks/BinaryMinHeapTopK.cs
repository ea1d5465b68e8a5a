namespace MePropNative.Benchmarks;

/// <summary>
/// The classic O(n log k) top-k over |x| with a binary min-heap of the k largest so far, as the original meProp C#
/// program selects. Scalar managed code: the baseline our AVX2 top-k is measured against.
/// </summary>
internal static class BinaryMinHeapTopK
{
    public static void SelectRow(ReadOnlySpan<float> row, int k, Span<int> heapIndices, Span<float> heapKeys)
    {
        int size = 0;
        for (int i = 0; i < row.Length; i++)
        {
            float key = MathF.Abs(row[i]);
            if (size < k)
            {
                int hole = size++;
                while (hole > 0)
                {
                    int parent = (hole - 1) >> 1;
                    if (heapKeys[parent] <= key) break;
                    heapKeys[hole] = heapKeys[parent];
                    heapIndices[hole] = heapIndices[parent];
                    hole = parent;
                }
                heapKeys[hole] = key;
                heapIndices[hole] = i;
            }
            else if (key > heapKeys[0])
            {
                int hole = 0;
                while (true)
                {
                    int child = 2 * hole + 1;
                    if (child >= k) break;
                    if (child + 1 < k && heapKeys[child + 1] < heapKeys[child]) child++;
                    if (heapKeys[child] >= key) break;
                    heapKeys[hole] = heapKeys[child];
                    heapIndices[hole] = heapIndices[child];
                    hole = child;
                }
                heapKeys[hole] = key;
                heapIndices[hole] = i;
            }
        }
    }
}
