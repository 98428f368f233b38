using System.Numerics;
using LayerGen;

namespace LayerGen.Tests;

/// <summary>Every forward op against the naive double reference, in float and in double.</summary>
public abstract class OpsForwardTests<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Relative tolerance: a few ulps of T plus the error of TensorPrimitives' transcendental approximations.</summary>
    protected static readonly double Rel = typeof(T) == typeof(float) ? 2e-5 : 1e-12;
    protected static readonly double Abs = typeof(T) == typeof(float) ? 1e-6 : 1e-14;

    private static Matrix<T> Random(int rows, int cols, int seed, double low = -3, double high = 3)
        => Matrix<T>.RandomUniform(rows, cols, seed, low, high);

    // 37 columns: several vectors plus a scalar tail; 300: more than one stack chunk.
    public static TheoryData<int, int> Shapes => new() { { 4, 37 }, { 3, 300 }, { 1, 1 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void UnaryOpsMatchReference(int rows, int cols)
    {
        var x = Random(rows, cols, 1);
        var positive = Random(rows, cols, 2, 0.05, 4);
        var xd = Reference.ToDouble(x);
        var pd = Reference.ToDouble(positive);
        var cases = new (string Name, Func<Matrix<T>, Matrix<T>> Op, Action<Matrix<T>, Matrix<T>> Into, bool Positive, Func<double, double> Expected)[]
        {
            ("Relu", Ops.Relu, Ops.Relu, false, Reference.Relu),
            ("LeakyRelu", m => Ops.LeakyRelu(m, T.CreateTruncating(0.01)), (m, r) => Ops.LeakyRelu(m, T.CreateTruncating(0.01), r), false, v => v > 0 ? v : double.CreateTruncating(T.CreateTruncating(0.01)) * v),
            ("Sigmoid", Ops.Sigmoid, Ops.Sigmoid, false, Reference.Sigmoid),
            ("Tanh", Ops.Tanh, Ops.Tanh, false, Math.Tanh),
            ("Gelu", Ops.Gelu, Ops.Gelu, false, Reference.Gelu),
            ("Softplus", Ops.Softplus, Ops.Softplus, false, Reference.Softplus),
            ("Exp", Ops.Exp, Ops.Exp, false, Math.Exp),
            ("Log", Ops.Log, Ops.Log, true, Math.Log),
            ("Sqrt", Ops.Sqrt, Ops.Sqrt, true, Math.Sqrt),
            ("Square", Ops.Square, Ops.Square, false, v => v * v),
            ("Abs", Ops.Abs, Ops.Abs, false, Math.Abs),
            ("Silu", Ops.Silu, Ops.Silu, false, v => v * Reference.Sigmoid(v)),
            ("Elu", m => Ops.Elu(m, T.CreateTruncating(0.5)), (m, r) => Ops.Elu(m, T.CreateTruncating(0.5), r), false, v => v > 0 ? v : double.CreateTruncating(T.CreateTruncating(0.5)) * (Math.Exp(v) - 1)),
            ("Neg", Ops.Neg, (m, r) => Ops.Neg(m, r), false, v => -v),
            ("Scale", m => Ops.Scale(m, T.CreateTruncating(-1.5)), (m, r) => Ops.Scale(m, T.CreateTruncating(-1.5), r), false, v => -1.5 * v),
            ("Add scalar", m => Ops.Add(m, T.CreateTruncating(0.25)), (m, r) => Ops.Add(m, T.CreateTruncating(0.25), r), false, v => v + 0.25),
        };
        foreach (var (name, op, into, pos, expected) in cases)
        {
            var input = pos ? positive : x;
            var want = Reference.Map(pos ? pd : xd, expected);
            // Gelu loses relative precision where 1 + tanh(·) cancels (x ≈ −3); an absolute allowance covers it.
            double abs = name == "Gelu" ? Abs * 100 : Abs;
            Reference.AssertClose(want, op(input), Rel, abs, name);
            var result = Matrix<T>.Filled(rows, cols, T.NaN);
            into(input, result);
            Reference.AssertClose(want, result, Rel, abs, name + " (destination)");
            var inPlace = input.Clone();
            into(inPlace, inPlace);
            Reference.AssertClose(want, inPlace, Rel, abs, name + " (in place)");
        }
    }

    [Fact]
    public void SoftplusAndSigmoidAreStableForLargeInputs()
    {
        var x = Matrix<T>.FromRows([T.CreateTruncating(-1000), T.CreateTruncating(-30), T.CreateTruncating(30), T.CreateTruncating(1000)]);
        var softplus = Ops.Softplus(x);
        Assert.True(Ops.AllFinite(softplus), softplus.ToString());
        Reference.AssertClose(new[,] { { 0, Math.Exp(-30), 30 + Math.Exp(-30), 1000 } }, softplus, Rel, 0);
        var sigmoid = Ops.Sigmoid(x);
        Reference.AssertClose(new[,] { { 0, Reference.Sigmoid(-30), 1, 1 } }, sigmoid, Rel, 1e-30);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SoftmaxAndLogSoftmaxMatchReference(int rows, int cols)
    {
        var x = Random(rows, cols, 3, -5, 5);
        var xd = Reference.ToDouble(x);
        Reference.AssertClose(Reference.Softmax(xd), Ops.Softmax(x), Rel, Abs, "Softmax");
        Reference.AssertClose(Reference.LogSoftmax(xd), Ops.LogSoftmax(x), Rel, Abs * 10, "LogSoftmax");
        var inPlace = x.Clone();
        Ops.LogSoftmax(inPlace, inPlace);
        Reference.AssertClose(Reference.LogSoftmax(xd), inPlace, Rel, Abs * 10, "LogSoftmax in place");
        inPlace = x.Clone();
        Ops.Softmax(inPlace, inPlace);
        Reference.AssertClose(Reference.Softmax(xd), inPlace, Rel, Abs, "Softmax in place");
    }

    [Fact]
    public void SoftmaxSubtractsTheRowMaxSoHugeLogitsDoNotOverflow()
    {
        var x = Matrix<T>.FromRows([T.CreateTruncating(1000), T.CreateTruncating(999), T.CreateTruncating(-1000)]);
        var p = Ops.Softmax(x);
        double e = Math.Exp(-1);
        Reference.AssertClose(new[,] { { 1 / (1 + e), e / (1 + e), 0 } }, p, Rel, 1e-30);
        var logp = Ops.LogSoftmax(x);
        Reference.AssertClose(new[,] { { -Math.Log(1 + e), -1 - Math.Log(1 + e), -2000 - Math.Log(1 + e) } }, logp, Rel, Abs);
    }

    [Fact]
    public void ReductionsMatchReference()
    {
        var x = Random(7, 300, 4);
        var xd = Reference.ToDouble(x);
        double sum = Reference.Sum(xd);
        double sumTol = typeof(T) == typeof(float) ? 1e-3 : 1e-10;
        Reference.AssertClose(sum, double.CreateTruncating(Ops.Sum(x)), 0, sumTol, "Sum");
        Reference.AssertClose(sum / x.Length, double.CreateTruncating(Ops.Mean(x)), 0, sumTol / x.Length, "Mean");
        Reference.AssertClose(Reference.Sum(Reference.Map(xd, v => v * v)), double.CreateTruncating(Ops.SumOfSquares(x)), Rel * 10, 0, "SumOfSquares");
        Reference.AssertClose(Reference.SumToShape(xd, 1, 300), Ops.Sum(x, 0), Rel * 10, Abs * 10, "Sum axis 0");
        Reference.AssertClose(Reference.SumToShape(xd, 7, 1), Ops.Sum(x, 1), Rel * 10, sumTol, "Sum axis 1");
        Reference.AssertClose(Reference.Map(Reference.SumToShape(xd, 1, 300), v => v / 7), Ops.Mean(x, 0), Rel * 10, Abs * 10, "Mean axis 0");
        Reference.AssertClose(Reference.Map(Reference.SumToShape(xd, 7, 1), v => v / 300), Ops.Mean(x, 1), Rel * 10, Abs * 10, "Mean axis 1");

        // Accumulate adds to what is there.
        var acc = Matrix<T>.Ones(1, 300);
        Ops.Mean(x, 0, acc, accumulate: true);
        Reference.AssertClose(Reference.Map(Reference.SumToShape(xd, 1, 300), v => 1 + v / 7), acc, Rel * 10, Abs * 10, "Mean axis 0 accumulate");
        Assert.True(double.IsNaN(double.CreateTruncating(Ops.Mean(new Matrix<T>(0, 3)))));
        Assert.Equal(T.Zero, Ops.Sum(new Matrix<T>(0, 3)));
        Assert.Equal(new Matrix<T>(1, 3).ToArray(), Ops.Sum(new Matrix<T>(0, 3), 0).ToArray());
        Assert.All(Ops.Mean(new Matrix<T>(0, 3), 0).ToArray(), v => Assert.True(T.IsNaN(v)));
        Assert.All(Ops.Mean(new Matrix<T>(2, 0), 1).ToArray(), v => Assert.True(T.IsNaN(v)));
    }

    [Fact]
    public void ShapeOpsMatchReference()
    {
        var a = Random(4, 5, 5);
        var b = Random(4, 3, 6);
        var c = Random(2, 5, 7);
        var cat1 = Ops.Concat(a, b, 1);
        Assert.Equal((4, 8), cat1.Shape);
        Reference.AssertClose(Reference.ToDouble(a), Ops.SliceColumns(cat1, 0, 5), 0, 0, "Concat 1 left");
        Reference.AssertClose(Reference.ToDouble(b), Ops.SliceColumns(cat1, 5, 3), 0, 0, "Concat 1 right");
        var cat0 = Ops.Concat(a, c, 0);
        Assert.Equal((6, 5), cat0.Shape);
        Reference.AssertClose(Reference.ToDouble(c), Ops.SliceRows(cat0, 4, 2), 0, 0, "Concat 0 bottom");
        Reference.AssertClose(Reference.Slice(Reference.ToDouble(a), 1, 2, 2, 3), Ops.SliceColumns(Ops.SliceRows(a, 1, 2), 2, 3), 0, 0, "Slice");

        var grad = Matrix<T>.Filled(4, 5, T.NaN);
        var dy = Random(4, 2, 8);
        Ops.SliceColumnsBackward(dy, 1, grad);
        var want = new double[4, 5];
        for (int r = 0; r < 4; r++) { want[r, 1] = double.CreateTruncating(dy[r, 0]); want[r, 2] = double.CreateTruncating(dy[r, 1]); }
        Reference.AssertClose(want, grad, 0, 0, "SliceColumnsBackward zeroes the other columns");
    }

    [Fact]
    public void AllFiniteAndThrowIfNotFinite()
    {
        var m = Random(3, 40, 9);
        Assert.True(Ops.AllFinite(m));
        Ops.ThrowIfNotFinite(m, "w");
        m[2, 33] = T.PositiveInfinity;
        m[2, 35] = T.NaN;
        Assert.False(Ops.AllFinite(m));
        var e = Assert.Throws<NonFiniteException>(() => Ops.ThrowIfNotFinite(m, "dense.W"));
        Assert.IsAssignableFrom<ArithmeticException>(e);
        Assert.Equal("ThrowIfNotFinite: 'dense.W' [2, 33] is Infinity (a [3, 40] matrix)", e.Message);
        Assert.Equal((2, 33), (e.Row, e.Column));
        m[2, 33] = T.Zero;
        e = Assert.Throws<NonFiniteException>(() => Ops.ThrowIfNotFinite(m, "x"));
        Assert.Contains("[2, 35] is NaN", e.Message);
    }
}

public sealed class OpsForwardTestsFloat : OpsForwardTests<float>;

public sealed class OpsForwardTestsDouble : OpsForwardTests<double>;
