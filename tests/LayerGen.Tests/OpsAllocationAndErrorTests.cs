using System.Numerics;
using LayerGen;

namespace LayerGen.Tests;

/// <summary>Every destination-passing form and backward kernel allocates nothing (float and double).</summary>
public abstract class OpsAllocationTests<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static IEnumerable<(string Name, Action Run)> Calls()
    {
        const int r = 16, c = 300; // more than one stack chunk
        var x = Matrix<T>.RandomUniform(r, c, 1, 0.1, 2);
        var y = Matrix<T>.RandomUniform(r, c, 2, 0.1, 2);
        var row = Matrix<T>.RandomUniform(1, c, 3, 0.1, 2);
        var col = Matrix<T>.RandomUniform(r, 1, 4, 0.1, 2);
        var one = Matrix<T>.RandomUniform(1, 1, 5, 0.1, 2);
        var d = new Matrix<T>(r, c);
        var dRow = new Matrix<T>(1, c);
        var dCol = new Matrix<T>(r, 1);
        var dOne = new Matrix<T>(1, 1);
        T s = T.CreateTruncating(0.5);
        int[] labels = new int[r];
        var cat = new Matrix<T>(r, 2 * c);
        var slice = new Matrix<T>(r, 10);
        var rows = new Matrix<T>(3, c);

        yield return ("Add", () => Ops.Add(x, y, d));
        yield return ("Add row", () => Ops.Add(x, row, d));
        yield return ("Sub col", () => Ops.Sub(x, col, d));
        yield return ("Mul scalar-matrix", () => Ops.Mul(one, x, d));
        yield return ("Div col-first", () => Ops.Div(col, x, d));
        yield return ("Add scalar", () => Ops.Add(x, s, d));
        yield return ("Neg acc", () => Ops.Neg(x, d, true));
        yield return ("Scale acc", () => Ops.Scale(x, s, d, true));
        yield return ("SumToShape row", () => Ops.SumToShape(x, s, dRow, true));
        yield return ("SumToShape col", () => Ops.SumToShape(x, dCol));
        yield return ("SumToShape one", () => Ops.SumToShape(x, dOne));
        yield return ("BroadcastTo", () => Ops.BroadcastTo(row, s, d, true));
        yield return ("BroadcastTo col", () => Ops.BroadcastTo(col, d));
        yield return ("MulBackward full", () => Ops.MulBackward(x, row, d, true));
        yield return ("MulBackward row", () => Ops.MulBackward(x, y, dRow));
        yield return ("MulBackward col", () => Ops.MulBackward(x, y, dCol, true));
        yield return ("DivBackwardNumerator", () => Ops.DivBackwardNumerator(x, y, d, true));
        yield return ("DivBackwardNumerator row", () => Ops.DivBackwardNumerator(x, y, dRow));
        yield return ("DivBackwardDenominator", () => Ops.DivBackwardDenominator(x, y, row, dRow));
        yield return ("AddScalar", () => Ops.AddScalar(s, d));
        foreach (var (name, f) in new (string, Action<Matrix<T>, Matrix<T>>)[]
        {
            ("Relu", Ops.Relu), ("Sigmoid", Ops.Sigmoid), ("Tanh", Ops.Tanh), ("Gelu", Ops.Gelu), ("Softplus", Ops.Softplus),
            ("Exp", Ops.Exp), ("Log", Ops.Log), ("Sqrt", Ops.Sqrt), ("Square", Ops.Square), ("Abs", Ops.Abs),
            ("Softmax", Ops.Softmax), ("LogSoftmax", Ops.LogSoftmax),
        })
            yield return (name, () => f(x, d));
        yield return ("LeakyRelu", () => Ops.LeakyRelu(x, s, d));
        foreach (var (name, b) in new (string, Action<Matrix<T>, Matrix<T>, Matrix<T>, bool>)[]
        {
            ("ReluBackward", Ops.ReluBackward), ("SigmoidBackward", Ops.SigmoidBackward), ("TanhBackward", Ops.TanhBackward),
            ("GeluBackward", Ops.GeluBackward), ("SoftplusBackward", Ops.SoftplusBackward), ("ExpBackward", Ops.ExpBackward),
            ("LogBackward", Ops.LogBackward), ("SqrtBackward", Ops.SqrtBackward), ("SquareBackward", Ops.SquareBackward),
            ("AbsBackward", Ops.AbsBackward), ("SoftmaxBackward", Ops.SoftmaxBackward), ("LogSoftmaxBackward", Ops.LogSoftmaxBackward),
        })
        {
            yield return (name, () => b(x, y, d, false));
            yield return (name + " acc", () => b(x, y, d, true));
        }
        yield return ("LeakyReluBackward", () => Ops.LeakyReluBackward(x, s, y, d, true));
        yield return ("Sum axis 0", () => Ops.Sum(x, 0, dRow, true));
        yield return ("Mean axis 1", () => Ops.Mean(x, 1, dCol));
        yield return ("Sum, Mean, SumOfSquares", () => { Ops.Sum(x); Ops.Mean(x); Ops.SumOfSquares(x); });
        yield return ("Concat 1", () => Ops.Concat(x, y, 1, cat));
        yield return ("SliceColumns", () => Ops.SliceColumns(x, 5, 10, slice, true));
        yield return ("SliceRows", () => Ops.SliceRows(x, 2, 3, rows));
        yield return ("SliceColumnsBackward", () => Ops.SliceColumnsBackward(slice, 5, d));
        yield return ("SliceRowsBackward", () => Ops.SliceRowsBackward(rows, 2, d, true));
        yield return ("AllFinite, ThrowIfNotFinite", () => { Ops.AllFinite(x); Ops.ThrowIfNotFinite(x, "x"); });
        yield return ("SoftmaxCrossEntropy", () => Losses.SoftmaxCrossEntropy(x, labels));
        yield return ("SoftmaxCrossEntropy P", () => Losses.SoftmaxCrossEntropy(x, labels, d));
        yield return ("SoftmaxCrossEntropyBackward", () => Losses.SoftmaxCrossEntropyBackward(x, labels, s, d, true));
        yield return ("MeanSquaredError", () => Losses.MeanSquaredError(x, y));
        yield return ("MeanSquaredErrorBackward", () => Losses.MeanSquaredErrorBackward(x, y, s, d, cat.Rows == 0 ? null : d, true));
        yield return ("BinaryCrossEntropyWithLogits", () => Losses.BinaryCrossEntropyWithLogits(x, y));
        yield return ("BinaryCrossEntropyWithLogitsBackward", () => Losses.BinaryCrossEntropyWithLogitsBackward(x, y, s, d, d, false));
    }

    [Fact]
    public void DestinationFormsAndBackwardKernelsAllocateNothing()
    {
        var failures = new List<string>();
        foreach (var (name, run) in Calls())
        {
            run(); // first call: JIT, static initialisation
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated != 0)
                failures.Add($"{name}: {allocated} bytes");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}

