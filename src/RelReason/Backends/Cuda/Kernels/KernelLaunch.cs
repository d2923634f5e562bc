namespace RelReason.Backends.Cuda.Kernels;

/// <summary>
/// An address a kernel reads or writes: a CUdeviceptr on the GPU, a plain host address under the host launcher.
/// The type keeps addresses apart from element counts in the launch classes' signatures.
/// </summary>
internal readonly record struct DevicePtr(ulong Address)
{
    internal static readonly DevicePtr Null = new(0);

    /// <summary>The address <paramref name="elements"/> float32 elements further on.</summary>
    internal DevicePtr Floats(long elements) => new(Address + (ulong)(elements * sizeof(float)));

    public override string ToString() => $"0x{Address:x}";
}

/// <summary>A launch dimension (CUDA's dim3).</summary>
internal readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public override string ToString() => $"({X},{Y},{Z})";
}

/// <summary>The PTX type of a kernel parameter: .u32 (int), .f32 (float) or .u64 (a pointer).</summary>
internal enum KernelParam : byte
{
    I32,
    F32,
    Ptr,
}

/// <summary>
/// One kernel: its module (the .cu file name), its extern "C" name, and its parameter types in order, which every
/// launch is checked against (and which a test checks against the committed PTX).
/// </summary>
internal sealed class KernelId
{
    internal KernelId(string module, string name, params KernelParam[] parameters)
    {
        Module = module;
        Name = name;
        Parameters = parameters;
    }

    internal string Module { get; }

    internal string Name { get; }

    internal KernelParam[] Parameters { get; }

    public override string ToString() => $"{Module}.cu:{Name}";
}

/// <summary>
/// Kernel arguments packed the way cuLaunchKernel reads them: each value in its own 8-byte slot (an int or float
/// in the low 4 bytes, a pointer in all 8), so a pointer to slot i is a pointer to argument i of exactly its PTX
/// size. Kept on the caller's stack; a launch checks the kinds against the kernel's declared parameters.
/// </summary>
internal unsafe struct KernelArgs
{
    internal const int Capacity = 16;

    private fixed ulong _values[Capacity];
    private fixed byte _kinds[Capacity];
    private int _count;

    internal readonly int Count => _count;

    internal void Int(int value)
    {
        ulong slot = 0;
        *(int*)&slot = value;
        Push(slot, KernelParam.I32);
    }

    internal void Float(float value)
    {
        ulong slot = 0;
        *(float*)&slot = value;
        Push(slot, KernelParam.F32);
    }

    internal void Ptr(DevicePtr pointer) => Push(pointer.Address, KernelParam.Ptr);

    internal readonly KernelParam Kind(int i) => (KernelParam)_kinds[i];

    /// <summary>Fills <paramref name="pointers"/> with the slot addresses (the struct must stay put).</summary>
    internal void SlotPointers(void** pointers)
    {
        fixed (ulong* values = _values)
        {
            for (int i = 0; i < _count; i++)
            {
                pointers[i] = values + i;
            }
        }
    }

    private void Push(ulong value, KernelParam kind)
    {
        if (_count == Capacity)
        {
            throw new InvalidOperationException($"a kernel launch takes at most {Capacity} arguments");
        }
        _values[_count] = value;
        _kinds[_count] = (byte)kind;
        _count++;
    }
}

/// <summary>
/// Runs kernels: on the GPU (<see cref="CudaKernelLauncher"/>) or over host memory
/// (<see cref="HostKernelLauncher"/>).
/// </summary>
internal unsafe interface IKernelLauncher : IDisposable
{
    /// <summary>"cuda" or "host".</summary>
    string Device { get; }

    /// <summary>Launches with an argument array in cuLaunchKernel's convention (already checked and pinned).</summary>
    void LaunchRaw(KernelId kernel, Dim3 grid, Dim3 block, void** args);
}

/// <summary>Launch code shared by the kernel classes: argument checking, pinning and 1-d grid math.</summary>
internal static unsafe class KernelLaunch
{
    /// <summary>Threads per block of every 1-d launch (a multiple of the 32-thread warp).</summary>
    internal const int Block = 256;

    /// <summary>Checks the arguments against the kernel's parameters, pins them and launches.</summary>
    internal static void Launch(this IKernelLauncher launcher, KernelId kernel, Dim3 grid, Dim3 block,
        ref KernelArgs args)
    {
        KernelParam[] expected = kernel.Parameters;
        if (args.Count != expected.Length)
        {
            throw new InvalidOperationException(
                $"{kernel}: {args.Count} arguments packed, the kernel takes {expected.Length}");
        }
        for (int i = 0; i < expected.Length; i++)
        {
            if (args.Kind(i) != expected[i])
            {
                throw new InvalidOperationException(
                    $"{kernel}: argument {i} packed as {args.Kind(i)}, the kernel's parameter is {expected[i]}");
            }
        }
        void** pointers = stackalloc void*[KernelArgs.Capacity];
        fixed (KernelArgs* pinned = &args)
        {
            pinned->SlotPointers(pointers);
            launcher.LaunchRaw(kernel, grid, block, pointers);
        }
    }

    /// <summary>Blocks for one thread per element of <paramref name="elements"/> (which must fit in an int).</summary>
    internal static Dim3 Grid(long elements, string op)
    {
        if (elements <= 0 || elements > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(elements), elements,
                $"{op}: a launch covers 1..{int.MaxValue} elements");
        }
        return new Dim3((uint)((elements + Block - 1) / Block));
    }

    /// <summary>The 1-d block of <see cref="Block"/> threads.</summary>
    internal static Dim3 Threads => new((uint)Block);

    /// <summary>An element count as the kernels' int parameter, or an error naming the op.</summary>
    internal static int Count(long elements, string op) =>
        elements is >= 0 and <= int.MaxValue
            ? (int)elements
            : throw new ArgumentOutOfRangeException(nameof(elements), elements, $"{op}: more than 2^31-1 elements");
}
