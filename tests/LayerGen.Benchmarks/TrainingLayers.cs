using LayerGen;

namespace LayerGen.Benchmarks;

// The layers the training benchmarks time, as a user writes them; LayerGen generates their backward passes.

/// <summary>y = relu(x·W + B).</summary>
public partial class BenchDense
{
    [Shape("D", "C")] public Matrix<float> W;
    [Shape(1, "C")] public Matrix<float> B;

    public BenchDense(int inputs, int outputs, int seed)
    {
        W = Matrix<float>.He(inputs, outputs, seed);
        B = Matrix<float>.Filled(1, outputs, 0.01f);
    }

    [Forward]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
}

/// <summary>z = x·W + B (the output layer: logits).</summary>
public partial class BenchLinear
{
    [Shape("D", "C")] public Matrix<float> W;
    [Shape(1, "C")] public Matrix<float> B;

    public BenchLinear(int inputs, int outputs, int seed)
    {
        W = Matrix<float>.XavierNormal(inputs, outputs, seed);
        B = new Matrix<float>(1, outputs);
    }

    [Forward]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x * W + B;
}

/// <summary>The 784-256-128-10 MNIST-shaped MLP: two ReLU layers, linear logits, softmax cross-entropy.</summary>
public partial class BenchMlp
{
    public BenchDense Hidden1, Hidden2;
    public BenchLinear Output;

    public BenchMlp(int seed)
    {
        Hidden1 = new BenchDense(784, 256, seed);
        Hidden2 = new BenchDense(256, 128, seed + 1);
        Output = new BenchLinear(128, 10, seed + 2);
    }

    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels)
        => Losses.SoftmaxCrossEntropy(Output.Forward(Hidden2.Forward(Hidden1.Forward(x))), labels);
}
