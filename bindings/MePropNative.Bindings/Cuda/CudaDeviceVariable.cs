using System.Runtime.CompilerServices;

namespace MePropNative.Bindings.Cuda;

/// <summary>
/// <see cref="Length"/> elements of <typeparamref name="T"/> in device memory (cuMemAlloc), freed on
/// <see cref="Dispose"/> or by the finalizer. Copies from/to spans are synchronous with respect to the host;
/// the *Async variants are ordered on a stream (with pageable - i.e. any managed - host memory the driver stages
/// the data before returning, so the span may be reused as soon as the call returns).
/// </summary>
public sealed unsafe class CudaDeviceVariable<T> : IDisposable where T : unmanaged
{
    private readonly DeviceMemoryHandle memory;

    public CudaDeviceVariable(CudaContext context, long length)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "length must be >= 1.");
        Context = context;
        Length = length;
        context.MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuMemAlloc_v2(out ulong pointer, (nuint)SizeInBytes), "cuMemAlloc_v2");
        memory = new DeviceMemoryHandle(context.Handle, pointer);
    }

    public CudaContext Context { get; }

    /// <summary>Elements.</summary>
    public long Length { get; }

    public long SizeInBytes => Length * sizeof(T);

    /// <summary>The CUdeviceptr (valid for the driver API, the runtime API, cuBLAS, cuSPARSE and libmeprop).</summary>
    public ulong DevicePointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(memory.IsClosed, this);
            return memory.Pointer;
        }
    }

    /// <summary>The device address of element <paramref name="index"/>.</summary>
    public ulong PointerAt(long index)
    {
        if ((ulong)index >= (ulong)Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"index must be in [0, {Length}).");
        return DevicePointer + (ulong)(index * sizeof(T));
    }

    internal T* Pointer => (T*)(nint)DevicePointer;

    /// <summary>Copies <paramref name="source"/> to elements [offset, offset + source.Length).</summary>
    public void CopyToDevice(ReadOnlySpan<T> source, long offset = 0)
    {
        if (source.IsEmpty) return;
        CheckRange(offset, source.Length, nameof(source));
        Context.MakeCurrent();
        fixed (T* p = source)
            CudaDriver.Check(CudaDriverNative.cuMemcpyHtoD_v2(DevicePointer + (ulong)(offset * sizeof(T)), p,
                (nuint)((long)source.Length * sizeof(T))), "cuMemcpyHtoD_v2");
    }

    /// <summary>Copies elements [offset, offset + destination.Length) to <paramref name="destination"/>.</summary>
    public void CopyToHost(Span<T> destination, long offset = 0)
    {
        if (destination.IsEmpty) return;
        CheckRange(offset, destination.Length, nameof(destination));
        Context.MakeCurrent();
        fixed (T* p = destination)
            CudaDriver.Check(CudaDriverNative.cuMemcpyDtoH_v2(p, DevicePointer + (ulong)(offset * sizeof(T)),
                (nuint)((long)destination.Length * sizeof(T))), "cuMemcpyDtoH_v2");
    }

    /// <summary>The whole variable as a new array (synchronous).</summary>
    public T[] ToArray()
    {
        if (Length > Array.MaxLength) throw new InvalidOperationException($"{Length} elements do not fit in an array.");
        var result = new T[Length];
        CopyToHost(result);
        return result;
    }

    public void CopyToDeviceAsync(ReadOnlySpan<T> source, CudaStream stream, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (source.IsEmpty) return;
        CheckRange(offset, source.Length, nameof(source));
        Context.MakeCurrent();
        fixed (T* p = source)
            CudaDriver.Check(CudaDriverNative.cuMemcpyHtoDAsync_v2(DevicePointer + (ulong)(offset * sizeof(T)), p,
                (nuint)((long)source.Length * sizeof(T)), stream.Handle), "cuMemcpyHtoDAsync_v2");
    }

    public void CopyToHostAsync(Span<T> destination, CudaStream stream, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (destination.IsEmpty) return;
        CheckRange(offset, destination.Length, nameof(destination));
        Context.MakeCurrent();
        fixed (T* p = destination)
            CudaDriver.Check(CudaDriverNative.cuMemcpyDtoHAsync_v2(p, DevicePointer + (ulong)(offset * sizeof(T)),
                (nuint)((long)destination.Length * sizeof(T)), stream.Handle), "cuMemcpyDtoHAsync_v2");
    }

    /// <summary>Copies all of <paramref name="source"/> (same length) device to device; on a stream when given.</summary>
    public void CopyFrom(CudaDeviceVariable<T> source, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length != Length)
            throw new ArgumentException($"source has {source.Length} elements, this variable {Length}.", nameof(source));
        Context.MakeCurrent();
        if (stream is null)
            CudaDriver.Check(CudaDriverNative.cuMemcpyDtoD_v2(DevicePointer, source.DevicePointer, (nuint)SizeInBytes), "cuMemcpyDtoD_v2");
        else
            CudaDriver.Check(CudaDriverNative.cuMemcpyDtoDAsync_v2(DevicePointer, source.DevicePointer, (nuint)SizeInBytes,
                stream.Handle), "cuMemcpyDtoDAsync_v2");
    }

    /// <summary>Copies <paramref name="count"/> elements from source[sourceOffset..] to this[offset..], device to device.</summary>
    public void CopyFrom(CudaDeviceVariable<T> source, long sourceOffset, long offset, long count, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (count == 0) return;
        if (count < 0 || sourceOffset < 0 || offset < 0 || sourceOffset + count > source.Length || offset + count > Length)
            throw new ArgumentException(
                $"copying {count} elements from offset {sourceOffset} of {source.Length} to offset {offset} of {Length} is out of range.");
        Context.MakeCurrent();
        ulong dst = DevicePointer + (ulong)(offset * sizeof(T)), src = source.DevicePointer + (ulong)(sourceOffset * sizeof(T));
        nuint bytes = (nuint)(count * sizeof(T));
        if (stream is null) CudaDriver.Check(CudaDriverNative.cuMemcpyDtoD_v2(dst, src, bytes), "cuMemcpyDtoD_v2");
        else CudaDriver.Check(CudaDriverNative.cuMemcpyDtoDAsync_v2(dst, src, bytes, stream.Handle), "cuMemcpyDtoDAsync_v2");
    }

    /// <summary>Sets every 32-bit word to <paramref name="value"/> (cuMemsetD32); the size must be a multiple of 4
    /// bytes. For floats pass <see cref="BitConverter.SingleToUInt32Bits"/>; 0 clears.</summary>
    public void Memset(uint value, CudaStream? stream = null)
    {
        if (SizeInBytes % 4 != 0)
            throw new InvalidOperationException($"Memset writes 32-bit words; {SizeInBytes} bytes is not a multiple of 4.");
        Context.MakeCurrent();
        nuint words = (nuint)(SizeInBytes / 4);
        if (stream is null) CudaDriver.Check(CudaDriverNative.cuMemsetD32_v2(DevicePointer, value, words), "cuMemsetD32_v2");
        else CudaDriver.Check(CudaDriverNative.cuMemsetD32Async(DevicePointer, value, words, stream.Handle), "cuMemsetD32Async");
    }

    public void Dispose() => memory.Dispose();

    private void CheckRange(long offset, int count, string name)
    {
        if (offset < 0 || offset + count > Length)
            throw new ArgumentException(
                $"{name}: {count} elements at offset {offset} do not fit in a device variable of {Length} elements.", name);
    }

    public override string ToString() => $"CudaDeviceVariable<{typeof(T).Name}>[{Length}] @0x{DevicePointer:x}";

    internal static int ElementSize => Unsafe.SizeOf<T>();
}
