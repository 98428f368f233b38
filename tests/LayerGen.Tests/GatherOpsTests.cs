using LayerGen;
using static LayerGen.Tests.ReferenceGradient;

namespace LayerGen.Tests;

/// <summary>Embedding, Clamp and Reshape: forwards against naive references, backwards against central differences, errors, 0 B.</summary>
public sealed class GatherOpsTests
{
    private static readonly int[] RepeatedIds = [3, 0, 3, 1, 3];

    [Fact]
    public void Embedding_gathers_table_rows_in_float_and_double()
    {
        var table = Matrix<double>.RandomNormal(5, 4, 1);
        var result = Ops.Embedding(table, RepeatedIds);
        Assert.Equal((5, 4), (result.Rows, result.Cols));
        for (int i = 0; i < RepeatedIds.Length; i++)
            for (int c = 0; c < 4; c++)
                Assert.Equal(table[RepeatedIds[i], c], result[i, c]);

        var tableF = Matrix<float>.RandomNormal(5, 4, 1);
        var resultF = Ops.Embedding(tableF, RepeatedIds);
        Assert.Equal(tableF[1, 2], resultF[3, 2]);
        Assert.Equal(0, Ops.Embedding(tableF, []).Rows);
    }

    /// <summary>
    /// A table large enough for the split clear (the issue #9 benchmark's 50,000 × 128): every row no id touches is 0
    /// (the contract: dTable is fully written), the touched rows are the scatter-add, with the pool, with every part
    /// run by the caller, and on one thread; Matrix.Clear of the same table (ZeroGrad) likewise.
    /// </summary>
    [Fact]
    public void Embedding_backward_of_a_large_table_writes_every_row()
    {
        const int vocabulary = 50_000, width = 128;
        var table = new Matrix<float>(vocabulary, width);
        int[] ids = [0, 7, 49_999, 7, 25_000, 12_345];
        var dy = Matrix<float>.RandomNormal(ids.Length, width, 4);
        int saved = GemmParallel.MaxThreads;
        try
        {
            foreach (var (threads, withdraw) in new[] { (2, false), (2, true), (3, false), (1, false) })
            {
                GemmParallel.MaxThreads = threads;
                GemmParallel.WithdrawOffers = withdraw;
                var dTable = Matrix<float>.Filled(vocabulary, width, float.NaN);
                Ops.EmbeddingBackward(table, ids, dy, dTable);
                var expected = new float[vocabulary * width];
                for (int i = 0; i < ids.Length; i++)
                    for (int c = 0; c < width; c++)
                        expected[ids[i] * width + c] += dy[i, c];
                Assert.Equal(expected, dTable.ToArray());

                dTable.Fill(float.NaN);
                dTable.Clear();
                Assert.All(dTable.ToArray(), x => Assert.Equal(0f, x));
            }
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
            GemmParallel.WithdrawOffers = false;
        }
    }

