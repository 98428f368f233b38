using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

// Reductions: totals and sums/means along an axis. Their adjoints are BroadcastTo (axis) and AddScalar (total).
public static partial class Ops
{
    /// <summary>The sum of all elements (0 for an empty matrix).</summary>
    [Differentiable(Rule = BuiltInRule.Sum)]
    public static T Sum<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        return TensorPrimitives.Sum(a.AsReadOnlySpan());
    }

    /// <summary>The mean of all elements (NaN for an empty matrix).</summary>
    [Differentiable(Rule = BuiltInRule.Mean)]
    public static T Mean<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Length == 0 ? T.NaN : TensorPrimitives.Sum(a.AsReadOnlySpan()) / T.CreateTruncating(a.Length);
    }

    /// <summary>Σ a², e.g. for an L2 penalty ½·λ·ΣW².</summary>
    [Differentiable(Rule = BuiltInRule.SumOfSquares)]
    public static T SumOfSquares<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        return TensorPrimitives.SumOfSquares(a.AsReadOnlySpan());
    }

    /// <summary>Sums along an axis: axis 0 gives the <c>[1, C]</c> column sums, axis 1 the <c>[R, 1]</c> row sums.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not 0 or 1.</exception>
    [Differentiable(Rule = BuiltInRule.SumAxis)]
    public static Matrix<T> Sum<T>(Matrix<T> a, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewAlongAxis("Sum", a, axis);
        Sum(a, axis, result);
        return result;
    }

    /// <summary>result (+)= sums of a along <paramref name="axis"/> (0 → <c>[1, C]</c>, 1 → <c>[R, 1]</c>); allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not 0 or 1.</exception>
    /// <exception cref="ShapeMismatchException">result has the wrong shape.</exception>
    public static void Sum<T>(Matrix<T> a, int axis, Matrix<T> result, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckAlongAxis("Sum", a, axis, result);
        SumToShapeCore(a, T.One, result, accumulate);
    }

    /// <summary>Means along an axis: axis 0 gives the <c>[1, C]</c> column means, axis 1 the <c>[R, 1]</c> row means.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not 0 or 1.</exception>
    [Differentiable(Rule = BuiltInRule.MeanAxis)]
    public static Matrix<T> Mean<T>(Matrix<T> a, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewAlongAxis("Mean", a, axis);
        Mean(a, axis, result);
        return result;
    }

    /// <summary>result (+)= means of a along <paramref name="axis"/>; allocates nothing. The mean along an empty axis is NaN.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not 0 or 1.</exception>
    /// <exception cref="ShapeMismatchException">result has the wrong shape.</exception>
    public static void Mean<T>(Matrix<T> a, int axis, Matrix<T> result, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckAlongAxis("Mean", a, axis, result);
        int count = axis == 0 ? a.Rows : a.Cols;
        if (count == 0)
        {
            // The mean of nothing is undefined: NaN, as for Mean(a) of an empty matrix (not the 0 a sum would give).
            FillOrAdd(result.AsSpan(), T.NaN, accumulate);
            return;
        }
        SumToShapeCore(a, T.One / T.CreateTruncating(count), result, accumulate);
    }

    private static Matrix<T> NewAlongAxis<T>(string operation, Matrix<T> a, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ThrowIfBadAxis(operation, axis);
        return axis == 0 ? new Matrix<T>(1, a.Cols) : new Matrix<T>(a.Rows, 1);
    }

    private static void CheckAlongAxis<T>(string operation, Matrix<T> a, int axis, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(result);
        ThrowIfBadAxis(operation, axis);
        int rows = axis == 0 ? 1 : a.Rows, cols = axis == 0 ? a.Cols : 1;
        if (result.Rows != rows || result.Cols != cols)
            throw new ShapeMismatchException(operation, $"result of {a.ShapeString} along axis {axis} is {result.ShapeString} but must be {ShapeMismatchException.Format(rows, cols)}");
    }

    private static void ThrowIfBadAxis(string operation, int axis)
    {
        if (axis is not (0 or 1))
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{operation}: axis {axis} is invalid; a matrix has axis 0 (rows) and axis 1 (columns).");
    }
}
