using LayerGen;

// One tiny layer per supported operation (double), so that a gradient check pins each derivative rule on its own.
// Parameters get fixed seeded values; the tests choose input shapes that fit.
namespace LayerGen.Generated.Tests.OpLayers;

// ---------------------------------------------------------------- broadcasting element-wise binary ops

public partial class AddRowBias
{
    [Shape(1, 4)] public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 11);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => x + B;
}

public partial class AddColumnBias
{
    [Shape(3, 1)] public Matrix<double> B = Matrix<double>.RandomNormal(3, 1, 12);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Add(x, B);
}

public partial class AddTwoInputs
{
    [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => Ops.Add(x, y);
}

public partial class AddScalarField
{
    [NoGrad] public double Shift = 0.75;
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Add(x, Shift);
}

public partial class SubFromRow
{
    [Shape(1, 4)] public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 13);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Sub(B, x);
}

public partial class SubTwoInputs
{
    [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => x - y;
}

public partial class MulSameShape
{
    [Shape(3, 4)] public Matrix<double> W = Matrix<double>.RandomNormal(3, 4, 14);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Mul(x, W);
}

public partial class MulRowBroadcast
{
    [Shape(1, 4)] public Matrix<double> G = Matrix<double>.RandomNormal(1, 4, 15);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Mul(G, x);
}

public partial class MulSelf
{
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Mul(x, x);
}

public partial class DivTwoInputs
{
    [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => Ops.Div(x, y);
}

public partial class DivColumnBroadcast
{
    [Shape(3, 1)] public Matrix<double> S = Matrix<double>.RandomUniform(3, 1, 16, 0.5, 2.0);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Div(x, S);
}

// ---------------------------------------------------------------- negation and scaling

public partial class NegOp
{
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Neg(x);
}

public partial class UnaryMinus
{
    [Shape(4, 2)] public Matrix<double> W = Matrix<double>.RandomNormal(4, 2, 17);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => -(x * W);
}

public partial class ScaleByConstant
{
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Scale(x, 2.5);
}

public partial class ScaleOperators
{
    [Forward] public Matrix<double> Forward(Matrix<double> x) => 0.5 * (x * 3.0) / 4.0;
}

public partial class ScaleByField
{
    [NoGrad] public double Factor = -1.5;
    [Forward] public Matrix<double> Forward(Matrix<double> x) => x * Factor;
}

public partial class ScaleByScalarInput
{
    [Forward] public Matrix<double> Forward(Matrix<double> x, double s) => Ops.Scale(x, s);
}

// ---------------------------------------------------------------- unary functions

public partial class ReluOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Relu(x); }

public partial class LeakyReluOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.LeakyRelu(x, 0.1); }

public partial class SigmoidOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Sigmoid(x); }

public partial class TanhOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Tanh(x); }

public partial class GeluOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Gelu(x); }

public partial class SoftplusOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Softplus(x); }

public partial class ExpOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Exp(x); }

public partial class LogOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Log(x); }

public partial class SqrtOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Sqrt(x); }

public partial class SquareOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Square(x); }

public partial class AbsOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Abs(x); }

public partial class SoftmaxOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Softmax(x); }

public partial class LogSoftmaxOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.LogSoftmax(x); }

// ---------------------------------------------------------------- reductions

public partial class SumAll { [Forward] public double Forward(Matrix<double> x) => Ops.Sum(x); }

public partial class SumColumns { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Sum(x, 0); }

public partial class SumRows { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Sum(x, 1); }

public partial class MeanAll { [Forward] public double Forward(Matrix<double> x) => Ops.Mean(x); }

public partial class MeanColumns { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Mean(x, 0); }

public partial class MeanRows { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Mean(x, 1); }

public partial class SumOfSquaresOp { [Forward] public double Forward(Matrix<double> x) => Ops.SumOfSquares(x); }

public partial class DotWithParameter
{
    [Shape(3, 4)] public Matrix<double> W = Matrix<double>.RandomNormal(3, 4, 18);
    [Forward] public double Forward(Matrix<double> x) => Ops.Dot(x, W);
}

/// <summary>Scalars in the tape: a loss-like expression mixing T arithmetic with reductions.</summary>
public partial class ScalarArithmetic
{
    [Forward] public double Forward(Matrix<double> x, double a) => a * Ops.Sum(x) + Ops.Mean(x) * Ops.Mean(x) - 2.0 * a;
}

// ---------------------------------------------------------------- shape ops

