using MePropNative.Bindings;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Bindings;

public class NativeLibraryResolverTests
{
    [Fact]
    public void TheEnvironmentFolderIsTheOnlyPlaceTriedWhenSetElseTheApplicationFolder()
    {
        Assert.Equal([Path.Combine("/opt/meprop", NativeLibraryResolver.PlatformFileName())], NativeLibraryResolver.CandidatePaths("/opt/meprop"));
        string[] paths = NativeLibraryResolver.CandidatePaths(null).ToArray();
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, NativeLibraryResolver.PlatformFileName()), paths[0]);
        Assert.Equal(paths, NativeLibraryResolver.CandidatePaths(" "));
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

    [Fact]
    public void TheLoadedLibraryIsNamedAndItsAbiChecked()
    {
        MePropLibrary.EnsureLoaded();
        string loaded = MePropLibrary.LoadedFrom;
        Assert.True(File.Exists(loaded), loaded);
        var (handle, from) = NativeLibraryResolver.LoadFirst([Path.Combine(Path.GetDirectoryName(loaded)!, "absent.so"), loaded], defaultSearchName: null);
        Assert.Equal(loaded, from);
        MePropLibrary.Verify(handle, from); // libmeprop of this ABI version passes

        string other = NotLibmeprop();
        var (otherHandle, _) = NativeLibraryResolver.LoadFirst([other], defaultSearchName: null);
        var e = Assert.Throws<NativeLibraryMismatchException>(() => MePropLibrary.Verify(otherHandle, other));
        Assert.StartsWith($"{other} cannot be used as libmeprop: it does not export mp_abi_version", e.Message);
    }

    /// <summary>A native library of the .NET runtime: loadable, but not libmeprop.</summary>
    private static string NotLibmeprop()
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string name = OperatingSystem.IsWindows() ? "System.IO.Compression.Native.dll" : OperatingSystem.IsMacOS() ? "libSystem.Native.dylib" : "libSystem.Native.so";
        return Path.Combine(runtime, name);
    }

    [Fact]
    public void TheCommandLineRefusesAMissingOrForeignLibraryInTheEnvironmentFolderWithoutFallingBack()
    {
        string folder = Directory.CreateTempSubdirectory("meprop-native-dir-").FullName;
        var environment = new Dictionary<string, string?> { [NativeLibraryResolver.EnvironmentVariable] = folder };
        string expected = Path.Combine(folder, NativeLibraryResolver.PlatformFileName());
        try
        {
            var (code, _, err) = MepropCli.RunWith(AppContext.BaseDirectory, environment, "info");
            Assert.Equal(4, code);
            Assert.Contains($"{expected} (not found)", err);
            Assert.DoesNotContain(AppContext.BaseDirectory, err); // the library beside the tool is not used instead

            File.Copy(NotLibmeprop(), expected);
            (code, _, err) = MepropCli.RunWith(AppContext.BaseDirectory, environment, "info");
            Assert.Equal(4, code);
            Assert.Contains($"{expected} cannot be used as libmeprop: it does not export mp_abi_version", err);
            Assert.DoesNotContain("internal error", err);

            var (ok, stdout, _) = MepropCli.RunWith(AppContext.BaseDirectory, new Dictionary<string, string?> { [NativeLibraryResolver.EnvironmentVariable] = null }, "info");
            Assert.Equal(0, ok);
            Assert.Contains($"library: {Path.Combine(AppContext.BaseDirectory, NativeLibraryResolver.PlatformFileName())}", stdout);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
