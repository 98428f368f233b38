using LayerGen;
using static LayerGen.Tests.ReferenceGradient;

namespace LayerGen.Tests;

/// <summary>Losses against naive references, their gradients against central differences, stability and label checks.</summary>
public sealed class LossesTests
{
    private static readonly int[] Labels = [2, 0, 4, 4, 1, 3];

    [Fact]
    public void SoftmaxCrossEntropyMatchesReferenceAndWritesProbabilities()
    {
        var logits = Matrix<double>.RandomNormal(6, 5, 1, 0, 3);
        double expected = Reference.SoftmaxCrossEntropy(Reference.ToDouble(logits), Labels);
        Reference.AssertClose(expected, Losses.SoftmaxCrossEntropy(logits, Labels), 1e-14, 0, "CE");
        var p = Matrix<double>.Filled(6, 5, double.NaN);
        Reference.AssertClose(expected, Losses.SoftmaxCrossEntropy(logits, Labels, p), 1e-14, 0, "CE with P");
        Reference.AssertClose(Reference.Softmax(Reference.ToDouble(logits)), p, 1e-14, 1e-16, "P");

        var floatLogits = Reference.FromDouble<float>(Reference.ToDouble(logits));
        Reference.AssertClose(expected, Losses.SoftmaxCrossEntropy(floatLogits, Labels), 1e-5, 1e-6, "CE float");
    }

    [Fact]
    public void SoftmaxCrossEntropyIsStableForHugeLogits()
    {
        var logits = Matrix<float>.FromRows([1000f, 0f, -1000f], [-1000f, -1000f, 1000f]);
        float loss = Losses.SoftmaxCrossEntropy(logits, [1, 0]);
        Reference.AssertClose((1000 + 2000) / 2.0, loss, 1e-6, 0, "CE huge");
        Assert.Equal(0f, Losses.SoftmaxCrossEntropy(logits, [0, 2]), 6);
    }

    [Fact]
    public void SoftmaxCrossEntropyGradientIsProbabilitiesMinusOneHotOverN()
    {
        var logits = Matrix<double>.RandomNormal(6, 5, 2, 0, 2);
        var p = new Matrix<double>(6, 5);
        Losses.SoftmaxCrossEntropy(logits, Labels, p);
        const double dLoss = 1.7;
        var numeric = NumericScalar(m => dLoss * Losses.SoftmaxCrossEntropy(m, Labels), logits);
        Check("SoftmaxCrossEntropyBackward", numeric, (d, acc) => Losses.SoftmaxCrossEntropyBackward(p, Labels, dLoss, d, acc));

        // And exactly-ish the closed form (P − onehot)/N · dLoss.
        var grad = new Matrix<double>(6, 5);
        Losses.SoftmaxCrossEntropyBackward(p, Labels, dLoss, grad);
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 5; c++)
                Assert.Equal((p[r, c] - (Labels[r] == c ? 1 : 0)) / 6 * dLoss, grad[r, c], 1e-15);
    }

    [Fact]
    public void MeanSquaredErrorAndGradients()
    {
        var p = Matrix<double>.RandomNormal(3, 100, 3);
        var t = Matrix<double>.RandomNormal(3, 100, 4);
        double expected = Reference.Sum(Reference.Binary(Reference.ToDouble(p), Reference.ToDouble(t), (x, y) => (x - y) * (x - y))) / p.Length;
        Reference.AssertClose(expected, Losses.MeanSquaredError(p, t), 1e-13, 0, "MSE");
        const double dLoss = 0.75;
        Check("MSE dPrediction", NumericScalar(m => dLoss * Losses.MeanSquaredError(m, t), p), (d, acc) => Losses.MeanSquaredErrorBackward(p, t, dLoss, d, null, acc));
        Check("MSE dTarget", NumericScalar(m => dLoss * Losses.MeanSquaredError(p, m), t), (d, acc) => Losses.MeanSquaredErrorBackward(p, t, dLoss, null, d, acc));
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsMatchesReferenceIsStableAndHasRightGradients()
    {
        var z = Matrix<double>.RandomNormal(3, 100, 5, 0, 3);
        var t = Matrix<double>.RandomUniform(3, 100, 6);
        double expected = Reference.BinaryCrossEntropy(Reference.ToDouble(z), Reference.ToDouble(t));
        Reference.AssertClose(expected, Losses.BinaryCrossEntropyWithLogits(z, t), 1e-12, 0, "BCE");
        const double dLoss = 2.0;
        Check("BCE dLogits", NumericScalar(m => dLoss * Losses.BinaryCrossEntropyWithLogits(m, t), z), (d, acc) => Losses.BinaryCrossEntropyWithLogitsBackward(z, t, dLoss, d, null, acc));
        Check("BCE dTargets", NumericScalar(m => dLoss * Losses.BinaryCrossEntropyWithLogits(z, m), t), (d, acc) => Losses.BinaryCrossEntropyWithLogitsBackward(z, t, dLoss, null, d, acc));

        // e^100 overflows float: a wrong confident prediction must still cost ≈ 100, a right one ≈ e^−100 ≥ 0.
        var huge = Matrix<float>.FromRows([100f, -100f]);
        float confident = Losses.BinaryCrossEntropyWithLogits(huge, Matrix<float>.FromRows([1f, 0f]));
        Assert.True(confident is >= 0 and < 1e-30f, confident.ToString());
        Reference.AssertClose(100, Losses.BinaryCrossEntropyWithLogits(huge, Matrix<float>.FromRows([0f, 1f])), 1e-6, 0, "BCE wrong");
        // e^−20 is below float's precision of 1 + e^−20: the loss must still be e^−20 to float accuracy (a true log1p).
        Reference.AssertClose(Math.Exp(-20) - Math.Exp(-40) / 2, Losses.BinaryCrossEntropyWithLogits(Matrix<float>.FromRows([20f]), Matrix<float>.FromRows([1f])), 1e-5, 0, "BCE log1p");
    }

    [Fact]
    public void LabelsAreValidated()
    {
        var logits = new Matrix<float>(3, 4);
        var e = Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy(logits, [0, 1]));
        Assert.Equal("SoftmaxCrossEntropy: 2 labels for [3, 4] logits: need one label per row (3). (Parameter 'labels')", e.Message);
        e = Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy(logits, [0, 4, 1]));
        Assert.StartsWith("SoftmaxCrossEntropy: label 4 at row 1 is outside [0, 4) for [3, 4] logits.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropyBackward(logits, [0, 1, -1], 1f, new Matrix<float>(3, 4)));
        Assert.StartsWith("SoftmaxCrossEntropyBackward: label -1 at row 2", e.Message);
        var s = Assert.Throws<ShapeMismatchException>(() => Losses.SoftmaxCrossEntropy(logits, [0, 1, 2], new Matrix<float>(3, 5)));
        Assert.Equal("SoftmaxCrossEntropy: probabilities is [3, 5] but must be [3, 4]", s.Message);
        s = Assert.Throws<ShapeMismatchException>(() => Losses.MeanSquaredError(logits, new Matrix<float>(4, 3)));
        Assert.Equal("MeanSquaredError: target is [4, 3] but must be [3, 4]", s.Message);
    }
}
