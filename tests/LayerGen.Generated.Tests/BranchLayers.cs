using System.Collections.Generic;
using LayerGen;

// Layers with branches (DESIGN.md §7): each construct on its own, in double, for the gradient checks of BranchGradientTests.
namespace LayerGen.Generated.Tests.BranchLayers;

/// <summary>if/else, each arm reassigning the same variable differently (one reads a second parameter).</summary>
public partial class IfElse
{
    [Shape("D", "H")] public Matrix<double> W = Matrix<double>.RandomNormal(3, 4, 1, 0, 0.5);
    [Shape("H", "H")] public Matrix<double> W2 = Matrix<double>.RandomNormal(4, 4, 2, 0, 0.5);

    [Forward]
    public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x, bool training)
    {
        var h = x * W;
        if (training)
            h = Ops.Tanh(h);
        else
            h = h * W2;
        return h;
    }
}

/// <summary>An 'if' without 'else' (the value passes through when the condition is false), then more work after it.</summary>
public partial class IfWithoutElse
{
    [Shape("D", "H")] public Matrix<double> W = Matrix<double>.RandomNormal(3, 4, 3, 0, 0.5);
    [Shape("H", "H")] public Matrix<double> W2 = Matrix<double>.RandomNormal(4, 4, 4, 0, 0.5);
    [Shape(1, "H")] public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 5, 0, 0.5);

    [Forward]
    public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x, [Shape("N", "H")] Matrix<double> skip, bool deep)
    {
        var h = x * W;
        if (deep)
        {
            var z = h * W2 + B;
            h = Ops.Sigmoid(z) + skip;
        }
        return Ops.Mul(h, h);
    }
}

/// <summary>A local declared before the branch without a value and assigned in each arm.</summary>
public partial class DeclaredThenAssignedInBothArms
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 4, 6, 0, 0.5);
    public Matrix<double> V = Matrix<double>.RandomNormal(4, 2, 7, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, bool useTanh)
    {
        Matrix<double> y;
        var z = x * W;
        if (useTanh)
            y = Ops.Tanh(z);
        else
            y = Ops.Sigmoid(z);
        return y * V;
    }
}

/// <summary>?: as a result and inside an expression; one arm returns its operand as it came.</summary>
public partial class Conditional
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 8, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, bool squash)
    {
        var h = x * W;
        var g = Ops.Exp(squash ? Ops.Tanh(h) : h);
        return squash ? g : g * W;
    }
}

/// <summary>A condition that reads a forward value (never differentiated: the derivative is the path taken's).</summary>
public partial class ConditionOnForwardValue
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 9, 0, 0.5);

    [Forward]
    public double Loss(Matrix<double> x)
    {
        var z = x * W;
        double loss = Ops.SumOfSquares(z);
        if (Ops.Sum(z) > 0 && loss > 0)
            loss = loss + Ops.Sum(Ops.Tanh(z));
        return loss;
    }
}

/// <summary>An early return; the statements after the 'if' are the other path.</summary>
public partial class EarlyReturn
{
    [Shape("D", "H")] public Matrix<double> W = Matrix<double>.RandomNormal(3, 4, 10, 0, 0.5);
    [Shape("H", "H")] public Matrix<double> W2 = Matrix<double>.RandomNormal(4, 4, 11, 0, 0.5);

    [Forward]
    public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x, bool shortcut)
    {
        var h = x * W;
        if (shortcut)
            return Ops.Tanh(h);
        var g = Ops.Sigmoid(h * W2);
        return g + h;
    }
}

/// <summary>An if / else-if / else chain over an int mode.</summary>
public partial class ElseIfChain
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 12, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, int mode)
    {
        var h = x * W;
        if (mode == 0)
            h = Ops.Tanh(h);
        else if (mode == 1)
            h = Ops.Sigmoid(h) * W;
        else
            h = Ops.Mul(h, x);
        return h;
    }
}

