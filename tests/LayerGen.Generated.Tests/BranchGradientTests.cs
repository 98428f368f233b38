using System.Collections.Generic;
using System.Linq;
using LayerGen.Generated.Tests.BranchLayers;
using static LayerGen.TestSupport.LayerGradientCheck;

namespace LayerGen.Generated.Tests;

/// <summary>Every branch construct, both arms, against central differences in double (DESIGN.md §7).</summary>
public sealed class BranchGradientTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IfElse_BothArms(bool training) => Check(new IfElse(), [Normal(2, 3, 1), training]);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IfWithoutElse_TakenAndPassedThrough(bool deep) => Check(new IfWithoutElse(), [Normal(2, 3, 2), Normal(2, 4, 3), deep]);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LocalDeclaredBefore_AssignedInBothArms(bool useTanh) => Check(new DeclaredThenAssignedInBothArms(), [Normal(2, 3, 4), useTanh]);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ConditionalExpression_BothArms(bool squash) => Check(new Conditional(), [Normal(2, 3, 5), squash]);

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    public void ConditionOnAForwardValue_DifferentiatesThePathTaken(double sign)
    {
        var x = Normal(2, 3, 6);
        var layer = new ConditionOnForwardValue();
        // Pick the sign of x so that Σ(x·W) is positive (then arm) or negative (else arm).
        var z = x * layer.W;
        double sum = 0;
        for (int i = 0; i < z.Rows; i++)
            for (int j = 0; j < z.Cols; j++)
                sum += z[i, j];
        if (System.Math.Sign(sum) != System.Math.Sign(sign))
            x = -x;
        Check(layer, [x], method: "Loss");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EarlyReturn_BothPaths(bool shortcut) => Check(new EarlyReturn(), [Normal(2, 3, 7), shortcut]);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void ElseIfChain_EveryArm(int mode) => Check(new ElseIfChain(), [Normal(2, 3, 8), mode]);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ScalarAccumulatedInOneArm(bool regularize) =>
        Check(new OptionalPenalty(), [Normal(4, 3, 9), Normal(4, 2, 10), regularize], method: "Loss");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TwoAssigned_OneNotReadAfterTheBranch(bool update) => Check(new TwoAssignedOneUnused(), [Normal(2, 3, 11), Normal(2, 3, 12), update]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void BranchInsideALoop(int length) =>
        Check(new BranchInLoop(), [Enumerable.Range(0, length).Select(t => Normal(2, 3, 20 + t)).ToList(), Normal(2, 4, 13)]);

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 3)]
    [InlineData(false, 3)]
    public void LoopInsideABranch(bool recurrent, int steps) => Check(new LoopInBranch(), [Normal(2, 3, 14), steps, recurrent]);

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void NestedEarlyReturns_EveryPath(bool a, bool b) => Check(new NestedEarlyReturn(), [Normal(2, 3, 15), a, b], method: "Loss");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dropout_BehindATrainingFlag(bool training) => Check(new DropoutBehindAFlag(), [Normal(4, 3, 16), training, 5]);

    [Fact]
    public void Dropout_TheBackwardUsesTheMaskItsForwardDrew_NotANewDraw()
    {
        // The layer's Random advances with every call: the backward must read the recorded mask. With x away from zero,
        // the mask is visible in the result: dX = dY ⊙ 1/(1 − p) where y ≠ 0, else 0.
        var layer = new PlainDropout();
        var x = AwayFromZero(5, 7, 19);
        var tape = new PlainDropout.Tape();
        var y = layer.Forward(x, tape).Clone();
        layer.Forward(x); // another draw, after the recorded one
        var dY = Normal(5, 7, 20);
        var dX = layer.Backward(tape, dY, new PlainDropout.Gradients(layer));
        int dropped = 0;
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 7; j++)
            {
                bool kept = y[i, j] != 0;
                dropped += kept ? 0 : 1;
                Assert.Equal(kept ? dY[i, j] * 2 : 0, dX[i, j], 12);
            }
        }
        Assert.InRange(dropped, 1, 34);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm_BothModes(bool training) => Check(new BatchNorm(), [Normal(5, 3, 21), training]);

    [Fact]
    public void BatchNorm_TheTrainingForwardUpdatesTheStateExactlyAsTheUsersCode()
    {
        // The user's method run as plain C# on one layer, the generated training forward on another: the same state.
        var plain = new BatchNorm();
        var generated = new BatchNorm();
        var tape = new BatchNorm.Tape();
        var runningMean = generated.RunningMean;
        for (int step = 0; step < 3; step++)
        {
            var x = Normal(5, 3, 30 + step);
            var expected = plain.Forward(x, true);
            var actual = generated.Forward(x, true, tape);
            AssertClose(expected, actual, $"output at step {step}", 0);
            AssertClose(plain.RunningMean, generated.RunningMean, $"running mean at step {step}", 0);
            AssertClose(plain.RunningVar, generated.RunningVar, $"running variance at step {step}", 0);
            generated.Backward(tape, Normal(5, 3, 40), new BatchNorm.Gradients(generated));
        }
        Assert.Equal(3, plain.Updates);
        Assert.Equal(3, generated.Updates);
        // Updated in place: the member is never a tape buffer (the next step would overwrite it).
        Assert.Same(runningMean, generated.RunningMean);
        var evaluation = Normal(5, 3, 50);
        AssertClose(plain.Forward(evaluation, false), generated.Forward(evaluation, false, tape), "evaluation output", 0);
        Assert.Equal(3, generated.Updates);
    }

    [Fact]
    public void DesignExample_InEvaluation_GradientCheck() =>
        Check(new DesignExample(), [Enumerable.Range(0, 4).Select(t => Normal(2, 3, 40 + t)).ToList(), Normal(2, 4, 44), false]);

    [Fact]
    public void DesignExample_InTraining_TheBackwardMasksWhatTheForwardDropped()
    {
        // In training the layer's Random advances with every call, so a central difference would see a new mask each
        // time: compare with the evaluation gradient instead, masked by the recorded dropout.
        var layer = new DesignExample();
        var xs = Enumerable.Range(0, 4).Select(t => Normal(8, 3, 50 + t)).ToList();
        var h0 = Normal(8, 4, 54);
        var dY = Normal(8, 4, 55);
        var tape = new DesignExample.Tape();
        var trained = layer.Forward(xs, h0, true, tape).Clone();
        var evaluated = layer.Forward(xs, h0, false);
        var masked = new Matrix<double>(8, 4);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 4; j++)
                masked[i, j] = trained[i, j] == 0 ? 0 : dY[i, j] / 0.9;
        var (dXs, dH0) = layer.Backward(tape, dY, new DesignExample.Gradients(layer));
        var evaluationTape = new DesignExample.Tape();
        layer.Forward(xs, h0, false, evaluationTape);
        var (dXsExpected, dH0Expected) = layer.Backward(evaluationTape, masked, new DesignExample.Gradients(layer));
        AssertClose(dH0Expected, dH0, "dH0", 1e-12);
        for (int t = 0; t < 4; t++)
            AssertClose(dXsExpected[t], dXs[t], $"dXs[{t}]", 1e-12);
        // The recorded run dropped something (else the comparison would not involve the mask at all).
        Assert.Contains(0.0, Enumerable.Range(0, 32).Select(e => trained[e / 4, e % 4]));
    }

    [Fact]
    public void OneTape_BothArmsInTurn_MatchesFreshTapes()
    {
        var layer = new IfElse();
        var tape = new IfElse.Tape();
        foreach (bool training in new[] { true, false, false, true })
        {
            var x = Normal(2, 3, training ? 30 : 31);
            var dY = Normal(2, 4, 32);
            var reused = new IfElse.Gradients(layer);
            layer.Forward(x, training, tape);
            var dX = layer.Backward(tape, dY, reused);
            var fresh = new IfElse.Gradients(layer);
            var freshTape = new IfElse.Tape();
            layer.Forward(x, training, freshTape);
            var dXFresh = layer.Backward(freshTape, dY, fresh);
            AssertClose(dXFresh, dX, $"dX (training={training})");
            AssertClose(fresh.W, reused.W, $"dW (training={training})");
            AssertClose(fresh.W2, reused.W2, $"dW2 (training={training})");
        }
    }
}
