using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

// Element-wise binary ops with broadcasting, and the adjoints of broadcasting (SumToShape / BroadcastTo) that
// their backward kernels are built from. Rules: docs/runtime-api.md, "Broadcasting".
public static partial class Ops
{
    // ---------------------------------------------------------------- shape rules

    /// <summary>
    /// The shape of <c>a ∘ b</c> under the broadcasting rules: per dimension equal or one of them 1, and never a
    /// two-way broadcast (an <c>[N, 1]</c> with a <c>[1, M]</c> would be an outer product, which is an error).
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast.</exception>
    internal static (int Rows, int Cols) BroadcastShape<T>(string operation, Matrix<T> a, Matrix<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        bool rowsFit = a.Rows == b.Rows || a.Rows == 1 || b.Rows == 1;
        bool colsFit = a.Cols == b.Cols || a.Cols == 1 || b.Cols == 1;
        if (!rowsFit || !colsFit)
        {
            string why = !rowsFit && !colsFit ? $"rows {a.Rows} ≠ {b.Rows}, columns {a.Cols} ≠ {b.Cols}"
                : !rowsFit ? $"rows {a.Rows} ≠ {b.Rows}"
                : $"columns {a.Cols} ≠ {b.Cols}";
            throw new ShapeMismatchException(operation, $"{a.ShapeString} and {b.ShapeString}: cannot broadcast ({why})");
        }
        bool aSpreads = (a.Rows == 1 && b.Rows != 1) || (a.Cols == 1 && b.Cols != 1);
        bool bSpreads = (b.Rows == 1 && a.Rows != 1) || (b.Cols == 1 && a.Cols != 1);
        if (aSpreads && bSpreads)
            throw new ShapeMismatchException(operation, $"{a.ShapeString} and {b.ShapeString}: would broadcast both ways (an outer product); transpose one operand or use Ops.MatMul");
        return (a.Rows == 1 ? b.Rows : a.Rows, a.Cols == 1 ? b.Cols : a.Cols);
    }

