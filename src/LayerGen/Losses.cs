using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

/// <summary>
/// Scalar losses (each a mean) and their backward kernels. Every function is numerically stable for large
/// logits and allocates nothing (intermediates go through small stack chunks).
/// </summary>
public static class Losses
{
    private const int Chunk = ElementwiseKernels.ChunkLength;

    // ---------------------------------------------------------------- softmax cross-entropy

    /// <summary>
    /// Mean over rows of −log softmax(logits)[r, labels[r]], computed as log-sum-exp(row) − row[label] (stable:
    /// the row max is subtracted before exponentiating).
    /// </summary>
    /// <param name="logits">An <c>[N, C]</c> matrix of unnormalised scores.</param>
    /// <param name="labels">N class indices, each in [0, C).</param>
    /// <exception cref="ArgumentException">labels' length is not N, or a label is outside [0, C).</exception>
    [Differentiable(Rule = BuiltInRule.SoftmaxCrossEntropy)]
    public static T SoftmaxCrossEntropy<T>(Matrix<T> logits, int[] labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLabels("SoftmaxCrossEntropy", logits, labels);
        int cols = logits.Cols;
        var z = logits.AsReadOnlySpan();
        T total = T.Zero;
        for (int r = 0; r < logits.Rows; r++)
        {
            var row = z.Slice(r * cols, cols);
            // log Σ e^(z − max) − (z_label − max): both terms are small, so no digits are lost to a large max.
            T logSum = Ops.LogSumExpShifted(row, out T max);
            total += logSum - (row[labels[r]] - max);
        }
        return total / T.CreateTruncating(logits.Rows);
    }

    /// <summary>
    /// As <see cref="SoftmaxCrossEntropy{T}(Matrix{T}, int[])"/>, and also writes P = softmax(logits) into
    /// <paramref name="probabilities"/> (for the backward pass). probabilities may alias logits.
    /// </summary>
    /// <exception cref="ArgumentException">labels' length is not N, or a label is outside [0, C).</exception>
    /// <exception cref="ShapeMismatchException">probabilities' shape differs from logits'.</exception>
    public static T SoftmaxCrossEntropy<T>(Matrix<T> logits, int[] labels, Matrix<T> probabilities) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLabels("SoftmaxCrossEntropy", logits, labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        ShapeMismatchException.ThrowIfNotShape("SoftmaxCrossEntropy", "probabilities", probabilities, logits.Rows, logits.Cols);
        int cols = logits.Cols;
        var z = logits.AsReadOnlySpan();
        var p = probabilities.AsSpan();
        T total = T.Zero;
        for (int r = 0; r < logits.Rows; r++)
        {
            var row = z.Slice(r * cols, cols);
            T target = row[labels[r]];   // read before the softmax overwrites an aliased row
            T logSum = Ops.SoftmaxRow(row, p.Slice(r * cols, cols), out T max);
            total += logSum - (target - max);
        }
        return total / T.CreateTruncating(logits.Rows);
    }

    /// <summary>
    /// dLogits (+)= (P − onehot(labels)) / N · dLoss, the gradient of the mean softmax cross-entropy, from the
    /// probabilities written by <see cref="SoftmaxCrossEntropy{T}(Matrix{T}, int[], Matrix{T})"/>.
    /// </summary>
    /// <exception cref="ArgumentException">labels' length is not N, or a label is outside [0, C).</exception>
    /// <exception cref="ShapeMismatchException">dLogits' shape differs from probabilities'.</exception>
    public static void SoftmaxCrossEntropyBackward<T>(Matrix<T> probabilities, int[] labels, T dLoss, Matrix<T> dLogits, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLabels("SoftmaxCrossEntropyBackward", probabilities, labels);
        ArgumentNullException.ThrowIfNull(dLogits);
        ShapeMismatchException.ThrowIfNotShape("SoftmaxCrossEntropyBackward", "dLogits", dLogits, probabilities.Rows, probabilities.Cols);
        if (probabilities.Rows == 0)
            return;
        T scale = dLoss / T.CreateTruncating(probabilities.Rows);
        var d = dLogits.AsSpan();
        ElementwiseKernels.StoreProduct(probabilities.AsReadOnlySpan(), scale, d, accumulate);
        for (int r = 0; r < labels.Length; r++)
            d[r * probabilities.Cols + labels[r]] -= scale;
    }

