using System.Collections.Generic;
using System.Linq;
using LayerGen.Generated.Tests.LoopLayers;
using static LayerGen.TestSupport.LayerGradientCheck;

namespace LayerGen.Generated.Tests;

/// <summary>Every loop construct against central differences in double (DESIGN.md §7).</summary>
public sealed class LoopGradientTests
{
    private static List<Matrix<double>> Sequence(int length, int rows, int cols, int seed) =>
        Enumerable.Range(0, length).Select(t => Normal(rows, cols, seed + t)).ToList();

    private static List<int[]> Labels(int length, int rows, int classes) =>
        Enumerable.Range(0, length).Select(t => Enumerable.Range(0, rows).Select(r => (r + 2 * t) % classes).ToArray()).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void Rnn_OverASequence(int length) => Check(new TanhRnn(), [Sequence(length, 2, 3, 100), Normal(2, 4, 7)]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void Lstm_TwoCarriedMatrices_AndASummedLoss(int length) =>
        Check(new LstmLoss(), [Sequence(length, 2, 3, 200), Labels(length, 2, 5)], method: "Loss");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void SequenceResult_OneOutputPerStep(int length) => Check(new SequenceTagger(), [Sequence(length, 2, 3, 600), Normal(2, 4, 601)]);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void SequenceResult_FilledByAForeachWithoutCarriedValues(int length) => Check(new PerStepProjection(), [Sequence(length, 2, 3, 610)]);

    [Fact]
    public void SequenceResult_ADOutputListOfTheWrongLengthIsAClearError()
    {
        var layer = new SequenceTagger();
        var tape = new SequenceTagger.Tape();
        layer.Forward(Sequence(3, 2, 3, 620), Normal(2, 4, 621), tape);
        var e = Assert.Throws<System.ArgumentException>(() => layer.Backward(tape, [Normal(2, 2, 622), Normal(2, 2, 623)], new SequenceTagger.Gradients(layer)));
        Assert.Contains("dOutput holds 2 matrices but the forward returned 3", e.Message);
    }

    [Theory]
    [InlineData(0.0)]   // the condition holds, the limit stops it before the first iteration
    [InlineData(0.5)]
    [InlineData(100.0)] // runs until the state is small
    public void WhileLoop_ConditionOnCarriedValues(double limit)
    {
        var x = Normal(2, 3, 630);
        var layer = new ShrinkUntilSmall();
        Check(layer, [x, limit]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void WhileLoop_CountedByItsListOfResults(int steps) => Check(new CountedWhile(), [Normal(2, 3, 640), steps]);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void IntCounters_InAWhileLoopAForLoopAndABranch(int steps) => Check(new Counters(), [Normal(2, 3, 670), steps]);

    [Fact]
    public void WhileLoop_OneTapeForRunsOfDifferentLengths()
    {
        var layer = new CountedWhile();
        var tape = new CountedWhile.Tape();
        foreach (int steps in new[] { 3, 6, 1, 4 })
        {
            var x = Normal(2, 3, 650 + steps);
            var dYs = Sequence(steps, 2, 3, 660);
            var reused = new CountedWhile.Gradients(layer);
            layer.Forward(x, steps, tape);
            var dX = layer.Backward(tape, dYs, reused);
            var fresh = new CountedWhile.Gradients(layer);
            var freshTape = new CountedWhile.Tape();
            layer.Forward(x, steps, freshTape);
            AssertClose(layer.Backward(freshTape, dYs, fresh), dX, $"dX at {steps} steps");
            AssertClose(fresh.W, reused.W, $"dW at {steps} steps");
        }
    }

    [Fact]
    public void Rnn_TapeReusedForALongerThenAShorterThenALongerSequence()
    {
        // One layer, one tape: each run's gradients must equal a fresh tape's.
        var layer = new TanhRnn();
        var tape = new TanhRnn.Tape();
        foreach (int length in new[] { 3, 7, 2, 5 })
        {
            var xs = Sequence(length, 2, 3, 300 + length);
            var h0 = Normal(2, 4, 9);
            var dY = Normal(2, 4, 10);
            var reused = new TanhRnn.Gradients(layer);
            layer.Forward(xs, h0, tape);
            var (dXs, dH0) = layer.Backward(tape, dY, reused);
            var fresh = new TanhRnn.Gradients(layer);
            var freshTape = new TanhRnn.Tape();
            layer.Forward(xs, h0, freshTape);
            var (dXsFresh, dH0Fresh) = layer.Backward(freshTape, dY, fresh);
            Assert.Equal(length, dXs.Count);
            for (int t = 0; t < length; t++)
                AssertClose(dXsFresh[t], dXs[t], $"dXs[{t}] at length {length}");
            AssertClose(dH0Fresh, dH0, $"dH0 at length {length}");
            AssertClose(fresh.Wh, reused.Wh, $"dWh at length {length}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void LoopInvariantValue_GradientSummedOverIterations(int steps) => Check(new LoopInvariantValue(), [Normal(2, 3, 11), steps]);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 3)]
    public void NestedLoops_InclusiveBound_ScalarInput(int length, int depth) =>
        Check(new NestedLoops(), [Sequence(length, 2, 3, 400), Normal(2, 3, 15), 0.8, depth]);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void SublayerAndStaticHelperCalls_InALoop(int length) =>
        Check(new CallsInLoop(), [Sequence(length, 2, 4, 500), Normal(2, 4, 12)], method: "Loss");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void ForEach_OverASequence_AndOverLabels(int length) =>
        Check(new ForEachRnn(), [Sequence(length, 2, 3, 700), Labels(length, 2, 4), Normal(2, 3, 17)], method: "Loss");

    [Theory]
    [InlineData(0, 3)]
    [InlineData(2, 2)]
    [InlineData(3, 1)]
    public void LoopThatMayNotRun(int from, int to) => Check(new MaybeEmptyLoop(), [Normal(2, 3, 13), from, to]);

    [Fact]
    public void ElementsTheLoopDoesNotVisit_GetZeroGradients()
    {
        // The loop starts at t = 1: xs[0] does not affect the result, its gradient is a zero matrix of its shape.
        var layer = new NestedLoops();
        var xs = Sequence(3, 2, 3, 600);
        var tape = new NestedLoops.Tape();
        layer.Forward(xs, Normal(2, 3, 16), 0.5, 2, tape);
        var (dXs, _, _) = layer.Backward(tape, Normal(2, 3, 14), new NestedLoops.Gradients(layer));
        Assert.Equal(3, dXs.Count);
        Assert.Equal((2, 3), (dXs[0].Rows, dXs[0].Cols));
        Assert.All(dXs[0].AsSpan().ToArray(), v => Assert.Equal(0, v));
        Assert.Contains(dXs[1].AsSpan().ToArray(), v => v != 0);
    }
}
