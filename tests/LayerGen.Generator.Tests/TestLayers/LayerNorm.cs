using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>Layer normalization over each row, written from primitives: (x − mean) / √(var + ε) · γ + β.</summary>
public partial class LayerNorm
{
    [Shape(1, "D")] public Matrix<double> Gamma;
    [Shape(1, "D")] public Matrix<double> Beta;
    [NoGrad] public double Epsilon = 1e-5;

    public LayerNorm(int features, int seed)
    {
        Gamma = Matrix<double>.RandomUniform(1, features, seed, 0.5, 1.5);
        Beta = Matrix<double>.RandomNormal(1, features, seed + 1, 0, 0.1);
    }

    [Forward]
    public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x)
    {
        var mean = Ops.Mean(x, 1);
        var centered = Ops.Sub(x, mean);
        var variance = Ops.Mean(Ops.Square(centered), 1);
        var deviation = Ops.Sqrt(Ops.Add(variance, Epsilon));
        var normalized = Ops.Div(centered, deviation);
        return Ops.Add(Ops.Mul(normalized, Gamma), Beta);
    }
}
