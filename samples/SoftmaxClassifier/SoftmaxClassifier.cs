using LayerGen;

namespace SoftmaxClassifierSample;

/// <summary>The seed article's model: a linear map to class scores, softmax cross-entropy and an L2 penalty.</summary>
public partial class SoftmaxClassifier
{
    [Shape("D", "C")] public Matrix<double> W;
    [Shape(1, "C")] public Matrix<double> B;

    /// <summary>λ, the L2 strength (a scalar field: a constant of the loss, not a parameter).</summary>
    [NoGrad] public double Lambda;

    public SoftmaxClassifier(int features, int classes, double lambda)
    {
        W = Matrix<double>.RandomNormal(features, classes, seed: 1, mean: 0, standardDeviation: 0.01);
        B = new Matrix<double>(1, classes);
        Lambda = lambda;
    }

    [Forward]
    public double Loss([NoGrad, Shape("N", "D")] Matrix<double> x, int[] labels)
        => Losses.SoftmaxCrossEntropy(x * W + B, labels) + 0.5 * Lambda * Ops.SumOfSquares(W);

    /// <summary>The fraction of rows whose highest score is the label.</summary>
    public double Accuracy(Matrix<double> x, int[] labels)
    {
        var scores = x * W + B;
        int correct = 0;
        for (int r = 0; r < scores.Rows; r++)
        {
            int best = 0;
            for (int c = 1; c < scores.Cols; c++)
                if (scores[r, c] > scores[r, best])
                    best = c;
            if (best == labels[r])
                correct++;
        }
        return (double)correct / scores.Rows;
    }
}

/// <summary>Gaussian blobs: one centre per class, unit-variance points around it, seeded.</summary>
public static class Blobs
{
    public static (Matrix<double> X, int[] Labels) Generate(int perClass, int features, int classes, int seed)
    {
        var centres = Matrix<double>.RandomNormal(classes, features, seed, 0, 2.5);
        var noise = Matrix<double>.RandomNormal(perClass * classes, features, seed + 1);
        var x = new Matrix<double>(perClass * classes, features);
        var labels = new int[perClass * classes];
        for (int row = 0; row < x.Rows; row++)
        {
            int k = row % classes;
            labels[row] = k;
            for (int f = 0; f < features; f++)
                x[row, f] = centres[k, f] + noise[row, f];
        }
        return (x, labels);
    }
}
