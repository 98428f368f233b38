using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LayerGen;

/// <summary>
/// The AVX2/FMA register-tile micro-kernels: C[MR×NR] = alpha·(Ã·B̃) + beta·C over one packed A micro-panel
/// (MR×kc, k-major) and one packed B micro-panel (kc×NR, k-major).
/// </summary>
/// <remarks>
/// Twelve ymm accumulators (6 rows × 2 vectors), two B loads and one A broadcast per k-step: 15 of the 16 ymm
/// registers, 12 FMAs per 3 loads, which keeps both FMA pipes of a Zen 3 core busy. The k loop is unrolled by
/// two; alpha and beta are applied once, after the loop. beta = 0 never reads C (NaN in C is ignored).
/// </remarks>
internal static unsafe class GemmKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Float6x16(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        PrefetchTile(c, (long)ldc * sizeof(float));
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var av = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);

            b0 = Avx.LoadAlignedVector256(b + 16);
            b1 = Avx.LoadAlignedVector256(b + 24);
            av = Vector256.Create(a[6]);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[7]);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[8]);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[9]);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[10]);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[11]);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            a += 12;
            b += 32;
        }
        if (p < kc)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var av = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
        }
        StoreRow(c, c00, c01, alpha, beta);
        StoreRow(c + ldc, c10, c11, alpha, beta);
        StoreRow(c + 2 * (long)ldc, c20, c21, alpha, beta);
        StoreRow(c + 3 * (long)ldc, c30, c31, alpha, beta);
        StoreRow(c + 4 * (long)ldc, c40, c41, alpha, beta);
        StoreRow(c + 5 * (long)ldc, c50, c51, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Double6x8(int kc, double* a, double* b, double* c, int ldc, double alpha, double beta)
    {
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<double> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        PrefetchTile(c, (long)ldc * sizeof(double));
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 4);
            var av = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);

            b0 = Avx.LoadAlignedVector256(b + 8);
            b1 = Avx.LoadAlignedVector256(b + 12);
            av = Vector256.Create(a[6]);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[7]);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[8]);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[9]);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[10]);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[11]);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            a += 12;
            b += 16;
        }
        if (p < kc)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 4);
            var av = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
        }
        StoreRow(c, c00, c01, alpha, beta);
        StoreRow(c + ldc, c10, c11, alpha, beta);
        StoreRow(c + 2 * (long)ldc, c20, c21, alpha, beta);
        StoreRow(c + 3 * (long)ldc, c30, c31, alpha, beta);
        StoreRow(c + 4 * (long)ldc, c40, c41, alpha, beta);
        StoreRow(c + 5 * (long)ldc, c50, c51, alpha, beta);
    }

    /// <summary>
    /// Starts loading the C tile (6 rows of 64 bytes: 16 floats or 8 doubles) into L1 before the k-loop: for
    /// large products C lives in L3 or memory, and loading it after the loop would stall the kernel for a few
    /// hundred cycles per tile. A row may straddle two cache lines, so both ends are prefetched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(void* c, long rowStrideBytes)
    {
        byte* row = (byte*)c;
        for (int i = 0; i < 6; i++)
        {
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + 63);
            row += rowStrideBytes;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> x0, Vector256<float> x1, float alpha, float beta)
    {
        if (alpha != 1f)
        {
            var va = Vector256.Create(alpha);
            x0 = Avx.Multiply(x0, va);
            x1 = Avx.Multiply(x1, va);
        }
        if (beta == 1f)
        {
            x0 = Avx.Add(x0, Avx.LoadVector256(c));
            x1 = Avx.Add(x1, Avx.LoadVector256(c + 8));
        }
        else if (beta != 0f)
        {
            var vb = Vector256.Create(beta);
            x0 = Fma.MultiplyAdd(vb, Avx.LoadVector256(c), x0);
            x1 = Fma.MultiplyAdd(vb, Avx.LoadVector256(c + 8), x1);
        }
        Avx.Store(c, x0);
        Avx.Store(c + 8, x1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(double* c, Vector256<double> x0, Vector256<double> x1, double alpha, double beta)
    {
        if (alpha != 1.0)
        {
            var va = Vector256.Create(alpha);
            x0 = Avx.Multiply(x0, va);
            x1 = Avx.Multiply(x1, va);
        }
        if (beta == 1.0)
        {
            x0 = Avx.Add(x0, Avx.LoadVector256(c));
            x1 = Avx.Add(x1, Avx.LoadVector256(c + 4));
        }
        else if (beta != 0.0)
        {
            var vb = Vector256.Create(beta);
            x0 = Fma.MultiplyAdd(vb, Avx.LoadVector256(c), x0);
            x1 = Fma.MultiplyAdd(vb, Avx.LoadVector256(c + 4), x1);
        }
        Avx.Store(c, x0);
        Avx.Store(c + 4, x1);
    }
}
