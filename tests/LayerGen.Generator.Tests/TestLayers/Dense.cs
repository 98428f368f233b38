using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>The fully connected ReLU layer of DESIGN.md §2, in <c>float</c>.</summary>
public partial class Dense
{
    [Shape("D", "C")] public Matrix<float> W;
    [Shape(1, "C")] public Matrix<float> B;

    public Dense(int inputs, int outputs, int seed)
    {
        W = Matrix<float>.He(inputs, outputs, seed);
        B = Matrix<float>.RandomUniform(1, outputs, seed + 1, -0.1, 0.1);
    }

    [Forward]
    [return: Shape("N", "C")]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
}
