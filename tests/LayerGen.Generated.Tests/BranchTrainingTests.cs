using LayerGen.Generated.Tests.BranchLayers;

namespace LayerGen.Generated.Tests;

/// <summary>Training steps through branches and dropout: allocation-free once both arms have run, and learning.</summary>
public sealed class BranchTrainingTests
{
    private static readonly Matrix<float> X = Matrix<float>.RandomNormal(16, 8, 40);
    private static readonly int[] Labels = [0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0];

    [Fact]
    public void DropoutTrainingStep_AllocatesNothing_InEitherArm()
    {
        var layer = new FloatDropoutClassifier();
        var tape = new FloatDropoutClassifier.LossTape();
        var gradients = new FloatDropoutClassifier.Gradients(layer);
        var optimizer = new Adam<float>(layer.Parameters(gradients), 1e-3);
        void Step(bool training)
        {
            gradients.Clear();
            layer.Loss(X, Labels, training, tape);
            layer.LossBackward(tape, gradients);
            optimizer.Step();
        }

        // Warm-up: each arm's tape is created the first time that arm runs.
        Step(true);
        Step(false);
        Step(true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step(true);
        Step(false);
        Step(true);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BatchNormTrainingStep_AllocatesNothing_AndUpdatesTheStateInPlace()
    {
        var layer = new FloatBatchNormMlp();
        var tape = new FloatBatchNormMlp.LossTape();
        var gradients = new FloatBatchNormMlp.Gradients(layer);
        var optimizer = new Adam<float>(layer.Parameters(gradients), 1e-2);
        var runningMean = layer.RunningMean;
        float first = layer.Loss(X, Labels, false);
        void Step()
        {
            gradients.Clear();
            layer.Loss(X, Labels, true, tape);
            layer.LossBackward(tape, gradients);
            optimizer.Step();
        }
        Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 3; k++)
            Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Same(runningMean, layer.RunningMean);
        Assert.NotEqual(0f, layer.RunningMean[0, 0]);
        for (int k = 0; k < 200; k++)
            Step();
        float last = layer.Loss(X, Labels, false);
        Assert.True(last < first * 0.5f, $"evaluation loss {first} → {last}");
    }

    [Fact]
    public void DropoutTraining_LowersTheEvaluationLoss()
    {
        var layer = new FloatDropoutClassifier();
        var tape = new FloatDropoutClassifier.LossTape();
        var gradients = new FloatDropoutClassifier.Gradients(layer);
        var optimizer = new Adam<float>(layer.Parameters(gradients), 0.01);
        float first = layer.Loss(X, Labels, false);
        for (int step = 0; step < 200; step++)
        {
            gradients.Clear();
            layer.Loss(X, Labels, true, tape);
            layer.LossBackward(tape, gradients);
            optimizer.Step();
        }
        float last = layer.Loss(X, Labels, false);
        Assert.True(last < first * 0.5f, $"evaluation loss {first} → {last}");
    }
}
