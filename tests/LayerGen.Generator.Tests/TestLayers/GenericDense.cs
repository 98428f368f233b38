using System.Numerics;
using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>The ReLU layer written once for <c>float</c> and <c>double</c> (generic math).</summary>
public partial class Dense<TElement> where TElement : unmanaged, IFloatingPointIeee754<TElement>
{
    [Shape("D", "C")] public Matrix<TElement> W;
    [Shape(1, "C")] public Matrix<TElement> B;

    public Dense(int inputs, int outputs, int seed)
    {
        W = Matrix<TElement>.He(inputs, outputs, seed);
        B = Matrix<TElement>.RandomUniform(1, outputs, seed + 1, -0.1, 0.1);
    }

    [Forward]
    [return: Shape("N", "C")]
    public Matrix<TElement> Forward([Shape("N", "D")] Matrix<TElement> x) => Ops.Relu(x * W + B);
}
