using System.Collections.Generic;
using LayerGen;

namespace LayerGen.TestLayers;

/// <summary>A residual block: x + relu(x·W + B).</summary>
public partial class ResidualBlock
{
    [Shape("D", "D")] public Matrix<float> W;
    [Shape(1, "D")] public Matrix<float> B;

    public ResidualBlock(int width, int seed)
    {
        W = Matrix<float>.XavierNormal(width, width, seed);
        B = Matrix<float>.Zeros(1, width);
    }

    [Forward]
    [return: Shape("N", "D")]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x + Ops.Relu(x * W + B);
}

/// <summary>
/// A stack of blocks held in an array and looped over: gradients.Blocks[i] mirrors it, parameter names read
/// Blocks[0].W, and the backward walks the blocks from the last to the first.
/// </summary>
public partial class BlockStack
{
    public ResidualBlock[] Blocks;
    [Shape("D", "C")] public Matrix<float> Head;

    public BlockStack(int depth, int width, int classes, int seed)
    {
        Blocks = new ResidualBlock[depth];
        for (int i = 0; i < depth; i++)
            Blocks[i] = new ResidualBlock(width, seed + i);
        Head = Matrix<float>.XavierNormal(width, classes, seed + depth);
    }

    [Forward]
    public float Loss([NoGrad, Shape("N", "D")] Matrix<float> x, [Shape("N")] int[] labels)
    {
        var h = x;
        foreach (var block in Blocks)
            h = block.Forward(h);
        return Losses.SoftmaxCrossEntropy(h * Head, labels);
    }
}
