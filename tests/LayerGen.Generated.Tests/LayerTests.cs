using LayerGen.TestLayers;
using static LayerGen.TestSupport.LayerGradientCheck;

namespace LayerGen.Generated.Tests;

/// <summary>
/// The shared test layers (also golden-tested in LayerGen.Generator.Tests), called through the generated API by
/// name, so that this file stops compiling if a generated member's name or signature drifts from DESIGN.md §3.
/// </summary>
public sealed class LayerTests
{
    [Fact]
    public void Dense_Generic_Double_GradientCheck() => Check(new Dense<double>(5, 4, 1), [AwayFromZero(3, 5, 2)]);

    [Fact]
    public void SoftmaxClassifier_GradientCheck() =>
        Check(new SoftmaxClassifier(4, 3, 0.1, 3), [Normal(6, 4, 4), new[] { 0, 1, 2, 2, 1, 0 }], "Loss");

    [Fact]
    public void Mlp_GradientCheck() => Check(new Mlp(4, 6, 5, 3, 5), [Normal(7, 4, 6), new[] { 0, 1, 2, 0, 1, 2, 0 }], "Loss");

    [Fact]
    public void Linear_GradientCheck() => Check(new Linear(4, 3, 7), [Normal(5, 4, 8)]);

    [Fact]
    public void LayerNorm_GradientCheck() => Check(new LayerNorm(5, 9), [Normal(4, 5, 10)]);

    [Fact]
    public void GruCell_GradientCheck_TwoInputs() => Check(new GruCell(3, 4, 11), [Normal(2, 3, 12), Normal(2, 4, 13)]);

    [Fact]
    public void Attention_GradientCheck() => Check(new Attention(4, 3, 2, 14), [Normal(5, 4, 15)]);

    [Fact]
    public void Dense_Float_MatchesDoubleGeneric()
    {
        // The float layer against the double generic one with the same values: the float path is the same math.
        var x = AwayFromZero(3, 5, 16);
        var dense = new Dense(5, 4, 17);
        var reference = new Dense<double>(5, 4, 17) { W = ToDouble(dense.W), B = ToDouble(dense.B) };
        var dy = Normal(3, 4, 18);

        var tape = new Dense.Tape();
        var gradients = new Dense.Gradients(dense);
        Matrix<float> y = dense.Forward(ToFloat(x), tape);
        Matrix<float> dx = dense.Backward(tape, ToFloat(dy), gradients);

        var tapeD = new Dense<double>.Tape();
        var gradientsD = new Dense<double>.Gradients(reference);
        var yD = reference.Forward(x, tapeD);
        var dxD = reference.Backward(tapeD, dy, gradientsD);

        AssertClose(yD, ToDouble(y), "y", 1e-5);
        AssertClose(dxD, ToDouble(dx), "dx", 1e-5);
        AssertClose(gradientsD.W, ToDouble(gradients.W), "dW", 1e-5);
        AssertClose(gradientsD.B, ToDouble(gradients.B), "dB", 1e-5);
    }

    /// <summary>The seed article's closed form: dW = Xᵀ(P − T)/N + λW and dB = Σrows (P − T)/N, to 1e-12.</summary>
    [Fact]
    public void SoftmaxClassifier_GeneratedDW_EqualsClosedForm()
    {
        const int n = 8, d = 5, c = 4;
        const double lambda = 0.3;
        var layer = new SoftmaxClassifier(d, c, lambda, 19);
        var x = Normal(n, d, 20);
        int[] labels = [0, 3, 1, 2, 2, 1, 0, 3];

        var tape = new SoftmaxClassifier.LossTape();
        var gradients = new SoftmaxClassifier.Gradients(layer);
        double loss = layer.Loss(x, labels, tape);
        Matrix<double> dx = layer.LossBackward(tape, gradients);

        // P − T, by hand (no LayerGen kernels).
        var delta = new double[n, c];
        double expectedLoss = 0;
        for (int r = 0; r < n; r++)
        {
            var z = new double[c];
            for (int j = 0; j < c; j++)
            {
                z[j] = layer.B[0, j];
                for (int k = 0; k < d; k++)
                    z[j] += x[r, k] * layer.W[k, j];
            }
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            for (int j = 0; j < c; j++)
                delta[r, j] = Math.Exp(z[j] - max) / sum - (labels[r] == j ? 1 : 0);
            expectedLoss -= z[labels[r]] - max - Math.Log(sum);
        }
        expectedLoss /= n;
        double l2 = 0;
        for (int k = 0; k < d; k++)
            for (int j = 0; j < c; j++)
                l2 += layer.W[k, j] * layer.W[k, j];
        expectedLoss += 0.5 * lambda * l2;
        Assert.Equal(expectedLoss, loss, 1e-12);

        var dW = new Matrix<double>(d, c);
        var dB = new Matrix<double>(1, c);
        var dX = new Matrix<double>(n, d);
        for (int j = 0; j < c; j++)
        {
            for (int k = 0; k < d; k++)
            {
                double s = 0;
                for (int r = 0; r < n; r++)
                    s += x[r, k] * delta[r, j];
                dW[k, j] = s / n + lambda * layer.W[k, j];
            }
            for (int r = 0; r < n; r++)
                dB[0, j] += delta[r, j] / n;
        }
        for (int r = 0; r < n; r++)
            for (int k = 0; k < d; k++)
                for (int j = 0; j < c; j++)
                    dX[r, k] += delta[r, j] * layer.W[k, j] / n;

        AssertClose(dW, gradients.W, "dW", 1e-12);
        AssertClose(dB, gradients.B, "dB", 1e-12);
        AssertClose(dX, dx, "dX", 1e-12);
    }

