using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LayerGen.Benchmarks.Interop;

/// <summary>
/// OpenBLAS's CBLAS GEMM through P/Invoke, as a reference point for the managed kernel. The library is optional:
/// <see cref="IsAvailable"/> is false (with <see cref="LoadError"/> saying why) when <c>libopenblas.so.0</c>
/// cannot be loaded, and benchmarks then report that instead of crashing.
/// Install on Debian/Ubuntu: <c>apt-get install -y libopenblas0-pthread</c>.
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";

    // CBLAS enums.
    internal const int RowMajor = 101;
    internal const int NoTrans = 111;
    internal const int Trans = 112;

    private static readonly Lazy<string?> s_loadError = new(() =>
    {
        try
        {
            if (!NativeLibrary.TryLoad(Library, typeof(OpenBlas).Assembly, null, out var handle))
                return $"{Library} could not be loaded (install libopenblas0-pthread)";
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _))
                return $"{Library} has no cblas_sgemm";
            return null;
        }
        catch (Exception e)
        {
            return $"{Library}: {e.Message}";
        }
    });

    /// <summary>Whether OpenBLAS loaded.</summary>
    public static bool IsAvailable => s_loadError.Value is null;

    /// <summary>Why OpenBLAS did not load, or null.</summary>
    public static string? LoadError => s_loadError.Value;

    [LibraryImport(Library, EntryPoint = "cblas_sgemm")]
    private static partial void CblasSgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library, EntryPoint = "cblas_dgemm")]
    private static partial void CblasDgemm(int order, int transA, int transB, int m, int n, int k,
        double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);

    [LibraryImport(Library, EntryPoint = "openblas_set_num_threads")]
    private static partial void OpenBlasSetNumThreads(int threads);

    /// <summary>Sets OpenBLAS's thread count (no-op when the library is missing).</summary>
    public static void SetThreads(int threads)
    {
        if (IsAvailable)
            OpenBlasSetNumThreads(threads);
    }

    /// <summary>
    /// Waits until OpenBLAS's worker threads have gone to sleep: at most <paramref name="maxMilliseconds"/>, until this
    /// process uses less than a tenth of a core over 20 ms (its own GEMM workers block within 0.2 ms of a product).
    /// </summary>
    /// <remarks>
    /// After each call the pthread build's workers poll for the next one for 2^28 TSC cycles (its THREAD_TIMEOUT; about
    /// 0.13 s here) before they block: one core busy, which a measurement started then shares. Measured here
    /// (<c>gemm-quick openblas-spin</c>): the process kept a whole core busy for 100–150 ms after a 256³ product while
    /// its own thread slept, and the two-core FMA peak taken right after such a call was about a quarter lower than
    /// 300 ms later (medians 129 and 173 GFLOP/s over 8 pairs). Every benchmark that times something else after an
    /// OpenBLAS batch calls this first.
    /// </remarks>
    public static void WaitUntilIdle(int maxMilliseconds = 1000)
    {
        if (!IsAvailable)
            return;
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var total = System.Diagnostics.Stopwatch.StartNew();
        while (total.ElapsedMilliseconds < maxMilliseconds)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var window = System.Diagnostics.Stopwatch.StartNew();
            Thread.Sleep(20);
            process.Refresh();
            if ((process.TotalProcessorTime - cpu0).TotalSeconds < 0.1 * window.Elapsed.TotalSeconds)
                return;
        }
    }

    /// <summary>Row-major C = alpha·op(A)·op(B) + beta·C, the same contract as <see cref="Gemm.Multiply{T}"/>.</summary>
    public static void Gemm<T>(bool transposeA, bool transposeB, int m, int n, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int ldc)
        where T : unmanaged
    {
        if (!IsAvailable)
            throw new InvalidOperationException(LoadError);
        int ta = transposeA ? Trans : NoTrans, tb = transposeB ? Trans : NoTrans;
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            if (typeof(T) == typeof(float))
                CblasSgemm(RowMajor, ta, tb, m, n, k, Unsafe.As<T, float>(ref alpha), (float*)pa, lda, (float*)pb, ldb, Unsafe.As<T, float>(ref beta), (float*)pc, ldc);
            else
                CblasDgemm(RowMajor, ta, tb, m, n, k, Unsafe.As<T, double>(ref alpha), (double*)pa, lda, (double*)pb, ldb, Unsafe.As<T, double>(ref beta), (double*)pc, ldc);
        }
    }
}
