using System.Globalization;
using System.Text;
using RelReason.Training.Checkpoints;

namespace RelReason.Training;

/// <summary>Writes a <see cref="FeatureSet"/> for use elsewhere, as safetensors or NumPy .npy (atomically).</summary>
public static class FeatureFiles
{
    /// <summary>
    /// safetensors with "features" F32 [N, D] and, for a labelled split, "labels" I64 [N]; metadata describes the
    /// source. Loads with safetensors.numpy.load_file or safetensors.torch.load_file.
    /// </summary>
    public static void WriteSafetensors(string path, FeatureSet f, IReadOnlyDictionary<string, string> metadata)
    {
        var tensors = new List<SafetensorsTensor>
        {
            SafetensorsTensor.F32("features", [f.Count, f.Dimension], f.Features),
        };
        if (f.Labels.Length > 0)
        {
            tensors.Add(SafetensorsTensor.I64("labels", [f.Count], f.Labels.Select(l => (long)l).ToArray()));
        }
        SafetensorsWriter.Write(path, tensors, metadata.ToDictionary(p => p.Key, p => p.Value));
    }

    /// <summary>
    /// NumPy .npy (format 1.0, little-endian float32, C order) of the features [N, D]; the labels, when present,
    /// go to a second file beside it, "&lt;name&gt;.labels.npy" (int64 [N]).
    /// </summary>
    public static void WriteNpy(string path, FeatureSet f)
    {
        AtomicFile.Write(path, s => Npy(s, "<f4", $"({f.Count}, {f.Dimension})",
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.Features.AsSpan())));
        if (f.Labels.Length > 0)
        {
            var labels = f.Labels.Select(l => (long)l).ToArray();
            AtomicFile.Write(LabelsPath(path), s => Npy(s, "<i8", $"({f.Count},)",
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan())));
        }
    }

    public static string LabelsPath(string npyPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(npyPath))!,
            Path.GetFileNameWithoutExtension(npyPath) + ".labels.npy");

    /// <summary>Magic, version 1.0, a header dict padded with spaces so the data starts on a 64-byte
    /// boundary.</summary>
    private static void Npy(Stream s, string dtype, string shape, ReadOnlySpan<byte> data)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(".npy writing assumes a little-endian machine");
        }
        string dict = string.Create(CultureInfo.InvariantCulture,
            $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape}, }}");
        int unpadded = 10 + dict.Length + 1;
        string header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.ASCII.GetBytes(header));
        s.Write(data);
    }
}
