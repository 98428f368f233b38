using LayerGen.TestLayers;

namespace LayerGen.Generated.Tests;

/// <summary>A float classifier written as users write one, for the resume tests.</summary>
public partial class ResumeClassifier
{
    [Shape("D", "H")] public Matrix<float> W1;
    [Shape(1, "H")] public Matrix<float> B1;
    [Shape("H", "C")] public Matrix<float> W2;
    [Shape(1, "C")] public Matrix<float> B2;

    public ResumeClassifier(int inputs, int hidden, int classes, int seed)
    {
        W1 = Matrix<float>.He(inputs, hidden, seed);
        B1 = new Matrix<float>(1, hidden);
        W2 = Matrix<float>.Xavier(hidden, classes, seed + 1);
        B2 = new Matrix<float>(1, classes);
    }

    [Forward]
    public float Loss([NoGrad, Shape("N", "D")] Matrix<float> x, int[] labels)
        => Losses.SoftmaxCrossEntropy(Ops.Relu(x * W1 + B1) * W2 + B2, labels);
}

/// <summary>
/// Save in the middle of training, load into a freshly initialised model and optimizer, continue: the result
/// equals an uninterrupted run bit for bit (parameters, optimizer moments and step count, batch order).
/// </summary>
public sealed class CheckpointResumeTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"layergen-resume-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(_path);

    private static (Matrix<float> X, int[] Labels) FloatData()
    {
        var x = Matrix<float>.RandomNormal(70, 6, 5);
        var labels = Enumerable.Range(0, 70).Select(i => (int)(Math.Abs(x[i, 0] + 2 * x[i, 1]) * 1.5) % 3).ToArray();
        return (x, labels);
    }

    private static void TrainFloat(ResumeClassifier model, ResumeClassifier.LossTape tape, ResumeClassifier.Gradients gradients, Optimizer<float> optimizer, Batches<float> batches, int fromEpoch, int toEpoch)
    {
        for (int epoch = fromEpoch; epoch < toEpoch; epoch++)
        {
            foreach (var batch in batches.Epoch(epoch))
            {
                optimizer.ZeroGrad();
                model.Loss(batch.Features, batch.Labels!, tape);
                model.LossBackward(tape, gradients);
                optimizer.Step();
            }
        }
    }

    public static TheoryData<string> FloatOptimizers => ["Adam", "AdamW", "Sgd"];

    private static Optimizer<float> MakeFloat(string kind, IReadOnlyList<Parameter<float>> parameters) => kind switch
    {
        "Adam" => new Adam<float>(parameters, learningRate: 0.01),
        "AdamW" => new AdamW<float>(parameters, learningRate: 0.01, weightDecay: 0.1),
        _ => new Sgd<float>(parameters, learningRate: 0.05, momentum: 0.9),
    };

    [Theory]
    [MemberData(nameof(FloatOptimizers))]
    public void Float_ResumedRun_EqualsUninterruptedRun_BitForBit(string kind)
    {
        var (x, labels) = FloatData();

        // Uninterrupted: 4 epochs.
        var whole = new ResumeClassifier(6, 16, 3, seed: 1);
        var wholeGradients = new ResumeClassifier.Gradients(whole);
        var wholeParameters = whole.Parameters(wholeGradients);
        var wholeOptimizer = MakeFloat(kind, wholeParameters);
        TrainFloat(whole, new ResumeClassifier.LossTape(), wholeGradients, wholeOptimizer, new Batches<float>(x, labels, 16, seed: 7), 0, 4);

        // Interrupted: 2 epochs, save, and a new process (new model, other initial weights, new optimizer) resumes.
        var first = new ResumeClassifier(6, 16, 3, seed: 1);
        var firstGradients = new ResumeClassifier.Gradients(first);
        var firstOptimizer = MakeFloat(kind, first.Parameters(firstGradients));
        TrainFloat(first, new ResumeClassifier.LossTape(), firstGradients, firstOptimizer, new Batches<float>(x, labels, 16, seed: 7), 0, 2);
        Checkpoint.Save(_path, first.Parameters(firstGradients), firstOptimizer);

        var resumed = new ResumeClassifier(6, 16, 3, seed: 1234);
        var resumedGradients = new ResumeClassifier.Gradients(resumed);
        var resumedParameters = resumed.Parameters(resumedGradients);
        var resumedOptimizer = MakeFloat(kind, resumedParameters);
        Checkpoint.Load(_path, resumedParameters, resumedOptimizer);
        TrainFloat(resumed, new ResumeClassifier.LossTape(), resumedGradients, resumedOptimizer, new Batches<float>(x, labels, 16, seed: 7), 2, 4);

        Assert.Equal(wholeOptimizer.StepCount, resumedOptimizer.StepCount);
        Assert.Equal(Bits(wholeParameters), Bits(resumedParameters));
        foreach (var state in wholeOptimizer.StateNames)
        {
            for (int i = 0; i < wholeParameters.Count; i++)
                Assert.Equal(wholeOptimizer.GetState(state, i).ToArray().Select(BitConverter.SingleToInt32Bits), resumedOptimizer.GetState(state, i).ToArray().Select(BitConverter.SingleToInt32Bits));
        }
        // And the run did move the weights (so the comparison compares something).
        Assert.NotEqual(Bits(new ResumeClassifier(6, 16, 3, seed: 1).Parameters(new ResumeClassifier.Gradients(whole))), Bits(wholeParameters));
    }

    [Fact]
    public void Double_ResumedRun_EqualsUninterruptedRun_BitForBit()
    {
        var x = Matrix<double>.RandomNormal(45, 5, 8);
        var labels = Enumerable.Range(0, 45).Select(i => i % 4).ToArray();

        Mlp Model(int seed) => new(5, 12, 8, 4, seed);
        void Train(Mlp model, Optimizer<double> optimizer, Mlp.Gradients gradients, int from, int to)
        {
            var tape = new Mlp.LossTape();
            var batches = new Batches<double>(x, labels, 10, seed: 3, LastBatch.Drop);
            for (int epoch = from; epoch < to; epoch++)
            {
                foreach (var batch in batches.Epoch(epoch))
                {
                    optimizer.ZeroGrad();
                    model.Loss(batch.Features, batch.Labels!, tape);
                    model.LossBackward(tape, gradients);
                    optimizer.Step();
                }
            }
        }

        var whole = Model(1);
        var wholeGradients = new Mlp.Gradients(whole);
        var wholeParameters = whole.Parameters(wholeGradients);
        Train(whole, new Adam<double>(wholeParameters, 0.01), wholeGradients, 0, 3);

        var first = Model(1);
        var firstGradients = new Mlp.Gradients(first);
        var firstOptimizer = new Adam<double>(first.Parameters(firstGradients), 0.01);
        Train(first, firstOptimizer, firstGradients, 0, 1);
        Checkpoint.Save(_path, first.Parameters(firstGradients), firstOptimizer);

        var resumed = Model(77);
        var resumedGradients = new Mlp.Gradients(resumed);
        var resumedParameters = resumed.Parameters(resumedGradients);
        var resumedOptimizer = new Adam<double>(resumedParameters, 0.01);
        var result = Checkpoint.Load(_path, resumedParameters, resumedOptimizer);
        Assert.Equal(resumedParameters.Select(p => p.Name), result.Loaded);
        Train(resumed, resumedOptimizer, resumedGradients, 1, 3);

        Assert.Equal(
            wholeParameters.Select(p => p.Value.ToArray().Select(BitConverter.DoubleToInt64Bits).ToArray()).ToArray(),
            resumedParameters.Select(p => p.Value.ToArray().Select(BitConverter.DoubleToInt64Bits).ToArray()).ToArray());
    }

    private static int[][] Bits(IReadOnlyList<Parameter<float>> parameters)
        => parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray()).ToArray();
}