public sealed class OpsAllocationTestsFloat : OpsAllocationTests<float>;

public sealed class OpsAllocationTestsDouble : OpsAllocationTests<double>;

/// <summary>Errors name the operation, the role and the shapes.</summary>
public sealed class OpsErrorTests
{
    [Fact]
    public void DestinationShapeErrorsNameOperationRoleAndShapes()
    {
        var a = new Matrix<float>(3, 4);
        var wrong = new Matrix<float>(4, 3);
        Assert.Equal("Relu: result is [4, 3] but must be [3, 4]", Assert.Throws<ShapeMismatchException>(() => Ops.Relu(a, wrong)).Message);
        Assert.Equal("Scale: result is [4, 3] but must be [3, 4]", Assert.Throws<ShapeMismatchException>(() => Ops.Scale(a, 2f, wrong)).Message);
        Assert.Equal("SigmoidBackward: dInput is [4, 3] but must be [3, 4]", Assert.Throws<ShapeMismatchException>(() => Ops.SigmoidBackward(a, a, wrong)).Message);
        Assert.Equal("ReluBackward: saved is [4, 3] but must be [3, 4]", Assert.Throws<ShapeMismatchException>(() => Ops.ReluBackward(wrong, a, a)).Message);
        Assert.Equal("SoftmaxBackward: output is [4, 3] but must be [3, 4]", Assert.Throws<ShapeMismatchException>(() => Ops.SoftmaxBackward(wrong, a, a)).Message);
        Assert.Equal("Sum: result of [3, 4] along axis 0 is [4, 3] but must be [1, 4]", Assert.Throws<ShapeMismatchException>(() => Ops.Sum(a, 0, wrong)).Message);
        Assert.Equal("Concat: [3, 4] and [4, 3] along axis 1: rows 3 ≠ 4", Assert.Throws<ShapeMismatchException>(() => Ops.Concat(a, wrong, 1)).Message);
        Assert.Equal("DivBackwardDenominator: dDenominator is [3, 4] but must be [1, 4]",
            Assert.Throws<ShapeMismatchException>(() => Ops.DivBackwardDenominator(a, a, new Matrix<float>(1, 4), a)).Message);
    }

    [Fact]
    public void InvalidAxisAndRangesAreOutOfRange()
    {
        var a = new Matrix<double>(3, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Sum(a, 2));
        Assert.StartsWith("Sum: axis 2 is invalid", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Mean(a, -1, new Matrix<double>(1, 4)));
        Assert.StartsWith("Mean: axis -1 is invalid", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Concat(a, a, 3));
        Assert.StartsWith("Concat: axis 3 is invalid", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.SliceColumns(a, 2, 3));
        Assert.StartsWith("SliceColumns: columns [2, 5) are outside a [3, 4] matrix", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.SliceRowsBackward(new Matrix<double>(2, 4), 2, a));
        Assert.StartsWith("SliceRowsBackward: rows [2, 4) are outside a [3, 4] matrix", e.Message);
    }
}
