using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>
/// A classifier with dropout in training and an early exit: branches on a flag (if, ?:, an early return), each arm
/// a region whose backward runs for the arm the forward took.
/// </summary>
public partial class DropoutClassifier
{
    [Shape("D", "H")] public Matrix<float> W1;
    [Shape(1, "H")] public Matrix<float> B1;
    [Shape("H", "C")] public Matrix<float> W2;
    public System.Random Rng;

    public DropoutClassifier(int inputs, int hidden, int classes, int seed)
    {
        W1 = Matrix<float>.He(inputs, hidden, seed);
        B1 = Matrix<float>.Zeros(1, hidden);
        W2 = Matrix<float>.XavierNormal(hidden, classes, seed + 1);
        Rng = new System.Random(seed);
    }

    [Forward]
    public float Loss([NoGrad, Shape("N", "D")] Matrix<float> x, [Shape("N")] int[] labels, bool training, bool linearOnly)
    {
        if (linearOnly)
            return Losses.SoftmaxCrossEntropy(x * W1 * W2, labels);
        var h = Ops.Relu(x * W1 + B1);
        h = training ? Ops.Dropout(h, 0.5, Rng) : h;
        return Losses.SoftmaxCrossEntropy(h * W2, labels);
    }
}
