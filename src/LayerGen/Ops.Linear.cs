using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LayerGen;

// Linear algebra: the matrix product (over the packed GEMM in Kernels/), the transpose and the Frobenius inner
// product. The adjoints of MatMul are MatMuls with transposed operands, so it has no backward kernel of its own.
public static partial class Ops
{
    /// <summary>The matrix product op(a)·op(b), where op transposes when asked (without copying).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <param name="transposeA">Use aᵀ.</param>
    /// <param name="transposeB">Use bᵀ.</param>
    /// <returns>A new matrix with the rows of op(a) and the columns of op(b).</returns>
    /// <exception cref="ShapeMismatchException">The inner dimensions differ.</exception>
    [Differentiable(Rule = BuiltInRule.MatMul)]
    public static Matrix<T> MatMul<T>(Matrix<T> a, Matrix<T> b, bool transposeA = false, bool transposeB = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckInner(a, b, transposeA, transposeB, out int m, out int n, out _);
        var result = new Matrix<T>(m, n);
        MatMul(a, b, result, transposeA, transposeB);
        return result;
    }

    /// <summary>
    /// <c>result = op(a)·op(b)</c>, or <c>result += op(a)·op(b)</c> with <paramref name="accumulate"/>. Allocates
    /// nothing (after the GEMM's one-time buffers).
    /// </summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <param name="result">Destination, rows of op(a) × columns of op(b); must not share storage with a or b.</param>
    /// <param name="transposeA">Use aᵀ.</param>
    /// <param name="transposeB">Use bᵀ.</param>
    /// <param name="accumulate">Add into <paramref name="result"/> instead of overwriting it.</param>
    /// <exception cref="ShapeMismatchException">The inner dimensions differ, or result has the wrong shape.</exception>
    /// <exception cref="ArgumentException"><paramref name="result"/> shares storage with an operand.</exception>
    public static void MatMul<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result, bool transposeA = false, bool transposeB = false, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(result);
        CheckInner(a, b, transposeA, transposeB, out int m, out int n, out int k);
        if (result.Rows != m || result.Cols != n)
            throw new ShapeMismatchException("MatMul",
                $"{Operands(a, b, transposeA, transposeB)}: result is {result.ShapeString} but must be {ShapeMismatchException.Format(m, n)}");
        ThrowIfAliased("MatMul", "a", a, result);
        ThrowIfAliased("MatMul", "b", b, result);
        Gemm.Multiply(transposeA, transposeB, m, n, k, T.One, a.AsReadOnlySpan(), Math.Max(1, a.Cols),
            b.AsReadOnlySpan(), Math.Max(1, b.Cols), accumulate ? T.One : T.Zero, result.AsSpan(), Math.Max(1, n));
    }

    /// <summary>The transpose of <paramref name="a"/>, as a new matrix.</summary>
    /// <param name="a">The matrix.</param>
    /// <returns>A new <c>[a.Cols, a.Rows]</c> matrix.</returns>
    [Differentiable(Rule = BuiltInRule.Transpose)]
    public static Matrix<T> Transpose<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = new Matrix<T>(a.Cols, a.Rows);
        Transpose(a, result);
        return result;
    }

    /// <summary><c>result = aᵀ</c>, or <c>result += aᵀ</c> with <paramref name="accumulate"/>.</summary>
    /// <param name="a">The matrix.</param>
    /// <param name="result">Destination, <c>[a.Cols, a.Rows]</c>; must not share storage with a.</param>
    /// <param name="accumulate">Add into <paramref name="result"/> instead of overwriting it.</param>
    /// <exception cref="ShapeMismatchException">result has the wrong shape.</exception>
    /// <exception cref="ArgumentException"><paramref name="result"/> shares storage with <paramref name="a"/>.</exception>
    public static unsafe void Transpose<T>(Matrix<T> a, Matrix<T> result, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(result);
        if (result.Rows != a.Cols || result.Cols != a.Rows)
            throw new ShapeMismatchException("Transpose",
                $"{a.ShapeString}ᵀ: result is {result.ShapeString} but must be {ShapeMismatchException.Format(a.Cols, a.Rows)}");
        ThrowIfAliased("Transpose", "a", a, result);
        int rows = a.Rows, cols = a.Cols;
        if (rows == 0 || cols == 0)
            return;
        // Square tiles small enough that the source rows and destination rows of a tile all stay in L1, so each
        // cache line is fetched once instead of once per element on the strided side.
        const int Tile = 32;
        fixed (T* src = a.AsReadOnlySpan())
        fixed (T* dst = result.AsSpan())
        {
            for (int i0 = 0; i0 < rows; i0 += Tile)
            {
                int i1 = Math.Min(rows, i0 + Tile);
                for (int j0 = 0; j0 < cols; j0 += Tile)
                {
                    int j1 = Math.Min(cols, j0 + Tile);
                    if (accumulate)
                        TransposeTile<T, AccumulateStore>(src, cols, dst, rows, i0, i1, j0, j1);
                    else
                        TransposeTile<T, OverwriteStore>(src, cols, dst, rows, i0, i1, j0, j1);
                }
            }
        }
    }

    /// <summary>The Frobenius inner product Σ a⊙b of two matrices of the same shape.</summary>
    /// <param name="a">First matrix.</param>
    /// <param name="b">Second matrix, same shape.</param>
    /// <returns>The sum of the element-wise products.</returns>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    [Differentiable(Rule = BuiltInRule.Dot)]
    public static T Dot<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ShapeMismatchException.ThrowIfDifferent("Dot", a, b);
        return TensorPrimitives.Dot(a.AsReadOnlySpan(), b.AsReadOnlySpan());
    }

    // ------------------------------------------------------------------ helpers

    private static void CheckInner<T>(Matrix<T> a, Matrix<T> b, bool transposeA, bool transposeB, out int m, out int n, out int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        m = transposeA ? a.Cols : a.Rows;
        k = transposeA ? a.Rows : a.Cols;
        int kb = transposeB ? b.Cols : b.Rows;
        n = transposeB ? b.Rows : b.Cols;
        if (k != kb)
            throw new ShapeMismatchException("MatMul", $"{Operands(a, b, transposeA, transposeB)}: inner dimensions {k} ≠ {kb}");
    }

    /// <summary>The operands as written in messages, e.g. <c>[784, 32]ᵀ × [784, 10]</c>.</summary>
    private static string Operands<T>(Matrix<T> a, Matrix<T> b, bool transposeA, bool transposeB)
        where T : unmanaged, IFloatingPointIeee754<T>
        => $"{a.ShapeString}{(transposeA ? "ᵀ" : "")} × {b.ShapeString}{(transposeB ? "ᵀ" : "")}";

    /// <summary>MatMul and Transpose read operands while writing result, so shared storage would corrupt it.</summary>
    private static void ThrowIfAliased<T>(string operation, string name, Matrix<T> operand, Matrix<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (ReferenceEquals(operand, result) || operand.AsReadOnlySpan().Overlaps(result.AsReadOnlySpan()))
            throw new ArgumentException(
                $"{operation}: result ({result.ShapeString}) shares storage with {name} ({operand.ShapeString}); the result of {operation} must be a different matrix.",
                nameof(result));
    }

    // Marker types: TransposeTile is specialised on them, so the accumulate test leaves the inner loop.
    private readonly struct OverwriteStore;

    private readonly struct AccumulateStore;

    private static unsafe void TransposeTile<T, TStore>(T* src, int srcCols, T* dst, int dstCols, int i0, int i1, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TStore : struct
    {
        for (int i = i0; i < i1; i++)
        {
            T* s = src + (long)i * srcCols;
            for (int j = j0; j < j1; j++)
            {
                ref T d = ref dst[(long)j * dstCols + i];
                if (typeof(TStore) == typeof(AccumulateStore))
                    d += s[j];
                else
                    d = s[j];
            }
        }
    }
}
