using System.Numerics;

namespace LayerGen.Samples;

/// <summary>A classification data set: one row of features per example and its class label.</summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <param name="Features">N×D features, one example per row.</param>
/// <param name="Labels">N class labels in [0, <paramref name="Classes"/>).</param>
/// <param name="Classes">The number of classes.</param>
public sealed record LabeledData<T>(Matrix<T> Features, int[] Labels, int Classes)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The number of examples.</summary>
    public int Count => Labels.Length;
}

/// <summary>
/// The spiral data set of Stanford's CS231n notes: <c>classes</c> interleaved 2-D spiral arms, one class per
/// arm. Not linearly separable (a linear softmax classifier reaches about 50 % on 3 arms), so it shows that a
/// hidden layer and its backward pass work.
/// </summary>
public static class Spiral
{
    /// <summary>
    /// Generates the data set reproducibly: for class j and i = 0 … n−1, radius r = i/(n−1) and angle
    /// θ = 4·(j + r) + noise·𝒩(0, 1); the point is (r·sin θ, r·cos θ).
    /// </summary>
    /// <param name="pointsPerClass">Examples per class (n), ≥ 2.</param>
    /// <param name="classes">Number of arms, ≥ 2.</param>
    /// <param name="noise">Standard deviation of the angle noise (0.2 in CS231n), ≥ 0.</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <returns>N = pointsPerClass·classes rows of 2 features, ordered class by class.</returns>
    public static LabeledData<T> Generate<T>(int pointsPerClass = 100, int classes = 3, double noise = 0.2, int seed = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pointsPerClass, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(noise);
        var random = new Random(seed);
        var features = new Matrix<T>(pointsPerClass * classes, 2);
        var labels = new int[pointsPerClass * classes];
        for (int j = 0; j < classes; j++)
        {
            for (int i = 0; i < pointsPerClass; i++)
            {
                int row = j * pointsPerClass + i;
                double radius = i / (double)(pointsPerClass - 1);
                double angle = 4.0 * (j + radius) + noise * NextGaussian(random);
                features[row, 0] = T.CreateChecked(radius * Math.Sin(angle));
                features[row, 1] = T.CreateChecked(radius * Math.Cos(angle));
                labels[row] = j;
            }
        }
        return new LabeledData<T>(features, labels, classes);
    }

    private static double NextGaussian(Random random)
    {
        // Box–Muller; 1 − NextDouble() is in (0, 1], so the logarithm is finite.
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

/// <summary>Evaluation helpers for the samples.</summary>
public static class Metrics
{
    /// <summary>
    /// The fraction of rows whose largest score (logit or probability) is in the column of the row's label.
    /// Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The label count differs from the number of rows.</exception>
    public static double Accuracy<T>(Matrix<T> scores, int[] labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != scores.Rows)
            throw new ArgumentException($"Accuracy: {labels.Length} labels for {scores.ShapeString} scores.", nameof(labels));
        if (scores.Rows == 0)
            return 0;
        int correct = 0;
        for (int r = 0; r < scores.Rows; r++)
        {
            var row = scores.Row(r);
            int best = 0;
            for (int c = 1; c < row.Length; c++)
                if (row[c] > row[best])
                    best = c;
            if (best == labels[r])
                correct++;
        }
        return correct / (double)scores.Rows;
    }
}
