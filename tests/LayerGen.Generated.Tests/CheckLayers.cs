using LayerGen;

namespace LayerGen.Generated.Tests;

// Layers for RuntimeCheckTests and AnomalyTests. The anomaly messages name these lines: keep them where they are
// (or update the line numbers in AnomalyTests).

/// <summary>y = log(x)·W: a NaN or a negative input turns non-finite at the log.</summary>
public partial class LogLayer
{
    public Matrix<double> W = Matrix<double>.RandomNormal(4, 2, 71);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x)
    {
        var y = Ops.Log(x);
        return y * W;
    }
}

/// <summary>y = √(x·W): finite forward at x·W = 0, but its backward divides by 2√0.</summary>
public partial class SqrtLayer
{
    public Matrix<double> W = Matrix<double>.RandomNormal(3, 2, 72);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x) => Ops.Sqrt(x * W);
}
