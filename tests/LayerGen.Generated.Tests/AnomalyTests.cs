using LayerGen.TestLayers;

namespace LayerGen.Generated.Tests;

/// <summary>The anomaly switch is process-wide: these tests run alone, not beside tests that might see it on.</summary>
[CollectionDefinition(nameof(AnomalyCollection), DisableParallelization = true)]
public sealed class AnomalyCollection;

/// <summary>
/// <see cref="Anomaly"/> on: the generated training forward and backward name the first op or adjoint step that turned
/// NaN/∞ (the user's source and line, in <c>CheckLayers.cs</c>). Off: nothing is checked and nothing changes.
/// </summary>
[Collection(nameof(AnomalyCollection))]
public sealed class AnomalyTests
{
    private static Matrix<double> Input(double bad)
    {
        var x = Matrix<double>.RandomUniform(3, 4, 80, 0.5, 2.0);
        x[1, 3] = bad;
        return x;
    }

    [Fact]
    public void A_NaN_input_names_the_first_op_it_reaches()
    {
        var layer = new LogLayer();
        using (Anomaly.Detect())
        {
            var e = Assert.Throws<AnomalyException>(() => layer.Forward(Input(double.NaN), new LogLayer.Tape()));
            Assert.Equal("LogLayer.Forward: 'Ops.Log(x)' (line 16) produced NaN at [1, 3]", e.Message);
            Assert.Equal(("Ops.Log(x)", 16, 1, 3), (e.Operation, e.Line, e.Row, e.Column));
        }
        Assert.False(Anomaly.Enabled); // the scope restored the previous setting
    }

    [Fact]
    public void A_finite_input_that_an_op_turns_NaN_names_that_op()
    {
        var layer = new LogLayer();
        Anomaly.Enabled = true;
        try
        {
            var e = Assert.Throws<AnomalyException>(() => layer.Forward(Input(-1.0), new LogLayer.Tape()));
            Assert.Equal("LogLayer.Forward: 'Ops.Log(x)' (line 16) produced NaN at [1, 3]", e.Message);
        }
        finally
        {
            Anomaly.Enabled = false;
        }
    }

    [Fact]
    public void A_backward_step_that_divides_by_zero_is_named_in_the_derivation_notation()
    {
        var layer = new SqrtLayer { W = Matrix<double>.RandomUniform(3, 2, 83, 0.5, 1.0) }; // x·W ≥ 0
        var x = Matrix<double>.RandomUniform(2, 3, 81, 0.5, 1.0);
        for (int c = 0; c < 3; c++)
            x[1, c] = 0; // √(0·W) = 0: a finite forward, an infinite slope
        var tape = new SqrtLayer.Tape();
        using (Anomaly.Detect())
        {
            layer.Forward(x, tape);
            var e = Assert.Throws<AnomalyException>(() => layer.Backward(tape, Matrix<double>.Ones(2, 2), new SqrtLayer.Gradients(layer)));
            Assert.Equal("SqrtLayer.Backward: 'dXW = dOutput ⊘ 2output' (line 27) produced Infinity at [1, 0]", e.Message);
        }
    }

    [Fact]
    public void Off_nothing_throws_and_results_are_those_of_the_unchecked_run()
    {
        Assert.False(Anomaly.Enabled);
        var layer = new LogLayer();
        var y = layer.Forward(Input(double.NaN), new LogLayer.Tape());
        Assert.True(double.IsNaN(y[1, 0]));

        // Finite inputs: identical results with and without detection, forward and backward.
        var x = Input(1.5);
        var dy = Matrix<double>.RandomNormal(3, 2, 82);
        var (plainY, plainDx, plainDw) = Step(layer, x, dy);
        using (Anomaly.Detect())
        {
            var (checkedY, checkedDx, checkedDw) = Step(layer, x, dy);
            Assert.Equal(plainY, checkedY);
            Assert.Equal(plainDx, checkedDx);
            Assert.Equal(plainDw, checkedDw);
        }
    }

    [Fact]
    public void On_a_steady_state_training_step_still_allocates_nothing()
    {
        var mlp = new Mlp(16, 32, 32, 4, 40);
        var x = Matrix<double>.RandomNormal(64, 16, 41);
        var labels = Enumerable.Range(0, 64).Select(i => i % 4).ToArray();
        var tape = new Mlp.LossTape();
        var gradients = new Mlp.Gradients(mlp);
        using (Anomaly.Detect())
        {
            for (int i = 0; i < 2; i++)
            {
                mlp.Loss(x, labels, tape);
                mlp.LossBackward(tape, gradients);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            mlp.Loss(x, labels, tape);
            mlp.LossBackward(tape, gradients);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private static (double[] Y, double[] Dx, double[] Dw) Step(LogLayer layer, Matrix<double> x, Matrix<double> dy)
    {
        var tape = new LogLayer.Tape();
        var gradients = new LogLayer.Gradients(layer);
        var y = layer.Forward(x, tape).ToArray();
        var dx = layer.Backward(tape, dy, gradients).ToArray();
        return (y, dx, gradients.W.ToArray());
    }
}
