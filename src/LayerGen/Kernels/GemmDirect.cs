using System.Numerics;
using System.Runtime.CompilerServices;

namespace LayerGen;

/// <summary>
/// The unpacked GEMM: tiny products (where packing costs more than it saves) and the portable fallback on
/// hardware without AVX2/FMA. Uses <see cref="Vector{T}"/>, so it is vectorised wherever the runtime vectorises.
/// </summary>
/// <remarks>
/// Row i of C is first scaled by beta (cleared when beta = 0, so NaN in C is ignored), then:
/// without a transposed B, C[i,:] += (alpha·op(A)[i,p])·B[p,:] for each p (an axpy over a contiguous row);
/// with a transposed B, C[i,j] += alpha·(op(A)[i,:]·B[j,:]) (a dot product over a contiguous row of B).
/// </remarks>
internal static unsafe class GemmDirect
{
    // AggressiveOptimization: these loops run on the first calls of a training run, before tiering would
    // promote them, and tiny products are exactly the calls that must be fast from the start.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // op(A)[i, p] is a[i·lda + p] or, transposed, a[p·lda + i].
        long aRowStride = transposeA ? 1 : lda, aColStride = transposeA ? lda : 1;
        for (int i = 0; i < m; i++)
        {
            T* ci = c + (long)i * ldc;
            T* ai = a + i * aRowStride;
            if (!transposeB)
            {
                ScaleRow(ci, n, beta);
                for (int p = 0; p < k; p++)
                    Axpy(alpha * ai[p * aColStride], b + (long)p * ldb, ci, n);
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    T dot = transposeA ? StridedDot(ai, aColStride, b + (long)j * ldb, k) : Dot(ai, b + (long)j * ldb, k);
                    ci[j] = beta == T.Zero ? alpha * dot : alpha * dot + beta * ci[j];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleRow<T>(T* row, int n, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.Zero)
            new Span<T>(row, n).Clear();
        else if (beta != T.One)
            for (int j = 0; j < n; j++)
                row[j] *= beta;
    }

    /// <summary>y += s·x over n elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy<T>(T s, T* x, T* y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            var vs = new Vector<T>(s);
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
                Unsafe.WriteUnaligned(y + j, Unsafe.ReadUnaligned<Vector<T>>(y + j) + vs * Unsafe.ReadUnaligned<Vector<T>>(x + j));
        }
        for (; j < n; j++)
            y[j] += s * x[j];
    }

    /// <summary>Σ x[p]·y[p] over contiguous rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Dot<T>(T* x, T* y, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && k >= Vector<T>.Count)
        {
            var acc = Vector<T>.Zero;
            for (; p <= k - Vector<T>.Count; p += Vector<T>.Count)
                acc += Unsafe.ReadUnaligned<Vector<T>>(x + p) * Unsafe.ReadUnaligned<Vector<T>>(y + p);
            sum = Vector.Sum(acc);
        }
        for (; p < k; p++)
            sum += x[p] * y[p];
        return sum;
    }

    /// <summary>Σ x[p·stride]·y[p].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T StridedDot<T>(T* x, long stride, T* y, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int p = 0; p < k; p++)
            sum += x[p * stride] * y[p];
        return sum;
    }
}
