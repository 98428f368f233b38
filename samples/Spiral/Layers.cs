using LayerGen;

namespace SpiralSample;

// The two layers of DESIGN.md §2, as a user writes them. LayerGen generates, into these partial classes,
// Dense.Tape / Dense.Backward / Dense.Gradients and Mlp.LossTape / Mlp.LossBackward / Mlp.Gradients.

public partial class Dense
{
    [Shape("D", "C")] public Matrix<float> W;   // trainable parameter
    [Shape(1, "C")] public Matrix<float> B;     // trainable parameter, broadcast over rows

    public Dense(int inputs, int outputs, int seed)
    {
        W = Matrix<float>.He(inputs, outputs, seed);
        // A small positive bias keeps every ReLU unit alive at the start (the output layer is a ReLU too).
        B = Matrix<float>.Filled(1, outputs, 0.1f);
    }

    [Forward]
    [return: Shape("N", "C")]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
}

public partial class Mlp
{
    public Dense Hidden, Output;                  // sublayers: fields whose type has a [Forward] method

    public Mlp(int inputs, int hidden, int classes, int seed)
    {
        Hidden = new Dense(inputs, hidden, seed);
        Output = new Dense(hidden, classes, seed + 1);
    }

    /// <summary>The class scores (no loss): what prediction uses.</summary>
    public Matrix<float> Scores(Matrix<float> x) => Output.Forward(Hidden.Forward(x));

    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels)
        => Losses.SoftmaxCrossEntropy(Output.Forward(Hidden.Forward(x)), labels);
}
