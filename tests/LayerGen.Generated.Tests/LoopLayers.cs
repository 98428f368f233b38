using System.Collections.Generic;
using LayerGen;

// Layers with loops (DESIGN.md §7): each construct on its own, in double, for the gradient checks of LoopGradientTests.
namespace LayerGen.Generated.Tests.LoopLayers;

/// <summary>An Elman RNN over a sequence: the result is the last hidden state; xs and h0 are differentiable.</summary>
public partial class TanhRnn
{
    [Shape("D", "H")] public Matrix<double> Wx = Matrix<double>.RandomNormal(3, 4, 1, 0, 0.5);
    [Shape("H", "H")] public Matrix<double> Wh = Matrix<double>.RandomNormal(4, 4, 2, 0, 0.5);
    [Shape(1, "H")] public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 3, 0, 0.5);

    [Forward]
    public Matrix<double> Forward([Shape("N", "D")] IReadOnlyList<Matrix<double>> xs, [Shape("N", "H")] Matrix<double> h0)
    {
        var h = h0;
        for (int t = 0; t < xs.Count; t++)
            h = Ops.Tanh(xs[t] * Wx + h * Wh + B);
        return h;
    }
}

/// <summary>
/// An LSTM language-model step over time: two carried matrices (h, c) started inside the method, a loss summed over the
/// steps (a carried scalar), per-step labels.
/// </summary>
public partial class LstmLoss
{
    [Shape("H")] public int Hidden = 4;
    public Matrix<double> W = Matrix<double>.RandomNormal(3 + 4, 16, 4, 0, 0.5);
    public Matrix<double> B = Matrix<double>.RandomNormal(1, 16, 5, 0, 0.5);
    public Matrix<double> Out = Matrix<double>.RandomNormal(4, 5, 6, 0, 0.5);

    [Forward]
    public double Loss(IReadOnlyList<Matrix<double>> xs, IReadOnlyList<int[]> ys)
    {
        var h = Matrix<double>.Zeros(xs[0].Rows, Hidden);
        var c = Matrix<double>.Zeros(xs[0].Rows, Hidden);
        double loss = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            var z = Ops.Concat(xs[t], h, 1) * W + B;
            var i = Ops.Sigmoid(Ops.SliceColumns(z, 0, Hidden));
            var f = Ops.Sigmoid(Ops.SliceColumns(z, Hidden, Hidden));
            var o = Ops.Sigmoid(Ops.SliceColumns(z, 2 * Hidden, Hidden));
            var u = Ops.Tanh(Ops.SliceColumns(z, 3 * Hidden, Hidden));
            c = Ops.Mul(f, c) + Ops.Mul(i, u);
            h = Ops.Mul(o, Ops.Tanh(c));
            loss += Losses.SoftmaxCrossEntropy(h * Out, ys[t]);
        }
        return loss / xs.Count;
    }
}

/// <summary>A value computed before the loop and read by every iteration: its gradient is summed over the iterations.</summary>
public partial class LoopInvariantValue
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 7, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, [NoGrad] int steps)
    {
        var u = Ops.Sigmoid(x * W);
        var h = x;
        for (int k = 0; k < steps; k++)
            h = Ops.Tanh(Ops.Mul(h, u) + x);
        return h;
    }
}

/// <summary>Nested loops, an inclusive bound from a parameter, and a scalar input carried through.</summary>
public partial class NestedLoops
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 8, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(IReadOnlyList<Matrix<double>> xs, Matrix<double> h0, double scale, [NoGrad] int depth)
    {
        var h = h0;
        for (int t = 1; t < xs.Count; t++)
        {
            for (int d = 1; d <= depth; d++)
                h = Ops.Tanh(h * W) * scale;
            h = h + xs[t];
        }
        return h;
    }
}

/// <summary>An affine sublayer called once per step.</summary>
public partial class Affine
{
    public Matrix<double> W = Matrix<double>.RandomNormal(4, 4, 9, 0, 0.5);
    public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 10, 0, 0.5);

    [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W + B;
}

/// <summary>Sublayer and static helper calls inside a loop; the loss accumulates with -= and the loop variable is read as a constant.</summary>
public partial class CallsInLoop
{
    public Affine Cell = new();

    [Forward]
    public double Loss([NoGrad] IReadOnlyList<Matrix<double>> xs, Matrix<double> h0)
    {
        var h = h0;
        double total = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            h = Helpers.Mix(Cell.Forward(h), xs[t]);
            total -= Ops.Sum(h) * (t + 1);
        }
        return total + Ops.SumOfSquares(h);
    }
}

/// <summary>A static [Forward] helper.</summary>
public static partial class Helpers
{
    [Forward] public static Matrix<double> Mix(Matrix<double> a, Matrix<double> b) => Ops.Tanh(a + b);
}

/// <summary>A loop that does not run (start ≥ end) passes its variables through unchanged.</summary>
public partial class MaybeEmptyLoop
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 11, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, [NoGrad] int from, [NoGrad] int to)
    {
        var h = x * W;
        for (int t = from; t < to; t++)
            h = Ops.Tanh(h * W);
        return h;
    }
}

