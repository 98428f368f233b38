using LayerGen;

namespace LayerGen.Tests;

/// <summary>
/// <see cref="GradientCheck"/> passes correct gradients, catches and locates wrong ones, restores values, samples
/// reproducibly and rejects losses it cannot check.
/// </summary>
public class GradientCheckTests
{
    /// <summary>L = Σ W⊙W / 2, written with plain loops; ∂L/∂W = W.</summary>
    private static double HalfSumOfSquares(Matrix<double> w)
    {
        double sum = 0;
        for (int r = 0; r < w.Rows; r++)
            for (int c = 0; c < w.Cols; c++)
                sum += w[r, c] * w[r, c];
        return sum / 2;
    }

    private static void CopyValueIntoGradient(Parameter<double> p)
    {
        for (int r = 0; r < p.Value.Rows; r++)
            for (int c = 0; c < p.Value.Cols; c++)
                p.Gradient[r, c] += p.Value[r, c];
    }

    private static Parameter<double> NewParameter(string name, int rows, int cols, int seed)
        => new(name, Matrix<double>.RandomNormal(rows, cols, seed), new Matrix<double>(rows, cols));

    [Fact]
    public void CorrectGradientOfAQuadraticPasses()
    {
        var w = NewParameter("W", 3, 4, seed: 1);
        var result = GradientCheck.Run([w], () => HalfSumOfSquares(w.Value), () => CopyValueIntoGradient(w));

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(12, result.ElementsChecked);
        Assert.InRange(result.MaxRelativeError, 0, 1e-6);   // exact up to rounding: central differences of a quadratic have no truncation error
        Assert.Equal(0, result.FailureCount);
        Assert.Empty(result.Failures);
        var parameter = Assert.Single(result.Parameters);
        Assert.Equal(("W", 3, 4, 12), (parameter.Name, parameter.Rows, parameter.Cols, parameter.ElementsChecked));
        Assert.True(parameter.Passed);
        result.ThrowIfFailed();
        Assert.StartsWith("Gradient check passed: 12 elements of 1 parameters", result.ToString());
    }

    [Fact]
    public void GradientOffByAFactorOfTwoOnOneElementFailsAndPointsAtIt()
    {
        var w = NewParameter("W", 3, 4, seed: 2);
        var result = GradientCheck.Run([w], () => HalfSumOfSquares(w.Value), () =>
        {
            CopyValueIntoGradient(w);
            w.Gradient[1, 2] *= 2;   // the bug
        });

        Assert.False(result.Passed);
        Assert.Equal(1, result.FailureCount);
        var worst = Assert.IsType<GradientCheckElement>(result.Worst);
        Assert.Equal(("W", 1, 2), (worst.ParameterName, worst.Row, worst.Col));
        Assert.Equal(2 * w.Value[1, 2], worst.Analytic);
        Assert.Equal(w.Value[1, 2], worst.Numeric, 8);
        Assert.Equal(0.5, worst.RelativeError, 6);   // |2w − w| / |2w|
        Assert.Equal(worst, Assert.Single(result.Failures));
        Assert.False(result.Parameters[0].Passed);

        string report = result.ToString();
        Assert.Contains("Gradient check FAILED", report);
        Assert.Contains("W[1, 2]: analytic", report);
        var error = Assert.Throws<InvalidOperationException>(result.ThrowIfFailed);
        Assert.Contains("W[1, 2]", error.Message);
    }

    [Fact]
    public void ChecksSeveralParametersAndAnInputWrappedAsAParameter()
    {
        // L = Σ (X·W)² / 2 with Y = X·W: ∂L/∂W = Xᵀ·Y, ∂L/∂X = Y·Wᵀ (the seed article's rules, by hand).
        var x = NewParameter("x", 4, 3, seed: 3);
        var w = NewParameter("W", 3, 2, seed: 4);
        Matrix<double> Product()
        {
            var y = new Matrix<double>(4, 2);
            for (int n = 0; n < 4; n++)
                for (int c = 0; c < 2; c++)
                    for (int d = 0; d < 3; d++)
                        y[n, c] += x.Value[n, d] * w.Value[d, c];
            return y;
        }
        void Backward(bool transposeBug)
        {
            var y = Product();
            for (int n = 0; n < 4; n++)
                for (int d = 0; d < 3; d++)
                    for (int c = 0; c < 2; c++)
                    {
                        w.Gradient[d, c] += x.Value[n, d] * y[n, c];
                        x.Gradient[n, d] += y[n, c] * (transposeBug ? w.Value[Math.Min(c, 2), Math.Min(d, 1)] : w.Value[d, c]);
                    }
        }

        var good = GradientCheck.Run([w, x], () => HalfSumOfSquares(Product()), () => Backward(false));
        Assert.True(good.Passed, good.ToString());
        Assert.Equal(["W", "x"], good.Parameters.Select(p => p.Name));
        Assert.Equal(6 + 12, good.ElementsChecked);

        var bad = GradientCheck.Run([w, x], () => HalfSumOfSquares(Product()), () => Backward(true));
        Assert.False(bad.Passed);
        Assert.True(bad.Parameters[0].Passed, bad.ToString());   // W's gradient is still right
        Assert.False(bad.Parameters[1].Passed);
        Assert.Equal("x", bad.Worst!.ParameterName);
    }

