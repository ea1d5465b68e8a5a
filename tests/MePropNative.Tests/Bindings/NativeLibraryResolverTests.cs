using MePropNative.Bindings;

namespace MePropNative.Tests.Bindings;

public class NativeLibraryResolverTests
{
    [Fact]
    public void TheEnvironmentFolderIsTriedFirstThenTheApplicationFolder()
    {
        string[] paths = NativeLibraryResolver.CandidatePaths("/opt/meprop").ToArray();
        Assert.Equal(Path.Combine("/opt/meprop", NativeLibraryResolver.PlatformFileName()), paths[0]);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, NativeLibraryResolver.PlatformFileName()), paths[1]);
        Assert.DoesNotContain(NativeLibraryResolver.CandidatePaths(null), p => p.StartsWith("/opt/meprop"));
    }

    [Fact]
    public void AFailedLoadListsEveryPathTriedAndWhy()
    {
        string folder = Directory.CreateTempSubdirectory("meprop-resolver-").FullName;
        string missing = Path.Combine(folder, "absent", "libmeprop.so");
        string corrupt = Path.Combine(folder, "libmeprop.so");
        File.WriteAllText(corrupt, "not an ELF file");
        try
        {
            var e = Assert.Throws<NativeLibraryNotFoundException>(() =>
                NativeLibraryResolver.LoadFirst([missing, corrupt], defaultSearchName: null));
            Assert.Contains($"{missing} (not found)", e.Message);
            Assert.Contains($"{corrupt} (exists but failed to load", e.Message);
            Assert.Contains("MEPROP_NATIVE_DIR", e.Message);
            Assert.Equal(2, e.Attempts.Count);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
