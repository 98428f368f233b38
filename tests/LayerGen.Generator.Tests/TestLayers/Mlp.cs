using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>An affine layer without activation, used as the sublayer of <see cref="Mlp"/>.</summary>
public partial class Linear
{
    [Shape("D", "C")] public Matrix<double> W;
    [Shape(1, "C")] public Matrix<double> B;

    public Linear(int inputs, int outputs, int seed)
    {
        W = Matrix<double>.XavierNormal(inputs, outputs, seed);
        B = Matrix<double>.RandomNormal(1, outputs, seed + 1, 0, 0.1);
    }

    [Forward]
    public Matrix<double> Forward([Shape("N", "D")] Matrix<double> x) => x * W + B;
}

/// <summary>A two-hidden-layer perceptron of <see cref="Linear"/> sublayers ending in softmax cross-entropy.</summary>
public partial class Mlp
{
    public Linear Hidden1;
    public Linear Hidden2;
    public Linear Output;

    public Mlp(int inputs, int hidden1, int hidden2, int classes, int seed)
    {
        Hidden1 = new Linear(inputs, hidden1, seed);
        Hidden2 = new Linear(hidden1, hidden2, seed + 10);
        Output = new Linear(hidden2, classes, seed + 20);
    }

    [Forward]
    public double Loss([NoGrad] Matrix<double> x, int[] labels)
    {
        var h1 = Ops.Relu(Hidden1.Forward(x));
        var h2 = Ops.Tanh(Hidden2.Forward(h1));
        return Losses.SoftmaxCrossEntropy(Output.Forward(h2), labels);
    }
}