    [Fact]
    public void Gradients_AccumulateAcrossTwoBackwardCalls_AndClearZeroes()
    {
        var layer = new Linear(3, 2, 21);
        var gradients = new Linear.Gradients(layer);
        var tape = new Linear.Tape();
        var x1 = Normal(4, 3, 22);
        var x2 = Normal(4, 3, 23);
        var dy = Normal(4, 2, 24);

        layer.Forward(x1, tape);
        layer.Backward(tape, dy, gradients);
        var first = gradients.W.Clone();
        layer.Forward(x2, tape);
        layer.Backward(tape, dy, gradients);

        // dW = x1ᵀ·dy + x2ᵀ·dy.
        var expected = new Matrix<double>(3, 2);
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 2; j++)
                for (int r = 0; r < 4; r++)
                    expected[k, j] += (x1[r, k] + x2[r, k]) * dy[r, j];
        AssertClose(expected, gradients.W, "dW after two calls", 1e-12);
        Assert.False(first.ApproximatelyEquals(gradients.W));

        gradients.Clear();
        Assert.All(gradients.W.ToArray(), v => Assert.Equal(0.0, v));
        Assert.All(gradients.B.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Gradients_AreShapedLikeTheParameters_AndNestedForSublayers()
    {
        var mlp = new Mlp(4, 6, 5, 3, 25);
        var gradients = new Mlp.Gradients(mlp);
        Assert.Equal((4, 6), gradients.Hidden1.W.Shape);
        Assert.Equal((1, 6), gradients.Hidden1.B.Shape);
        Assert.Equal((6, 5), gradients.Hidden2.W.Shape);
        Assert.Equal((5, 3), gradients.Output.W.Shape);
        Assert.IsType<Linear.Gradients>(gradients.Output);
        Assert.All(gradients.Hidden1.W.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Parameters_AreFlatWithDottedNames_AndShareStorage()
    {
        var mlp = new Mlp(4, 6, 5, 3, 26);
        var gradients = new Mlp.Gradients(mlp);
        var parameters = mlp.Parameters(gradients);
        Assert.Equal(["Hidden1.W", "Hidden1.B", "Hidden2.W", "Hidden2.B", "Output.W", "Output.B"], parameters.Select(p => p.Name));
        Assert.Same(mlp.Hidden2.W, parameters[2].Value);
        Assert.Same(gradients.Hidden2.W, parameters[2].Gradient);

        var gru = new GruCell(3, 4, 27);
        var names = gru.Parameters(new GruCell.Gradients(gru)).Select(p => p.Name).ToList();
        Assert.Equal(["Wz", "Wr", "Wh", "Uz", "Ur", "Uh", "Bz", "Br", "Bh"], names);
        Assert.DoesNotContain("One", names);   // [NoGrad] field: a constant, not a parameter
    }

    [Fact]
    public void BackwardReturnTypes_FollowTheDifferentiableInputs()
    {
        var gru = new GruCell(3, 4, 28);
        var tape = new GruCell.Tape();
        gru.Forward(Normal(2, 3, 29), Normal(2, 4, 30), tape);
        (Matrix<double> dX, Matrix<double> dH) = gru.Backward(tape, Normal(2, 4, 31), new GruCell.Gradients(gru));
        Assert.Equal((2, 3), dX.Shape);
        Assert.Equal((2, 4), dH.Shape);

        // [NoGrad] x: nothing to return.
        var mlp = new Mlp(3, 4, 4, 2, 32);
        var mlpTape = new Mlp.LossTape();
        mlp.Loss(Normal(2, 3, 33), [0, 1], mlpTape);
        mlp.LossBackward(mlpTape, new Mlp.Gradients(mlp));   // void
        mlp.LossBackward(mlpTape, new Mlp.Gradients(mlp), 2.0);
    }

    [Fact]
    public void TrainingForward_MatchesPlainForward_AndReusesTapeAcrossBatchSizes()
    {
        var attention = new Attention(4, 3, 2, 34);
        var tape = new Attention.Tape();
        foreach (int n in new[] { 5, 2, 7 })
        {
            var x = Normal(n, 4, 35 + n);
            var expected = attention.Forward(x);
            var actual = attention.Forward(x, tape);
            AssertClose(expected, actual, $"attention output for N = {n}");
            var dx = attention.Backward(tape, Matrix<double>.Ones(n, 2), new Attention.Gradients(attention));
            Assert.Equal((n, 4), dx.Shape);
        }
    }

    private static Matrix<double> ToDouble(Matrix<float> m)
    {
        var r = new Matrix<double>(m.Rows, m.Cols);
        for (int i = 0; i < m.Rows; i++)
            for (int j = 0; j < m.Cols; j++)
                r[i, j] = m[i, j];
        return r;
    }

    private static Matrix<float> ToFloat(Matrix<double> m)
    {
        var r = new Matrix<float>(m.Rows, m.Cols);
        for (int i = 0; i < m.Rows; i++)
            for (int j = 0; j < m.Cols; j++)
                r[i, j] = (float)m[i, j];
        return r;
    }
}
