using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// Operations of the sequence models (the LSTM tagger, the transition-based parser): the fused LSTM cell, the cube
/// activation of Chen and Manning (2014), and the grouped selections that apply meProp's top-k to each gate of an
/// LSTM's fused gate transform separately. Embedding lookups and their gradients are <see cref="GatherRows"/> and
/// <see cref="ScatterAddRows"/>.
/// </summary>
public partial interface IBackend
{
    // ---- LSTM cell ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// One LSTM step for n rows with hidden size H. <paramref name="gates"/> (n x 4H) holds the pre-activations of the
    /// input, forget, cell and output gates, in that order, and is overwritten by their activations
    /// i = sigmoid, f = sigmoid, g = tanh, o = sigmoid. Then c = f * cPrev + i * g (cPrev null: zeros),
    /// tanhC = tanh(c), h = o * tanhC. c, tanhC and h are n x H (h may be a strided view).
    /// </summary>
    void LstmCellForward(Tensor gates, Tensor? cPrev, Tensor c, Tensor tanhC, Tensor h);

    /// <summary>
    /// The backward of <see cref="LstmCellForward"/> for n rows. <paramref name="gates"/>: the activations it left;
    /// <paramref name="dh"/> (n x H): dL/dh from above this step; <paramref name="dhCarry"/> (m x H, m &lt;= n, or null):
    /// dL/dh reaching h through the next step's input (rows m..n-1 count as zero); <paramref name="dc"/> (n x H): on
    /// entry rows 0..m-1 hold dL/dc from the next step (the rest is ignored), on exit dL/dcPrev = dc_total * f for all
    /// n rows. Writes dGates (n x 4H), the gradient of the gate pre-activations.
    /// </summary>
    void LstmCellBackward(Tensor gates, Tensor? cPrev, Tensor tanhC, Tensor dh, Tensor? dhCarry, int carriedRows, Tensor dc, Tensor dGates);

    // ---- cube activation (Chen and Manning 2014) -------------------------------------------------------------------------

    /// <summary>y = x^3.</summary>
    void Cube(Tensor x, Tensor y);

    /// <summary>dx = 3 x^2 dy (takes the forward input).</summary>
    void CubeBackward(Tensor x, Tensor dy, Tensor dx);

    // ---- grouped selection --------------------------------------------------------------------------------------------------

    /// <summary>
    /// Top-k of |x| per row within each of <paramref name="groups"/> equal column groups (the gates of an LSTM):
    /// indices and values are rows x (groups * k); columns g*k .. g*k+k-1 hold group g's selection as column numbers of
    /// x (ascending within the group), values the signed entries. Ties: lower index; NaN ranks highest.
    /// </summary>
    void TopKAbsRowsGrouped(Tensor x, int groups, int k, IndexTensor indices, Tensor? values);

    /// <summary>
    /// <see cref="SparseBackwardDw"/> for a grouped selection (<see cref="TopKAbsRowsGrouped"/>'s layout: indices and
    /// values rows x (groups * k), group g's k entries in columns g*k.., as column numbers of the full dy): dW is updated
    /// one group of rows at a time (rows g*n/groups ..), so each pass works on a slice of dW a fraction of its size —
    /// for an LSTM's 4H x (E + H) gate weights, one gate's slice, small enough to stay in cache.
    /// </summary>
    void SparseBackwardDwGrouped(IndexTensor indices, Tensor values, int groups, Tensor x, Tensor dw);

    /// <summary>destination[r, firstColumn + j] = source[r, j] + offset (rows equal; the selection of one group placed
    /// into a grouped index tensor).</summary>
    void PlaceIndexColumns(IndexTensor source, IndexTensor destination, int firstColumn, int offset);
}
