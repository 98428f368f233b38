using LayerGen;
using LayerGen.TestSupport;

namespace LayerGen.Tests;

/// <summary>
/// Central-difference gradients in double: for a random upstream dY the scalar L(X) = Σ dY ⊙ f(X) has gradient
/// ∂L/∂X = the backward kernel's dX, and (L(X + h·eᵢ) − L(X − h·eᵢ)) / 2h approximates each element.
/// </summary>
internal static class ReferenceGradient
{
    public const double Step = 1e-6;
    public const double Relative = 1e-6;
    public const double Absolute = 1e-8;

    /// <summary>∂(Σ dY ⊙ f(X))/∂X by central differences (<see cref="NumericalGradient.OfWeightedOutput"/>); X is restored afterwards.</summary>
    public static Matrix<double> Numeric(Func<Matrix<double>, Matrix<double>> f, Matrix<double> x, Matrix<double> dY) =>
        NumericalGradient.OfWeightedOutput(f, x, dY, Step);

    /// <summary>∂L/∂X for a scalar function L, by central differences (<see cref="NumericalGradient.OfScalar"/>).</summary>
    public static Matrix<double> NumericScalar(Func<Matrix<double>, double> loss, Matrix<double> x) =>
        NumericalGradient.OfScalar(loss, x, Step);

    public static double Frobenius(Matrix<double> a, Matrix<double> b)
    {
        Assert.True(a.SameShape(b), $"shapes {a.ShapeString} and {b.ShapeString}");
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a.AsSpan()[i] * b.AsSpan()[i];
        return s;
    }

    /// <summary>
    /// Checks a backward kernel both ways: overwriting (dX prefilled with NaN, which must not leak through) and
    /// accumulating (dX prefilled with random values, which must be added to).
    /// </summary>
    /// <param name="name">For messages.</param>
    /// <param name="expected">The numeric gradient.</param>
    /// <param name="backward">(dX, accumulate) ⇒ runs the kernel into dX.</param>
    public static void Check(string name, Matrix<double> expected, Action<Matrix<double>, bool> backward, int seed = 7)
    {
        var overwritten = Matrix<double>.Filled(expected.Rows, expected.Cols, double.NaN);
        backward(overwritten, false);
        Reference.AssertClose(Reference.ToDouble(expected), overwritten, Relative, Absolute, name);

        var prior = Matrix<double>.RandomNormal(expected.Rows, expected.Cols, seed);
        var accumulated = prior.Clone();
        backward(accumulated, true);
        var sum = Reference.ToDouble(expected);
        for (int r = 0; r < expected.Rows; r++)
            for (int c = 0; c < expected.Cols; c++)
                sum[r, c] += prior[r, c];
        Reference.AssertClose(sum, accumulated, Relative, Absolute, name + " (accumulate)");
    }

    /// <summary>Random values bounded away from 0 (|x| in [0.1, 2]), so kinks (ReLU, |x|) are never straddled.</summary>
    public static Matrix<double> AwayFromZero(int rows, int cols, int seed)
    {
        var m = Matrix<double>.RandomUniform(rows, cols, seed, 0.1, 2);
        var random = new Random(seed + 1);
        for (int i = 0; i < m.Length; i++)
            if (random.Next(2) == 0) m.AsSpan()[i] = -m.AsSpan()[i];
        return m;
    }
}
