using CsCheck;
using LayerGen;

namespace LayerGen.Tests;

/// <summary>Broadcasting rules of Add/Sub/Mul/Div and of SumToShape/BroadcastTo, with random shapes.</summary>
public sealed class BroadcastTests
{
    /// <summary>0: [R, C]; 1: [1, C]; 2: [R, 1]; 3: [1, 1].</summary>
    private static (int, int) ShapeOf(int kind, int rows, int cols) => kind switch
    {
        0 => (rows, cols), 1 => (1, cols), 2 => (rows, 1), _ => (1, 1),
    };

    private static readonly Gen<(int, int, int, int, int)> Pairs =
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 40], Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 1_000_000]);

    [Fact]
    public void BinaryOpsBroadcastLikeTheReferenceOrRejectTwoWayBroadcasts()
    {
        Pairs.Sample((rows, cols, kindA, kindB, seed) =>
        {
            var (ar, ac) = ShapeOf(kindA, rows, cols);
            var (br, bc) = ShapeOf(kindB, rows, cols);
            var a = Matrix<double>.RandomNormal(ar, ac, seed);
            var b = Matrix<double>.RandomUniform(br, bc, seed + 1, 0.5, 2);
            bool aSpreads = (ar == 1 && br != 1) || (ac == 1 && bc != 1);
            bool bSpreads = (br == 1 && ar != 1) || (bc == 1 && ac != 1);
            var ops = new (string Name, Func<Matrix<double>, Matrix<double>, Matrix<double>> Op, Func<double, double, double> F)[]
            {
                ("Add", Ops.Add, (x, y) => x + y), ("Sub", Ops.Sub, (x, y) => x - y),
                ("Mul", Ops.Mul, (x, y) => x * y), ("Div", Ops.Div, (x, y) => x / y),
            };
            foreach (var (name, op, f) in ops)
            {
                if (aSpreads && bSpreads)
                {
                    var e = Assert.Throws<ShapeMismatchException>(() => op(a, b));
                    Assert.StartsWith($"{name}: {a.ShapeString} and {b.ShapeString}: would broadcast both ways", e.Message);
                    continue;
                }
                var expected = Reference.Binary(Reference.ToDouble(a), Reference.ToDouble(b), f);
                Reference.AssertClose(expected, op(a, b), 1e-15, 0, $"{name} {a.ShapeString} {b.ShapeString}");
            }
        }, iter: 150, threads: 1);
    }

    [Fact]
    public void SumToShapeAndBroadcastToAreAdjoints()
    {
        // ⟨SumToShape(S), b⟩ = ⟨S, BroadcastTo(b)⟩ for every reduced shape, and both match the reference loops.
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 40], Gen.Int[0, 3], Gen.Int[0, 1_000_000]).Sample((rows, cols, kind, seed) =>
        {
            var (sr, sc) = ShapeOf(kind, rows, cols);
            var source = Matrix<double>.RandomNormal(rows, cols, seed);
            var small = Matrix<double>.RandomNormal(sr, sc, seed + 1);
            var reduced = Matrix<double>.Filled(sr, sc, double.NaN);
            Ops.SumToShape(source, reduced);
            Reference.AssertClose(Reference.SumToShape(Reference.ToDouble(source), sr, sc), reduced, 1e-12, 1e-12, "SumToShape");
            var spread = Matrix<double>.Filled(rows, cols, double.NaN);
            Ops.BroadcastTo(small, spread);
            Reference.AssertClose(Reference.Binary(Reference.ToDouble(small), new double[rows, cols], (x, _) => x), spread, 0, 0, "BroadcastTo");
            Reference.AssertClose(ReferenceGradient.Frobenius(reduced, small), ReferenceGradient.Frobenius(source, spread), 1e-12, 1e-12, "adjoint");

            // Scaled and accumulating forms.
            var acc = small.Clone();
            Ops.SumToShape(source, -0.5, acc, accumulate: true);
            var want = Reference.Binary(Reference.ToDouble(small), Reference.SumToShape(Reference.ToDouble(source), sr, sc), (x, s) => x - 0.5 * s);
            Reference.AssertClose(want, acc, 1e-12, 1e-12, "SumToShape scale accumulate");
            var accSpread = source.Clone();
            Ops.BroadcastTo(small, 2.0, accSpread, accumulate: true);
            Reference.AssertClose(Reference.Binary(Reference.ToDouble(source), Reference.ToDouble(small), (x, s) => x + 2 * s), accSpread, 1e-14, 0, "BroadcastTo scale accumulate");
        }, iter: 150, threads: 1);
    }

    [Fact]
    public void MulAndDivBackwardReduceToEveryOperandShape()
    {
        // For random valid pairs: dA = SumToShape(dZ ⊙ b), dB = SumToShape(dZ ⊙ a) (Mul) and
        // dA = SumToShape(dZ / b), dB = SumToShape(−dZ ⊙ z / b) (Div), all accumulated onto random contents.
        Pairs.Sample((rows, cols, kindA, kindB, seed) =>
        {
            var (ar, ac) = ShapeOf(kindA, rows, cols);
            var (br, bc) = ShapeOf(kindB, rows, cols);
            bool aSpreads = (ar == 1 && br != 1) || (ac == 1 && bc != 1);
            bool bSpreads = (br == 1 && ar != 1) || (bc == 1 && ac != 1);
            if (aSpreads && bSpreads)
                return;
            var a = Matrix<double>.RandomNormal(ar, ac, seed);
            var b = Matrix<double>.RandomUniform(br, bc, seed + 1, 0.5, 2);
            var z = Ops.Div(a, b);
            var dz = Matrix<double>.RandomNormal(z.Rows, z.Cols, seed + 2);
            double[,] A = Reference.ToDouble(a), B = Reference.ToDouble(b), Z = Reference.ToDouble(z), DZ = Reference.ToDouble(dz);

            void Expect(Action<Matrix<double>> kernel, double[,] full, int rr, int cc, string what)
            {
                var prior = Matrix<double>.RandomNormal(rr, cc, seed + 3);
                var actual = prior.Clone();
                kernel(actual);
                var expected = Reference.Binary(Reference.ToDouble(prior), Reference.SumToShape(full, rr, cc), (p, g) => p + g);
                Reference.AssertClose(expected, actual, 1e-12, 1e-12, $"{what} {a.ShapeString} {b.ShapeString}");
            }

            Expect(d => Ops.MulBackward(dz, b, d, accumulate: true), Reference.Binary(DZ, B, (g, y) => g * y), ar, ac, "MulBackward a");
            Expect(d => Ops.MulBackward(dz, a, d, accumulate: true), Reference.Binary(DZ, A, (g, x) => g * x), br, bc, "MulBackward b");
            Expect(d => Ops.DivBackwardNumerator(dz, b, d, accumulate: true), Reference.Binary(DZ, B, (g, y) => g / y), ar, ac, "DivBackwardNumerator");
            var dzTimesZ = Reference.Binary(DZ, Z, (g, q) => g * q);
            Expect(d => Ops.DivBackwardDenominator(dz, z, b, d, accumulate: true), Reference.Binary(dzTimesZ, B, (gq, y) => -gq / y), br, bc, "DivBackwardDenominator");
        }, iter: 150, threads: 1);
    }

    [Fact]
    public void AxisReductionsMatchReferenceForRandomShapes()
    {
        Gen.Select(Gen.Int[0, 40], Gen.Int[1, 40], Gen.Int[0, 1], Gen.Int[0, 1_000_000]).Sample((rows, cols, axis, seed) =>
        {
            var x = Matrix<float>.RandomNormal(rows, cols, seed);
            var (rr, rc) = axis == 0 ? (1, cols) : (rows, 1);
            var expected = Reference.SumToShape(Reference.ToDouble(x), rr, rc);
            Reference.AssertClose(expected, Ops.Sum(x, axis), 1e-5, 1e-5, "Sum");
            var mean = Ops.Mean(x, axis);
            int count = axis == 0 ? rows : cols;
            if (count > 0)
                Reference.AssertClose(Reference.Map(expected, v => v / count), mean, 1e-5, 1e-5, "Mean");
        }, iter: 150, threads: 1);
    }

    [Fact]
    public void BroadcastingErrorsNameTheOperationAndShapes()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Ops.Add(new Matrix<float>(32, 10), new Matrix<float>(1, 20)));
        Assert.Equal("Add: [32, 10] and [1, 20]: cannot broadcast (columns 10 ≠ 20)", e.Message);
        Assert.Equal("Add", e.Operation);
        e = Assert.Throws<ShapeMismatchException>(() => Ops.Sub(new Matrix<float>(5, 1), new Matrix<float>(1, 5)));
        Assert.Equal("Sub: [5, 1] and [1, 5]: would broadcast both ways (an outer product); transpose one operand or use Ops.MatMul", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Ops.Mul(new Matrix<double>(1, 7), new Matrix<double>(3, 1)));
        Assert.StartsWith("Mul: [1, 7] and [3, 1]: would broadcast both ways", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Ops.Div(new Matrix<double>(4, 3), new Matrix<double>(2, 3)));
        Assert.Equal("Div: [4, 3] and [2, 3]: cannot broadcast (rows 4 ≠ 2)", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Ops.Add(new Matrix<double>(4, 3), new Matrix<double>(1, 3), new Matrix<double>(1, 3)));
        Assert.Equal("Add: result is [1, 3] but must be [4, 3]", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Ops.SumToShape(new Matrix<double>(4, 3), new Matrix<double>(2, 3)));
        Assert.Equal("SumToShape: result is [2, 3] but must be [4, 3], [1, 3], [4, 1] or [1, 1] to broadcast against source [4, 3]", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Ops.BroadcastTo(new Matrix<double>(1, 4), new Matrix<double>(2, 3)));
        Assert.StartsWith("BroadcastTo: source is [1, 4] but must be [2, 3], [1, 3], [2, 1] or [1, 1]", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Ops.MulBackward(new Matrix<double>(4, 3), new Matrix<double>(1, 3), new Matrix<double>(3, 4)));
        Assert.StartsWith("MulBackward: dInput is [3, 4] but must be [4, 3]", e.Message);
    }

    [Fact]
    public void ResultMayAliasTheFullShapeOperand()
    {
        var a = Matrix<double>.RandomNormal(6, 9, 1);
        var bias = Matrix<double>.RandomNormal(1, 9, 2);
        var expected = Ops.Add(a, bias);
        Ops.Add(a, bias, a);
        Assert.True(expected.ApproximatelyEquals(a, 0, 0));
        var column = Matrix<double>.RandomUniform(6, 1, 3, 1, 2);
        expected = Ops.Div(column, a);
        Ops.Div(column, a, a);
        Assert.True(expected.ApproximatelyEquals(a, 0, 0));
    }
}
