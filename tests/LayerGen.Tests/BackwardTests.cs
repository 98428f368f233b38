using LayerGen;
using static LayerGen.Tests.ReferenceGradient;

namespace LayerGen.Tests;

/// <summary>Every backward kernel against central differences of its forward, overwriting and accumulating.</summary>
public sealed class BackwardTests
{
    private const int R = 5, C = 7;

    private static Matrix<double> Upstream(int rows, int cols, int seed = 99) => Matrix<double>.RandomNormal(rows, cols, seed);

    // ---------------------------------------------------------------- unary

    public static TheoryData<string> UnaryNames => new() { "Relu", "ReluOnOutput", "LeakyRelu", "LeakyReluOnOutput", "Sigmoid", "Tanh", "Gelu", "Softplus", "Exp", "Log", "Sqrt", "Square", "Abs", "Silu", "Elu" };

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void UnaryBackwardMatchesCentralDifferences(string name)
    {
        // 300 columns: more than one vector and more than one stack chunk (256), with a scalar tail.
        foreach (var (rows, cols) in new[] { (R, C), (2, 300) })
        {
            bool positive = name is "Log" or "Sqrt";
            var x = positive ? Matrix<double>.RandomUniform(rows, cols, 3, 0.2, 3) : AwayFromZero(rows, cols, 3);
            var dy = Upstream(rows, cols);
            const double slope = 0.1;
            Func<Matrix<double>, Matrix<double>> f = name switch
            {
                "Relu" or "ReluOnOutput" => Ops.Relu,
                "LeakyRelu" or "LeakyReluOnOutput" => m => Ops.LeakyRelu(m, slope),
                "Sigmoid" => Ops.Sigmoid,
                "Tanh" => Ops.Tanh,
                "Gelu" => Ops.Gelu,
                "Softplus" => Ops.Softplus,
                "Exp" => Ops.Exp,
                "Log" => Ops.Log,
                "Sqrt" => Ops.Sqrt,
                "Square" => Ops.Square,
                "Abs" => Ops.Abs,
                "Silu" => Ops.Silu,
                "Elu" => m => Ops.Elu(m, 0.7),
                _ => throw new ArgumentException(name),
            };
            var y = f(x);
            Action<Matrix<double>, bool> backward = name switch
            {
                "Relu" => (dx, acc) => Ops.ReluBackward(x, dy, dx, acc),
                "ReluOnOutput" => (dx, acc) => Ops.ReluBackward(y, dy, dx, acc),
                "LeakyRelu" => (dx, acc) => Ops.LeakyReluBackward(x, slope, dy, dx, acc),
                "LeakyReluOnOutput" => (dx, acc) => Ops.LeakyReluBackward(y, slope, dy, dx, acc),
                "Sigmoid" => (dx, acc) => Ops.SigmoidBackward(y, dy, dx, acc),
                "Tanh" => (dx, acc) => Ops.TanhBackward(y, dy, dx, acc),
                "Gelu" => (dx, acc) => Ops.GeluBackward(x, dy, dx, acc),
                "Softplus" => (dx, acc) => Ops.SoftplusBackward(x, dy, dx, acc),
                "Exp" => (dx, acc) => Ops.ExpBackward(y, dy, dx, acc),
                "Log" => (dx, acc) => Ops.LogBackward(x, dy, dx, acc),
                "Sqrt" => (dx, acc) => Ops.SqrtBackward(y, dy, dx, acc),
                "Square" => (dx, acc) => Ops.SquareBackward(x, dy, dx, acc),
                "Abs" => (dx, acc) => Ops.AbsBackward(x, dy, dx, acc),
                "Silu" => (dx, acc) => Ops.SiluBackward(x, dy, dx, acc),
                "Elu" => (dx, acc) => Ops.EluBackward(x, 0.7, dy, dx, acc),
                _ => throw new ArgumentException(name),
            };
            Check($"{name}Backward [{rows}, {cols}]", Numeric(f, x, dy), backward);
        }
    }

