using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using RelReason.Data.Augmentation;
using RelReason.Data.Loading;

namespace RelReason.Benchmarks.Data;

/// <summary>
/// Throughput of the pretraining loader: K = 16 views of M = 64 images per batch, two batches per invocation,
/// rendered on CPU worker threads (one per core). Each reported operation is one view, so the "Op/s" column is
/// views per second. Shapes: STL-10 (96 x 96 x 3) and a one-channel 32 x 32 set.
/// </summary>
[Config(typeof(ViewsPerSecondConfig))]
public class LoaderBenchmarks
{
    private const int K = 16;
    private const int M = 64;
    private const int Batches = 2;
    private const int ViewsPerInvoke = K * M * Batches;

    private PretrainLoader? _loader;
    private Augmenter? _augmenter;
    private byte[] _image = [];
    private float[] _view = [];
    private int _epoch;

    /// <summary>Height x width x channels of the synthetic images.</summary>
    [Params("96x96x3", "32x32x1")]
    public string Shape { get; set; } = "96x96x3";

    [GlobalSetup]
    public void Setup()
    {
        int[] dims = Shape.Split('x').Select(int.Parse).ToArray();
        var data = new SyntheticImageDataset(M * Batches, dims[0], dims[1], dims[2]);
        AugmentOptions augment = dims[2] == 3
            ? AugmentOptions.Stl10 with { Side = dims[0] }
            : new AugmentOptions { Side = dims[0], Mean = [0.5f], Std = [0.5f] };
        var options = new PretrainLoaderOptions
        {
            ViewsPerImage = K,
            BatchSize = M,
            Threads = Environment.ProcessorCount,
            Prefetch = 1,
        };
        _loader = new PretrainLoader(data, augment, options);
        _augmenter = _loader.Augmenter;
        _image = new byte[_augmenter.ImageBytes];
        data.ReadImage(0, _image);
        _view = new float[_augmenter.ViewLength];
    }

    [GlobalCleanup]
    public void Cleanup() => _loader?.Dispose();

    /// <summary>One epoch of two full batches: 2048 views through the threaded loader.</summary>
    [Benchmark(OperationsPerInvoke = ViewsPerInvoke)]
    public int LoaderViews()
    {
        int rows = 0;
        foreach (LoadedBatch batch in _loader!.ReadEpoch(_epoch++))
        {
            rows += batch.Rows;
        }
        return rows;
    }

    /// <summary>One view on the calling thread: the per-core cost of both augmentation phases.</summary>
    [Benchmark(OperationsPerInvoke = 16)]
    public float SingleThreadViews()
    {
        for (int v = 0; v < 16; v++)
        {
            _augmenter!.RenderView(1, _epoch, 0, v, _image, _view);
        }
        return _view[0];
    }

    private sealed class ViewsPerSecondConfig : ManualConfig
    {
        public ViewsPerSecondConfig()
        {
            AddColumn(StatisticColumn.OperationsPerSecond);
        }
    }
}
