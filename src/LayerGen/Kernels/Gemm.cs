using System.Numerics;
using System.Runtime.CompilerServices;

namespace LayerGen;

/// <summary>
/// General matrix multiply, BLAS semantics on row-major storage: <c>C = alpha·op(A)·op(B) + beta·C</c>.
/// </summary>
/// <remarks>
/// <para>
/// On x86 with AVX2 and FMA the product is cache-blocked in the Goto/BLIS style: op(B) is packed into
/// <c>KC×NR</c> column panels, op(A) into <c>MR×KC</c> row panels (both transposes are absorbed by the packing
/// routines, so a transpose is never materialised), and a register-tile micro-kernel of <c>MR×NR</c> accumulators
/// runs the inner loop: with AVX-512, 12×32 for <see cref="float"/> and 12×16 for <see cref="double"/> (24
/// <see cref="System.Runtime.Intrinsics.Vector512{T}"/> registers); otherwise 6×16 and 6×8 (twelve
/// <see cref="System.Runtime.Intrinsics.Vector256{T}"/> registers). Both add every element's terms in the same order,
/// so they give the same bits. Large products are split over the cores by a small persistent worker pool.
/// </para>
/// <para>
/// Tiny products, and every product on hardware without AVX2/FMA, take a direct vectorised loop
/// (<see cref="Vector{T}"/>) with no packing.
/// </para>
/// <para>
/// Allocation: packing buffers are thread-local, pinned and grown only when a larger product needs them, so after
/// warm-up a call allocates nothing, single-threaded or multi-threaded.
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>
    /// <c>C = alpha·op(A)·op(B) + beta·C</c> where op(A) is m×k, op(B) is k×n and C is m×n, all row-major with
    /// leading dimensions <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/>. With
    /// <paramref name="beta"/> = 0 the old contents of C are ignored (even NaN).
    /// </summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ: A is then stored k×m.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ: B is then stored n×k.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major; row r starts at <c>r·lda</c>.</param>
    /// <param name="lda">Leading dimension of A: at least its stored width (k, or m when transposed).</param>
    /// <param name="b">B, row-major; row r starts at <c>r·ldb</c>.</param>
    /// <param name="ldb">Leading dimension of B: at least its stored width (n, or k when transposed).</param>
    /// <param name="beta">Scale of the old C; 0 means C is write-only.</param>
    /// <param name="c">C, row-major; must not overlap A or B.</param>
    /// <param name="ldc">Leading dimension of C: at least n.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or a leading dimension is too small.</exception>
    /// <exception cref="ArgumentException">A span is too short for its matrix.</exception>
    public static unsafe void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(m < 0 ? nameof(m) : n < 0 ? nameof(n) : nameof(k),
                $"Gemm.Multiply: dimensions must not be negative, got m = {m}, n = {n}, k = {k}.");
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        CheckOperand("A", a.Length, aRows, aCols, lda, nameof(lda));
        CheckOperand("B", b.Length, bRows, bCols, ldb, nameof(ldb));
        CheckOperand("C", c.Length, m, n, ldc, nameof(ldc));
        if (m == 0 || n == 0)
            return;

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            if (k == 0 || alpha == T.Zero)
            {
                ScaleC(m, n, beta, pc, ldc);
                return;
            }

            if (!UseBlocked<T>(m, n, k))
            {
                GemmDirect.Multiply(transposeA, transposeB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                return;
            }

            var job = new GemmJob<T>
            {
                TransposeA = transposeA, TransposeB = transposeB, M = m, N = n, K = k,
                Alpha = alpha, A = pa, Lda = lda, B = pb, Ldb = ldb, Beta = beta, C = pc, Ldc = ldc,
            };
            if (UseAvx512<T>())
                RunBlocked<T, Avx512Kernel<T>>(ref job);
            else
                RunBlocked<T, Avx2Kernel<T>>(ref job);
        }
    }

    /// <summary>The packed product with one micro-kernel: split over the pool when it is large and the pool is free.</summary>
    private static unsafe void RunBlocked<T, TKernel>(ref GemmJob<T> job)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        int parts = GemmParallel.ChooseParts(job.M, job.N, job.K, TKernel.MR, TKernel.NR, out job.SplitRows);
        if (parts <= 1 || !GemmParallel.TryAcquire())
        {
            // One part, or another caller holds the pool: the whole product on this thread.
            GemmBlocked<T, TKernel>.Run(in job, 0, 1);
            return;
        }
        try
        {
            GemmBlocked<T, TKernel>.Prepare(ref job, parts);
            fixed (GemmJob<T>* shared = &job)
                GemmParallel.Run(&GemmBlocked<T, TKernel>.RunPart, shared, parts);
        }
        finally
        {
            GemmParallel.Release();
        }
    }

    /// <summary>
    /// Forces the AVX2 micro-kernel on AVX-512 hardware, so tests can compare the two kernels (they give bit-identical
    /// products) and benchmarks can measure both. Per thread, like <see cref="ForcePortable"/>. The runtime's own
    /// switch, <c>DOTNET_EnableAVX512=0</c>, does the same for a whole process (.NET 10 ignores .NET 8's
    /// <c>DOTNET_EnableAVX512F</c>).
    /// </summary>
    internal static bool ForceAvx2
    {
        get => t_forceAvx2;
        set => t_forceAvx2 = value;
    }

    [ThreadStatic] private static bool t_forceAvx2;

    /// <summary>Whether products on this thread take the AVX-512 micro-kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool UseAvx512<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => Avx512Kernel<T>.IsSupported && !ForceAvx2;

    /// <summary>The name of the micro-kernel products on this thread take (for benchmark reports).</summary>
    internal static string KernelName<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => !UseBlocked<T>(64, 64, 64) ? "portable" : UseAvx512<T>()
            ? $"AVX-512 {Avx512Kernel<T>.MR}×{Avx512Kernel<T>.NR}"
            : $"AVX2 {Avx2Kernel<T>.MR}×{Avx2Kernel<T>.NR}";

    /// <summary>
    /// Forces the portable path (no AVX2/FMA micro-kernel, no threads) so tests can exercise the fallback on
    /// hardware that has AVX2. Per thread, so a test that sets it does not change products on other threads.
    /// </summary>
    internal static bool ForcePortable
    {
        get => t_forcePortable;
        set => t_forcePortable = value;
    }

    [ThreadStatic] private static bool t_forcePortable;

    /// <summary>
    /// Products with at most this many multiply-adds (m·n·k) take the direct loop even on AVX2 hardware: below it
    /// the packing copies cost more than the register blocking saves.
    /// </summary>
    internal const long DirectThreshold = 8 * 8 * 8;

    /// <summary>Whether the packed AVX2/FMA path runs this product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool UseBlocked<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
        => Avx2Kernel<T>.IsSupported && !ForcePortable && (long)m * n * k > DirectThreshold;

    private static void CheckOperand(string name, int length, int rows, int cols, int ld, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException(ldName,
                $"Gemm.Multiply: {ldName} = {ld} is less than the stored width {cols} of {name} ([{rows}, {cols}]).");
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"Gemm.Multiply: {name} is [{rows}, {cols}] with leading dimension {ld}, which needs {needed} elements, but the span has {length}.",
                name.ToLowerInvariant());
    }

    /// <summary>C = beta·C (beta = 0 clears, ignoring NaN).</summary>
    private static unsafe void ScaleC<T>(int m, int n, T beta, T* c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.One)
            return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + (long)i * ldc, n);
            if (beta == T.Zero)
                row.Clear();
            else
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }
}

/// <summary>The arguments of one product, on the caller's stack, shared by the parts that compute it.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal unsafe struct GemmJob<T> where T : unmanaged
{
    public bool TransposeA, TransposeB;
    public int M, N, K;
    public T Alpha, Beta;
    public T* A, B, C;
    public int Lda, Ldb, Ldc;

    /// <summary>Whether parts split the rows of C (M) rather than its columns (N).</summary>
    public bool SplitRows;

    /// <summary>Row split: the two shared packed-B buffers, <see cref="PackBStride"/> elements apart.</summary>
    public T* PackB;
    public long PackBStride;

    /// <summary>Row split: the parts' packed-A buffers, <see cref="PackAStride"/> elements apart.</summary>
    public T* PackA;
    public long PackAStride;

    /// <summary>Row split: B panel groups claimed and packed, MR-high row tiles claimed and computed, counted over all
    /// slices in order (see <c>GemmBlocked.SharedB</c>).</summary>
    public int PackClaimed, PackDone, TileClaimed, TileDone;

    /// <summary>Row split: the most row tiles one claim takes (a slice's first run; later runs are smaller).</summary>
    public int MaxRunTiles;
}