    [Fact]
    public void ParallelClear_clears_exactly_the_span()
    {
        int saved = GemmParallel.MaxThreads;
        GemmParallel.MaxThreads = 2;
        try
        {
            foreach (int length in new[] { 1, 1_048_575, 1_048_576, 1_048_577, 3_000_001 })
            {
                var buffer = Enumerable.Repeat(1.5f, length + 2).ToArray();
                ParallelClear.Clear(buffer.AsSpan(1, length));
                Assert.Equal(1.5f, buffer[0]);
                Assert.Equal(1.5f, buffer[^1]);
                Assert.True(buffer.AsSpan(1, length).IndexOfAnyExcept(0f) < 0, $"length {length}");
            }
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    [Fact]
    public void Embedding_backward_is_a_scatter_add_matching_central_differences()
    {
        var table = Matrix<double>.RandomNormal(5, 4, 2);
        var dy = Matrix<double>.RandomNormal(RepeatedIds.Length, 4, 3);
        var expected = Numeric(t => Ops.Embedding(t, RepeatedIds), table, dy);
        Check("EmbeddingBackward", expected, (dTable, acc) => Ops.EmbeddingBackward(table, RepeatedIds, dy, dTable, acc));

        // Repeated ids add up; rows of ids that never occur (2 and 4) get nothing.
        var dTable = Matrix<double>.Filled(5, 4, double.NaN);
        Ops.EmbeddingBackward(table, RepeatedIds, dy, dTable);
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(dy[0, c] + dy[2, c] + dy[4, c], dTable[3, c], 12);
            Assert.Equal(0, dTable[2, c]);
            Assert.Equal(0, dTable[4, c]);
        }
    }

    [Fact]
    public void A_bad_id_names_the_id_its_position_and_the_row_count()
    {
        var table = new Matrix<float>(3, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(table, [0, 2, 7, 1]));
        Assert.Contains("id 7 at position 2 is outside the table's 3 rows", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.EmbeddingBackward(table, [-1], new Matrix<float>(1, 2), new Matrix<float>(3, 2)));
        Assert.Contains("EmbeddingBackward: id -1 at position 0", error.Message);
        var shape = Assert.Throws<ShapeMismatchException>(() => Ops.Embedding(table, [0], new Matrix<float>(2, 2)));
        Assert.Contains("Embedding", shape.Message);
    }

    [Fact]
    public void Clamp_bounds_elements_and_passes_the_gradient_inside_the_bounds()
    {
        // 300 columns: vectors and a scalar tail; values straddle both bounds but keep away from them.
        var x = AwayFromZero(3, 300, 4);
        var clamped = Ops.Clamp(x, -0.5, 0.8);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(Math.Clamp(x.AsSpan()[i], -0.5, 0.8), clamped.AsSpan()[i]);
        for (int i = 0; i < x.Length; i++)
        {
            if (Math.Abs(x.AsSpan()[i] + 0.5) < 1e-3 || Math.Abs(x.AsSpan()[i] - 0.8) < 1e-3)
                x.AsSpan()[i] = 0.1; // off the kinks for the central differences
        }
        var dy = Matrix<double>.RandomNormal(3, 300, 5);
        Check("ClampBackward", Numeric(m => Ops.Clamp(m, -0.5, 0.8), x, dy), (dx, acc) => Ops.ClampBackward(x, -0.5, 0.8, dy, dx, acc));

        // The bounds themselves pass the gradient (as PyTorch's clamp).
        var atBounds = Matrix<float>.FromRows([[-0.5f, 0.8f, 2f]]);
        var d = new Matrix<float>(1, 3);
        Ops.ClampBackward(atBounds, -0.5f, 0.8f, Matrix<float>.Filled(1, 3, 1f), d);
        Assert.Equal([1f, 1f, 0f], d.AsSpan().ToArray());
        Assert.Equal(0.8f, Ops.Clamp(atBounds, -0.5f, 0.8f)[0, 2]);
    }

    [Fact]
    public void Clamp_with_min_above_max_or_NaN_is_a_clear_error()
    {
        var x = new Matrix<double>(2, 2);
        Assert.Contains("min is 2 and max is 1", Assert.Throws<ArgumentException>(() => Ops.Clamp(x, 2.0, 1.0)).Message);
        Assert.Throws<ArgumentException>(() => Ops.Clamp(x, double.NaN, 1.0));
        Assert.Throws<ArgumentException>(() => Ops.ClampBackward(x, 0.0, double.NaN, x, x));
    }

    [Fact]
    public void Reshape_reads_row_major_and_its_backward_matches_central_differences()
    {
        var x = Matrix<double>.RandomNormal(4, 6, 6);
        var y = Ops.Reshape(x, 3, 8);
        Assert.Equal((3, 8), (y.Rows, y.Cols));
        Assert.Equal(x.AsSpan().ToArray(), y.AsSpan().ToArray());
        Assert.Equal(x[1, 2], y[1, 0]); // element 8 row-major

        var dy = Matrix<double>.RandomNormal(3, 8, 7);
        Check("ReshapeBackward", Numeric(m => Ops.Reshape(m, 3, 8), x, dy), (dx, acc) => Ops.ReshapeBackward(dy, dx, acc));

        var error = Assert.Throws<ShapeMismatchException>(() => Ops.Reshape(x, 5, 5));
        Assert.Contains("[4, 6] has 24 elements, which cannot be read as [5, 5]", error.Message);
        Assert.Throws<ShapeMismatchException>(() => Ops.ReshapeBackward(dy, new Matrix<double>(2, 2)));
        Assert.Throws<ShapeMismatchException>(() => Ops.Reshape(x, 3, 8, new Matrix<double>(8, 3)));
    }

    [Fact]
    public void Destination_forms_and_backward_kernels_allocate_nothing()
    {
        var table = Matrix<float>.RandomNormal(6, 8, 1);
        int[] ids = [5, 1, 1, 0];
        var gathered = new Matrix<float>(4, 8);
        var dTable = new Matrix<float>(6, 8);
        var x = Matrix<float>.RandomNormal(4, 8, 2);
        var y = new Matrix<float>(4, 8);
        var reshaped = new Matrix<float>(2, 16);
        var calls = new (string Name, Action Run)[]
        {
            ("Embedding", () => Ops.Embedding(table, ids, gathered)),
            ("EmbeddingBackward", () => Ops.EmbeddingBackward(table, ids, gathered, dTable, accumulate: true)),
            ("Clamp", () => Ops.Clamp(x, -0.3f, 0.3f, y)),
            ("ClampBackward", () => Ops.ClampBackward(x, -0.3f, 0.3f, y, gathered)),
            ("Reshape", () => Ops.Reshape(x, 2, 16, reshaped)),
            ("ReshapeBackward", () => Ops.ReshapeBackward(reshaped, y, accumulate: true)),
        };
        var failures = new List<string>();
        foreach (var (name, run) in calls)
        {
            run();
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated != 0)
                failures.Add($"{name}: {allocated} bytes");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
