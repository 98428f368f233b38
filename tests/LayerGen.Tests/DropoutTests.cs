namespace LayerGen.Tests;

/// <summary>Ops.Dropout and its mask: the statistics of the draw, determinism per seed, errors, no allocation.</summary>
public sealed class DropoutTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Zeroes_a_fraction_p_and_scales_the_rest_by_one_over_one_minus_p(double p)
    {
        var x = Matrix<double>.RandomUniform(200, 500, 1, 1.0, 2.0);
        var y = Ops.Dropout(x, p, new Random(3));
        int zeros = 0;
        for (int i = 0; i < x.Rows; i++)
        {
            for (int j = 0; j < x.Cols; j++)
            {
                if (y[i, j] == 0)
                    zeros++;
                else
                    Assert.Equal(x[i, j] * (1 / (1 - p)), y[i, j], 12);
            }
        }
        double fraction = zeros / (double)(x.Rows * x.Cols);
        // 100 000 Bernoulli draws: the standard error of the fraction is below 0.0016.
        Assert.InRange(fraction, p - 0.01, p + 0.01);
    }

    [Fact]
    public void The_mask_is_one_draw_per_element_in_row_major_order()
    {
        var mask = new Matrix<float>(3, 4);
        Ops.DropoutMask(0.25, new Random(5), mask);
        var random = new Random(5);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(random.NextDouble() < 0.25 ? 0f : 1f / 0.75f, mask[i, j]);
    }

    [Fact]
    public void P_zero_is_the_identity_and_the_same_seed_gives_the_same_mask()
    {
        var x = Matrix<double>.RandomNormal(4, 5, 2);
        var y = Ops.Dropout(x, 0, new Random(1));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(x[i, j], y[i, j]);
        var a = Ops.Dropout(x, 0.5, new Random(9));
        var b = Ops.Dropout(x, 0.5, new Random(9));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(a[i, j], b[i, j]);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_probability_outside_zero_to_one_is_a_clear_error(double p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(new Matrix<float>(2, 2), p, new Random(1)));
        Assert.Contains("Dropout", e.Message);
        Assert.Contains("[0, 1)", e.Message);
        Assert.Equal("p", e.ParamName);
    }

    [Fact]
    public void Drawing_a_mask_into_a_buffer_allocates_nothing()
    {
        var mask = new Matrix<float>(64, 256);
        var random = new Random(1);
        Ops.DropoutMask(0.5, random, mask); // warm-up: JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10; k++)
            Ops.DropoutMask(0.5, random, mask);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
