using RelReason.Tensors;

namespace RelReason.Backends;

/// <summary>Argument checks shared by backends: each failure names the op and the shapes involved.</summary>
internal static class ShapeCheck
{
    internal static void SameLength(string op, Tensor a, Tensor b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"{op}: element counts differ, {a.Describe()} vs {b.Describe()}");
        }
    }

    internal static void Elements(string op, string what, Tensor t, long expected)
    {
        if (t.Length != expected)
        {
            throw new ArgumentException($"{op}: {what} {t.Describe()} has {t.Length} elements, expected {expected}");
        }
    }

    internal static void Rank(string op, string what, Tensor t, int rank)
    {
        if (t.Shape.Rank != rank)
        {
            throw new ArgumentException($"{op}: {what} {t.Describe()} must have rank {rank}");
        }
    }

    /// <summary>
    /// Checks the arguments of <see cref="IBackend.AugmentViews"/>: M ids, M images of the augmenter's size, K at
    /// least 1 and views [K*M, C, S, S]. Returns M.
    /// </summary>
    internal static int Augment(Data.Augmentation.Augmenter augmenter, int imageBytes, int ids, int k, Tensor views)
    {
        const string op = "augment views";
        if (ids < 1 || k < 1)
        {
            throw new ArgumentException($"{op}: need at least one image and one view per image, got M={ids}, K={k}");
        }
        if (imageBytes != (long)ids * augmenter.ImageBytes)
        {
            throw new ArgumentException(
                $"{op}: {imageBytes} image bytes for {ids} images; expected {ids} x {augmenter.ImageBytes} " +
                $"({augmenter.Constants.Height}x{augmenter.Constants.Width}x{augmenter.Channels} uint8 each)");
        }
        int side = augmenter.Side;
        if (views.Shape.Rank != 4 || views.Shape[0] != (long)k * ids || views.Shape[1] != augmenter.Channels ||
            views.Shape[2] != side || views.Shape[3] != side)
        {
            throw new ArgumentException(
                $"{op}: views {views.Describe()} must be [K*M, C, S, S] = [{(long)k * ids}, {augmenter.Channels}, " +
                $"{side}, {side}]");
        }
        return ids;
    }

    internal static void NotEmpty(string op, Tensor t)
    {
        if (t.Length == 0)
        {
            throw new ArgumentException($"{op}: empty input {t.Describe()}");
        }
    }

    /// <summary>Checks x [N, C, ...] against a per-channel parameter count; returns (N, C, S) with S the spatial
    /// size.</summary>
    internal static (int N, int C, int S) ChannelLayout(string op, Tensor x, int channels)
    {
        if (x.Shape.Rank < 2)
        {
            throw new ArgumentException($"{op}: input {x.Describe()} must be [N, C] or [N, C, H, W]");
        }
        if (x.Shape[1] != channels)
        {
            throw new ArgumentException(
                $"{op}: input {x.Describe()} has {x.Shape[1]} channels, the layer has {channels}");
        }
        if (x.Shape[0] == 0)
        {
            throw new ArgumentException($"{op}: empty batch {x.Describe()}");
        }
        return (x.Shape[0], channels, checked((int)x.Shape.ElementsFrom(2)));
    }

    internal static void Conv(string op, ConvGeometry g, Tensor x, Tensor w, Tensor y)
    {
        if (g.N <= 0 || g.OutHeight <= 0 || g.OutWidth <= 0)
        {
            throw new ArgumentException($"{op}: {g} has an empty output (input too small for the kernel)");
        }
        Elements(op, "input", x, (long)g.N * g.InChannels * g.Height * g.Width);
        Elements(op, "weight", w, (long)g.OutChannels * g.InChannels * g.KernelH * g.KernelW);
        Elements(op, "output", y, (long)g.N * g.OutChannels * g.OutHeight * g.OutWidth);
    }

    /// <summary>Checks a row-major GEMM c = op(a) op(b); returns (m, n, k).</summary>
    internal static (int M, int N, int K) Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c)
    {
        Rank("gemm", "a", a, 2);
        Rank("gemm", "b", b, 2);
        Rank("gemm", "c", c, 2);
        int m = transposeA ? a.Shape[1] : a.Shape[0];
        int k = transposeA ? a.Shape[0] : a.Shape[1];
        int kb = transposeB ? b.Shape[1] : b.Shape[0];
        int n = transposeB ? b.Shape[0] : b.Shape[1];
        if (k != kb || c.Shape[0] != m || c.Shape[1] != n)
        {
            throw new ArgumentException(
                $"gemm: {(transposeA ? "a^T" : "a")} {a.Shape} x {(transposeB ? "b^T" : "b")} {b.Shape} " +
                $"does not give c {c.Shape}");
        }
        return (m, n, k);
    }

    /// <summary>Checks that f holds K*M rows of <paramref name="width"/> for the pair index; returns K*M.</summary>
    internal static int PairRows(string op, PairIndex pairs, Tensor f, long width)
    {
        long rows = (long)pairs.K * pairs.M;
        if (f.Length != rows * width)
        {
            throw new ArgumentException(
                $"{op}: features {f.Describe()} are not [K*M = {rows}, {width}] for K={pairs.K}, M={pairs.M}");
        }
        return (int)rows;
    }

    /// <summary>Checks softmax cross-entropy's arguments; returns (rows, classes).</summary>
    internal static (int N, int C) SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits)
    {
        Rank("softmax cross-entropy", "logits", logits, 2);
        int n = logits.Shape[0], c = logits.Shape[1];
        if (n == 0)
        {
            throw new ArgumentException($"softmax cross-entropy: empty batch {logits.Describe()}");
        }
        Elements("softmax cross-entropy", "labels", labels, n);
        SameLength("softmax cross-entropy", logits, dLogits);
        Elements("softmax cross-entropy", "loss", loss, 2);
        return (n, c);
    }
}