    [Fact]
    public void RestoresEveryValueBitExactly()
    {
        var w = NewParameter("W", 5, 5, seed: 5);
        w.Value[0, 0] = 1e8;   // x + h − h ≠ x in floating point for large x: the original must be stored, not recomputed
        w.Value[0, 1] = 0.1;
        var before = w.Value.ToArray();
        GradientCheck.Run([w], () => HalfSumOfSquares(w.Value), () => CopyValueIntoGradient(w), floor: 1e-3, tolerance: 1e-3);
        Assert.Equal(before, w.Value.ToArray());
    }

    [Fact]
    public void ClearsTheGradientsBeforeComputingThem()
    {
        // Backward passes accumulate; stale gradient contents must not leak into the comparison.
        var w = NewParameter("W", 2, 3, seed: 6);
        w.Gradient.Fill(123);
        var result = GradientCheck.Run([w], () => HalfSumOfSquares(w.Value), () => CopyValueIntoGradient(w));
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(w.Value.ToArray(), w.Gradient.ToArray());   // the analytic gradient stays for inspection
    }

    [Fact]
    public void SamplesElementsReproduciblyFromTheSeed()
    {
        var w = NewParameter("W", 10, 10, seed: 7);
        var small = NewParameter("b", 1, 3, seed: 8);
        GradientCheckResult Check(int seed) => GradientCheck.Run(
            [w, small], () => HalfSumOfSquares(w.Value) + HalfSumOfSquares(small.Value),
            () =>
            {
                CopyValueIntoGradient(w);
                CopyValueIntoGradient(small);
                w.Gradient.AsSpan()[..50].Clear();   // wrong on the first half of W only
            },
            maxElementsPerParameter: 5, seed: seed);

        var first = Check(seed: 1);
        var again = Check(seed: 1);
        Assert.Equal(5 + 3, first.ElementsChecked);   // a parameter smaller than the sample is checked whole
        Assert.Equal((5, 3), (first.Parameters[0].ElementsChecked, first.Parameters[1].ElementsChecked));
        Assert.Equal(first.Worst, again.Worst);
        Assert.Equal(first.FailureCount, again.FailureCount);

        // Across seeds the samples differ, and the failures found are exactly the sampled elements in rows 0-4.
        var failuresBySeed = Enumerable.Range(0, 20).Select(s => Check(s)).ToList();
        Assert.True(failuresBySeed.Select(r => r.FailureCount).Distinct().Count() > 1);
        Assert.All(failuresBySeed.SelectMany(r => r.Failures), f => Assert.InRange(f.Row, 0, 4));
    }

    [Fact]
    public void NaNGradientFails()
    {
        var w = NewParameter("W", 2, 2, seed: 9);
        var result = GradientCheck.Run([w], () => HalfSumOfSquares(w.Value), () =>
        {
            CopyValueIntoGradient(w);
            w.Gradient[1, 0] = double.NaN;
        });
        Assert.False(result.Passed);
        Assert.True(double.IsNaN(result.MaxRelativeError));
        Assert.Equal((1, 0), (result.Worst!.Row, result.Worst.Col));
    }

    [Fact]
    public void FlatDirectionsPassThroughTheFloor()
    {
        // A ReLU-like loss that ignores W[0, 0]: analytic 0, numeric is rounding noise; a pure relative error
        // (|a − n| / |n| = 1) would fail it, the floor must not.
        var w = NewParameter("W", 1, 3, seed: 10);
        double Loss() => 1000 + w.Value[0, 1] * w.Value[0, 2] + Math.Sin(w.Value[0, 0] * 1e-12) * 1e-9;
        var result = GradientCheck.Run([w], Loss, () =>
        {
            w.Gradient[0, 1] = w.Value[0, 2];
            w.Gradient[0, 2] = w.Value[0, 1];
        }, tolerance: 1e-5);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void RejectsANonDeterministicLoss()
    {
        var w = NewParameter("W", 2, 2, seed: 11);
        var random = new Random(0);
        var error = Assert.Throws<InvalidOperationException>(() =>
            GradientCheck.Run([w], () => HalfSumOfSquares(w.Value) + random.NextDouble(), () => CopyValueIntoGradient(w)));
        Assert.Contains("not deterministic", error.Message);
    }

    [Fact]
    public void RejectsANonFiniteLossAndBadSettings()
    {
        var w = NewParameter("W", 2, 2, seed: 12);
        Assert.Contains("finite", Assert.Throws<InvalidOperationException>(() => GradientCheck.Run([w], () => double.NaN, () => { })).Message);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run([w], () => 0, () => { }, epsilon: 0)).ParamName);
        Assert.Equal("tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run([w], () => 0, () => { }, tolerance: -1)).ParamName);
        Assert.Equal("floor", Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run([w], () => 0, () => { }, floor: double.NaN)).ParamName);
        Assert.Equal("maxElementsPerParameter", Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run([w], () => 0, () => { }, maxElementsPerParameter: 0)).ParamName);
        Assert.Throws<ArgumentNullException>(() => GradientCheck.Run([w], null!, () => { }));
    }
}