    private static void CheckLabels<T>(string operation, Matrix<T> logits, int[] labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != logits.Rows)
            throw new ArgumentException($"{operation}: {labels.Length} labels for {logits.ShapeString} logits: need one label per row ({logits.Rows}).", nameof(labels));
        for (int r = 0; r < labels.Length; r++)
        {
            if ((uint)labels[r] >= (uint)logits.Cols)
                throw new ArgumentException($"{operation}: label {labels[r]} at row {r} is outside [0, {logits.Cols}) for {logits.ShapeString} logits.", nameof(labels));
        }
    }

    // ---------------------------------------------------------------- mean squared error

    /// <summary>Mean over all elements of (prediction − target)².</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    [Differentiable(Rule = BuiltInRule.MeanSquaredError)]
    public static T MeanSquaredError<T>(Matrix<T> prediction, Matrix<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPair("MeanSquaredError", prediction, target, "target");
        ReadOnlySpan<T> p = prediction.AsReadOnlySpan(), t = target.AsReadOnlySpan();
        Span<T> buffer = stackalloc T[Chunk];
        T total = T.Zero;
        for (int i = 0; i < p.Length; i += Chunk)
        {
            var diff = buffer[..Math.Min(Chunk, p.Length - i)];
            TensorPrimitives.Subtract(p.Slice(i, diff.Length), t.Slice(i, diff.Length), diff);
            total += TensorPrimitives.SumOfSquares<T>(diff);
        }
        return total / T.CreateTruncating(p.Length);
    }

    /// <summary>
    /// Gradients of the mean squared error: dPrediction (+)= 2(p − t)/n · dLoss and dTarget (+)= −2(p − t)/n · dLoss,
    /// n = number of elements. Pass null for a gradient that is not needed.
    /// </summary>
    /// <exception cref="ShapeMismatchException">A shape differs from prediction's.</exception>
    public static void MeanSquaredErrorBackward<T>(Matrix<T> prediction, Matrix<T> target, T dLoss, Matrix<T>? dPrediction, Matrix<T>? dTarget, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string op = "MeanSquaredErrorBackward";
        CheckPair(op, prediction, target, "target");
        if (dPrediction is not null) CheckPair(op, prediction, dPrediction, "dPrediction");
        if (dTarget is not null) CheckPair(op, prediction, dTarget, "dTarget");
        if (prediction.Length == 0 || (dPrediction is null && dTarget is null))
            return;
        T scale = T.CreateTruncating(2) * dLoss / T.CreateTruncating(prediction.Length);
        ReadOnlySpan<T> p = prediction.AsReadOnlySpan(), t = target.AsReadOnlySpan();
        Span<T> buffer = stackalloc T[Chunk];
        for (int i = 0; i < p.Length; i += Chunk)
        {
            var diff = buffer[..Math.Min(Chunk, p.Length - i)];
            TensorPrimitives.Subtract(p.Slice(i, diff.Length), t.Slice(i, diff.Length), diff);
            if (dPrediction is not null)
                ElementwiseKernels.StoreProduct(diff, scale, dPrediction.AsSpan().Slice(i, diff.Length), accumulate);
            if (dTarget is not null)
                ElementwiseKernels.StoreProduct(diff, -scale, dTarget.AsSpan().Slice(i, diff.Length), accumulate);
        }
    }

    // ---------------------------------------------------------------- binary cross-entropy with logits

    /// <summary>
    /// Mean over all elements of max(z, 0) − z·t + log(1 + e^−|z|): the binary cross-entropy of sigmoid(z)
    /// against targets t in [0, 1], without ever forming sigmoid(z) (stable for any z).
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    [Differentiable(Rule = BuiltInRule.BinaryCrossEntropyWithLogits)]
    public static T BinaryCrossEntropyWithLogits<T>(Matrix<T> logits, Matrix<T> targets) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPair("BinaryCrossEntropyWithLogits", logits, targets, "targets");
        ReadOnlySpan<T> z = logits.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<T> buffer = stackalloc T[Chunk];
        Span<T> scratch = stackalloc T[Chunk];
        T total = T.Zero;
        for (int i = 0; i < z.Length; i += Chunk)
        {
            var b = buffer[..Math.Min(Chunk, z.Length - i)];
            var zs = z.Slice(i, b.Length);
            ElementwiseKernels.LogOnePlusExpNegAbs(zs, b, scratch);
            total += TensorPrimitives.Sum<T>(b);                       // Σ log(1 + e^−|z|)
            TensorPrimitives.Max(zs, T.Zero, b);
            total += TensorPrimitives.Sum<T>(b) - TensorPrimitives.Dot(zs, t.Slice(i, b.Length));   // + Σ max(z, 0) − Σ z·t
        }
        return total / T.CreateTruncating(z.Length);
    }

    /// <summary>
    /// Gradients of <see cref="BinaryCrossEntropyWithLogits{T}"/>: dLogits (+)= (sigmoid(z) − t)/n · dLoss and
    /// dTargets (+)= −z/n · dLoss. Pass null for a gradient that is not needed.
    /// </summary>
    /// <exception cref="ShapeMismatchException">A shape differs from logits'.</exception>
    public static void BinaryCrossEntropyWithLogitsBackward<T>(Matrix<T> logits, Matrix<T> targets, T dLoss, Matrix<T>? dLogits, Matrix<T>? dTargets, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string op = "BinaryCrossEntropyWithLogitsBackward";
        CheckPair(op, logits, targets, "targets");
        if (dLogits is not null) CheckPair(op, logits, dLogits, "dLogits");
        if (dTargets is not null) CheckPair(op, logits, dTargets, "dTargets");
        if (logits.Length == 0 || (dLogits is null && dTargets is null))
            return;
        T scale = dLoss / T.CreateTruncating(logits.Length);
        ReadOnlySpan<T> z = logits.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<T> buffer = stackalloc T[Chunk];
        for (int i = 0; i < z.Length; i += Chunk)
        {
            var b = buffer[..Math.Min(Chunk, z.Length - i)];
            var zs = z.Slice(i, b.Length);
            // Read z and t into the buffer before writing either gradient, so a gradient may alias an input.
            TensorPrimitives.Sigmoid(zs, b);
            TensorPrimitives.Subtract(b, t.Slice(i, b.Length), b);
            if (dTargets is not null)
                ElementwiseKernels.StoreProduct(zs, -scale, dTargets.AsSpan().Slice(i, b.Length), accumulate);
            if (dLogits is not null)
                ElementwiseKernels.StoreProduct(b, scale, dLogits.AsSpan().Slice(i, b.Length), accumulate);
        }
    }

    private static void CheckPair<T>(string operation, Matrix<T> first, Matrix<T> other, string role) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(other);
        ShapeMismatchException.ThrowIfNotShape(operation, role, other, first.Rows, first.Cols);
    }
}
