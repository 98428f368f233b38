using LayerGen;

namespace LayerGen.Benchmarks;

/// <summary>A tanh RNN over T steps, the loss Σₜ ⟨hₜ, yₜ⟩ (the same as torch/rnn_bench.py).</summary>
public partial class BenchRnn
{
    public Matrix<float> Wx, Wh, B;

    public BenchRnn(int inputs, int hidden, int seed)
    {
        Wx = Matrix<float>.XavierNormal(inputs, hidden, seed);
        Wh = Matrix<float>.XavierNormal(hidden, hidden, seed + 1);
        B = Matrix<float>.Zeros(1, hidden);
    }

    [Forward]
    public float Loss([NoGrad] IReadOnlyList<Matrix<float>> xs, [NoGrad] IReadOnlyList<Matrix<float>> ys, [NoGrad] Matrix<float> h0)
    {
        var h = h0;
        float loss = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            h = Ops.Tanh(xs[t] * Wx + h * Wh + B);
            loss += Ops.Dot(h, ys[t]);
        }
        return loss;
    }
}

/// <summary>An LSTM over T steps (gates i, f, g, o from one product each), the loss Σₜ ⟨hₜ, yₜ⟩.</summary>
public partial class BenchLstm
{
    public Matrix<float> Wx, Wh, B;
    [Shape("H")] public int Hidden;

    public BenchLstm(int inputs, int hidden, int seed)
    {
        Hidden = hidden;
        Wx = Matrix<float>.XavierNormal(inputs, 4 * hidden, seed);
        Wh = Matrix<float>.XavierNormal(hidden, 4 * hidden, seed + 1);
        B = Matrix<float>.Zeros(1, 4 * hidden);
    }

    [Forward]
    public float Loss([NoGrad] IReadOnlyList<Matrix<float>> xs, [NoGrad] IReadOnlyList<Matrix<float>> ys, [NoGrad] Matrix<float> h0, [NoGrad] Matrix<float> c0)
    {
        var h = h0;
        var c = c0;
        float loss = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            var z = xs[t] * Wx + h * Wh + B;
            var i = Ops.Sigmoid(Ops.SliceColumns(z, 0, Hidden));
            var f = Ops.Sigmoid(Ops.SliceColumns(z, Hidden, Hidden));
            var g = Ops.Tanh(Ops.SliceColumns(z, 2 * Hidden, Hidden));
            var o = Ops.Sigmoid(Ops.SliceColumns(z, 3 * Hidden, Hidden));
            c = Ops.Mul(f, c) + Ops.Mul(i, g);
            h = Ops.Mul(o, Ops.Tanh(c));
            loss += Ops.Dot(h, ys[t]);
        }
        return loss;
    }
}
