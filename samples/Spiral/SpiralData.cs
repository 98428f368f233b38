using LayerGen;

namespace Spiral;

/// <summary>The 3-arm spiral of the CS231n notes: class k's points lie on an arm r ↦ (r·sin t, r·cos t), t ≈ 4k + 4r.</summary>
public static class SpiralData
{
    /// <summary><paramref name="pointsPerClass"/> points per arm with Gaussian angle noise (σ = 0.2), seeded.</summary>
    public static (Matrix<float> X, int[] Labels) Generate(int pointsPerClass, int classes, int seed)
    {
        var random = new Random(seed);
        var x = new Matrix<float>(pointsPerClass * classes, 2);
        var labels = new int[pointsPerClass * classes];
        for (int k = 0; k < classes; k++)
            for (int i = 0; i < pointsPerClass; i++)
            {
                int row = k * pointsPerClass + i;
                double radius = (double)i / (pointsPerClass - 1);
                double angle = k * 4.0 + 4.0 * radius + 0.2 * Gaussian(random);
                x[row, 0] = (float)(radius * Math.Sin(angle));
                x[row, 1] = (float)(radius * Math.Cos(angle));
                labels[row] = k;
            }
        return (x, labels);
    }

    // Box–Muller.
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
