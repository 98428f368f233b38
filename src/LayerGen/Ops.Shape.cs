using System.Numerics;

namespace LayerGen;

// Concatenation and slicing (row-major copies, one span copy or add per row) and the slices' backward kernels.
// Concat's backward is two slices of dOutput.
public static partial class Ops
{
    /// <summary>Joins two matrices: axis 0 stacks rows (same Cols), axis 1 puts them side by side (same Rows).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not 0 or 1.</exception>
    /// <exception cref="ShapeMismatchException">The other dimension differs.</exception>
    [Differentiable(Rule = BuiltInRule.Concat)]
    public static Matrix<T> Concat<T>(Matrix<T> a, Matrix<T> b, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (rows, cols) = ConcatShape(a, b, axis);
        var result = new Matrix<T>(rows, cols);
        Concat(a, b, axis, result);
        return result;
    }

    /// <summary>result = Concat(a, b, axis); allocates nothing; result must not alias a or b.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not 0 or 1.</exception>
    /// <exception cref="ShapeMismatchException">The operands do not fit, or result has the wrong shape.</exception>
    public static void Concat<T>(Matrix<T> a, Matrix<T> b, int axis, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (rows, cols) = ConcatShape(a, b, axis);
        ArgumentNullException.ThrowIfNull(result);
        ShapeMismatchException.ThrowIfNotShape("Concat", "result", result, rows, cols);
        var d = result.AsSpan();
        if (axis == 0)
        {
            a.AsReadOnlySpan().CopyTo(d);
            b.AsReadOnlySpan().CopyTo(d[a.Length..]);
            return;
        }
        var x = a.AsReadOnlySpan();
        var y = b.AsReadOnlySpan();
        for (int r = 0; r < rows; r++)
        {
            x.Slice(r * a.Cols, a.Cols).CopyTo(d.Slice(r * cols, a.Cols));
            y.Slice(r * b.Cols, b.Cols).CopyTo(d.Slice(r * cols + a.Cols, b.Cols));
        }
    }

    private static (int Rows, int Cols) ConcatShape<T>(Matrix<T> a, Matrix<T> b, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ThrowIfBadAxis("Concat", axis);
        if (axis == 0 && a.Cols != b.Cols)
            throw new ShapeMismatchException("Concat", $"{a.ShapeString} and {b.ShapeString} along axis 0: columns {a.Cols} ≠ {b.Cols}");
        if (axis == 1 && a.Rows != b.Rows)
            throw new ShapeMismatchException("Concat", $"{a.ShapeString} and {b.ShapeString} along axis 1: rows {a.Rows} ≠ {b.Rows}");
        return axis == 0 ? (a.Rows + b.Rows, a.Cols) : (a.Rows, a.Cols + b.Cols);
    }

    /// <summary>Columns [start, start + count) of <paramref name="a"/>, as a new <c>[Rows, count]</c> matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside a's columns.</exception>
    [Differentiable(Rule = BuiltInRule.SliceColumns)]
    public static Matrix<T> SliceColumns<T>(Matrix<T> a, int start, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckRange("SliceColumns", "columns", a, start, count, a.Cols);
        var result = new Matrix<T>(a.Rows, count);
        SliceColumns(a, start, count, result);
        return result;
    }

    /// <summary>result (+)= columns [start, start + count) of a; allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside a's columns.</exception>
    /// <exception cref="ShapeMismatchException">result is not <c>[a.Rows, count]</c>.</exception>
    public static void SliceColumns<T>(Matrix<T> a, int start, int count, Matrix<T> result, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(result);
        CheckRange("SliceColumns", "columns", a, start, count, a.Cols);
        ShapeMismatchException.ThrowIfNotShape("SliceColumns", "result", result, a.Rows, count);
        var x = a.AsReadOnlySpan();
        var d = result.AsSpan();
        for (int r = 0; r < a.Rows; r++)
            ElementwiseKernels.Store(x.Slice(r * a.Cols + start, count), d.Slice(r * count, count), accumulate);
    }

