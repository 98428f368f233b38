using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace LayerGen.Benchmarks;

/// <summary>
/// A Dense ReLU layer's training forward + backward: the generated code (baseline) against the same computation
/// written by hand with the same runtime kernels, so the difference is what the generator adds or saves.
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*DenseTrainingBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class DenseTrainingBenchmarks
{
    private BenchDense _layer = null!;
    private BenchDense.Tape _tape = null!;
    private BenchDense.Gradients _gradients = null!;
    private Matrix<float> _x = null!, _dy = null!;
    private Matrix<float> _z = null!, _y = null!, _dz = null!, _dx = null!;

    /// <summary>(N, D, C): batch, inputs, outputs.</summary>
    [Params("1,16,16", "32,128,128", "64,512,512", "256,1024,1024")]
    public string Shape { get; set; } = "1,16,16";

    [GlobalSetup]
    public void Setup()
    {
        int[] s = [.. Shape.Split(',').Select(int.Parse)];
        (int n, int d, int c) = (s[0], s[1], s[2]);
        _layer = new BenchDense(d, c, 1);
        _tape = new BenchDense.Tape();
        _gradients = new BenchDense.Gradients(_layer);
        _x = Matrix<float>.RandomNormal(n, d, 2);
        _dy = Matrix<float>.RandomNormal(n, c, 3);
        _z = new Matrix<float>(n, c);
        _y = new Matrix<float>(n, c);
        _dz = new Matrix<float>(n, c);
        _dx = new Matrix<float>(n, d);
        Generated();
        HandWritten();
    }

    /// <summary>The generated training forward and backward.</summary>
    [Benchmark(Baseline = true)]
    public Matrix<float> Generated()
    {
        _layer.Forward(_x, _tape);
        return _layer.Backward(_tape, _dy, _gradients);
    }

    /// <summary>What an expert writes by hand with the same kernels: z = x·W + B; y = relu(z); dz = dy ⊙ [z > 0]; dB += Σ dz; dW += xᵀ·dz; dx = dz·Wᵀ.</summary>
    [Benchmark]
    public Matrix<float> HandWritten()
    {
        Ops.MatMul(_x, _layer.W, _z);
        Ops.Add(_z, _layer.B, _z);
        Ops.Relu(_z, _y);
        Ops.ReluBackward(_z, _dy, _dz);
        Ops.SumToShape(_dz, _gradients.B, accumulate: true);
        Ops.MatMul(_x, _dz, _gradients.W, transposeA: true, accumulate: true);
        Ops.MatMul(_dz, _layer.W, _dx, transposeB: true);
        return _dx;
    }
}

/// <summary>
/// One SGD training step of the 784-256-128-10 MLP at batch 64: generated forward/backward against a hand-written
/// step with the same kernels; both update with the same SGD kernel.
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*MlpTrainingBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class MlpTrainingBenchmarks
{
    private const int Batch = 64;
    private const float LearningRate = 0.01f;
    private BenchMlp _model = null!;
    private BenchMlp.LossTape _tape = null!;
    private BenchMlp.Gradients _gradients = null!;
    private IReadOnlyList<Parameter<float>> _parameters = null!;
    private Matrix<float> _x = null!;
    private int[] _labels = [];
    private HandWrittenMlp _hand = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = new BenchMlp(1);
        _tape = new BenchMlp.LossTape();
        _gradients = new BenchMlp.Gradients(_model);
        _parameters = _model.Parameters(_gradients);
        _x = Matrix<float>.RandomNormal(Batch, 784, 2);
        _labels = [.. Enumerable.Range(0, Batch).Select(i => i % 10)];
        _hand = new HandWrittenMlp(new BenchMlp(1), Batch);
        Generated();
        HandWritten();
    }

    [Benchmark(Baseline = true)]
    public float Generated()
    {
        _gradients.Clear();
        float loss = _model.Loss(_x, _labels, _tape);
        _model.LossBackward(_tape, _gradients);
        Sgd(_parameters, LearningRate);
        return loss;
    }

    [Benchmark]
    public float HandWritten() => _hand.Step(_x, _labels, LearningRate);

    /// <summary>value −= lr · gradient, one fused TensorPrimitives pass per parameter.</summary>
    internal static void Sgd(IReadOnlyList<Parameter<float>> parameters, float learningRate)
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            TensorPrimitives.MultiplyAdd(p.Gradient.AsReadOnlySpan(), -learningRate, p.Value.AsReadOnlySpan(), p.Value.AsSpan());
        }
    }

    /// <summary>The MLP step written by hand with the runtime kernels and preallocated buffers.</summary>
    private sealed class HandWrittenMlp(BenchMlp model, int batch)
    {
        private readonly Matrix<float> _z1 = new(batch, 256), _h1 = new(batch, 256), _z2 = new(batch, 128), _h2 = new(batch, 128);
        private readonly Matrix<float> _logits = new(batch, 10), _p = new(batch, 10), _dLogits = new(batch, 10);
        private readonly Matrix<float> _dh2 = new(batch, 128), _dz2 = new(batch, 128), _dh1 = new(batch, 256), _dz1 = new(batch, 256);
        private readonly Matrix<float> _dW1 = new(784, 256), _dB1 = new(1, 256), _dW2 = new(256, 128), _dB2 = new(1, 128), _dW3 = new(128, 10), _dB3 = new(1, 10);

        public float Step(Matrix<float> x, int[] labels, float learningRate)
        {
            var (l1, l2, l3) = (model.Hidden1, model.Hidden2, model.Output);
            Ops.MatMul(x, l1.W, _z1); Ops.Add(_z1, l1.B, _z1); Ops.Relu(_z1, _h1);
            Ops.MatMul(_h1, l2.W, _z2); Ops.Add(_z2, l2.B, _z2); Ops.Relu(_z2, _h2);
            Ops.MatMul(_h2, l3.W, _logits); Ops.Add(_logits, l3.B, _logits);
            float loss = Losses.SoftmaxCrossEntropy(_logits, labels, _p);

            Losses.SoftmaxCrossEntropyBackward(_p, labels, 1f, _dLogits);
            Ops.SumToShape(_dLogits, _dB3);
            Ops.MatMul(_h2, _dLogits, _dW3, transposeA: true);
            Ops.MatMul(_dLogits, l3.W, _dh2, transposeB: true);
            Ops.ReluBackward(_z2, _dh2, _dz2);
            Ops.SumToShape(_dz2, _dB2);
            Ops.MatMul(_h1, _dz2, _dW2, transposeA: true);
            Ops.MatMul(_dz2, l2.W, _dh1, transposeB: true);
            Ops.ReluBackward(_z1, _dh1, _dz1);
            Ops.SumToShape(_dz1, _dB1);
            Ops.MatMul(x, _dz1, _dW1, transposeA: true);

            Update(l1.W, _dW1, learningRate); Update(l1.B, _dB1, learningRate);
            Update(l2.W, _dW2, learningRate); Update(l2.B, _dB2, learningRate);
            Update(l3.W, _dW3, learningRate); Update(l3.B, _dB3, learningRate);
            return loss;
        }

        private static void Update(Matrix<float> value, Matrix<float> gradient, float learningRate) =>
            TensorPrimitives.MultiplyAdd(gradient.AsReadOnlySpan(), -learningRate, value.AsReadOnlySpan(), value.AsSpan());
    }
}
