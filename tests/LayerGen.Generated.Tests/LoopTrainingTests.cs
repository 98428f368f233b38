using System.Collections.Generic;
using System.Linq;
using LayerGen.Generated.Tests.LoopLayers;

namespace LayerGen.Generated.Tests;

/// <summary>Recurrent training steps: allocation-free after the first step at a length, and learning.</summary>
public sealed class LoopTrainingTests
{
    private static (List<Matrix<float>> Xs, List<int[]> Ys) Data(int length)
    {
        var xs = Enumerable.Range(0, length).Select(t => Matrix<float>.RandomNormal(4, 8, 30 + t)).ToList();
        var ys = Enumerable.Range(0, length).Select(t => Enumerable.Range(0, 4).Select(r => (r + t) % 8).ToArray()).ToList();
        return (xs, ys);
    }

    [Fact]
    public void RecurrentTrainingStep_AllocatesNothing_AfterTheFirstStepAtALength()
    {
        var layer = new FloatRnnLoss();
        var tape = new FloatRnnLoss.LossTape();
        var gradients = new FloatRnnLoss.Gradients(layer);
        var parameters = layer.Parameters(gradients);
        var h0 = Matrix<float>.Zeros(4, 16);
        var optimizer = new Sgd<float>(parameters, 0.05);
        void Step(List<Matrix<float>> xs, List<int[]> ys)
        {
            gradients.Clear();
            layer.Loss(xs, ys, h0, tape);
            layer.LossBackward(tape, gradients);
            optimizer.Step();
        }

        var (xs7, ys7) = Data(7);
        Step(xs7, ys7);
        Step(xs7, ys7);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step(xs7, ys7);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // A shorter sequence reuses the tapes it has; a longer one grows the tape once, then allocates nothing.
        var (xs3, ys3) = Data(3);
        Step(xs3, ys3);
        before = GC.GetAllocatedBytesForCurrentThread();
        Step(xs3, ys3);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        var (xs12, ys12) = Data(12);
        Step(xs12, ys12);
        before = GC.GetAllocatedBytesForCurrentThread();
        Step(xs12, ys12);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void SequenceResultTrainingStep_AllocatesNothing_AfterTheFirstStepAtALength()
    {
        var layer = new FloatTagger();
        var tape = new FloatTagger.Tape();
        var gradients = new FloatTagger.Gradients(layer);
        var optimizer = new Sgd<float>(layer.Parameters(gradients), 0.05);
        var h0 = Matrix<float>.Zeros(4, 16);
        var (xs, _) = Data(6);
        var dYs = Enumerable.Range(0, 6).Select(t => Matrix<float>.RandomNormal(4, 4, 90 + t)).ToList();
        void Step()
        {
            gradients.Clear();
            layer.Forward(xs, h0, tape);
            layer.Backward(tape, dYs, gradients);
            optimizer.Step();
        }
        Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void RecurrentTraining_LowersTheLoss()
    {
        var layer = new FloatRnnLoss();
        var tape = new FloatRnnLoss.LossTape();
        var gradients = new FloatRnnLoss.Gradients(layer);
        var optimizer = new Adam<float>(layer.Parameters(gradients), 0.01);
        var h0 = Matrix<float>.Zeros(4, 16);
        var (xs, ys) = Data(6);
        float first = 0, last = 0;
        for (int step = 0; step < 100; step++)
        {
            gradients.Clear();
            last = layer.Loss(xs, ys, h0, tape);
            if (step == 0)
                first = last;
            layer.LossBackward(tape, gradients);
            optimizer.Step();
        }
        Assert.True(last < first * 0.5f, $"loss {first} → {last}");
    }
}
