using LayerGen;

namespace FashionMnistSample;

// The model, as a user writes it: LayerGen generates each [Forward]'s tape, backward pass, gradients and
// Parameters(gradients) into these partial classes (see obj/Release/net10.0/generated/).

/// <summary>A fully connected ReLU layer: relu(x·W + B).</summary>
public partial class Dense
{
    [Shape("D", "H")] public Matrix<float> W;   // trainable parameter
    [Shape(1, "H")] public Matrix<float> B;     // trainable parameter, broadcast over the batch's rows

    public Dense(int inputs, int outputs, int seed)
    {
        W = Matrix<float>.He(inputs, outputs, seed);
        B = new Matrix<float>(1, outputs);
    }

    [Forward]
    [return: Shape("N", "H")]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
}

/// <summary>An affine layer without activation: the class scores (logits).</summary>
public partial class Linear
{
    [Shape("D", "C")] public Matrix<float> W;
    [Shape(1, "C")] public Matrix<float> B;

    public Linear(int inputs, int outputs, int seed)
    {
        W = Matrix<float>.Xavier(inputs, outputs, seed);
        B = new Matrix<float>(1, outputs);
    }

    [Forward]
    [return: Shape("N", "C")]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x * W + B;
}

/// <summary>The 784-256-128-10 perceptron; its [Forward] is the training loss.</summary>
public partial class FashionMlp
{
    public Dense Hidden1, Hidden2;   // sublayers: fields whose type has a [Forward] method
    public Linear Output;

    public FashionMlp(int inputs, int hidden1, int hidden2, int classes, int seed)
    {
        Hidden1 = new Dense(inputs, hidden1, seed);
        Hidden2 = new Dense(hidden1, hidden2, seed + 1);
        Output = new Linear(hidden2, classes, seed + 2);
    }

    /// <summary>The class scores (no loss, no tape): what evaluation uses.</summary>
    public Matrix<float> Scores(Matrix<float> x) => Output.Forward(Hidden2.Forward(Hidden1.Forward(x)));

    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels)
        => Losses.SoftmaxCrossEntropy(Output.Forward(Hidden2.Forward(Hidden1.Forward(x))), labels);
}