/// <summary>A scalar loss with an optional weight penalty: an arm that reads only a parameter.</summary>
public partial class OptionalPenalty
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 2, 13, 0, 0.5);

    [Forward]
    public double Loss([NoGrad] Matrix<double> x, [NoGrad] Matrix<double> target, bool regularize)
    {
        double loss = Losses.MeanSquaredError(x * W, target);
        if (regularize)
            loss += 0.1 * Ops.SumOfSquares(W);
        return loss;
    }
}

/// <summary>Two variables assigned in one arm, one of them not read after the branch (a zero ∂L/∂result).</summary>
public partial class TwoAssignedOneUnused
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 14, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, Matrix<double> c, bool update)
    {
        var h = x * W;
        var state = c;
        if (update)
        {
            state = Ops.Tanh(state + h);
            h = Ops.Mul(h, state);
        }
        return h;
    }
}

/// <summary>A branch inside a loop body, reading the step's element and the loop variable.</summary>
public partial class BranchInLoop
{
    public Matrix<double> Wx = Matrix<double>.RandomNormal(3, 4, 15, 0, 0.5);
    public Matrix<double> Wh = Matrix<double>.RandomNormal(4, 4, 16, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(IReadOnlyList<Matrix<double>> xs, Matrix<double> h0)
    {
        var h = h0;
        for (int t = 0; t < xs.Count; t++)
        {
            if (t % 2 == 0)
                h = Ops.Tanh(xs[t] * Wx + h * Wh);
            else
                h = Ops.Sigmoid(h * Wh) + xs[t] * Wx;
        }
        return h;
    }
}

/// <summary>A loop inside a branch arm.</summary>
public partial class LoopInBranch
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 17, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, int steps, bool recurrent)
    {
        var h = x;
        if (recurrent)
        {
            for (int t = 0; t < steps; t++)
                h = Ops.Tanh(h * W);
        }
        else
        {
            h = h * W;
        }
        return h;
    }
}

/// <summary>A nested branch with an early return in the inner one.</summary>
public partial class NestedEarlyReturn
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 18, 0, 0.5);

    [Forward]
    public double Loss(Matrix<double> x, bool a, bool b)
    {
        var h = x * W;
        if (a)
        {
            if (b)
                return Ops.Sum(Ops.Tanh(h));
            return Ops.SumOfSquares(h);
        }
        return Ops.Sum(Ops.Mul(h, x));
    }
}

/// <summary>Dropout behind a training flag, its mask seeded per call (each evaluation of the loss draws the same mask).</summary>
public partial class DropoutBehindAFlag
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 6, 19, 0, 0.5);
    public Matrix<double> V = Matrix<double>.RandomNormal(6, 2, 20, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, bool training, int seed)
    {
        var h = Ops.Tanh(x * W);
        return (training ? Ops.Dropout(h, 0.4, new System.Random(seed)) : h) * V;
    }
}

/// <summary>Dropout drawing from the layer's own Random (which advances with every call).</summary>
public partial class PlainDropout
{
    public System.Random Rng = new(11);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x) => Ops.Dropout(x, 0.5, Rng);
}

/// <summary>A float classifier with dropout in training (its own Random) and an optional weight penalty.</summary>
public partial class FloatDropoutClassifier
{
    public Matrix<float> W1 = Matrix<float>.He(8, 32, 21);
    public Matrix<float> B1 = Matrix<float>.Zeros(1, 32);
    public Matrix<float> W2 = Matrix<float>.XavierNormal(32, 4, 22);
    public System.Random Rng = new(3);

    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels, bool training)
    {
        var h = Ops.Relu(x * W1 + B1);
        if (training)
            h = Ops.Dropout(h, 0.25, Rng);
        float loss = Losses.SoftmaxCrossEntropy(h * W2, labels);
        if (training)
            loss += 1e-4f * Ops.SumOfSquares(W1);
        return loss;
    }
}

