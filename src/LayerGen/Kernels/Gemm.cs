using System.Numerics;

namespace LayerGen;

/// <summary>
/// General matrix multiply, BLAS semantics on row-major storage: <c>C = alpha·op(A)·op(B) + beta·C</c>.
/// </summary>
/// <remarks>PLACEHOLDER: a naive reference loop; the blocked, packed, vectorised kernel replaces it.</remarks>
public static class Gemm
{
    /// <summary>
    /// <c>C = alpha·op(A)·op(B) + beta·C</c> where op(A) is m×k, op(B) is k×n and C is m×n, all row-major with
    /// leading dimensions <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/>. With
    /// <paramref name="beta"/> = 0 the old contents of C are ignored (even NaN).
    /// </summary>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T x = transposeA ? a[p * lda + i] : a[i * lda + p];
                    T y = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += x * y;
                }
                c[i * ldc + j] = beta == T.Zero ? alpha * sum : alpha * sum + beta * c[i * ldc + j];
            }
    }
}
