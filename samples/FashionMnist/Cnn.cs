using LayerGen;

namespace FashionMnistSample;

/// <summary>
/// The CNN (<c>--model cnn</c>), written as a [Forward] pass only: conv 3×3 pad 1 (1 → 8 channels) → ReLU → 2×2 max pool
/// → conv 3×3 pad 1 (8 → 16) → ReLU → 2×2 max pool → linear (16·7·7 = 784 → 10). LayerGen generates the tape, the
/// backward pass (through Conv2dBackward and MaxPool2dBackward, writing into tape buffers), the gradients and
/// Parameters(gradients); a training step allocates nothing after the first.
/// </summary>
public partial class FashionCnn
{
    [Shape("K1", "C1KK")] public Matrix<float> Conv1;      // 8 filters of 1·3·3
    [Shape(1, "K1")] public Matrix<float> Conv1Bias;
    [Shape("K2", "C2KK")] public Matrix<float> Conv2;      // 16 filters of 8·3·3
    [Shape(1, "K2")] public Matrix<float> Conv2Bias;
    [Shape("F", "C")] public Matrix<float> W;              // 784 × 10
    [Shape(1, "C")] public Matrix<float> B;

    // Each image is one row in (channels, height, width) order, as PyTorch's NCHW.
    public ImageShape Image = new(1, 28, 28);
    public ImageShape Features1 = new(8, 28, 28);
    public ImageShape Pooled1 = new(8, 14, 14);
    public ImageShape Features2 = new(16, 14, 14);

    public FashionCnn(int seed)
    {
        Conv1 = Matrix<float>.He(1 * 3 * 3, 8, seed).T;   // [K, C·3·3], fan-in C·3·3
        Conv1Bias = new Matrix<float>(1, 8);
        Conv2 = Matrix<float>.He(8 * 3 * 3, 16, seed + 1).T;   // [K, C·3·3], fan-in C·3·3
        Conv2Bias = new Matrix<float>(1, 16);
        W = Matrix<float>.Xavier(16 * 7 * 7, 10, seed + 2);
        B = new Matrix<float>(1, 10);
    }

    /// <summary>The class scores, [N, 10]; called without a tape it is the plain forward evaluation uses.</summary>
    [Forward]
    public Matrix<float> Scores(Matrix<float> x)
    {
        var h1 = Ops.MaxPool2d(Ops.Relu(Ops.Conv2d(x, Conv1, Conv1Bias, Image, 3, 1, 1)), Features1, 2, 2);   // [N, 8·14·14]
        var h2 = Ops.MaxPool2d(Ops.Relu(Ops.Conv2d(h1, Conv2, Conv2Bias, Pooled1, 3, 1, 1)), Features2, 2, 2);  // [N, 16·7·7]
        return h2 * W + B;
    }

    /// <summary>The training loss: mean softmax cross-entropy of the scores.</summary>
    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels) => Losses.SoftmaxCrossEntropy(Scores(x), labels);
}