/// <summary>A float RNN language-model loss over time, for the allocation test: everything it needs comes in or lives on the tape.</summary>
public partial class FloatRnnLoss
{
    public Matrix<float> Wx = Matrix<float>.RandomNormal(8, 16, 20, 0, 0.3f);
    public Matrix<float> Wh = Matrix<float>.RandomNormal(16, 16, 21, 0, 0.3f);
    public Matrix<float> B = Matrix<float>.Zeros(1, 16);
    public Matrix<float> Out = Matrix<float>.RandomNormal(16, 8, 22, 0, 0.3f);

    [Forward]
    public float Loss([NoGrad] IReadOnlyList<Matrix<float>> xs, IReadOnlyList<int[]> ys, [NoGrad] Matrix<float> h0)
    {
        var h = h0;
        float loss = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            h = Ops.Tanh(xs[t] * Wx + h * Wh + B);
            loss += Losses.SoftmaxCrossEntropy(h * Out, ys[t]);
        }
        return loss;
    }
}

/// <summary><c>foreach</c> over a differentiable sequence and, in a second loop, over per-step labels.</summary>
public partial class ForEachRnn
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 30, 0, 0.5);
    public Matrix<double> Out = Matrix<double>.RandomNormal(3, 4, 31, 0, 0.5);

    [Forward]
    public double Loss(IReadOnlyList<Matrix<double>> xs, IReadOnlyList<int[]> ys, Matrix<double> h0)
    {
        var h = h0;
        foreach (var x in xs)
            h = Ops.Tanh(x + h * W);
        double loss = 0;
        foreach (var labels in ys)
            loss += Losses.SoftmaxCrossEntropy(h * Out, labels);
        return loss;
    }
}

/// <summary>A sequence tagger: one output per step, collected in a list of results the method returns.</summary>
public partial class SequenceTagger
{
    public Matrix<double> Wx = Matrix<double>.RandomNormal(3, 4, 60, 0, 0.5);
    public Matrix<double> Wh = Matrix<double>.RandomNormal(4, 4, 61, 0, 0.5);
    public Matrix<double> Wy = Matrix<double>.RandomNormal(4, 2, 62, 0, 0.5);

    [Forward]
    public IReadOnlyList<Matrix<double>> Forward(IReadOnlyList<Matrix<double>> xs, Matrix<double> h0)
    {
        var h = h0;
        var ys = new List<Matrix<double>>();
        for (int t = 0; t < xs.Count; t++)
        {
            h = Ops.Tanh(xs[t] * Wx + h * Wh);
            ys.Add(h * Wy);
        }
        return ys;
    }
}

/// <summary>A list of results filled by a foreach with no carried variable (each output depends on its step only).</summary>
public partial class PerStepProjection
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 2, 63, 0, 0.5);

    [Forward]
    public IReadOnlyList<Matrix<double>> Forward(IReadOnlyList<Matrix<double>> xs)
    {
        var ys = new List<Matrix<double>>(xs.Count);
        foreach (var x in xs)
            ys.Add(Ops.Sigmoid(x * W));
        return ys;
    }
}

/// <summary>A float sequence tagger with a per-step loss outside: the allocation test of a list of results.</summary>
public partial class FloatTagger
{
    public Matrix<float> Wx = Matrix<float>.XavierNormal(8, 16, 70);
    public Matrix<float> Wh = Matrix<float>.XavierNormal(16, 16, 71);
    public Matrix<float> Wy = Matrix<float>.XavierNormal(16, 4, 72);

    [Forward]
    public IReadOnlyList<Matrix<float>> Forward([NoGrad] IReadOnlyList<Matrix<float>> xs, [NoGrad] Matrix<float> h0)
    {
        var h = h0;
        var ys = new List<Matrix<float>>();
        foreach (var x in xs)
        {
            h = Ops.Tanh(x * Wx + h * Wh);
            ys.Add(h * Wy);
        }
        return ys;
    }
}

/// <summary>
/// A while loop whose condition reads the carried values (a forward value and a scalar sum): iterate until the state is
/// small or enough energy was spent. The trip count depends on the input, and is recorded.
/// </summary>
public partial class ShrinkUntilSmall
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 64, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, [NoGrad] double limit)
    {
        var h = x;
        double energy = 0;
        while (Ops.SumOfSquares(h) > 0.05 && energy < limit)
        {
            h = Ops.Tanh(h * W) * 0.8;
            energy += Ops.SumOfSquares(h);
        }
        return h * (1 + energy);
    }
}

/// <summary>A while loop counted by a carried scalar, filling a list of results.</summary>
public partial class CountedWhile
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 65, 0, 0.5);

    [Forward]
    public IReadOnlyList<Matrix<double>> Forward(Matrix<double> x, int steps)
    {
        var h = x;
        double done = 0;
        var ys = new List<Matrix<double>>();
        while (done < steps)
        {
            h = Ops.Sigmoid(h * W);
            ys.Add(h);
            done += 1;
        }
        return ys;
    }
}

/// <summary>Int counters: a while loop counted by k++, a for loop and a branch that count too, the count read after.</summary>
public partial class Counters
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 66, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x, int steps)
    {
        var h = x;
        int k = 0;
        while (k < steps)
        {
            h = Ops.Tanh(h * W);
            k++;
        }
        int odd = 0;
        for (int t = 0; t < steps; t++)
        {
            if (t % 2 == 1)
            {
                h = h + Ops.Sigmoid(h * W);
                odd += 1;
            }
        }
        return h * (1.0 + odd + k);
    }
}
