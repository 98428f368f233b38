namespace LayerGen.Tests;

public class MatrixTests
{
    [Fact]
    public void Constructor_IsZeroedWithTheGivenShape()
    {
        var m = new Matrix<float>(2, 3);
        Assert.Equal(2, m.Rows);
        Assert.Equal(3, m.Cols);
        Assert.All(m.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void FromArray_IsRowMajor()
    {
        var m = Matrix<double>.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, m.ToArray());
        Assert.Equal(6, m[1, 2]);
        m[0, 1] = 9;
        Assert.Equal(9, m.AsSpan()[1]);
    }

    [Fact]
    public void Indexer_OutOfRange_NamesIndexAndShape()
    {
        var m = new Matrix<float>(2, 3);
        var e = Assert.Throws<IndexOutOfRangeException>(() => m[2, 0]);
        Assert.Contains("[2, 0]", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void FromRows_RaggedRows_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Matrix<float>.FromRows([1f, 2f], [3f]));
        Assert.Contains("row 1", e.Message);
    }

    [Fact]
    public void Transpose_SwapsIndices()
    {
        var m = Matrix<float>.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var t = m.T;
        Assert.Equal((3, 2), t.Shape);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(m[r, c], t[c, r]);
    }

    [Fact]
    public void RandomFactories_AreReproducibleFromTheSeed()
    {
        Assert.Equal(Matrix<double>.RandomNormal(4, 5, seed: 7).ToArray(), Matrix<double>.RandomNormal(4, 5, seed: 7).ToArray());
        Assert.NotEqual(Matrix<double>.RandomNormal(4, 5, seed: 7).ToArray(), Matrix<double>.RandomNormal(4, 5, seed: 8).ToArray());
        var u = Matrix<float>.RandomUniform(50, 50, seed: 1, low: -2, high: 3);
        Assert.All(u.ToArray(), v => Assert.InRange(v, -2f, 3f));
    }

    [Fact]
    public void HeAndXavier_HaveTheirScale()
    {
        var he = Matrix<double>.He(fanIn: 200, fanOut: 300, seed: 3);
        double variance = he.ToArray().Select(v => v * v).Average();
        Assert.InRange(variance, 2.0 / 200 * 0.9, 2.0 / 200 * 1.1);
        var xavier = Matrix<double>.Xavier(200, 300, seed: 3);
        double limit = Math.Sqrt(6.0 / 500);
        Assert.All(xavier.ToArray(), v => Assert.InRange(v, -limit, limit));
    }

    [Fact]
    public void EnsureShape_ReusesStorageWhenItFits()
    {
        Matrix<float>? buffer = null;
        var first = Matrix<float>.EnsureShape(ref buffer, 4, 4);
        Assert.Same(first, buffer);
        var smaller = Matrix<float>.EnsureShape(ref buffer, 2, 3);
        Assert.Same(first, smaller);
        Assert.Equal((2, 3), smaller.Shape);
        Assert.Equal(6, smaller.AsSpan().Length);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Matrix<float>.EnsureShape(ref buffer, 4, 4);
        Matrix<float>.EnsureShape(ref buffer, 1, 16);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void ApproximatelyEquals_UsesToleranceAndShape()
    {
        var a = Matrix<double>.FromRows([1.0, 2.0]);
        Assert.True(a.ApproximatelyEquals(Matrix<double>.FromRows([1.0 + 1e-9, 2.0])));
        Assert.False(a.ApproximatelyEquals(Matrix<double>.FromRows([1.1, 2.0])));
        Assert.False(a.ApproximatelyEquals(Matrix<double>.FromRows([1.0], [2.0])));
        Assert.False(Matrix<double>.FromRows([double.NaN]).ApproximatelyEquals(Matrix<double>.FromRows([double.NaN])));
    }

    [Fact]
    public void ToString_ShowsShapeAndPreview()
    {
        var text = Matrix<float>.FromRows([1f, 2.5f]).ToString();
        Assert.StartsWith("Matrix<float> [1, 2]", text);
        Assert.Contains("2.5", text);
        var big = new Matrix<double>(100, 100).ToString();
        Assert.Contains("...", big);
        Assert.True(big.Length < 1000);
    }
}
