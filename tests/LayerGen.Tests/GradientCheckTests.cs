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
        // W[0, 0] cancels out of the loss: its analytic derivative is 0, but (1 + w) − w rounds differently at
        // w ± h, so the numeric one is rounding noise (~1e-10). A pure relative error |a − n| / max(|a|, |n|) would
        // call that 100 % wrong; the floor must let it pass while still checking the other elements.
        var w = NewParameter("W", 1, 3, seed: 10);
        w.Value[0, 0] = 0.7;   // a value where the rounding of (1 + w ± h) − (w ± h) differs (numeric ≈ −5.6e-11)
        double Loss() => (1 + w.Value[0, 0]) - w.Value[0, 0] + w.Value[0, 1] * w.Value[0, 2];
        void Gradients()
        {
            w.Gradient[0, 1] = w.Value[0, 2];
            w.Gradient[0, 2] = w.Value[0, 1];
        }

        var withoutFloor = GradientCheck.Run([w], Loss, Gradients, floor: 1e-300);
        Assert.False(withoutFloor.Passed);
        Assert.Equal((0, 0, 0.0), (withoutFloor.Worst!.Col, withoutFloor.Worst.Row, withoutFloor.Worst.Analytic));
        Assert.InRange(Math.Abs(withoutFloor.Worst.Numeric), 1e-14, 1e-8);

        var result = GradientCheck.Run([w], Loss, Gradients);
        Assert.True(result.Passed, result.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DefaultsPassAReluMlpOverTheRuntimeKernelsAndCatchAMissingMask(bool forgetReluMask)
    {
        // L = CE(softmax(relu(x·W1 + B1)·W2 + B2), t): the defaults must pass a correct backward pass of a real
        // network (rounding noise, ReLU) and fail one that forgets the ReLU mask.
        var x = NewParameter("x", 6, 2, seed: 20);
        var w1 = NewParameter("W1", 2, 8, seed: 21);
        var b1 = NewParameter("B1", 1, 8, seed: 22);
        var w2 = NewParameter("W2", 8, 3, seed: 23);
        var b2 = NewParameter("B2", 1, 3, seed: 24);
        int[] labels = [0, 1, 2, 2, 1, 0];
        var z1 = new Matrix<double>(6, 8);
        var h1 = new Matrix<double>(6, 8);
        var scores = new Matrix<double>(6, 3);
        var probabilities = new Matrix<double>(6, 3);
        double Loss()
        {
            Ops.MatMul(x.Value, w1.Value, z1);
            Ops.Add(z1, b1.Value, z1);
            Ops.Relu(z1, h1);
            Ops.MatMul(h1, w2.Value, scores);
            Ops.Add(scores, b2.Value, scores);
            return Losses.SoftmaxCrossEntropy(scores, labels, probabilities);
        }
        void Backward()
        {
            Loss();
            var dScores = new Matrix<double>(6, 3);
            var dH1 = new Matrix<double>(6, 8);
            var dZ1 = new Matrix<double>(6, 8);
            Losses.SoftmaxCrossEntropyBackward(probabilities, labels, 1.0, dScores);
            Ops.MatMul(h1, dScores, w2.Gradient, transposeA: true, accumulate: true);
            Ops.SumToShape(dScores, b2.Gradient, accumulate: true);
            Ops.MatMul(dScores, w2.Value, dH1, transposeB: true);
            if (forgetReluMask)
                dH1.CopyTo(dZ1);
            else
                Ops.ReluBackward(z1, dH1, dZ1);
            Ops.MatMul(x.Value, dZ1, w1.Gradient, transposeA: true, accumulate: true);
            Ops.SumToShape(dZ1, b1.Gradient, accumulate: true);
            Ops.MatMul(dZ1, w1.Value, x.Gradient, transposeB: true);
        }

        var result = GradientCheck.Run([w1, b1, w2, b2, x], Loss, Backward);
        if (forgetReluMask)
        {
            Assert.False(result.Passed);
            Assert.True(result.Parameters[2].Passed && result.Parameters[3].Passed, result.ToString());   // W2, B2 are upstream of the bug
            Assert.Contains(result.Worst!.ParameterName, new[] { "W1", "B1", "x" });
        }
        else
        {
            Assert.True(result.Passed, result.ToString());
            Assert.InRange(result.MaxRelativeError, 0, 1e-6);
        }
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
