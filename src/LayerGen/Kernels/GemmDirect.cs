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
/// A transposed A is gathered row by row into a stack buffer first.
/// </remarks>
internal static unsafe class GemmDirect
{
    // AggressiveOptimization: these loops run on the first calls of a training run, before tiering would
    // promote them, and tiny products are exactly the calls that must be fast from the start.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the gather buffer is written before it is read
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A transposed row of op(A) (a column of A) is strided; it is gathered into this buffer, a chunk of the
        // inner dimension at a time, so the inner loops always read contiguous memory.
        const int Chunk = 256;
        T* gathered = stackalloc T[Chunk];
        for (int i = 0; i < m; i++)
        {
            T* ci = c + (long)i * ldc;
            ScaleRow(ci, n, beta);
            for (int p0 = 0; p0 < k; p0 += Chunk)
            {
                int kc = Math.Min(Chunk, k - p0);
                T* ai;
                if (transposeA)
                {
                    T* column = a + (long)p0 * lda + i;
                    for (int p = 0; p < kc; p++)
                        gathered[p] = column[(long)p * lda];
                    ai = gathered;
                }
                else
                {
                    ai = a + (long)i * lda + p0;
                }

                if (!transposeB)
                {
                    // C[i,:] += (alpha·op(A)[i,p])·B[p,:]: an axpy over a contiguous row of B.
                    for (int p = 0; p < kc; p++)
                        Axpy(alpha * ai[p], b + (long)(p0 + p) * ldb, ci, n);
                }
                else
                {
                    // C[i,j] += alpha·(op(A)[i,:]·B[j,:]): a dot product with a contiguous row of B.
                    for (int j = 0; j < n; j++)
                        ci[j] += alpha * Dot(ai, b + (long)j * ldb + p0, kc);
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
}