    /// <summary>Rows [start, start + count) of <paramref name="a"/>, as a new <c>[count, Cols]</c> matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside a's rows.</exception>
    [Differentiable(Rule = BuiltInRule.SliceRows)]
    public static Matrix<T> SliceRows<T>(Matrix<T> a, int start, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckRange("SliceRows", "rows", a, start, count, a.Rows);
        var result = new Matrix<T>(count, a.Cols);
        SliceRows(a, start, count, result);
        return result;
    }

    /// <summary>result (+)= rows [start, start + count) of a (one contiguous copy or add); allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside a's rows.</exception>
    /// <exception cref="ShapeMismatchException">result is not <c>[count, a.Cols]</c>.</exception>
    public static void SliceRows<T>(Matrix<T> a, int start, int count, Matrix<T> result, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(result);
        CheckRange("SliceRows", "rows", a, start, count, a.Rows);
        ShapeMismatchException.ThrowIfNotShape("SliceRows", "result", result, count, a.Cols);
        ElementwiseKernels.Store(a.AsReadOnlySpan().Slice(start * a.Cols, count * a.Cols), result.AsSpan(), accumulate);
    }

    /// <summary>
    /// Backward of <see cref="SliceColumns{T}(Matrix{T}, int, int)"/>: adds dOutput into columns
    /// [start, start + dOutput.Cols) of dInput; without <paramref name="accumulate"/> the other columns become 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The columns do not fit in dInput.</exception>
    /// <exception cref="ShapeMismatchException">dInput's rows differ from dOutput's.</exception>
    public static void SliceColumnsBackward<T>(Matrix<T> dOutput, int start, Matrix<T> dInput, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        ArgumentNullException.ThrowIfNull(dInput);
        CheckRange("SliceColumnsBackward", "columns", dInput, start, dOutput.Cols, dInput.Cols);
        ShapeMismatchException.ThrowIfNotShape("SliceColumnsBackward", "dInput", dInput, dOutput.Rows, dInput.Cols);
        var dy = dOutput.AsReadOnlySpan();
        var dx = dInput.AsSpan();
        if (!accumulate)
            dx.Clear();
        int count = dOutput.Cols;
        for (int r = 0; r < dOutput.Rows; r++)
            ElementwiseKernels.Store(dy.Slice(r * count, count), dx.Slice(r * dInput.Cols + start, count), accumulate: true);
    }

    /// <summary>
    /// Backward of <see cref="SliceRows{T}(Matrix{T}, int, int)"/>: adds dOutput into rows
    /// [start, start + dOutput.Rows) of dInput; without <paramref name="accumulate"/> the other rows become 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rows do not fit in dInput.</exception>
    /// <exception cref="ShapeMismatchException">dInput's columns differ from dOutput's.</exception>
    public static void SliceRowsBackward<T>(Matrix<T> dOutput, int start, Matrix<T> dInput, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        ArgumentNullException.ThrowIfNull(dInput);
        CheckRange("SliceRowsBackward", "rows", dInput, start, dOutput.Rows, dInput.Rows);
        ShapeMismatchException.ThrowIfNotShape("SliceRowsBackward", "dInput", dInput, dInput.Rows, dOutput.Cols);
        var dx = dInput.AsSpan();
        int cols = dInput.Cols;
        if (!accumulate)
        {
            dx[..(start * cols)].Clear();
            dx[((start + dOutput.Rows) * cols)..].Clear();
        }
        ElementwiseKernels.Store(dOutput.AsReadOnlySpan(), dx.Slice(start * cols, dOutput.Length), accumulate);
    }

    private static void CheckRange<T>(string operation, string what, Matrix<T> a, int start, int count, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (start < 0 || count < 0 || (long)start + count > length)
            throw new ArgumentOutOfRangeException(nameof(start), $"{operation}: {what} [{start}, {(long)start + count}) are outside a {a.ShapeString} matrix ({length} {what}).");
    }
}
