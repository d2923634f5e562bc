namespace RelReason.Data;

/// <summary>
/// Where datasets live on disk. The data root holds one folder per dataset, named as its archive unpacks
/// (fashion-mnist, mnist, cifar-10-batches-bin, cifar-100-binary, stl10_binary, tiny-imagenet-200).
/// </summary>
public static class DataLocations
{
    /// <summary>Environment variable naming the data root; it is searched first for the default dataset too.</summary>
    public const string EnvironmentVariable = "RELREASON_DATA";

    /// <summary>Folder name of the dataset shipped with the repository.</summary>
    public const string DefaultDatasetFolder = "fashion-mnist-small";

    /// <summary>
    /// The data root: $RELREASON_DATA when set, otherwise "data" in the current directory.
    /// </summary>
    public static string DataRoot()
    {
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(env)
            ? Path.Combine(Directory.GetCurrentDirectory(), "data")
            : Path.GetFullPath(env);
    }

    /// <summary>
    /// Candidate folders for the shipped dataset, in search order: $RELREASON_DATA/fashion-mnist-small, then
    /// data/fashion-mnist-small beside the executable (the build copies it there), then in every folder above
    /// the executable and above the current directory (a source checkout's root).
    /// </summary>
    public static IEnumerable<string> DefaultDatasetCandidates()
    {
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            yield return Path.Combine(Path.GetFullPath(env), DefaultDatasetFolder);
        }
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                yield return Path.Combine(dir.FullName, "data", DefaultDatasetFolder);
            }
        }
    }

    /// <summary>The first candidate folder holding the shipped dataset's training images.</summary>
    /// <exception cref="DirectoryNotFoundException">No candidate has it; the message lists the places.</exception>
    public static string FindDefaultDataset()
    {
        var tried = new List<string>();
        foreach (string folder in DefaultDatasetCandidates())
        {
            if (File.Exists(Path.Combine(folder, "train-images-idx3-ubyte.gz")))
            {
                return folder;
            }
            tried.Add(folder);
        }
        throw new DirectoryNotFoundException(
            $"the default dataset ({DefaultDatasetFolder}) was not found; looked in: {string.Join(", ", tried)}. " +
            $"Set {EnvironmentVariable} to a folder containing {DefaultDatasetFolder}/.");
    }
}
