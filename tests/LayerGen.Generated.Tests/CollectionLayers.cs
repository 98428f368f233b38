using System.Collections.Generic;
using LayerGen;

// Layers holding collections of sublayers (DESIGN.md §7): Block[] and List<Block>, looped over or indexed.
namespace LayerGen.Generated.Tests.CollectionLayers;

/// <summary>A residual block: x + tanh(x·W + B).</summary>
public partial class Block
{
    public Matrix<double> W;
    public Matrix<double> B;

    public Block(int width, int seed)
    {
        W = Matrix<double>.RandomNormal(width, width, seed, 0, 0.5);
        B = Matrix<double>.RandomNormal(1, width, seed + 1, 0, 0.5);
    }

    [Forward]
    public Matrix<double> Forward(Matrix<double> x) => x + Ops.Tanh(x * W + B);
}

/// <summary>A stack: foreach over an array of blocks, then a for loop over a list of them, then a readout.</summary>
public partial class Stack
{
    public Block[] Blocks = [new Block(3, 1), new Block(3, 3), new Block(3, 5)];
    public List<Block> More = [new Block(3, 7), new Block(3, 9)];
    public Matrix<double> Out = Matrix<double>.RandomNormal(3, 2, 11, 0, 0.5);

    [Forward]
    public Matrix<double> Forward(Matrix<double> x)
    {
        var h = x;
        foreach (var block in Blocks)
            h = block.Forward(h);
        for (int i = 0; i < More.Count; i++)
            h = More[i].Forward(h);
        return h * Out;
    }
}

/// <summary>Elements called by a constant index outside any loop, the first with a [NoGrad] input.</summary>
public partial class IndexedBlocks
{
    public Block[] Blocks = [new Block(3, 13), new Block(3, 15)];

    [Forward]
    public Matrix<double> Forward([NoGrad] Matrix<double> x) => Blocks[1].Forward(Blocks[0].Forward(x));
}

/// <summary>A float stack for the allocation test.</summary>
public partial class FloatBlock
{
    public Matrix<float> W;
    public Matrix<float> B;

    public FloatBlock(int width, int seed)
    {
        W = Matrix<float>.XavierNormal(width, width, seed);
        B = Matrix<float>.Zeros(1, width);
    }

    [Forward]
    public Matrix<float> Forward(Matrix<float> x) => x + Ops.Relu(x * W + B);
}

/// <summary>A float classifier over a stack of blocks.</summary>
public partial class FloatStack
{
    public FloatBlock[] Blocks = [new FloatBlock(8, 1), new FloatBlock(8, 2), new FloatBlock(8, 3), new FloatBlock(8, 4)];
    public Matrix<float> Out = Matrix<float>.XavierNormal(8, 4, 5);

    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels)
    {
        var h = x;
        foreach (var block in Blocks)
            h = block.Forward(h);
        return Losses.SoftmaxCrossEntropy(h * Out, labels);
    }
}
