using LayerGen;
using static LayerGen.Tests.ReferenceGradient;

namespace LayerGen.Tests;

/// <summary>Maximum and Minimum: broadcasting forwards against a naive loop, backwards against central differences, ties.</summary>
public sealed class ExtremumTests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        { 3, 5, 3, 5 }, { 3, 5, 1, 5 }, { 3, 5, 3, 1 }, { 3, 5, 1, 1 }, { 1, 5, 3, 5 }, { 2, 300, 2, 300 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_backward_of_both_operands_match_references(int ar, int ac, int br, int bc)
    {
        var a = Matrix<double>.RandomNormal(ar, ac, 1);
        var b = Matrix<double>.RandomNormal(br, bc, 2);
        int rows = Math.Max(ar, br), cols = Math.Max(ac, bc);
        var max = Ops.Maximum(a, b);
        var min = Ops.Minimum(a, b);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                double x = a[ar == 1 ? 0 : r, ac == 1 ? 0 : c], y = b[br == 1 ? 0 : r, bc == 1 ? 0 : c];
                Assert.Equal(Math.Max(x, y), max[r, c]);
                Assert.Equal(Math.Min(x, y), min[r, c]);
            }

        var dy = Matrix<double>.RandomNormal(rows, cols, 3);
        Check("MaximumBackward da", Numeric(m => Ops.Maximum(m, b), a, dy), (d, acc) => Ops.MaximumBackward(dy, a, b, d, acc));
        Check("MaximumBackward db", Numeric(m => Ops.Maximum(a, m), b, dy), (d, acc) => Ops.MaximumBackward(dy, b, a, d, acc));
        Check("MinimumBackward da", Numeric(m => Ops.Minimum(m, b), a, dy), (d, acc) => Ops.MinimumBackward(dy, a, b, d, acc));
        Check("MinimumBackward db", Numeric(m => Ops.Minimum(a, m), b, dy), (d, acc) => Ops.MinimumBackward(dy, b, a, d, acc));
    }

    [Fact]
    public void Ties_share_the_gradient_and_floats_agree()
    {
        var a = Matrix<float>.FromRows([[1f, 2f, 3f]]);
        var b = Matrix<float>.FromRows([[1f, 5f, 0f]]);
        var dy = Matrix<float>.FromRows([[4f, 4f, 4f]]);
        var da = new Matrix<float>(1, 3);
        var db = new Matrix<float>(1, 3);
        Ops.MaximumBackward(dy, a, b, da);
        Ops.MaximumBackward(dy, b, a, db);
        Assert.Equal([2f, 0f, 4f], da.AsSpan().ToArray());
        Assert.Equal([2f, 4f, 0f], db.AsSpan().ToArray());
        Ops.MinimumBackward(dy, a, b, da);
        Assert.Equal([2f, 4f, 0f], da.AsSpan().ToArray());
        Assert.Equal([1f, 5f, 3f], Ops.Maximum(a, b).AsSpan().ToArray());
        Assert.True(float.IsNaN(Ops.Maximum(a, Matrix<float>.Filled(1, 1, float.NaN))[0, 0]));
    }

    [Fact]
    public void Bad_shapes_name_the_operation()
    {
        var a = new Matrix<double>(3, 4);
        Assert.Contains("Maximum", Assert.Throws<ShapeMismatchException>(() => Ops.Maximum(a, new Matrix<double>(2, 4))).Message);
        Assert.Contains("MinimumBackward", Assert.Throws<ShapeMismatchException>(() => Ops.MinimumBackward(a, a, a, new Matrix<double>(1, 4))).Message);
    }

    [Fact]
    public void Destination_forms_and_backward_kernels_allocate_nothing()
    {
        var a = Matrix<float>.RandomNormal(8, 16, 1);
        var row = Matrix<float>.RandomNormal(1, 16, 2);
        var result = new Matrix<float>(8, 16);
        var dRow = new Matrix<float>(1, 16);
        var calls = new (string, Action)[]
        {
            ("Maximum", () => Ops.Maximum(a, row, result)),
            ("Minimum", () => Ops.Minimum(row, a, result)),
            ("MaximumBackward", () => Ops.MaximumBackward(result, row, a, dRow, accumulate: true)),
            ("MinimumBackward", () => Ops.MinimumBackward(result, a, row, result)),
        };
        foreach (var (name, run) in calls)
        {
            run();
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before == 0, name);
        }
    }
}
