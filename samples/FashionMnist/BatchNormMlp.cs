using LayerGen;

namespace FashionMnistSample;

/// <summary>
/// A fully connected layer with batch normalization and dropout (<c>--model bn</c>), written as a [Forward] pass only:
/// z = x·W; in training, z normalized by the batch's mean and variance, the running statistics updated as written (a
/// state update, never differentiated), then relu(γ ⊙ ẑ + β) with dropout; in evaluation, the running statistics and no
/// dropout. LayerGen generates both arms, records which ran and differentiates the path taken.
/// </summary>
public partial class BatchNormDense
{
    [Shape("D", "H")] public Matrix<float> W;
    [Shape(1, "H")] public Matrix<float> Gamma;
    [Shape(1, "H")] public Matrix<float> Beta;
    [NoGrad] public Matrix<float> RunningMean;   // state: updated in training, read in evaluation
    [NoGrad] public Matrix<float> RunningVar;
    public double DropoutProbability;
    public System.Random Rng;

    public BatchNormDense(int inputs, int outputs, double dropout, int seed)
    {
        W = Matrix<float>.He(inputs, outputs, seed);
        Gamma = Matrix<float>.Ones(1, outputs);
        Beta = Matrix<float>.Zeros(1, outputs);
        RunningMean = Matrix<float>.Zeros(1, outputs);
        RunningVar = Matrix<float>.Ones(1, outputs);
        DropoutProbability = dropout;
        Rng = new System.Random(seed);
    }

    [Forward]
    [return: Shape("N", "H")]
    public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, bool training)
    {
        var z = x * W;
        Matrix<float> normalized;
        if (training)
        {
            var mean = Ops.Mean(z, 0);
            var centered = z - mean;
            var variance = Ops.Mean(Ops.Mul(centered, centered), 0);
            normalized = Ops.Div(centered, Ops.Sqrt(Ops.Add(variance, 1e-5f)));
            RunningMean = RunningMean * 0.9f + mean * 0.1f;
            RunningVar = RunningVar * 0.9f + variance * 0.1f;
        }
        else
        {
            normalized = Ops.Div(z - RunningMean, Ops.Sqrt(Ops.Add(RunningVar, 1e-5f)));
        }
        var h = Ops.Relu(Ops.Mul(normalized, Gamma) + Beta);
        return training ? Ops.Dropout(h, DropoutProbability, Rng) : h;
    }
}

/// <summary>The 784-256-128-10 perceptron with batch norm and dropout in its hidden layers; its [Forward] is the loss.</summary>
public partial class FashionBatchNormMlp
{
    public BatchNormDense Hidden1, Hidden2;
    public Linear Output;

    public FashionBatchNormMlp(int seed)
    {
        Hidden1 = new BatchNormDense(784, 256, 0.2, seed);
        Hidden2 = new BatchNormDense(256, 128, 0.2, seed + 1);
        Output = new Linear(128, 10, seed + 2);
    }

    /// <summary>The class scores in evaluation mode (running statistics, no dropout).</summary>
    public Matrix<float> Scores(Matrix<float> x) => Output.Forward(Hidden2.Forward(Hidden1.Forward(x, false), false));

    [Forward]
    public float Loss([NoGrad] Matrix<float> x, int[] labels, bool training)
        => Losses.SoftmaxCrossEntropy(Output.Forward(Hidden2.Forward(Hidden1.Forward(x, training), training)), labels);
}
