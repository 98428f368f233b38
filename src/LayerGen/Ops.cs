using System.Numerics;

namespace LayerGen;

/// <summary>
/// The operations on <see cref="Matrix{TElement}"/>: each in an allocating form for users and a
/// destination-passing form (<c>…, result</c>) that allocates nothing, for generated code. Backward kernels sit
/// next to the op they differentiate. The contract is <c>docs/runtime-api.md</c>.
/// </summary>
public static partial class Ops
{
    // PLACEHOLDER bodies (naive) so the skeleton builds; the runtime work replaces them.

    /// <summary>The matrix product op(a)·op(b).</summary>
    public static Matrix<T> MatMul<T>(Matrix<T> a, Matrix<T> b, bool transposeA = false, bool transposeB = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new Matrix<T>(transposeA ? a.Cols : a.Rows, transposeB ? b.Rows : b.Cols);
        MatMul(a, b, result, transposeA, transposeB);
        return result;
    }

    /// <summary>result = op(a)·op(b), or result += op(a)·op(b) with <paramref name="accumulate"/>.</summary>
    public static void MatMul<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result, bool transposeA = false, bool transposeB = false, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = transposeA ? a.Cols : a.Rows, k = transposeA ? a.Rows : a.Cols;
        int kb = transposeB ? b.Cols : b.Rows, n = transposeB ? b.Rows : b.Cols;
        if (k != kb)
            throw new ShapeMismatchException("MatMul", $"{a.ShapeString}{(transposeA ? "ᵀ" : "")} × {b.ShapeString}{(transposeB ? "ᵀ" : "")}: inner dimensions {k} ≠ {kb}");
        ShapeMismatchException.ThrowIfNotShape("MatMul", "result", result, m, n);
        Gemm.Multiply(transposeA, transposeB, m, n, k, T.One, a.AsReadOnlySpan(), a.Cols, b.AsReadOnlySpan(), b.Cols,
            accumulate ? T.One : T.Zero, result.AsSpan(), n);
    }

    /// <summary>The transpose.</summary>
    public static Matrix<T> Transpose<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new Matrix<T>(a.Cols, a.Rows);
        for (int r = 0; r < a.Rows; r++)
            for (int c = 0; c < a.Cols; c++)
                result[c, r] = a[r, c];
        return result;
    }
}
