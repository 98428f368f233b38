using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

// Row-wise softmax and log-softmax (numerically stable: the row max is subtracted before exponentiating, so
// large logits never overflow) and their backward kernels.
public static partial class Ops
{
    /// <summary>Row-wise softmax: each row becomes e^(x − max) / Σ e^(x − max).</summary>
    [Differentiable(Backward = nameof(SoftmaxBackward), Saves = SavedValues.Result, Derivative = "{result} ⊙ ({dResult} − rowsum({dResult} ⊙ {result}))")]
    [return: Shape("R", "C")]
    public static Matrix<T> Softmax<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Softmax(a, result);
        return result;
    }

    /// <summary>result = row-wise softmax(a); result may alias a. Allocates nothing.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Softmax<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Softmax", "result", a, result);
        int cols = a.Cols;
        if (cols == 0)
            return;
        var x = a.AsReadOnlySpan();
        var d = result.AsSpan();
        for (int r = 0; r < a.Rows; r++)
            SoftmaxRow(x.Slice(r * cols, cols), d.Slice(r * cols, cols), out _);
    }

    /// <summary>
    /// destination = softmax(row), stable; destination may alias row. Returns log Σ e^(row − max) and the max
    /// (their sum is the log-sum-exp; callers keep them apart to avoid cancellation against a large max).
    /// </summary>
    internal static T SoftmaxRow<T>(ReadOnlySpan<T> row, Span<T> destination, out T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, destination);
        TensorPrimitives.Exp<T>(destination, destination);
        T sum = TensorPrimitives.Sum<T>(destination);
        TensorPrimitives.Divide<T>(destination, sum, destination);
        return T.Log(sum);
    }

    /// <summary>
    /// log Σ e^(row − max), with the row max in <paramref name="max"/>; allocation-free (the exponentials go
    /// through a stack chunk). The log-sum-exp of the row is the sum of the two.
    /// </summary>
    internal static T LogSumExpShifted<T>(ReadOnlySpan<T> row, out T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        max = TensorPrimitives.Max(row);
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        T sum = T.Zero;
        for (int i = 0; i < row.Length; i += ElementwiseKernels.ChunkLength)
        {
            var chunk = buffer[..Math.Min(ElementwiseKernels.ChunkLength, row.Length - i)];
            TensorPrimitives.Subtract(row.Slice(i, chunk.Length), max, chunk);
            TensorPrimitives.Exp<T>(chunk, chunk);
            sum += TensorPrimitives.Sum<T>(chunk);
        }
        return T.Log(sum);
    }

    /// <summary>
    /// dInput (+)= y ⊙ (dy − rowsum(dy ⊙ y)), with y = softmax's output: per row one dot product and one fused
    /// pass (TensorPrimitives.AddMultiply when overwriting).
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void SoftmaxBackward<T>(Matrix<T> output, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward("SoftmaxBackward", "output", output, dOutput, dInput);
        int cols = output.Cols;
        var y = output.AsReadOnlySpan();
        var dy = dOutput.AsReadOnlySpan();
        var dx = dInput.AsSpan();
        for (int r = 0; r < output.Rows; r++)
        {
            var yRow = y.Slice(r * cols, cols);
            var dyRow = dy.Slice(r * cols, cols);
            var dxRow = dx.Slice(r * cols, cols);
            T dot = TensorPrimitives.Dot(dyRow, yRow);
            if (accumulate)
                ElementwiseKernels.Binary(new SoftmaxGradient<T>(dot), yRow, dyRow, dxRow, accumulate: true);
            else
                TensorPrimitives.AddMultiply(dyRow, -dot, yRow, dxRow);   // (dy + (−dot)) · y
        }
    }

    private readonly struct SoftmaxGradient<T>(T dot) : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T y, T dy) => y * (dy - dot);
        public Vector<T> Invoke(Vector<T> y, Vector<T> dy) => y * (dy - new Vector<T>(dot));
    }

    /// <summary>Row-wise log-softmax: x − max − log Σ e^(x − max).</summary>
    [Differentiable(Backward = nameof(LogSoftmaxBackward), Saves = SavedValues.Result, Derivative = "{dResult} − exp({result}) ⊙ rowsum({dResult})")]
    [return: Shape("R", "C")]
    public static Matrix<T> LogSoftmax<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        LogSoftmax(a, result);
        return result;
    }

    /// <summary>result = row-wise log-softmax(a); result may alias a. Allocates nothing.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void LogSoftmax<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("LogSoftmax", "result", a, result);
        int cols = a.Cols;
        if (cols == 0)
            return;
        var x = a.AsReadOnlySpan();
        var d = result.AsSpan();
        for (int r = 0; r < a.Rows; r++)
        {
            // (x − max) − log Σ e^(x − max): subtracting the max first keeps the small differences exact.
            var dRow = d.Slice(r * cols, cols);
            T max = TensorPrimitives.Max(x.Slice(r * cols, cols));
            TensorPrimitives.Subtract(x.Slice(r * cols, cols), max, dRow);
            T logSum = LogSumExpShifted(dRow, out T shiftedMax);
            TensorPrimitives.Subtract(dRow, logSum + shiftedMax, dRow);
        }
    }

    /// <summary>dInput (+)= dy − e^y ⊙ rowsum(dy), with y = log-softmax's output (e^y is the softmax).</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void LogSoftmaxBackward<T>(Matrix<T> output, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward("LogSoftmaxBackward", "output", output, dOutput, dInput);
        int cols = output.Cols;
        var y = output.AsReadOnlySpan();
        var dy = dOutput.AsReadOnlySpan();
        var dx = dInput.AsSpan();
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        for (int r = 0; r < output.Rows; r++)
        {
            T rowSum = TensorPrimitives.Sum(dy.Slice(r * cols, cols));
            for (int c = 0; c < cols; c += ElementwiseKernels.ChunkLength)
            {
                int n = Math.Min(ElementwiseKernels.ChunkLength, cols - c);
                int offset = r * cols + c;
                var p = buffer[..n];
                TensorPrimitives.Exp(y.Slice(offset, n), p);
                TensorPrimitives.MultiplyAdd(p, -rowSum, dy.Slice(offset, n), p);   // dy − p · rowsum
                ElementwiseKernels.Store(p, dx.Slice(offset, n), accumulate);
            }
        }
    }
}
