using System.Collections.Generic;
using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>A character-level RNN language model: a loop over time with a carried hidden state and a summed loss.</summary>
public partial class CharRnn
{
    [Shape("V", "H")] public Matrix<float> Embed;
    [Shape("H", "H")] public Matrix<float> Wh;
    [Shape(1, "H")] public Matrix<float> B;
    [Shape("H", "V")] public Matrix<float> Why;

    public CharRnn(int vocabulary, int hidden, int seed)
    {
        Embed = Matrix<float>.RandomNormal(vocabulary, hidden, seed, 0, 0.1f);
        Wh = Matrix<float>.XavierNormal(hidden, hidden, seed + 1);
        B = Matrix<float>.Zeros(1, hidden);
        Why = Matrix<float>.XavierNormal(hidden, vocabulary, seed + 2);
    }

    [Forward]
    public float Loss([Shape("N")] IReadOnlyList<int[]> inputs, [Shape("N")] IReadOnlyList<int[]> targets, [NoGrad, Shape("N", "H")] Matrix<float> h0)
    {
        var h = h0;
        float loss = 0;
        for (int t = 0; t < inputs.Count; t++)
        {
            h = Ops.Tanh(Ops.Embedding(Embed, inputs[t]) + h * Wh + B);
            loss += Losses.SoftmaxCrossEntropy(h * Why, targets[t]);
        }
        return loss / inputs.Count;
    }
}

/// <summary>An LSTM encoder over a differentiable sequence: two carried matrices, the last hidden state returned.</summary>
public partial class LstmEncoder
{
    [Shape("D", "G")] public Matrix<double> Wx;
    [Shape("H", "G")] public Matrix<double> Wh;
    [Shape(1, "G")] public Matrix<double> B;
    [Shape("H")] public int Hidden;

    public LstmEncoder(int inputs, int hidden, int seed)
    {
        Hidden = hidden;
        Wx = Matrix<double>.XavierNormal(inputs, 4 * hidden, seed);
        Wh = Matrix<double>.XavierNormal(hidden, 4 * hidden, seed + 1);
        B = Matrix<double>.Zeros(1, 4 * hidden);
    }

    [Forward]
    public Matrix<double> Forward([Shape("N", "D")] IReadOnlyList<Matrix<double>> xs, [Shape("N", "H")] Matrix<double> h0, [Shape("N", "H")] Matrix<double> c0)
    {
        var h = h0;
        var c = c0;
        for (int t = 0; t < xs.Count; t++)
        {
            var z = xs[t] * Wx + h * Wh + B;
            var i = Ops.Sigmoid(Ops.SliceColumns(z, 0, Hidden));
            var f = Ops.Sigmoid(Ops.SliceColumns(z, Hidden, Hidden));
            var g = Ops.Tanh(Ops.SliceColumns(z, 2 * Hidden, Hidden));
            var o = Ops.Sigmoid(Ops.SliceColumns(z, 3 * Hidden, Hidden));
            c = Ops.Mul(f, c) + Ops.Mul(i, g);
            h = Ops.Mul(o, Ops.Tanh(c));
        }
        return h;
    }
}
