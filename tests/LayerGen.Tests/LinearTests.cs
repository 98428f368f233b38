namespace LayerGen.Tests;

/// <summary><see cref="Ops.MatMul{T}(Matrix{T}, Matrix{T}, bool, bool)"/>, Transpose and Dot: results, shape
/// errors, aliasing and allocation.</summary>
public class LinearTests
{
    private static Matrix<double> Naive(Matrix<double> a, Matrix<double> b)
    {
        var r = new Matrix<double>(a.Rows, b.Cols);
        for (int i = 0; i < a.Rows; i++)
            for (int j = 0; j < b.Cols; j++)
            {
                double s = 0;
                for (int p = 0; p < a.Cols; p++)
                    s += a[i, p] * b[p, j];
                r[i, j] = s;
            }
        return r;
    }

    private static Matrix<double> NaiveTranspose(Matrix<double> a)
    {
        var r = new Matrix<double>(a.Cols, a.Rows);
        for (int i = 0; i < a.Rows; i++)
            for (int j = 0; j < a.Cols; j++)
                r[j, i] = a[i, j];
        return r;
    }

    [Fact]
    public void MatMul_SmallExample()
    {
        var a = Matrix<double>.FromRows([1, 2, 3], [4, 5, 6]);
        var b = Matrix<double>.FromRows([7, 8], [9, 10], [11, 12]);
        var r = Ops.MatMul(a, b);
        Assert.Equal(new double[] { 58, 64, 139, 154 }, r.ToArray());
        Assert.Equal(new double[] { 58, 64, 139, 154 }, (a * b).ToArray());
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MatMul_TransposedOperands_MatchExplicitTranspose(bool ta, bool tb)
    {
        var a0 = Matrix<double>.RandomNormal(37, 23, 1);
        var b0 = Matrix<double>.RandomNormal(23, 41, 2);
        var a = ta ? NaiveTranspose(a0) : a0;
        var b = tb ? NaiveTranspose(b0) : b0;
        var expected = Naive(a0, b0);
        Assert.True(Ops.MatMul(a, b, ta, tb).ApproximatelyEquals(expected, 1e-12, 1e-12));

        var result = Matrix<double>.Filled(37, 41, double.NaN);
        Ops.MatMul(a, b, result, ta, tb);
        Assert.True(result.ApproximatelyEquals(expected, 1e-12, 1e-12));

        Ops.MatMul(a, b, result, ta, tb, accumulate: true);
        Assert.True(result.ApproximatelyEquals(Ops.Scale(expected, 2.0), 1e-12, 1e-12));
    }

    [Fact]
    public void MatMul_Float_LargeEnoughForTheBlockedPath()
    {
        var a = Matrix<float>.RandomNormal(70, 300, 3);
        var b = Matrix<float>.RandomNormal(300, 50, 4);
        var r = Ops.MatMul(a, b);
        var ad = Matrix<double>.FromSpan(70, 300, a.ToArray().Select(x => (double)x).ToArray());
        var bd = Matrix<double>.FromSpan(300, 50, b.ToArray().Select(x => (double)x).ToArray());
        var e = Naive(ad, bd);
        for (int i = 0; i < 70; i++)
            for (int j = 0; j < 50; j++)
                Assert.True(Math.Abs(r[i, j] - e[i, j]) <= 1e-4 * Math.Sqrt(300) * 3, $"[{i},{j}] {r[i, j]} vs {e[i, j]}");
    }

    [Fact]
    public void MatMul_InnerMismatch_MessageNamesShapes()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Ops.MatMul(new Matrix<float>(32, 784), new Matrix<float>(100, 10)));
        Assert.Equal("MatMul: [32, 784] × [100, 10]: inner dimensions 784 ≠ 100", ex.Message);
        ex = Assert.Throws<ShapeMismatchException>(() => Ops.MatMul(new Matrix<float>(784, 32), new Matrix<float>(100, 10), transposeA: true));
        Assert.Equal("MatMul: [784, 32]ᵀ × [100, 10]: inner dimensions 784 ≠ 100", ex.Message);
        ex = Assert.Throws<ShapeMismatchException>(() => Ops.MatMul(new Matrix<float>(32, 784), new Matrix<float>(784, 10), transposeB: true));
        Assert.Equal("MatMul: [32, 784] × [784, 10]ᵀ: inner dimensions 784 ≠ 10", ex.Message);
    }

    [Fact]
    public void MatMul_WrongResultShape_MessageNamesShapes()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() =>
            Ops.MatMul(new Matrix<double>(32, 784), new Matrix<double>(10, 784), new Matrix<double>(32, 5), transposeB: true));
        Assert.Equal("MatMul: [32, 784] × [10, 784]ᵀ: result is [32, 5] but must be [32, 10]", ex.Message);
    }

    [Fact]
    public void MatMul_ResultAliasingAnOperand_Throws()
    {
        var a = Matrix<double>.RandomNormal(4, 4, 1);
        var b = Matrix<double>.RandomNormal(4, 4, 2);
        var ex = Assert.Throws<ArgumentException>(() => Ops.MatMul(a, b, a));
        Assert.Contains("MatMul: result ([4, 4]) shares storage with a", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Ops.MatMul(a, b, b));
        Assert.Contains("shares storage with b", ex.Message);

        // Two matrices over the same array are aliases too.
        var data = new double[16];
        var view1 = new Matrix<double>(4, 4, data);
        var view2 = new Matrix<double>(4, 4, data);
        Assert.Throws<ArgumentException>(() => Ops.MatMul(view1, b, view2));
    }

    [Fact]
    public void MatMul_EmptyDimensions()
    {
        Assert.Equal((0, 5), Ops.MatMul(new Matrix<float>(0, 3), new Matrix<float>(3, 5)).Shape);
        var zeroInner = Ops.MatMul(new Matrix<float>(2, 0), new Matrix<float>(0, 3));
        Assert.Equal(new float[6], zeroInner.ToArray());
    }

    [Fact]
    public void MatMul_DestinationForm_AllocatesNothing_BelowTheThreadingThreshold()
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (8, 8, 8), (32, 10, 784), (64, 64, 64), (32, 100, 200) })
        {
            var a = Matrix<float>.RandomNormal(m, k, 1);
            var b = Matrix<float>.RandomNormal(k, n, 2);
            var bt = Matrix<float>.RandomNormal(n, k, 3);
            var result = new Matrix<float>(m, n);
            Assert.True((long)m * n * k < GemmParallel.Threshold);
            Ops.MatMul(a, b, result);
            Ops.MatMul(a, bt, result, transposeB: true, accumulate: true);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                Ops.MatMul(a, b, result);
                Ops.MatMul(a, bt, result, transposeB: true, accumulate: true);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(32, 32)]
    [InlineData(33, 70)]
    [InlineData(100, 7)]
    public void Transpose_MatchesDefinition(int rows, int cols)
    {
        var a = Matrix<double>.RandomNormal(rows, cols, rows * cols);
        var expected = NaiveTranspose(a);
        Assert.Equal(expected.ToArray(), Ops.Transpose(a).ToArray());
        Assert.Equal(expected.ToArray(), a.T.ToArray());

        var result = Matrix<double>.Ones(cols, rows);
        Ops.Transpose(a, result, accumulate: true);
        Assert.Equal(expected.ToArray().Select(x => x + 1).ToArray(), result.ToArray());
        Ops.Transpose(a, result);
        Assert.Equal(expected.ToArray(), result.ToArray());
    }

    [Fact]
    public void Transpose_Errors()
    {
        var a = new Matrix<float>(3, 5);
        var ex = Assert.Throws<ShapeMismatchException>(() => Ops.Transpose(a, new Matrix<float>(3, 5)));
        Assert.Equal("Transpose: [3, 5]ᵀ: result is [3, 5] but must be [5, 3]", ex.Message);
        var square = new Matrix<float>(4, 4);
        var alias = Assert.Throws<ArgumentException>(() => Ops.Transpose(square, square));
        Assert.Contains("Transpose: result ([4, 4]) shares storage with a", alias.Message);
    }

    [Fact]
    public void Dot_IsTheFrobeniusInnerProduct()
    {
        var a = Matrix<double>.FromRows([1, 2], [3, 4]);
        var b = Matrix<double>.FromRows([5, 6], [7, 8]);
        Assert.Equal(70.0, Ops.Dot(a, b));
        var ex = Assert.Throws<ShapeMismatchException>(() => Ops.Dot(a, new Matrix<double>(2, 3)));
        Assert.StartsWith("Dot: [2, 2] and [2, 3]", ex.Message);
    }
}
