using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>The seed article's linear softmax classifier with an L2 penalty: L = CE(softmax(xW + B), t) + ½λΣW².</summary>
public partial class SoftmaxClassifier
{
    [Shape("D", "C")] public Matrix<double> W;
    [Shape(1, "C")] public Matrix<double> B;

    /// <summary>The L2 strength λ: a scalar field, so a constant, not a parameter.</summary>
    [NoGrad] public double Lambda;

    public SoftmaxClassifier(int inputs, int classes, double lambda, int seed)
    {
        W = Matrix<double>.RandomNormal(inputs, classes, seed, 0, 0.5);
        B = Matrix<double>.RandomNormal(1, classes, seed + 1, 0, 0.1);
        Lambda = lambda;
    }

    [Forward]
    public double Loss([Shape("N", "D")] Matrix<double> x, int[] labels)
        => Losses.SoftmaxCrossEntropy(x * W + B, labels) + 0.5 * Lambda * Ops.SumOfSquares(W);
}
