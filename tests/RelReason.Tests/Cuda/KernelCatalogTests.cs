using System.Text;
using System.Text.RegularExpressions;
using RelReason.Backends.Cuda.Interop;
using RelReason.Backends.Cuda.Kernels;

namespace RelReason.Tests.Cuda;

/// <summary>
/// The launch classes, the embedded PTX and the host library describe the same kernels: same names, and the
/// parameter types every launch is checked against are the ones in the PTX (a wrong width would make the driver
/// read garbage). Runs without a GPU.
/// </summary>
public partial class KernelCatalogTests
{
    [GeneratedRegex(@"\.entry\s+(\w+)\s*\(([^)]*)\)", RegexOptions.Singleline)]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"\.param\s+\.(\w+)")]
    private static partial Regex ParamPattern();

    private static Dictionary<string, string[]> PtxEntries(string module)
    {
        string ptx = Encoding.UTF8.GetString(CudaKernelLauncher.ReadPtx(module)).TrimEnd('\0');
        var entries = new Dictionary<string, string[]>();
        foreach (Match m in EntryPattern().Matches(ptx))
        {
            entries[m.Groups[1].Value] = ParamPattern().Matches(m.Groups[2].Value).Select(p => p.Groups[1].Value)
                .ToArray();
        }
        return entries;
    }

    private static string PtxType(KernelParam p) => p switch
    {
        KernelParam.I32 => "u32",
        KernelParam.F32 => "f32",
        _ => "u64",
    };

    [Test]
    public void EveryLaunchedKernel_HasItsParameterTypesInTheEmbeddedPtx()
    {
        foreach (KernelId kernel in KernelCatalog.All)
        {
            Dictionary<string, string[]> entries = PtxEntries(kernel.Module);
            Assert.That(entries.ContainsKey(kernel.Name), Is.True,
                $"{kernel}: no .entry in kernels.{kernel.Module}.ptx");
            Assert.That(entries[kernel.Name], Is.EqualTo(kernel.Parameters.Select(PtxType).ToArray()),
                $"{kernel}: PTX parameter types differ from the launch class");
        }
    }

    [Test]
    public void EveryPtxEntry_IsLaunchedBySomeClass()
    {
        var launched = KernelCatalog.All.Select(k => (k.Module, k.Name)).ToHashSet();
        var modules = KernelCatalog.All.Select(k => k.Module).Distinct().ToList();
        string[] embedded = typeof(KernelId).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("kernels.", StringComparison.Ordinal)).Order().ToArray();

        Assert.That(embedded, Is.EquivalentTo(modules.Select(m => $"kernels.{m}.ptx")),
            "every kernels/*.cu has embedded PTX and a launch class");
        foreach (string module in modules)
        {
            foreach (string entry in PtxEntries(module).Keys)
            {
                Assert.That(launched.Contains((module, entry)), Is.True, $"{module}.cu:{entry} has no launch class");
            }
        }
    }

    [Test]
    public void EveryLaunchedKernel_IsExportedByTheHostLibrary()
    {
        HostKernelLauncher host = HostKernels.Launcher;
        foreach (KernelId kernel in KernelCatalog.All)
        {
            Assert.That(host.Has(kernel), Is.True, $"{host.LibraryPath} lacks rr_host_{kernel.Name}");
        }
    }

    [Test]
    public void Launch_RejectsArgumentsThatDoNotMatchTheParameters()
    {
        HostKernelLauncher host = HostKernels.Launcher;
        var a = new KernelArgs();
        a.Int(4);
        a.Int(1);
        a.Ptr(DevicePtr.Null);

        var e = Assert.Throws<InvalidOperationException>(() =>
            host.Launch(ElementwiseKernels.FillKernel, new Dim3(1), new Dim3(32), ref a))!;

        Assert.That(e.Message, Does.Contain("argument 1 packed as I32").And.Contain("F32"));
        var b = new KernelArgs();
        b.Int(4);
        Assert.Throws<InvalidOperationException>(() =>
            host.Launch(ElementwiseKernels.FillKernel, new Dim3(1), new Dim3(32), ref b));
    }

    [Test]
    public unsafe void HostLauncher_ReportsAnInvalidLaunchLikeTheDriverWould()
    {
        HostKernelLauncher host = HostKernels.Launcher;
        float[] y = new float[4];
        fixed (float* p = y)
        {
            var a = new KernelArgs();
            a.Int(4);
            a.Float(1f);
            a.Ptr(new DevicePtr((ulong)p));
            var local = a;

            var e = Assert.Throws<CudaException>(() =>
                host.Launch(ElementwiseKernels.FillKernel, new Dim3(1), new Dim3(2048), ref local))!;

            Assert.That(e.StatusName, Is.EqualTo("BadLaunch"));
            Assert.That(e.Call, Does.Contain("fill_kernel"));
        }
        Assert.That(y, Is.All.EqualTo(0f), "a rejected launch must not run");
    }
}
