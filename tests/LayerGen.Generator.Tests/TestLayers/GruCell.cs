using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>One GRU step from primitives: z, r gates, candidate, h' = (1 − z) ⊙ h + z ⊙ candidate.</summary>
public partial class GruCell
{
    [Shape("D", "H")] public Matrix<double> Wz, Wr, Wh;
    [Shape("H", "H")] public Matrix<double> Uz, Ur, Uh;
    [Shape(1, "H")] public Matrix<double> Bz, Br, Bh;

    /// <summary>The constant 1 as a 1×1 matrix (broadcast by Sub); not trainable.</summary>
    [NoGrad, Shape(1, 1)] public Matrix<double> One = Matrix<double>.Ones(1, 1);

    public GruCell(int inputs, int hidden, int seed)
    {
        Wz = Matrix<double>.XavierNormal(inputs, hidden, seed);
        Wr = Matrix<double>.XavierNormal(inputs, hidden, seed + 1);
        Wh = Matrix<double>.XavierNormal(inputs, hidden, seed + 2);
        Uz = Matrix<double>.XavierNormal(hidden, hidden, seed + 3);
        Ur = Matrix<double>.XavierNormal(hidden, hidden, seed + 4);
        Uh = Matrix<double>.XavierNormal(hidden, hidden, seed + 5);
        Bz = Matrix<double>.RandomNormal(1, hidden, seed + 6, 0, 0.1);
        Br = Matrix<double>.RandomNormal(1, hidden, seed + 7, 0, 0.1);
        Bh = Matrix<double>.RandomNormal(1, hidden, seed + 8, 0, 0.1);
    }

    [Forward]
    [return: Shape("N", "H")]
    public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x, [Shape("N", "H")] Matrix<double> h)
    {
        var z = Ops.Sigmoid(x * Wz + h * Uz + Bz);
        var r = Ops.Sigmoid(x * Wr + h * Ur + Br);
        var candidate = Ops.Tanh(x * Wh + Ops.Mul(r, h) * Uh + Bh);
        return Ops.Add(Ops.Mul(Ops.Sub(One, z), h), Ops.Mul(z, candidate));
    }
}
