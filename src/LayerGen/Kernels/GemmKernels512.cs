using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LayerGen;

/// <summary>
/// The AVX-512 register-tile micro-kernels: C[12×NR] = alpha·(Ã·B̃) + beta·C over one packed A micro-panel
/// (12×kc, k-major) and one packed B micro-panel (kc×NR, k-major), NR = two <see cref="Vector512{T}"/> (32 floats
/// or 16 doubles).
/// </summary>
/// <remarks>
/// Twenty-four zmm accumulators (12 rows × 2 vectors), two B loads and twelve A broadcasts per k-step: 27 of the 32
/// zmm registers, 24 FMAs per 14 loads, which keeps both 512-bit FMA pipes of a Sapphire Rapids (or Zen 4) core
/// busy. Every element of C is one lane of one accumulator that adds its k terms in order, exactly as the AVX2
/// kernels' lanes do, so the two kernels give bit-identical products.
/// </remarks>
internal static unsafe class GemmKernels512
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Float12x32(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        PrefetchTile(c, (long)ldc * sizeof(float));
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(av, b0, c60); c61 = Avx512F.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(av, b0, c70); c71 = Avx512F.FusedMultiplyAdd(av, b1, c71);
            av = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(av, b0, c80); c81 = Avx512F.FusedMultiplyAdd(av, b1, c81);
            av = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(av, b0, c90); c91 = Avx512F.FusedMultiplyAdd(av, b1, c91);
            av = Vector512.Create(a[10]);
            c100 = Avx512F.FusedMultiplyAdd(av, b0, c100); c101 = Avx512F.FusedMultiplyAdd(av, b1, c101);
            av = Vector512.Create(a[11]);
            c110 = Avx512F.FusedMultiplyAdd(av, b0, c110); c111 = Avx512F.FusedMultiplyAdd(av, b1, c111);
            a += 12;
            b += 32;
        }
        StoreRow(c, c00, c01, alpha, beta);
        StoreRow(c + ldc, c10, c11, alpha, beta);
        StoreRow(c + 2 * (long)ldc, c20, c21, alpha, beta);
        StoreRow(c + 3 * (long)ldc, c30, c31, alpha, beta);
        StoreRow(c + 4 * (long)ldc, c40, c41, alpha, beta);
        StoreRow(c + 5 * (long)ldc, c50, c51, alpha, beta);
        StoreRow(c + 6 * (long)ldc, c60, c61, alpha, beta);
        StoreRow(c + 7 * (long)ldc, c70, c71, alpha, beta);
        StoreRow(c + 8 * (long)ldc, c80, c81, alpha, beta);
        StoreRow(c + 9 * (long)ldc, c90, c91, alpha, beta);
        StoreRow(c + 10 * (long)ldc, c100, c101, alpha, beta);
        StoreRow(c + 11 * (long)ldc, c110, c111, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Double12x16(int kc, double* a, double* b, double* c, int ldc, double alpha, double beta)
    {
        Vector512<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<double> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<double> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<double> c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        PrefetchTile(c, (long)ldc * sizeof(double));
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + 8);
            var av = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(av, b0, c60); c61 = Avx512F.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(av, b0, c70); c71 = Avx512F.FusedMultiplyAdd(av, b1, c71);
            av = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(av, b0, c80); c81 = Avx512F.FusedMultiplyAdd(av, b1, c81);
            av = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(av, b0, c90); c91 = Avx512F.FusedMultiplyAdd(av, b1, c91);
            av = Vector512.Create(a[10]);
            c100 = Avx512F.FusedMultiplyAdd(av, b0, c100); c101 = Avx512F.FusedMultiplyAdd(av, b1, c101);
            av = Vector512.Create(a[11]);
            c110 = Avx512F.FusedMultiplyAdd(av, b0, c110); c111 = Avx512F.FusedMultiplyAdd(av, b1, c111);
            a += 12;
            b += 16;
        }
        StoreRow(c, c00, c01, alpha, beta);
        StoreRow(c + ldc, c10, c11, alpha, beta);
        StoreRow(c + 2 * (long)ldc, c20, c21, alpha, beta);
        StoreRow(c + 3 * (long)ldc, c30, c31, alpha, beta);
        StoreRow(c + 4 * (long)ldc, c40, c41, alpha, beta);
        StoreRow(c + 5 * (long)ldc, c50, c51, alpha, beta);
        StoreRow(c + 6 * (long)ldc, c60, c61, alpha, beta);
        StoreRow(c + 7 * (long)ldc, c70, c71, alpha, beta);
        StoreRow(c + 8 * (long)ldc, c80, c81, alpha, beta);
        StoreRow(c + 9 * (long)ldc, c90, c91, alpha, beta);
        StoreRow(c + 10 * (long)ldc, c100, c101, alpha, beta);
        StoreRow(c + 11 * (long)ldc, c110, c111, alpha, beta);
    }

    /// <summary>
    /// Starts loading the C tile (12 rows of 128 bytes) into L1 before the k-loop: for large products C lives in L3
    /// or memory. A row may straddle three cache lines, so its first, middle and last bytes are prefetched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(void* c, long rowStrideBytes)
    {
        byte* row = (byte*)c;
        for (int i = 0; i < 12; i++)
        {
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + 64);
            Sse.Prefetch0(row + 127);
            row += rowStrideBytes;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector512<float> x0, Vector512<float> x1, float alpha, float beta)
    {
        if (alpha != 1f)
        {
            var va = Vector512.Create(alpha);
            x0 *= va;
            x1 *= va;
        }
        if (beta == 1f)
        {
            x0 += Vector512.Load(c);
            x1 += Vector512.Load(c + 16);
        }
        else if (beta != 0f)
        {
            var vb = Vector512.Create(beta);
            x0 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c), x0);
            x1 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c + 16), x1);
        }
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(double* c, Vector512<double> x0, Vector512<double> x1, double alpha, double beta)
    {
        if (alpha != 1.0)
        {
            var va = Vector512.Create(alpha);
            x0 *= va;
            x1 *= va;
        }
        if (beta == 1.0)
        {
            x0 += Vector512.Load(c);
            x1 += Vector512.Load(c + 8);
        }
        else if (beta != 0.0)
        {
            var vb = Vector512.Create(beta);
            x0 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c), x0);
            x1 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c + 8), x1);
        }
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + 8);
    }
}
