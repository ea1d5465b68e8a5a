namespace MePropNative.Bindings;

/// <summary>Status codes of libmeprop (<c>mp_status</c> in meprop.h).</summary>
public enum MePropStatus
{
    Ok = 0,
    InvalidArgument = 1,
    WorkspaceTooSmall = 2,
    Unsupported = 3,
    OutOfMemory = 4,
    Cuda = 5,
    Internal = 6,
}
