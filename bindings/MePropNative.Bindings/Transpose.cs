namespace MePropNative.Bindings;

/// <summary>Whether an SGEMM operand is used as stored or transposed.</summary>
public enum Transpose { No = 0, Yes = 1 }
