using System.Runtime.InteropServices;
using RelReason.Backends.Cuda;
using RelReason.Backends.Cuda.Interop;

namespace RelReason.Tests.Cuda;

/// <summary>
/// The probe and the library locator on whatever machine runs the tests. Each test checks independently what is
/// installed (libcuda.so.1, the kernel driver's GPU list, libcublas) and asserts the branch that applies.
/// </summary>
public class CudaProbeTests
{
    private string _temp = "";

    [SetUp]
    public void CreateTemp()
    {
        _temp = Directory.CreateTempSubdirectory("relreason-probe-").FullName;
    }

    [TearDown]
    public void DeleteTemp()
    {
        Directory.Delete(_temp, recursive: true);
    }

    /// <summary>
    /// Whether the NVIDIA kernel module lists a GPU (/proc/driver/nvidia/gpus/*), a signal independent of the
    /// probe. Device nodes are not one: installing libcuda1 can create /dev/nvidiactl on a machine without a GPU.
    /// </summary>
    private static bool KernelDriverListsAGpu() =>
        Directory.Exists("/proc/driver/nvidia/gpus") &&
        Directory.EnumerateFileSystemEntries("/proc/driver/nvidia/gpus").Any();

    [Test]
    public void Probe_GivesTheReasonThatMatchesThisMachine()
    {
        CudaProbeResult result = CudaProbe.Run();
        bool driverPresent = NativeLibrary.TryLoad("libcuda.so.1", out _);
        bool gpuListed = KernelDriverListsAGpu();
        TestContext.Out.WriteLine($"probe: {result}; libcuda.so.1 present: {driverPresent}; GPU listed: {gpuListed}");

        if (string.Equals(Environment.GetEnvironmentVariable("RELREASON_DEVICE"), "cpu",
            StringComparison.OrdinalIgnoreCase))
        {
            Assert.That(result.IsAvailable, Is.False);
            Assert.That(result.Reason, Is.EqualTo("RELREASON_DEVICE=cpu"));
        }
        else if (!driverPresent)
        {
            Assert.That(result.IsAvailable, Is.False);
            Assert.That(result.Reason, Does.StartWith("no NVIDIA driver (libcuda.so.1 not found)"));
        }
        else if (!gpuListed)
        {
            // The dev/CI box: the toolkit brings the driver's user-space library but there is no GPU.
            Assert.That(result.IsAvailable, Is.False);
            Assert.That(result.Reason, Does.StartWith("CUDA_ERROR_NO_DEVICE"));
        }
        else if (result.IsAvailable)
        {
            CudaDeviceInfo d = result.Device!;
            Assert.That(d.Name, Is.Not.Empty);
            Assert.That(d.TotalMemoryBytes, Is.GreaterThan(1L << 30));
            Assert.That(d.ComputeCapabilityMajor * 10 + d.ComputeCapabilityMinor,
                Is.GreaterThanOrEqualTo(CudaProbe.MinimumComputeCapability));
            Assert.That(d.CublasPath, Does.Contain("libcublas.so."));
            Assert.That(d.CudnnPath, Does.Contain("libcudnn.so."));
        }
        else
        {
            // A GPU machine whose device or libraries are unusable: the reason must say which.
            Assert.That(result.Reason, Does.Contain("cuBLAS").Or.Contain("cuDNN").Or.Contain("CUDA_ERROR")
                .Or.Contain("compute capability"));
        }
    }