    [Fact]
    public void FloatBackwardKernelsAgreeWithDouble()
    {
        // The double kernels are proven against central differences above; the float ones run other vector widths
        // and tails (8 lanes, not 4), so compare them with the double results on the same inputs.
        const int rows = 3, cols = 301;
        var xd = AwayFromZero(rows, cols, 21);
        var pd = Matrix<double>.RandomUniform(rows, cols, 22, 0.2, 3);
        var dyd = Upstream(rows, cols);
        var xf = Reference.FromDouble<float>(Reference.ToDouble(xd));
        var pf = Reference.FromDouble<float>(Reference.ToDouble(pd));
        var dyf = Reference.FromDouble<float>(Reference.ToDouble(dyd));
        var xd2 = Reference.FromDouble<double>(Reference.ToDouble(xf));   // the float inputs, exactly, in double
        var pd2 = Reference.FromDouble<double>(Reference.ToDouble(pf));
        var dyd2 = Reference.FromDouble<double>(Reference.ToDouble(dyf));
        var kernels = new (string Name, Action<Matrix<double>, Matrix<double>, Matrix<double>, bool> D, Action<Matrix<float>, Matrix<float>, Matrix<float>, bool> F, bool Positive)[]
        {
            ("Relu", Ops.ReluBackward, Ops.ReluBackward, false),
            ("LeakyRelu", (x, dy, dx, a) => Ops.LeakyReluBackward(x, 0.2, dy, dx, a), (x, dy, dx, a) => Ops.LeakyReluBackward(x, 0.2f, dy, dx, a), false),
            ("Sigmoid", Ops.SigmoidBackward, Ops.SigmoidBackward, false),
            ("Tanh", Ops.TanhBackward, Ops.TanhBackward, false),
            ("Gelu", Ops.GeluBackward, Ops.GeluBackward, false),
            ("Softplus", Ops.SoftplusBackward, Ops.SoftplusBackward, false),
            ("Exp", Ops.ExpBackward, Ops.ExpBackward, false),
            ("Log", Ops.LogBackward, Ops.LogBackward, true),
            ("Sqrt", Ops.SqrtBackward, Ops.SqrtBackward, true),
            ("Square", Ops.SquareBackward, Ops.SquareBackward, false),
            ("Abs", Ops.AbsBackward, Ops.AbsBackward, false),
            ("Softmax", Ops.SoftmaxBackward, Ops.SoftmaxBackward, false),
            ("LogSoftmax", Ops.LogSoftmaxBackward, Ops.LogSoftmaxBackward, false),
        };
        foreach (var (name, d, f, positive) in kernels)
            foreach (bool accumulate in new[] { false, true })
            {
                var expected = Matrix<double>.Ones(rows, cols);
                d(positive ? pd2 : xd2, dyd2, expected, accumulate);
                var actual = Matrix<float>.Ones(rows, cols);
                f(positive ? pf : xf, dyf, actual, accumulate);
                Reference.AssertClose(Reference.ToDouble(expected), actual, 1e-5, 1e-5, $"{name}Backward float{(accumulate ? " accumulate" : "")}");
            }
    }

    [Fact]
    public void BackwardKernelsAllowDInputToAliasDOutput()
    {
        var x = AwayFromZero(3, 20, 1);
        var y = Ops.Sigmoid(x);
        var dy = Upstream(3, 20);
        var expected = new Matrix<double>(3, 20);
        Ops.SigmoidBackward(y, dy, expected);
        var inPlace = dy.Clone();
        Ops.SigmoidBackward(y, inPlace, inPlace);
        Assert.True(expected.ApproximatelyEquals(inPlace, 0, 0));
    }

    // ---------------------------------------------------------------- binary with broadcasting