public partial class ConcatRows { [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => Ops.Concat(x, y, 0); }

public partial class ConcatColumns { [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => Ops.Concat(x, y, 1); }

public partial class SliceRowsOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Tanh(Ops.SliceRows(x, 1, 2)); }

public partial class SliceColumnsOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Tanh(Ops.SliceColumns(x, 1, 2)); }

public partial class TransposeOp { [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Transpose(x); }

// ---------------------------------------------------------------- matrix products with transposes

public partial class MatMulPlain
{
    [Shape(4, 2)] public Matrix<double> W = Matrix<double>.RandomNormal(4, 2, 19);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W;
}

public partial class MatMulTransposedWeight
{
    [Shape(2, 4)] public Matrix<double> W = Matrix<double>.RandomNormal(2, 4, 20);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W.T;
}

public partial class MatMulTransposedInput
{
    [Shape(3, 2)] public Matrix<double> W = Matrix<double>.RandomNormal(3, 2, 21);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => x.T * W;
}

public partial class MatMulOpsFlags
{
    [Shape(2, 3)] public Matrix<double> W = Matrix<double>.RandomNormal(2, 3, 22);
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.MatMul(x, W, true, true);
}

public partial class MatMulTwoInputs
{
    [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => Ops.MatMul(x, y);
}

// ---------------------------------------------------------------- losses

public partial class SoftmaxCrossEntropyLoss
{
    [Forward] public double Loss(Matrix<double> logits, int[] labels) => Losses.SoftmaxCrossEntropy(logits, labels);
}

public partial class MeanSquaredErrorLoss
{
    [Forward] public double Loss(Matrix<double> prediction, Matrix<double> target) => Losses.MeanSquaredError(prediction, target);
}

public partial class BinaryCrossEntropyLoss
{
    [Shape(4, 2)] public Matrix<double> W = Matrix<double>.RandomNormal(4, 2, 23);
    [Forward] public double Loss(Matrix<double> x, [NoGrad] Matrix<double> targets) => Losses.BinaryCrossEntropyWithLogits(x * W, targets);
}

// ---------------------------------------------------------------- structure: helpers, sublayers, locals

/// <summary>A static [Forward] helper called twice, on a parameter product and on the input.</summary>
public partial class StaticHelperUser
{
    [Shape(4, 4)] public Matrix<double> W = Matrix<double>.RandomNormal(4, 4, 24, 0, 0.5);

    [Forward] public static Matrix<double> Swish(Matrix<double> z) => Ops.Mul(z, Ops.Sigmoid(z));

    [Forward] public Matrix<double> Forward(Matrix<double> x) => Swish(x * W) + Swish(x);
}

/// <summary>A local reassigned several times and an input and a parameter used more than once (fan-out adds up).</summary>
public partial class ReassignedLocals
{
    [Shape(4, 4)] public Matrix<double> W = Matrix<double>.RandomNormal(4, 4, 25, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x)
    {
        var h = x * W;
        h = Ops.Tanh(h);
        h = h + x * W;
        h = Ops.Mul(h, x);
        return h;
    }
}

/// <summary>The same sublayer applied twice (shared weights) plus a second sublayer, and a [NoGrad] constant.</summary>
public partial class SharedSublayer
{
    public LayerGen.TestLayers.Linear Inner = new(4, 4, 26);
    public LayerGen.TestLayers.Linear Head = new(4, 2, 27);
    [NoGrad] public Matrix<double> Mask = Matrix<double>.RandomUniform(1, 4, 28, 0, 1);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x) => Head.Forward(Ops.Mul(Ops.Tanh(Inner.Forward(Ops.Tanh(Inner.Forward(x)))), Mask));
}

// ---------------------------------------------------------------- gather, bound, reinterpret (issue 9)

public partial class EmbeddingClassifier
{
    [Shape("V", "D")] public Matrix<double> Table = Matrix<double>.RandomNormal(6, 4, 91);
    [Shape("D", "K")] public Matrix<double> W = Matrix<double>.RandomNormal(4, 3, 92);
    [Shape(1, "K")] public Matrix<double> B = Matrix<double>.RandomNormal(1, 3, 93);

    // Token ids look up rows of a trainable table (repeated ids add up in its gradient), then a linear classifier.
    [Forward]
    public double Loss([Shape("N")] int[] ids, [Shape("N")] int[] labels) =>
        Losses.SoftmaxCrossEntropy(Ops.Tanh(Ops.Embedding(Table, ids)) * W + B, labels);
}

public partial class ClampOp
{
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Clamp(x, -0.6, 0.9);
}

public partial class ReshapeOp
{
    [Shape(6, 2)] public Matrix<double> W = Matrix<double>.RandomNormal(6, 2, 94);

