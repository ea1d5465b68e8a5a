using System.Runtime.InteropServices;
using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Cuda;

public class CudaLibrariesTests
{
    [Fact]
    public void LinuxProbesVersionedSonamesNewestFirstThenTheDevSymlink()
    {
        Assert.Equal(["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"],
            CudaLibraries.CandidateFileNames(CudaLibrary.Blas, OSPlatform.Linux));
        Assert.Equal(["libcusparse.so.13", "libcusparse.so.12", "libcusparse.so.11", "libcusparse.so"],
            CudaLibraries.CandidateFileNames(CudaLibrary.Sparse, OSPlatform.Linux));
        Assert.Equal(["libcuda.so.1", "libcuda.so"], CudaLibraries.CandidateFileNames(CudaLibrary.Driver, OSPlatform.Linux));
    }

    [Fact]
    public void WindowsProbesTheRedistributableDllNames()
    {
        Assert.Equal(["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"],
            CudaLibraries.CandidateFileNames(CudaLibrary.Blas, OSPlatform.Windows));
        Assert.Equal(["nvcuda.dll"], CudaLibraries.CandidateFileNames(CudaLibrary.Driver, OSPlatform.Windows));
        Assert.Empty(CudaLibraries.CandidateFileNames(CudaLibrary.Blas, OSPlatform.OSX));
    }

    [Fact]
    public void CudaHomeIsSearchedBeforeTheUsualFolders()
    {
        var environment = new Dictionary<string, string> { ["CUDA_HOME"] = "/opt/cuda-13.0" };
        IReadOnlyList<string> folders = CudaLibraries.CandidateFolders(OSPlatform.Linux, v => environment.GetValueOrDefault(v));
        Assert.Equal("/opt/cuda-13.0/lib64", folders[0]);
        Assert.Contains("/usr/local/cuda/lib64", folders);
        Assert.True(folders.ToList().IndexOf("/opt/cuda-13.0/lib64") < folders.ToList().IndexOf("/usr/local/cuda/lib64"));
        IReadOnlyList<string> windows = CudaLibraries.CandidateFolders(OSPlatform.Windows,
            v => v == "CUDA_PATH" ? @"C:\CUDA" : null);
        Assert.Equal(Path.Combine(@"C:\CUDA", "bin"), windows[0]);
    }

    [Fact]
    public void ImportNamesMapToLibrariesAndOthersAreNotOurs()
    {
        Assert.Equal(CudaLibrary.Driver, CudaLibraries.FromImportName("cuda"));
        Assert.Equal(CudaLibrary.Blas, CudaLibraries.FromImportName("cublas"));
        Assert.Equal(CudaLibrary.Sparse, CudaLibraries.FromImportName("cusparse"));
        Assert.Null(CudaLibraries.FromImportName("meprop"));
        Assert.Null(CudaLibraries.FromImportName("libc"));
    }

    [Fact]
    public void TryLoadNeverThrowsAndExplainsItself()
    {
        foreach (CudaLibrary library in Enum.GetValues<CudaLibrary>())
        {
            bool loaded = CudaLibraries.TryLoad(library, out IntPtr handle, out string reason);
            Assert.Equal(loaded, handle != IntPtr.Zero);
            Assert.False(string.IsNullOrWhiteSpace(reason));
            if (loaded) Assert.StartsWith("loaded ", reason);
            else
            {
                Assert.Contains("not found; tried:", reason);
                var e = Assert.Throws<CudaException>(() => CudaLibraries.Require(library));
                Assert.Equal("LIBRARY_NOT_FOUND", e.ErrorName);
            }
        }
    }
}