/// <summary>
/// Batch normalization with running statistics (DESIGN.md §8): in training the batch's statistics, with the running ones
/// updated as written (never differentiated); in evaluation the running ones.
/// </summary>
public partial class BatchNorm
{
    public Matrix<double> Gamma = Matrix<double>.RandomUniform(1, 3, 23, 0.5, 1.5);
    public Matrix<double> Beta = Matrix<double>.RandomNormal(1, 3, 24, 0, 0.5);
    [NoGrad] public Matrix<double> RunningMean = Matrix<double>.Zeros(1, 3);
    [NoGrad] public Matrix<double> RunningVar = Matrix<double>.Ones(1, 3);
    [NoGrad] public int Updates;
    [NoGrad] public double Momentum = 0.1;

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, bool training)
    {
        Matrix<double> normalized;
        if (training)
        {
            var mean = Ops.Mean(x, 0);
            var centered = x - mean;
            var variance = Ops.Mean(Ops.Mul(centered, centered), 0);
            normalized = Ops.Div(centered, Ops.Sqrt(Ops.Add(variance, 1e-5)));
            RunningMean = RunningMean * (1 - Momentum) + mean * Momentum;
            RunningVar = RunningVar * (1 - Momentum) + variance * Momentum;
            Updates++;
        }
        else
        {
            normalized = Ops.Div(x - RunningMean, Ops.Sqrt(Ops.Add(RunningVar, 1e-5)));
        }
        return Ops.Mul(normalized, Gamma) + Beta;
    }
}

/// <summary>A float MLP with batch norm (running statistics) and dropout, both behind a training flag.</summary>
public partial class FloatBatchNormMlp
{
    public Matrix<float> W1 = Matrix<float>.He(8, 16, 25);
    public Matrix<float> Gamma = Matrix<float>.Ones(1, 16);
    public Matrix<float> Beta = Matrix<float>.Zeros(1, 16);
    public Matrix<float> W2 = Matrix<float>.XavierNormal(16, 4, 26);
    [NoGrad] public Matrix<float> RunningMean = Matrix<float>.Zeros(1, 16);
    [NoGrad] public Matrix<float> RunningVar = Matrix<float>.Ones(1, 16);
    public System.Random Rng = new(4);

    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels, bool training)
    {
        var z = x * W1;
        Matrix<float> normalized;
        if (training)
        {
            var mean = Ops.Mean(z, 0);
            var centered = z - mean;
            var variance = Ops.Mean(Ops.Mul(centered, centered), 0);
            normalized = Ops.Div(centered, Ops.Sqrt(Ops.Add(variance, 1e-5f)));
            RunningMean = RunningMean * 0.9f + mean * 0.1f;
            RunningVar = RunningVar * 0.9f + variance * 0.1f;
        }
        else
        {
            normalized = Ops.Div(z - RunningMean, Ops.Sqrt(Ops.Add(RunningVar, 1e-5f)));
        }
        var h = Ops.Relu(Ops.Mul(normalized, Gamma) + Beta);
        h = training ? Ops.Dropout(h, 0.2, Rng) : h;
        return Losses.SoftmaxCrossEntropy(h * W2, labels);
    }
}

/// <summary>DESIGN.md §7's example as written: a loop over time, then dropout behind a training flag.</summary>
public partial class DesignExample
{
    public Matrix<double> Wx = Matrix<double>.RandomNormal(3, 4, 27, 0, 0.5);
    public Matrix<double> Wh = Matrix<double>.RandomNormal(4, 4, 28, 0, 0.5);
    public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 29, 0, 0.5);
    public System.Random Rng = new(1);

    [Forward]
    public Matrix<double> Forward(IReadOnlyList<Matrix<double>> xs, Matrix<double> h0, bool training)
    {
        var h = h0;
        for (int t = 0; t < xs.Count; t++)
            h = Ops.Tanh(xs[t] * Wx + h * Wh + B);
        return training ? Ops.Dropout(h, 0.1, Rng) : h;
    }
}