    public static TheoryData<string, int, int, int, int> BinaryCases()
    {
        var data = new TheoryData<string, int, int, int, int>();
        var shapes = new (int, int, int, int)[] { (R, C, R, C), (R, C, 1, C), (R, C, R, 1), (R, C, 1, 1), (1, C, R, C), (R, 1, R, C), (1, 1, R, C), (1, 1, 1, 1) };
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div" })
            foreach (var (ar, ac, br, bc) in shapes)
                data.Add(op, ar, ac, br, bc);
        return data;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryBackwardMatchesCentralDifferencesForEveryBroadcastShape(string op, int ar, int ac, int br, int bc)
    {
        var a = AwayFromZero(ar, ac, 11);
        var b = op == "Div" ? Matrix<double>.RandomUniform(br, bc, 12, 0.5, 2) : AwayFromZero(br, bc, 12);
        Func<Matrix<double>, Matrix<double>, Matrix<double>> f = op switch
        {
            "Add" => Ops.Add, "Sub" => Ops.Sub, "Mul" => Ops.Mul, _ => Ops.Div,
        };
        var z = f(a, b);
        var dy = Upstream(z.Rows, z.Cols);
        var numericA = Numeric(m => f(m, b), a, dy);
        var numericB = Numeric(m => f(a, m), b, dy);
        switch (op)
        {
            case "Add":
                Check("Add da", numericA, (d, acc) => Ops.SumToShape(dy, d, acc));
                Check("Add db", numericB, (d, acc) => Ops.SumToShape(dy, d, acc));
                break;
            case "Sub":
                Check("Sub da", numericA, (d, acc) => Ops.SumToShape(dy, d, acc));
                Check("Sub db", numericB, (d, acc) => Ops.SumToShape(dy, -1.0, d, acc));
                break;
            case "Mul":
                Check("Mul da", numericA, (d, acc) => Ops.MulBackward(dy, b, d, acc));
                Check("Mul db", numericB, (d, acc) => Ops.MulBackward(dy, a, d, acc));
                break;
            default:
                Check("Div da", numericA, (d, acc) => Ops.DivBackwardNumerator(dy, b, d, acc));
                Check("Div db", numericB, (d, acc) => Ops.DivBackwardDenominator(dy, z, b, d, acc));
                break;
        }
    }

    [Fact]
    public void ReducingBackwardKernelsCoverMoreThanOneChunk()
    {
        // 600 columns: the chunked reduction (256 elements per chunk) must stitch chunks correctly.
        var a = AwayFromZero(3, 600, 5);
        var b = Matrix<double>.RandomUniform(1, 600, 6, 0.5, 2);
        var z = Ops.Div(a, b);
        var dy = Upstream(3, 600);
        Check("Div db [1, 600]", Numeric(m => Ops.Div(a, m), b, dy), (d, acc) => Ops.DivBackwardDenominator(dy, z, b, d, acc));
        var c = Matrix<double>.RandomUniform(3, 1, 7, 0.5, 2);
        Check("Mul dc [3, 1]", Numeric(m => Ops.Mul(a, m), c, dy), (d, acc) => Ops.MulBackward(dy, a, d, acc));
    }

    [Fact]
    public void NegAndScaleBackwardAreTheirAccumulateForms()
    {
        var x = AwayFromZero(R, C, 2);
        var dy = Upstream(R, C);
        Check("Neg", Numeric(Ops.Neg, x, dy), (d, acc) => Ops.Neg(dy, d, acc));
        Check("Scale", Numeric(m => Ops.Scale(m, 2.5), x, dy), (d, acc) => Ops.Scale(dy, 2.5, d, acc));
        Check("Add scalar", Numeric(m => Ops.Add(m, 3.0), x, dy), (d, acc) => Ops.SumToShape(dy, d, acc));
    }

    // ---------------------------------------------------------------- reductions

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void SumAndMeanAlongAxisBackwardIsBroadcastTo(int axis)
    {
        var x = AwayFromZero(R, C, 4);
        var dy = axis == 0 ? Upstream(1, C) : Upstream(R, 1);
        Check($"Sum axis {axis}", Numeric(m => Ops.Sum(m, axis), x, dy), (d, acc) => Ops.BroadcastTo(dy, d, acc));
        double scale = 1.0 / (axis == 0 ? R : C);
        Check($"Mean axis {axis}", Numeric(m => Ops.Mean(m, axis), x, dy), (d, acc) => Ops.BroadcastTo(dy, scale, d, acc));
    }

    [Fact]
    public void TotalReductionsBackward()
    {
        var x = AwayFromZero(R, C, 4);
        var numericSum = NumericScalar(m => 3 * Ops.Sum(m), x);
        Check("Sum", numericSum, (d, acc) =>
        {
            if (!acc) d.Clear();
            Ops.AddScalar(3.0, d);
        });
        var numericSq = NumericScalar(m => Ops.SumOfSquares(m), x);
        Check("SumOfSquares", numericSq, (d, acc) => Ops.Scale(x, 2.0, d, acc));
        var dy = Matrix<double>.Filled(1, 1, 1.5);
        Check("Mean", NumericScalar(m => 1.5 * Ops.Mean(m), x), (d, acc) => Ops.BroadcastTo(dy, 1.0 / x.Length, d, acc));
    }

    // ---------------------------------------------------------------- softmax

    [Fact]
    public void SoftmaxAndLogSoftmaxBackward()
    {
        foreach (var (rows, cols) in new[] { (R, C), (2, 300) })
        {
            var x = Matrix<double>.RandomNormal(rows, cols, 8, 0, 2);
            var dy = Upstream(rows, cols);
            var y = Ops.Softmax(x);
            Check($"SoftmaxBackward [{rows}, {cols}]", Numeric(Ops.Softmax, x, dy), (d, acc) => Ops.SoftmaxBackward(y, dy, d, acc));
            var ly = Ops.LogSoftmax(x);
            Check($"LogSoftmaxBackward [{rows}, {cols}]", Numeric(Ops.LogSoftmax, x, dy), (d, acc) => Ops.LogSoftmaxBackward(ly, dy, d, acc));
        }
    }

    // ---------------------------------------------------------------- shape ops

    [Fact]
    public void SliceAndConcatBackward()
    {
        var x = AwayFromZero(6, 9, 9);
        var dyCols = Upstream(6, 4);
        Check("SliceColumns", Numeric(m => Ops.SliceColumns(m, 3, 4), x, dyCols), (d, acc) => Ops.SliceColumnsBackward(dyCols, 3, d, acc));
        var dyRows = Upstream(2, 9);
        Check("SliceRows", Numeric(m => Ops.SliceRows(m, 1, 2), x, dyRows), (d, acc) => Ops.SliceRowsBackward(dyRows, 1, d, acc));

        var other = AwayFromZero(6, 2, 10);
        var dyCat = Upstream(6, 11);
        Check("Concat axis 1, left", Numeric(m => Ops.Concat(m, other, 1), x, dyCat), (d, acc) => Ops.SliceColumns(dyCat, 0, 9, d, acc));
        Check("Concat axis 1, right", Numeric(m => Ops.Concat(x, m, 1), other, dyCat), (d, acc) => Ops.SliceColumns(dyCat, 9, 2, d, acc));
        var below = AwayFromZero(3, 9, 11);
        var dyStack = Upstream(9, 9);
        Check("Concat axis 0, bottom", Numeric(m => Ops.Concat(x, m, 0), below, dyStack), (d, acc) => Ops.SliceRows(dyStack, 6, 3, d, acc));
    }
}
