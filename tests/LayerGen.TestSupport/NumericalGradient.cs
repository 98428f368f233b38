using Xunit;

namespace LayerGen.TestSupport;

/// <summary>
/// Numerical gradients in <see cref="double"/> by central differences, <c>(f(x + h) − f(x − h)) / 2h</c>, element by
/// element; every perturbed value is restored. <see cref="MaxRelativeError"/> compares one matrix's analytic gradient
/// with them (the in-memory check layers call it); <see cref="LayerGradientCheck"/> checks every parameter and input
/// of a generated layer through the runtime's public <see cref="GradientCheck"/>.
/// </summary>
public static class NumericalGradient
{
    /// <summary>∂loss/∂x.</summary>
    public static Matrix<double> OfScalar(Func<Matrix<double>, double> loss, Matrix<double> x, double step) =>
        CentralDifferences(x, step, loss, static (plus, minus) => plus - minus);

    /// <summary>∂(Σ dY ⊙ f(X))/∂X: the input gradient a backward kernel of f must return for the upstream gradient dY.</summary>
    /// <remarks>
    /// The difference f(X + h) − f(X − h) is formed element-wise before weighting by dY, so outputs that do not
    /// depend on the perturbed element cancel exactly instead of adding round-off of the whole sum.
    /// </remarks>
    public static Matrix<double> OfWeightedOutput(Func<Matrix<double>, Matrix<double>> f, Matrix<double> x, Matrix<double> dY, double step) =>
        CentralDifferences(x, step, f, (plus, minus) =>
        {
            Assert.True(plus.SameShape(dY), $"f gives {plus.ShapeString} but dY is {dY.ShapeString}");
            var p = plus.AsReadOnlySpan();
            var m = minus.AsReadOnlySpan();
            var weights = dY.AsReadOnlySpan();
            double sum = 0;
            for (int j = 0; j < weights.Length; j++)
                sum += weights[j] * (p[j] - m[j]);
            return sum;
        });

    /// <summary>df/dx of a scalar function at <paramref name="x"/>.</summary>
    public static double Derivative(Func<double, double> f, double x, double step) => (f(x + step) - f(x - step)) / (2 * step);

    /// <summary>
    /// The largest <see cref="RelativeError"/> between <paramref name="analytic"/> and the central differences of
    /// <paramref name="loss"/> with respect to each element of <paramref name="value"/>; NaN when any is NaN.
    /// </summary>
    /// <param name="step">h. The default 1e-4 suits the in-memory check layers: smaller steps drown in round-off (the
    /// GEMM's summation order), larger ones in truncation.</param>
    /// <exception cref="InvalidOperationException">The gradient is not shaped like the value.</exception>
    public static double MaxRelativeError(Matrix<double> value, Matrix<double> analytic, Func<double> loss, double step = 1e-4)
    {
        if (!value.SameShape(analytic))
            throw new InvalidOperationException($"gradient shape {analytic.ShapeString} ≠ value shape {value.ShapeString}");
        var numeric = OfScalar(_ => loss(), value, step);
        double worst = 0;
        for (int i = 0; i < value.Length; i++)
            worst = Math.Max(worst, RelativeError(numeric.AsSpan()[i], analytic.AsSpan()[i]));
        return worst;
    }

    /// <summary>
    /// <c>|n − a| / max(10⁻³, |n| + |a|)</c>: relative for gradients of order 1, absolute (scaled by 10³) for those
    /// near 0, whose numerical derivative is rounding noise.
    /// </summary>
    /// <remarks>
    /// <see cref="GradientCheck"/> divides by <c>max(|a|, |n|, floor)</c> instead, up to twice as strict; the in-memory
    /// checks' tolerance (10⁻⁶ at h = 10⁻⁴) was set against this measure.
    /// </remarks>
    public static double RelativeError(double numeric, double analytic) =>
        Math.Abs(numeric - analytic) / Math.Max(1e-3, Math.Abs(numeric) + Math.Abs(analytic));

    private static Matrix<double> CentralDifferences<TValue>(Matrix<double> x, double step, Func<Matrix<double>, TValue> evaluate, Func<TValue, TValue, double> difference)
    {
        var gradient = new Matrix<double>(x.Rows, x.Cols);
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x.AsSpan()[i];
            x.AsSpan()[i] = saved + step;
            var plus = evaluate(x);
            x.AsSpan()[i] = saved - step;
            var minus = evaluate(x);
            x.AsSpan()[i] = saved;
            gradient.AsSpan()[i] = difference(plus, minus) / (2 * step);
        }
        return gradient;
    }
}