    /// <summary>Throws unless each dimension of <paramref name="small"/> equals that of the full shape or is 1.</summary>
    private static void CheckReducible<T>(string operation, string role, Matrix<T> small, int rows, int cols, string fullRole)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(small);
        if ((small.Rows != rows && small.Rows != 1) || (small.Cols != cols && small.Cols != 1))
            throw new ShapeMismatchException(operation, $"{role} is {small.ShapeString} but must be {ShapeMismatchException.Format(rows, cols)}, [1, {cols}], [{rows}, 1] or [1, 1] to broadcast against {fullRole} {ShapeMismatchException.Format(rows, cols)}");
    }

    // ---------------------------------------------------------------- Add, Sub, Mul, Div

    /// <summary>Element-wise <c>a + b</c>, broadcasting a <c>[1, C]</c> row, an <c>[R, 1]</c> column or a <c>[1, 1]</c> scalar.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast (including the two-way, outer-product case).</exception>
    [Differentiable(Rule = BuiltInRule.Add)]
    public static Matrix<T> Add<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Allocating<T, AddOp<T>>("Add", a, b);

    /// <summary>result = a + b (broadcasting); <paramref name="result"/> must have the broadcast shape and may alias an operand of that shape.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast, or result has the wrong shape.</exception>
    public static void Add<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary<T, AddOp<T>>("Add", a, b, result);

    /// <summary>Element-wise <c>a − b</c> (broadcasting as <see cref="Add{T}(Matrix{T}, Matrix{T})"/>).</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast.</exception>
    [Differentiable(Rule = BuiltInRule.Sub)]
    public static Matrix<T> Sub<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Allocating<T, SubOp<T>>("Sub", a, b);

    /// <summary>result = a − b (broadcasting); allocates nothing.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast, or result has the wrong shape.</exception>
    public static void Sub<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary<T, SubOp<T>>("Sub", a, b, result);

    /// <summary>Element-wise (Hadamard) product <c>a ⊙ b</c> (broadcasting). The matrix product is <see cref="MatMul{T}(Matrix{T}, Matrix{T}, bool, bool)"/>.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast.</exception>
    [Differentiable(Rule = BuiltInRule.Mul)]
    public static Matrix<T> Mul<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Allocating<T, MulOp<T>>("Mul", a, b);

    /// <summary>result = a ⊙ b (broadcasting); allocates nothing.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast, or result has the wrong shape.</exception>
    public static void Mul<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary<T, MulOp<T>>("Mul", a, b, result);

    /// <summary>Element-wise quotient <c>a / b</c> (broadcasting; IEEE semantics for division by zero).</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast.</exception>
    [Differentiable(Rule = BuiltInRule.Div)]
    public static Matrix<T> Div<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Allocating<T, DivOp<T>>("Div", a, b);

    /// <summary>result = a / b (broadcasting); allocates nothing.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast, or result has the wrong shape.</exception>
    public static void Div<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary<T, DivOp<T>>("Div", a, b, result);

    private static Matrix<T> Allocating<T, TOp>(string operation, Matrix<T> a, Matrix<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : IBroadcastOp<T>
    {
        var (rows, cols) = BroadcastShape(operation, a, b);
        var result = new Matrix<T>(rows, cols);
        Binary<T, TOp>(operation, a, b, result);
        return result;
    }

    private static void Binary<T, TOp>(string operation, Matrix<T> a, Matrix<T> b, Matrix<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : IBroadcastOp<T>
    {
        var (rows, cols) = BroadcastShape(operation, a, b);
        ArgumentNullException.ThrowIfNull(result);
        ShapeMismatchException.ThrowIfNotShape(operation, "result", result, rows, cols);
        ReadOnlySpan<T> x = a.AsReadOnlySpan(), y = b.AsReadOnlySpan();
        var d = result.AsSpan();
        // One TensorPrimitives call where the operands are flat (same shape, or a scalar); otherwise one per row.
        if (a.Rows == b.Rows && a.Cols == b.Cols)
        {
            TOp.Invoke(x, y, d);
        }
        else if (b.Length == 1)
        {
            TOp.Invoke(x, y[0], d);
        }
        else if (a.Length == 1)
        {
            TOp.Invoke(x[0], y, d);
        }
        else
        {
            // Exactly one operand is [rows, cols]; the other is a [1, cols] row or a [rows, 1] column.
            for (int r = 0; r < rows; r++)
            {
                var dRow = d.Slice(r * cols, cols);
                if (b.Rows == 1)
                    TOp.Invoke(x.Slice(r * cols, cols), y, dRow);
                else if (b.Cols == 1)
                    TOp.Invoke(x.Slice(r * cols, cols), y[r], dRow);
                else if (a.Rows == 1)
                    TOp.Invoke(x, y.Slice(r * cols, cols), dRow);
                else
                    TOp.Invoke(x[r], y.Slice(r * cols, cols), dRow);
            }
        }
    }

    /// <summary>A binary TensorPrimitives operation in its span∘span, span∘scalar and scalar∘span forms.</summary>
    private interface IBroadcastOp<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static abstract void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination);
        static abstract void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination);
        static abstract void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination);
    }

    private readonly struct AddOp<T> : IBroadcastOp<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Add(x, y, destination);
        public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Add(x, y, destination);
        public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Add(y, x, destination);
    }

    private readonly struct SubOp<T> : IBroadcastOp<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);
        public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);
        public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);
    }

    private readonly struct MulOp<T> : IBroadcastOp<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Multiply(x, y, destination);
        public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Multiply(x, y, destination);
        public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Multiply(y, x, destination);
    }

    private readonly struct DivOp<T> : IBroadcastOp<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);
        public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);
        public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);
    }

    private readonly struct MaxOp<T> : IBroadcastOp<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Max(x, y, destination);
        public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Max(x, y, destination);
        public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Max(y, x, destination);
    }

    private readonly struct MinOp<T> : IBroadcastOp<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Min(x, y, destination);
        public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Min(x, y, destination);
        public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Min(y, x, destination);
    }

    // ---------------------------------------------------------------- Maximum, Minimum

    /// <summary>Element-wise max(a, b), broadcasting as <see cref="Add{T}(Matrix{T}, Matrix{T})"/> (NaN if either is NaN).</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast.</exception>
    [Differentiable(Rule = BuiltInRule.Maximum)]
    public static Matrix<T> Maximum<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Allocating<T, MaxOp<T>>("Maximum", a, b);

    /// <summary>result = max(a, b) (broadcasting); result must have the broadcast shape and may alias an operand of that shape.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast, or result has the wrong shape.</exception>
    public static void Maximum<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary<T, MaxOp<T>>("Maximum", a, b, result);

    /// <summary>Element-wise min(a, b), broadcasting as <see cref="Add{T}(Matrix{T}, Matrix{T})"/> (NaN if either is NaN).</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast.</exception>
    [Differentiable(Rule = BuiltInRule.Minimum)]
    public static Matrix<T> Minimum<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Allocating<T, MinOp<T>>("Minimum", a, b);

    /// <summary>result = min(a, b) (broadcasting); result must have the broadcast shape and may alias an operand of that shape.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not broadcast, or result has the wrong shape.</exception>
    public static void Minimum<T>(Matrix<T> a, Matrix<T> b, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary<T, MinOp<T>>("Minimum", a, b, result);

    /// <summary>
    /// Backward of <c>z = max(a, b)</c> for one operand: <c>dInput (+)= SumToShape(dOutput ⊙ w)</c> with w = 1 where
    /// input &gt; other, ½ where they tie (as PyTorch: the gradient is shared) and 0 elsewhere. <paramref name="input"/>,
    /// <paramref name="other"/> and <paramref name="dInput"/> may each be a broadcast shape of dOutput's; dInput has
    /// input's shape.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit.</exception>
    public static void MaximumBackward<T>(Matrix<T> dOutput, Matrix<T> input, Matrix<T> other, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ExtremumBackward("MaximumBackward", dOutput, input, other, dInput, accumulate, maximum: true);

    /// <summary>Backward of <c>z = min(a, b)</c> for one operand: as <see cref="MaximumBackward{T}"/> with w = 1 where input &lt; other.</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit.</exception>
    public static void MinimumBackward<T>(Matrix<T> dOutput, Matrix<T> input, Matrix<T> other, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ExtremumBackward("MinimumBackward", dOutput, input, other, dInput, accumulate, maximum: false);

    private static void ExtremumBackward<T>(string operation, Matrix<T> dOutput, Matrix<T> input, Matrix<T> other, Matrix<T> dInput, bool accumulate, bool maximum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        CheckReducible(operation, "input", input, dOutput.Rows, dOutput.Cols, "dOutput");
        CheckReducible(operation, "other", other, dOutput.Rows, dOutput.Cols, "dOutput");
        ArgumentNullException.ThrowIfNull(dInput);
        ShapeMismatchException.ThrowIfNotShape(operation, "dInput", dInput, input.Rows, input.Cols);
        int rows = dOutput.Rows, cols = dOutput.Cols;
        var dy = dOutput.AsReadOnlySpan();
        var x = input.AsReadOnlySpan();
        var o = other.AsReadOnlySpan();
        var d = dInput.AsSpan();
        if (!accumulate)
            d.Clear();
        T half = T.One / (T.One + T.One);
        // Index of element (r, c) in a matrix broadcast to [rows, cols]: its own row/column, or 0 along a 1.
        static int At(Matrix<T> m, int r, int c) => (m.Rows == 1 ? 0 : r) * m.Cols + (m.Cols == 1 ? 0 : c);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                T a = x[At(input, r, c)], b = o[At(other, r, c)];
                T weight = a == b ? half : (maximum ? a > b : a < b) ? T.One : T.Zero;
                d[At(dInput, r, c)] += weight * dy[r * cols + c];
            }
        }
    }

    // ---------------------------------------------------------------- adjoints of broadcasting

    /// <summary>
    /// Reduces <paramref name="source"/> to <paramref name="result"/>'s shape by summing over the dimensions that
    /// result has as 1: <c>[R, C] → [1, C]</c> column sums, <c>→ [R, 1]</c> row sums, <c>→ [1, 1]</c> the total,
    /// or a copy when the shapes are equal. This is the adjoint of broadcasting: the gradient of an operand that
    /// was spread over the batch rows is the sum of the rows' gradients.
    /// </summary>
    /// <param name="source">The full-shape values, e.g. ∂L/∂(a + b).</param>
    /// <param name="result">The reduced destination.</param>
    /// <param name="accumulate">Add into <paramref name="result"/> instead of overwriting it.</param>
    /// <exception cref="ShapeMismatchException">A dimension of result is neither source's nor 1.</exception>
    public static void SumToShape<T>(Matrix<T> source, Matrix<T> result, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => SumToShape(source, T.One, result, accumulate);

    /// <summary>result (+)= <paramref name="scale"/> · SumToShape(source); see <see cref="SumToShape{T}(Matrix{T}, Matrix{T}, bool)"/>.
    /// With <paramref name="scale"/> = −1 this is the gradient of Sub's right operand.</summary>
    /// <exception cref="ShapeMismatchException">A dimension of result is neither source's nor 1.</exception>
    public static void SumToShape<T>(Matrix<T> source, T scale, Matrix<T> result, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckReducible("SumToShape", "result", result, source.Rows, source.Cols, "source");
        SumToShapeCore(source, scale, result, accumulate);
    }

    /// <summary>SumToShape after the shape check: result's dimensions are source's or 1.</summary>
    private static void SumToShapeCore<T>(Matrix<T> source, T scale, Matrix<T> result, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = source.Rows, cols = source.Cols;
        var s = source.AsReadOnlySpan();
        var d = result.AsSpan();
        bool sumRows = result.Rows != rows, sumCols = result.Cols != cols;
        if (!sumRows && !sumCols)
        {
            ScaleInto(s, scale, d, accumulate);
        }
        else if (sumCols || cols == 1)
        {
            // Row sums, or the total ([R, 1] → [1, 1] is a total too, and one Sum over it beats R one-element rows).
            if (sumRows)
            {
                T total = scale * TensorPrimitives.Sum(s);
                d[0] = accumulate ? d[0] + total : total;
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    T rowSum = scale * TensorPrimitives.Sum(s.Slice(r * cols, cols));
                    d[r] = accumulate ? d[r] + rowSum : rowSum;
                }
            }
        }
        else
        {
            // Column sums: add the rows one by one into the [1, C] destination (contiguous, vectorised).
            int first = 0;
            if (!accumulate)
            {
                if (rows == 0)
                {
                    d.Clear();
                    return;
                }
                ScaleInto(s[..cols], scale, d, accumulate: false);
                first = 1;
            }
            for (int r = first; r < rows; r++)
                ScaleInto(s.Slice(r * cols, cols), scale, d, accumulate: true);
        }
    }

    /// <summary>destination (+)= scale · source, element-wise, one TensorPrimitives call.</summary>
    private static void ScaleInto<T>(ReadOnlySpan<T> source, T scale, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (scale == T.One)
            ElementwiseKernels.Store(source, destination, accumulate);
        else
            ElementwiseKernels.StoreProduct(source, scale, destination, accumulate);
    }

    /// <summary>
    /// Spreads <paramref name="source"/> (<c>[1, C]</c>, <c>[R, 1]</c>, <c>[1, 1]</c> or result's shape) over
    /// <paramref name="result"/>: the adjoint of <see cref="Sum{T}(Matrix{T}, int)"/> and of <see cref="SumToShape{T}(Matrix{T}, Matrix{T}, bool)"/>.
    /// </summary>
    /// <exception cref="ShapeMismatchException">A dimension of source is neither result's nor 1.</exception>
    public static void BroadcastTo<T>(Matrix<T> source, Matrix<T> result, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => BroadcastTo(source, T.One, result, accumulate);

    /// <summary>result (+)= <paramref name="scale"/> · broadcast(source); e.g. the gradient of a mean uses scale = 1/count.</summary>
    /// <exception cref="ShapeMismatchException">A dimension of source is neither result's nor 1.</exception>
    public static void BroadcastTo<T>(Matrix<T> source, T scale, Matrix<T> result, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(result);
        CheckReducible("BroadcastTo", "source", source, result.Rows, result.Cols, "result");
        int rows = result.Rows, cols = result.Cols;
        var s = source.AsReadOnlySpan();
        var d = result.AsSpan();
        if (source.Rows == rows && source.Cols == cols)
        {
            ScaleInto(s, scale, d, accumulate);
        }
        else if (source.Length == 1)
        {
            FillOrAdd(d, scale * s[0], accumulate);
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                var dRow = d.Slice(r * cols, cols);
                if (source.Cols == 1)
                    FillOrAdd(dRow, scale * s[r], accumulate);
                else
                    ScaleInto(s, scale, dRow, accumulate);
            }
        }
    }

    private static void FillOrAdd<T>(Span<T> destination, T value, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate)
            TensorPrimitives.Add(destination, value, destination);
        else
            destination.Fill(value);
    }

    /// <summary>result += <paramref name="s"/> everywhere: the adjoint of a scalar broadcast (e.g. of <see cref="Sum{T}(Matrix{T})"/>).</summary>
    public static void AddScalar<T>(T s, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(result);
        var d = result.AsSpan();
        TensorPrimitives.Add(d, s, d);
    }

    // ---------------------------------------------------------------- backward of Mul and Div

    /// <summary>
    /// Backward of <c>z = a ⊙ b</c> for one operand: <c>dInput (+)= SumToShape(dOutput ⊙ other)</c>, one pass.
    /// <paramref name="other"/> and <paramref name="dInput"/> may each be the full shape or a broadcast shape
    /// (<c>[1, C]</c>, <c>[R, 1]</c>, <c>[1, 1]</c>); a reduced <paramref name="dInput"/> receives the sum over
    /// the rows/columns it was broadcast along.
    /// </summary>
    /// <exception cref="ShapeMismatchException">other or dInput does not broadcast to dOutput's shape.</exception>
    public static void MulBackward<T>(Matrix<T> dOutput, Matrix<T> other, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        CheckReducible("MulBackward", "other", other, dOutput.Rows, dOutput.Cols, "dOutput");
        CheckReducible("MulBackward", "dInput", dInput, dOutput.Rows, dOutput.Cols, "dOutput");
        if (dInput.Rows == dOutput.Rows && dInput.Cols == dOutput.Cols)
        {
            // Full-shape gradient: a multiply (or multiply-add) per flat span or per row, straight into dInput.
            MultiplyBroadcastInto(dOutput, other, dInput, accumulate);
            return;
        }
        var source = new ProductSource<T>(dOutput, other, divide: false);
        ElementwiseKernels.Reduce(ref source, dOutput.Rows, dOutput.Cols, T.One, dInput, accumulate);
    }

    /// <summary>destination (+)= dy ⊙ broadcast(other), destination full-shape.</summary>
    private static void MultiplyBroadcastInto<T>(Matrix<T> dOutput, Matrix<T> other, Matrix<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = dOutput.Rows, cols = dOutput.Cols;
        var dy = dOutput.AsReadOnlySpan();
        var o = other.AsReadOnlySpan();
        var d = destination.AsSpan();
        if (other.Rows == rows && other.Cols == cols)
        {
            if (accumulate) TensorPrimitives.MultiplyAdd(dy, o, d, d);
            else TensorPrimitives.Multiply(dy, o, d);
        }
        else if (other.Length == 1)
        {
            if (accumulate) TensorPrimitives.MultiplyAdd(dy, o[0], d, d);
            else TensorPrimitives.Multiply(dy, o[0], d);
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                var dyRow = dy.Slice(r * cols, cols);
                var dRow = d.Slice(r * cols, cols);
                if (other.Cols == 1)
                {
                    if (accumulate) TensorPrimitives.MultiplyAdd(dyRow, o[r], dRow, dRow);
                    else TensorPrimitives.Multiply(dyRow, o[r], dRow);
                }
                else
                {
                    if (accumulate) TensorPrimitives.MultiplyAdd(dyRow, o, dRow, dRow);
                    else TensorPrimitives.Multiply(dyRow, o, dRow);
                }
            }
        }
    }

    /// <summary>
    /// Backward of <c>z = a / b</c> for the numerator: <c>dNumerator (+)= SumToShape(dOutput / b)</c>, one pass;
    /// broadcast shapes as in <see cref="MulBackward{T}"/>.
    /// </summary>
    /// <exception cref="ShapeMismatchException">denominator or dNumerator does not broadcast to dOutput's shape.</exception>
    public static void DivBackwardNumerator<T>(Matrix<T> dOutput, Matrix<T> denominator, Matrix<T> dNumerator, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        CheckReducible("DivBackwardNumerator", "denominator", denominator, dOutput.Rows, dOutput.Cols, "dOutput");
        CheckReducible("DivBackwardNumerator", "dNumerator", dNumerator, dOutput.Rows, dOutput.Cols, "dOutput");
        if (!accumulate && dNumerator.Rows == dOutput.Rows && dNumerator.Cols == dOutput.Cols)
        {
            Binary<T, DivOp<T>>("DivBackwardNumerator", dOutput, denominator, dNumerator);
            return;
        }
        var source = new ProductSource<T>(dOutput, denominator, divide: true);
        ElementwiseKernels.Reduce(ref source, dOutput.Rows, dOutput.Cols, T.One, dNumerator, accumulate);
    }

    /// <summary>
    /// Backward of <c>z = a / b</c> for the denominator: <c>dDenominator (+)= SumToShape(−dOutput ⊙ z / b)</c>,
    /// one pass (z = <paramref name="output"/> saved by the forward). dDenominator has the denominator's shape,
    /// which may be a broadcast shape.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit.</exception>
    public static void DivBackwardDenominator<T>(Matrix<T> dOutput, Matrix<T> output, Matrix<T> denominator, Matrix<T> dDenominator, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string op = "DivBackwardDenominator";
        ArgumentNullException.ThrowIfNull(dOutput);
        ArgumentNullException.ThrowIfNull(output);
        ShapeMismatchException.ThrowIfNotShape(op, "output", output, dOutput.Rows, dOutput.Cols);
        CheckReducible(op, "denominator", denominator, dOutput.Rows, dOutput.Cols, "dOutput");
        ArgumentNullException.ThrowIfNull(dDenominator);
        ShapeMismatchException.ThrowIfNotShape(op, "dDenominator", dDenominator, denominator.Rows, denominator.Cols);
        var source = new QuotientGradientSource<T>(dOutput, output, denominator);
        ElementwiseKernels.Reduce(ref source, dOutput.Rows, dOutput.Cols, -T.One, dDenominator, accumulate);
    }

    /// <summary>dy ⊙ broadcast(other) or dy / broadcast(other), chunk by chunk.</summary>
    private readonly struct ProductSource<T>(Matrix<T> dOutput, Matrix<T> other, bool divide) : IChunkSource<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Compute(int row, int col, Span<T> destination)
        {
            var dy = dOutput.AsReadOnlySpan().Slice(row * dOutput.Cols + col, destination.Length);
            var o = other.AsReadOnlySpan();
            if (other.Cols == 1)
            {
                T value = o[other.Rows == 1 ? 0 : row];
                if (divide) TensorPrimitives.Divide(dy, value, destination);
                else TensorPrimitives.Multiply(dy, value, destination);
            }
            else
            {
                var oChunk = o.Slice((other.Rows == 1 ? 0 : row * other.Cols) + col, destination.Length);
                if (divide) TensorPrimitives.Divide(dy, oChunk, destination);
                else TensorPrimitives.Multiply(dy, oChunk, destination);
            }
        }
    }

    /// <summary>dy ⊙ z / broadcast(b), chunk by chunk (the caller applies the minus sign as the reduction's scale).</summary>
    private readonly struct QuotientGradientSource<T>(Matrix<T> dOutput, Matrix<T> output, Matrix<T> denominator) : IChunkSource<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Compute(int row, int col, Span<T> destination)
        {
            int offset = row * dOutput.Cols + col;
            TensorPrimitives.Multiply(dOutput.AsReadOnlySpan().Slice(offset, destination.Length), output.AsReadOnlySpan().Slice(offset, destination.Length), destination);
            var b = denominator.AsReadOnlySpan();
            if (denominator.Cols == 1)
                TensorPrimitives.Divide(destination, b[denominator.Rows == 1 ? 0 : row], destination);
            else
                TensorPrimitives.Divide(destination, b.Slice((denominator.Rows == 1 ? 0 : row * denominator.Cols) + col, destination.Length), destination);
        }
    }
}
