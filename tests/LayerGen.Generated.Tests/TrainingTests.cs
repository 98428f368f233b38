using LayerGen.TestLayers;
using static LayerGen.TestSupport.LayerGradientCheck;

namespace LayerGen.Generated.Tests;

/// <summary>Steady-state training with generated code: allocation-free and actually learning.</summary>
public sealed class TrainingTests
{
    [Fact]
    public void MlpTrainingStep_AllocatesNothing_InSteadyState()
    {
        var mlp = new Mlp(16, 32, 32, 4, 40);
        var x = Normal(64, 16, 41);
        var labels = Enumerable.Range(0, 64).Select(i => i % 4).ToArray();
        var tape = new Mlp.LossTape();
        var gradients = new Mlp.Gradients(mlp);
        var parameters = mlp.Parameters(gradients);

        double Step()
        {
            gradients.Clear();
            double loss = mlp.Loss(x, labels, tape);
            mlp.LossBackward(tape, gradients);
            SgdStep(parameters, 0.1);
            return loss;
        }

        Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void GeneratedDenseTrainingStep_AllocatesNothing_InSteadyState()
    {
        var dense = new Dense(32, 16, 42);
        var x = Matrix<float>.RandomNormal(8, 32, 43);
        var dy = Matrix<float>.RandomNormal(8, 16, 44);
        var tape = new Dense.Tape();
        var gradients = new Dense.Gradients(dense);

        for (int i = 0; i < 2; i++)
        {
            dense.Forward(x, tape);
            dense.Backward(tape, dy, gradients);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        dense.Forward(x, tape);
        dense.Backward(tape, dy, gradients);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void MlpTraining_LowersTheLoss()
    {
        var mlp = new Mlp(2, 16, 16, 2, 45);
        // Two interleaved classes (XOR of the signs): not linearly separable.
        var x = Matrix<double>.RandomUniform(64, 2, 46, -1, 1);
        var labels = Enumerable.Range(0, 64).Select(r => (x[r, 0] > 0) ^ (x[r, 1] > 0) ? 1 : 0).ToArray();
        var tape = new Mlp.LossTape();
        var gradients = new Mlp.Gradients(mlp);
        var parameters = mlp.Parameters(gradients);

        double first = mlp.Loss(x, labels);
        for (int epoch = 0; epoch < 300; epoch++)
        {
            gradients.Clear();
            mlp.Loss(x, labels, tape);
            mlp.LossBackward(tape, gradients);
            SgdStep(parameters, 0.5);
        }
        double last = mlp.Loss(x, labels);
        Assert.True(last < 0.5 * first, $"loss {first} → {last}");
    }

    /// <summary>Plain SGD, value −= lr · gradient (indexed loop: a foreach over the interface would box an enumerator).</summary>
    private static void SgdStep(IReadOnlyList<Parameter<double>> parameters, double learningRate)
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            var value = parameters[i].Value.AsSpan();
            var gradient = parameters[i].Gradient.AsReadOnlySpan();
            for (int k = 0; k < value.Length; k++)
                value[k] -= learningRate * gradient[k];
        }
    }

    /// <summary>
    /// Two conv + pool blocks, dense, softmax cross-entropy: after warm-up a whole training step (forward, backward through
    /// both convolutions' destination-passing backwards, update) allocates nothing, and the loss goes down.
    /// </summary>
    [Fact]
    public void TwoBlockCnnTrainingStep_AllocatesNothing_AndLearns()
    {
        var model = new OpLayers.TwoBlockCnn();
        var x = Normal(16, 8 * 8, 47);
        var labels = Enumerable.Range(0, 16).Select(i => i % 3).ToArray();
        var tape = new OpLayers.TwoBlockCnn.LossTape();
        var gradients = new OpLayers.TwoBlockCnn.Gradients(model);
        var parameters = model.Parameters(gradients);

        double Step()
        {
            gradients.Clear();
            double loss = model.Loss(x, labels, tape);
            model.LossBackward(tape, gradients);
            SgdStep(parameters, 0.1);
            return loss;
        }

        double first = Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        double last = first;
        for (int i = 0; i < 100; i++)
            last = Step();
        Assert.True(last < 0.5 * first, $"loss {first} → {last}");
    }

    [Fact]
    public void EmbeddingClassifierTrainingStep_AllocatesNothing_AndLearns()
    {
        var model = new OpLayers.EmbeddingClassifier();
        var ids = Enumerable.Range(0, 48).Select(i => i % 6).ToArray();
        var labels = ids.Select(id => id % 3).ToArray(); // the class is a function of the token: learnable from the table alone
        var tape = new OpLayers.EmbeddingClassifier.LossTape();
        var gradients = new OpLayers.EmbeddingClassifier.Gradients(model);
        var parameters = model.Parameters(gradients);

        double Step()
        {
            gradients.Clear();
            double loss = model.Loss(ids, labels, tape);
            model.LossBackward(tape, gradients);
            SgdStep(parameters, 0.5);
            return loss;
        }

        double first = Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        double last = first;
        for (int i = 0; i < 200; i++)
            last = Step();
        Assert.True(last < first / 4, $"loss {first} → {last}");
    }
}
