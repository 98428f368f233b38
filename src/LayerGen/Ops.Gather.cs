using System.Numerics;

namespace LayerGen;

// Ops that pick, bound or reinterpret elements: Embedding (a gather of table rows; its backward is a scatter-add),
// Clamp and Reshape. Each carries its descriptor for the generator (docs/adding-an-op.md) and has a destination
// overload and a destination-passing backward, so a training step through them allocates nothing.
public static partial class Ops
{
    // ---------------------------------------------------------------- Embedding

    /// <summary>
    /// Rows <paramref name="ids"/> of <paramref name="table"/>: row i of the result is <c>table[ids[i]]</c>, so an
    /// embedding lookup of <c>ids.Length</c> tokens is <c>[ids.Length, table.Cols]</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative or not below <c>table.Rows</c> (the message names the id, its position and the row count).</exception>
    [Differentiable(Backward = nameof(EmbeddingBackward), Saves = SavedValues.Arguments, Notation = "{table}[{ids}]",
        Derivative = "∂L/∂{table}[{ids}[i]] += row i of {dResult}")]
    [return: Shape("N", "D")]
    public static Matrix<T> Embedding<T>([Shape("V", "D")] Matrix<T> table, [Shape("N")] int[] ids) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(ids);
        var result = new Matrix<T>(ids.Length, table.Cols);
        Embedding(table, ids, result);
        return result;
    }

    /// <summary>result = rows <paramref name="ids"/> of <paramref name="table"/> (<c>[ids.Length, table.Cols]</c>); allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the table's rows.</exception>
    /// <exception cref="ShapeMismatchException">result is not <c>[ids.Length, table.Cols]</c>.</exception>
    public static void Embedding<T>(Matrix<T> table, int[] ids, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(result);
        ShapeMismatchException.ThrowIfNotShape("Embedding", "result", result, ids.Length, table.Cols);
        CheckIds("Embedding", table, ids);
        int d = table.Cols;
        var source = table.AsReadOnlySpan();
        var destination = result.AsSpan();
        for (int i = 0; i < ids.Length; i++)
            source.Slice(ids[i] * d, d).CopyTo(destination.Slice(i * d, d));
    }

    /// <summary>
    /// Backward of <see cref="Embedding{T}(Matrix{T}, int[])"/>, a scatter-add: row <c>ids[i]</c> of dTable (+)= row i
    /// of dOutput. Repeated ids add up; rows of ids that do not occur get nothing (0 without <paramref name="accumulate"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the table's rows.</exception>
    /// <exception cref="ShapeMismatchException">dOutput is not <c>[ids.Length, table.Cols]</c> or dTable not table's shape.</exception>
    public static void EmbeddingBackward<T>(Matrix<T> table, int[] ids, Matrix<T> dOutput, Matrix<T> dTable, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(dOutput);
        ArgumentNullException.ThrowIfNull(dTable);
        ShapeMismatchException.ThrowIfNotShape("EmbeddingBackward", "dOutput", dOutput, ids.Length, table.Cols);
        ShapeMismatchException.ThrowIfNotShape("EmbeddingBackward", "dTable", dTable, table.Rows, table.Cols);
        CheckIds("EmbeddingBackward", table, ids);
        int d = table.Cols;
        var dy = dOutput.AsReadOnlySpan();
        var dt = dTable.AsSpan();
        if (!accumulate)
            ParallelClear.Clear(dt);   // the whole table: rows no id touches are 0 (a large table on every core)
        for (int i = 0; i < ids.Length; i++)
            ElementwiseKernels.Store(dy.Slice(i * d, d), dt.Slice(ids[i] * d, d), accumulate: true);
    }

    private static void CheckIds<T>(string operation, Matrix<T> table, int[] ids) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)table.Rows)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i],
                    $"{operation}: id {ids[i]} at position {i} is outside the table's {table.Rows} rows (ids must be in [0, {table.Rows})).");
        }
    }

    // ---------------------------------------------------------------- Clamp

    /// <summary>a bounded to [min, max], element-wise.</summary>
    /// <exception cref="ArgumentException">min &gt; max, or either is NaN.</exception>
    [Differentiable(Backward = nameof(ClampBackward), Saves = SavedValues.Arguments, Notation = "clamp({a}, {min}, {max})",
        Derivative = "{dResult} ⊙ [{min} ≤ {a} ≤ {max}]")]
    [return: Shape("R", "C")]
    public static Matrix<T> Clamp<T>([Shape("R", "C")] Matrix<T> a, [NoGrad] T min, [NoGrad] T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Clamp(a, min, max, result);
        return result;
    }

    /// <summary>result = a bounded to [min, max]; result may alias a.</summary>
    /// <exception cref="ArgumentException">min &gt; max, or either is NaN.</exception>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Clamp<T>(Matrix<T> a, T min, T max, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Clamp", "result", a, result);
        CheckBounds("Clamp", min, max);
        ElementwiseKernels.Unary(new ClampKernel<T>(min, max), a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>
    /// dInput (+)= dOutput where min ≤ a ≤ max, else 0 (the bounds pass the gradient, as PyTorch's <c>clamp</c> does).
    /// </summary>
    /// <exception cref="ArgumentException">min &gt; max, or either is NaN.</exception>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void ClampBackward<T>(Matrix<T> a, T min, T max, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBounds("ClampBackward", min, max);
        FusedBackward("ClampBackward", "a", new ClampMask<T>(min, max), a, dOutput, dInput, accumulate);
    }

    private static void CheckBounds<T>(string operation, T min, T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (T.IsNaN(min) || T.IsNaN(max) || min > max)
            throw new ArgumentException($"{operation}: the bounds must satisfy min ≤ max, but min is {min} and max is {max}.", nameof(min));
    }

    private readonly struct ClampKernel<T>(T min, T max) : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => x < min ? min : x > max ? max : x;
        public Vector<T> Invoke(Vector<T> x) => Vector.Min(Vector.Max(x, new Vector<T>(min)), new Vector<T>(max));
    }

    private readonly struct ClampMask<T>(T min, T max) : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => x >= min && x <= max ? dy : T.Zero;
        public Vector<T> Invoke(Vector<T> x, Vector<T> dy) =>
            Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, new Vector<T>(min)) & Vector.LessThanOrEqual(x, new Vector<T>(max)), dy, Vector<T>.Zero);
    }

    // ---------------------------------------------------------------- Reshape

    /// <summary>
    /// The elements of <paramref name="a"/> reinterpreted row-major as <c>[rows, cols]</c> (a copy): <c>rows · cols</c>
    /// must equal <c>a.Rows · a.Cols</c>.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The element counts differ.</exception>
    [Differentiable(Backward = nameof(ReshapeBackward), Saves = SavedValues.Nothing, Notation = "reshape({a}, {rows}, {cols})",
        Derivative = "{dResult} read row-major in {a}'s shape")]
    [return: Shape("Rows", "Cols")]
    public static Matrix<T> Reshape<T>(Matrix<T> a, [Shape("Rows")] int rows, [Shape("Cols")] int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckReshape("Reshape", a, rows, cols);
        var result = new Matrix<T>(rows, cols);
        a.AsReadOnlySpan().CopyTo(result.AsSpan());
        return result;
    }

    /// <summary>result = a's elements row-major in <c>[rows, cols]</c>; allocates nothing.</summary>
    /// <exception cref="ShapeMismatchException">The element counts differ, or result is not <c>[rows, cols]</c>.</exception>
    public static void Reshape<T>(Matrix<T> a, int rows, int cols, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(result);
        CheckReshape("Reshape", a, rows, cols);
        ShapeMismatchException.ThrowIfNotShape("Reshape", "result", result, rows, cols);
        a.AsReadOnlySpan().CopyTo(result.AsSpan());
    }

    /// <summary>Backward of <see cref="Reshape{T}(Matrix{T}, int, int)"/>: dInput (+)= dOutput's elements in dInput's shape.</summary>
    /// <exception cref="ShapeMismatchException">The element counts differ.</exception>
    public static void ReshapeBackward<T>(Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        ArgumentNullException.ThrowIfNull(dInput);
        if (dOutput.Length != dInput.Length)
            throw new ShapeMismatchException("ReshapeBackward", $"dOutput is {dOutput.ShapeString} ({dOutput.Length} elements) but dInput is {dInput.ShapeString} ({dInput.Length} elements)");
        ElementwiseKernels.Store(dOutput.AsReadOnlySpan(), dInput.AsSpan(), accumulate);
    }

    private static void CheckReshape<T>(string operation, Matrix<T> a, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows < 0 || cols < 0 || (long)rows * cols != a.Length)
            throw new ShapeMismatchException(operation, $"{a.ShapeString} has {a.Length} elements, which cannot be read as {ShapeMismatchException.Format(rows, cols)} ({(long)rows * cols} elements)");
    }
}