    // [3, 4] → [2, 6] → × W: the product reads the reshaped rows.
    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Reshape(x, 2, 6) * W;
}

public partial class MaximumWithRow
{
    [Shape(1, 4)] public Matrix<double> Floor = Matrix<double>.RandomNormal(1, 4, 97);

    // A trainable per-column floor, then a minimum of two inputs: both operands of both ops get gradients.
    [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => Ops.Minimum(Ops.Maximum(x, Floor), y);
}

// ---------------------------------------------------------------- images (one per row, (C, H, W) order)
// The image shapes are layer fields (a struct read by the backward: see Planner.IsValueType, which must know ImageShape).

public partial class Conv2dOp
{
    [Shape("K", "CKK")] public Matrix<double> W = Matrix<double>.RandomNormal(3, 2 * 3 * 3, 94);
    [Shape(1, "K")] public Matrix<double> B = Matrix<double>.RandomNormal(1, 3, 95);

    public ImageShape Image = new(2, 5, 4);

    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Conv2d(x, W, B, Image, 3, 2, 1);
}

public partial class MaxPool2dOp
{
    public ImageShape Image = new(2, 5, 4);

    [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.MaxPool2d(x, Image, 2, 1);
}

public partial class SmallCnn
{
    [Shape("K", "CKK")] public Matrix<double> Filters = Matrix<double>.RandomNormal(3, 2 * 3 * 3, 96);
    [Shape(1, "K")] public Matrix<double> FilterBias = Matrix<double>.RandomNormal(1, 3, 97, 0.1, 0.1);
    [Shape(27, "Classes")] public Matrix<double> W = Matrix<double>.RandomNormal(27, 4, 98);
    [Shape(1, "Classes")] public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 99);
    public ImageShape Image = new(2, 6, 6);
    public ImageShape Features = new(3, 6, 6);

    // conv 3×3 pad 1 (2 → 3 channels at 6×6) → relu → 2×2 max pool (3×3×3) → dense → softmax cross-entropy.
    [Forward]
    public double Loss(Matrix<double> x, [Shape("N")] int[] labels) =>
        Losses.SoftmaxCrossEntropy(
            Ops.MaxPool2d(Ops.Relu(Ops.Conv2d(x, Filters, FilterBias, Image, 3, 1, 1)), Features, 2, 2) * W + B,
            labels);
}

// Two conv + relu + pool blocks (1 → 4 → 6 channels, 3×3 pad 1, 2×2 pool), then dense + softmax cross-entropy: a
// Fashion-MNIST-style CNN in miniature (8×8 images). Both convolutions size their tape buffers from the descriptor's
// ResultShape and write their three gradients through the destination-passing Conv2dBackward.
public partial class TwoBlockCnn
{
    [Shape("K1", 9)] public Matrix<double> Conv1 = Matrix<double>.RandomNormal(4, 1 * 3 * 3, 110, 0, 0.5);
    [Shape(1, "K1")] public Matrix<double> Conv1Bias = Matrix<double>.RandomNormal(1, 4, 111, 0.1, 0.1);
    [Shape("K2", "C2KK")] public Matrix<double> Conv2 = Matrix<double>.RandomNormal(6, 4 * 3 * 3, 112, 0, 0.3);
    [Shape(1, "K2")] public Matrix<double> Conv2Bias = Matrix<double>.RandomNormal(1, 6, 113, 0.1, 0.1);
    [Shape(24, "Classes")] public Matrix<double> W = Matrix<double>.RandomNormal(24, 3, 114, 0, 0.3);
    [Shape(1, "Classes")] public Matrix<double> B = Matrix<double>.RandomNormal(1, 3, 115);
    public ImageShape Image = new(1, 8, 8);
    public ImageShape Features1 = new(4, 8, 8);
    public ImageShape Pooled1 = new(4, 4, 4);
    public ImageShape Features2 = new(6, 4, 4);

    [Forward]
    public double Loss(Matrix<double> x, [Shape("N")] int[] labels)
    {
        var h1 = Ops.MaxPool2d(Ops.Relu(Ops.Conv2d(x, Conv1, Conv1Bias, Image, 3, 1, 1)), Features1, 2, 2);
        var h2 = Ops.MaxPool2d(Ops.Relu(Ops.Conv2d(h1, Conv2, Conv2Bias, Pooled1, 3, 1, 1)), Features2, 2, 2);
        return Losses.SoftmaxCrossEntropy(h2 * W + B, labels);
    }
}
