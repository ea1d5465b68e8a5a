namespace MePropNative.Training;

/// <summary>Checks, before a run trains, that it can write where it will write (its results folder and its checkpoint's
/// folder), so that a run given an unwritable folder fails at once, not at its first checkpoint or at its end.</summary>
public static class OutputFolders
{
    /// <summary>Creates each folder (null ones are skipped, one named twice is checked once) and writes and deletes an
    /// empty file in it; throws an <see cref="IOException"/> naming the folder when that fails.</summary>
    public static void Prepare(params string?[] folders)
    {
        foreach (var folder in folders.OfType<string>().Where(f => f.Length > 0).DistinctBy(Path.GetFullPath))
        {
            try
            {
                Directory.CreateDirectory(folder);
                string probe = Path.Combine(folder, $".meprop-write-check-{Environment.ProcessId}");
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"cannot write to the folder {folder}: {e.Message}", e);
            }
        }
    }

    /// <summary>Checks a file the run writes (a checkpoint, a report) before the work starts: the path must not be empty
    /// nor name a folder (a <see cref="ConfigException"/> naming <paramref name="option"/>), and its folder must be
    /// writable (see <see cref="Prepare"/>). Null (no file) passes.</summary>
    public static void PrepareFile(string option, string? file)
    {
        if (file is null) return;
        if (file.Length == 0) throw new ConfigException($"{option}: the path is empty.");
        if (Directory.Exists(file)) throw new ConfigException($"{option} {file} is a folder; give the path of a file.");
        Prepare(Of(file));
    }

    /// <summary>The folder of a file path (the current folder for a bare file name), or null for no path.</summary>
    public static string? Of(string? file) => file is null ? null : Path.GetDirectoryName(Path.GetFullPath(file));
}
