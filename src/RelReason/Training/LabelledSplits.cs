using RelReason.Data;

namespace RelReason.Training;

/// <summary>
/// The labelled splits a pretraining run is evaluated on: the dataset's "train" split (the classifier's data, or
/// the k-NN gallery) and its evaluation split (<see cref="DatasetCatalog.EvaluationSplit"/>). Opened before the
/// first step, so that a dataset that cannot be evaluated is refused before hours of training rather than after.
/// </summary>
public sealed class LabelledSplits : IDisposable
{
    private readonly bool _ownsTrain;

    private LabelledSplits(IImageDataset train, IImageDataset test, bool ownsTrain)
    {
        Train = train;
        Test = test;
        _ownsTrain = ownsTrain;
    }

    public IImageDataset Train { get; }

    public IImageDataset Test { get; }

    /// <summary>
    /// Opens the splits of <paramref name="options"/>' dataset (folder and image resize as in pretraining).
    /// <paramref name="pretrainingSplit"/>, when it is the "train" split already open, is used instead of a second
    /// copy and is not disposed here.
    /// </summary>
    /// <param name="purpose">The option that needs the splits, for messages ("--knn-every").</param>
    /// <exception cref="ArgumentException">A split is missing or has no labels; the message names
    /// <paramref name="purpose"/>, the dataset and the problem.</exception>
    public static LabelledSplits Open(PretrainOptions options, string purpose, IImageDataset? pretrainingSplit = null,
        Action<string>? warn = null)
    {
        string testSplit = DatasetCatalog.EvaluationSplit(options.Dataset);
        var open = options.OpenOptions(warn);
        bool reuse = pretrainingSplit != null && options.Split == "train";
        IImageDataset? train = reuse ? pretrainingSplit : null, test = null;
        try
        {
            try
            {
                train ??= DatasetCatalog.Open(options.Dataset, "train", open);
                test = DatasetCatalog.Open(options.Dataset, testSplit, open);
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                throw new ArgumentException(
                    $"{purpose} needs the labelled train and {testSplit} splits of {options.Dataset}: {e.Message}", e);
            }
            foreach (var split in new[] { train, test })
            {
                if (!split.HasLabels)
                {
                    throw new ArgumentException($"{purpose}: {split.Name} has no labels to evaluate with");
                }
            }
            return new LabelledSplits(train, test, ownsTrain: !reuse);
        }
        catch
        {
            if (!reuse)
            {
                (train as IDisposable)?.Dispose();
            }
            (test as IDisposable)?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_ownsTrain)
        {
            (Train as IDisposable)?.Dispose();
        }
        (Test as IDisposable)?.Dispose();
    }
}
