using System;
using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>Single-head scaled dot-product self-attention with query/key/value projections.</summary>
public partial class Attention
{
    [Shape("D", "K")] public Matrix<double> Wq, Wk;
    [Shape("D", "V")] public Matrix<double> Wv;

    /// <summary>1/√K: a scalar field, a constant.</summary>
    [NoGrad] public double Scale;

    public Attention(int model, int keys, int values, int seed)
    {
        Wq = Matrix<double>.XavierNormal(model, keys, seed);
        Wk = Matrix<double>.XavierNormal(model, keys, seed + 1);
        Wv = Matrix<double>.XavierNormal(model, values, seed + 2);
        Scale = 1.0 / Math.Sqrt(keys);
    }

    [Forward]
    [return: Shape("N", "V")]
    public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x)
    {
        var q = x * Wq;
        var k = x * Wk;
        var v = x * Wv;
        return Ops.Softmax(q * k.T * Scale) * v;
    }
}