    [Test]
    public void DriverCheck_ThrowsWithTheDriversErrorNameAndTheCallText()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out _))
        {
            Assert.Ignore("libcuda.so.1 is not installed here, so there is no driver to return an error code");
        }
        if (KernelDriverListsAGpu())
        {
            Assert.Ignore("a GPU is present, so cuInit succeeds and returns no error to check");
        }
        var e = Assert.Throws<CudaException>(() => CuDriver.Check(CuDriver.cuInit(0)))!;
        Assert.That(e.StatusName, Is.EqualTo("CUDA_ERROR_NO_DEVICE"));
        Assert.That(e.Code, Is.EqualTo(100));
        Assert.That(e.Call, Is.EqualTo("CuDriver.cuInit(0)"));
        Assert.That(e.Message, Does.Contain("CUDA driver").And.Contain("CuDriver.cuInit(0)"));
    }

    [Test]
    public void CublasBinding_LoadsAndReportsItsVersionAndStatusNames()
    {
        NativeLoadResult blas = CudaLibraries.LoadBlas();
        if (!blas.Loaded)
        {
            Assert.That(blas.Failure, Does.StartWith("cuBLAS not found"));
            Assert.Ignore($"no cuBLAS on this machine: {blas.Failure}");
        }
        string version = CuBlas.Version();
        string major = version.Split('.')[0];
        Assert.That(blas.Path, Does.Contain($"libcublas.so.{major}"));
        if (!KernelDriverListsAGpu())
        {
            // Without a GPU cublasCreate fails with a status; Check must turn it into the library's own name.
            var e = Assert.Throws<CudaException>(() => CuBlas.Check(CuBlas.cublasCreate(out _)))!;
            Assert.That(e.StatusName, Is.EqualTo("CUBLAS_STATUS_NOT_INITIALIZED"));
            Assert.That(e.Library, Is.EqualTo("cuBLAS"));
            Assert.That(e.Call, Does.Contain("cublasCreate"));
        }
    }

    [Test]
    public void Locator_WithNothingToFind_NamesEveryPlaceItTried()
    {
        var search = new CudaLibrarySearch([_temp], useLoaderPath: false, [], ["/nonexistent/prefix"]);

        NativeLoadResult driver = CudaLibraries.LoadDriver(search);
        NativeLoadResult blas = CudaLibraries.LoadBlas(search);
        NativeLoadResult dnn = CudaLibraries.LoadDnn(search);

        Assert.That(driver.Loaded, Is.False);
        Assert.That(driver.Failure, Is.EqualTo("no NVIDIA driver (libcuda.so.1 not found)"));
        Assert.That(blas.Loaded, Is.False);
        Assert.That(blas.Failure,
            Does.StartWith("cuBLAS not found").And.Contain(_temp).And.Contain("/nonexistent/prefix"));
        Assert.That(dnn.Loaded, Is.False);
        Assert.That(dnn.Failure, Does.StartWith("cuDNN not found").And.Contain(_temp));
    }

    [Test]
    public void Locator_RefusesACudnnFolderWithMissingSubLibraries_WithoutLoadingIt()
    {
        // Not an ELF file: if the locator tried to load it, the failure would be a load error instead.
        File.WriteAllText(Path.Combine(_temp, "libcudnn.so.9"), "not a library");
        File.WriteAllText(Path.Combine(_temp, "libcudnn_ops.so.9"), "not a library");
        var search = new CudaLibrarySearch([_temp], useLoaderPath: false, [], []);

        NativeLoadResult dnn = CudaLibraries.LoadDnn(search);

        Assert.That(dnn.Loaded, Is.False);
        Assert.That(dnn.Failure, Does.Contain($"{_temp} has libcudnn.so.9 but lacks libcudnn_graph"));
        Assert.That(dnn.Failure, Does.Contain("libcudnn_cnn"));
        Assert.That(dnn.Failure, Does.Not.Contain("libcudnn_ops,"));
        Assert.That(dnn.Failure, Does.Not.Contain("invalid ELF header"));
    }

    [Test]
    public void WheelFolders_AreFoundUnderAPythonPrefix()
    {
        string cudnn = Path.Combine(_temp, "lib", "python3.12", "site-packages", "nvidia", "cudnn", "lib");
        string cu13 = Path.Combine(_temp, "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib");
        Directory.CreateDirectory(cudnn);
        Directory.CreateDirectory(cu13);
        Directory.CreateDirectory(Path.Combine(_temp, "lib", "python3.12", "site-packages", "nvidia", "other", "lib"));

        List<string> found = CudaLibrarySearch.WheelFoldersUnder([_temp]);

        Assert.That(found.Where(f => f.StartsWith(_temp, StringComparison.Ordinal)),
            Is.EqualTo(new[] { cu13, cudnn }));
    }

    [Test]
    public void Locator_FindsCublasInAFolderByFullPath_WhenTheSystemHasOne()
    {
        string? folder = new[] { "/usr/lib/x86_64-linux-gnu", "/usr/local/cuda/lib64" }
            .FirstOrDefault(f => File.Exists(Path.Combine(f, "libcublas.so.11")) ||
                File.Exists(Path.Combine(f, "libcublas.so.12")) || File.Exists(Path.Combine(f, "libcublas.so.13")));
        if (folder is null)
        {
            Assert.Ignore("no libcublas.so.13|12|11 in the system folders, nothing to locate by path");
        }
        var search = new CudaLibrarySearch([folder], useLoaderPath: false, [], []);

        NativeLoadResult blas = CudaLibraries.LoadBlas(search);

        Assert.That(blas.Loaded, Is.True, blas.Failure);
        Assert.That(blas.Path, Does.StartWith(folder + "/libcublas.so."));
    }
}
