using BenchmarkDotNet.Attributes;

namespace LayerGen.Benchmarks;

/// <summary>
/// Recurrent training steps with generated backpropagation through time (issue 8 targets): a tanh RNN at T = 32,
/// batch 32, D = H = 256 and an LSTM at T = 32, batch 32, D = H = 128, float. <c>TrainingForward</c> alone,
/// <c>TrainingForward + Backward</c>, and the whole step with SGD; PyTorch's same Python loop under autograd is
/// <c>torch/rnn_bench.py</c>, run in the same session.
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*RecurrentBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class RecurrentBenchmarks
{
    private const int Steps = 32, Batch = 32;
    private BenchRnn _rnn = null!;
    private BenchRnn.LossTape _rnnTape = null!;
    private BenchRnn.Gradients _rnnGradients = null!;
    private IReadOnlyList<Parameter<float>> _rnnParameters = null!;
    private BenchLstm _lstm = null!;
    private BenchLstm.LossTape _lstmTape = null!;
    private BenchLstm.Gradients _lstmGradients = null!;
    private IReadOnlyList<Parameter<float>> _lstmParameters = null!;
    private List<Matrix<float>> _rnnXs = null!, _rnnYs = null!, _lstmXs = null!, _lstmYs = null!;
    private Matrix<float> _rnnH0 = null!, _lstmH0 = null!, _lstmC0 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rnn = new BenchRnn(256, 256, 1);
        _rnnTape = new BenchRnn.LossTape();
        _rnnGradients = new BenchRnn.Gradients(_rnn);
        _rnnParameters = _rnn.Parameters(_rnnGradients);
        _rnnXs = [.. Enumerable.Range(0, Steps).Select(t => Matrix<float>.RandomNormal(Batch, 256, 10 + t))];
        _rnnYs = [.. Enumerable.Range(0, Steps).Select(t => Matrix<float>.RandomNormal(Batch, 256, 100 + t, 0, 0.01f))];
        _rnnH0 = Matrix<float>.Zeros(Batch, 256);
        _lstm = new BenchLstm(128, 128, 2);
        _lstmTape = new BenchLstm.LossTape();
        _lstmGradients = new BenchLstm.Gradients(_lstm);
        _lstmParameters = _lstm.Parameters(_lstmGradients);
        _lstmXs = [.. Enumerable.Range(0, Steps).Select(t => Matrix<float>.RandomNormal(Batch, 128, 200 + t))];
        _lstmYs = [.. Enumerable.Range(0, Steps).Select(t => Matrix<float>.RandomNormal(Batch, 128, 300 + t, 0, 0.01f))];
        _lstmH0 = Matrix<float>.Zeros(Batch, 128);
        _lstmC0 = Matrix<float>.Zeros(Batch, 128);
        RnnStep();
        LstmStep();
    }

    /// <summary>RNN: the training forward alone (records the tape).</summary>
    [Benchmark]
    public float RnnForward() => _rnn.Loss(_rnnXs, _rnnYs, _rnnH0, _rnnTape);

    /// <summary>RNN: training forward + backward through time.</summary>
    [Benchmark]
    public float RnnForwardBackward()
    {
        float loss = _rnn.Loss(_rnnXs, _rnnYs, _rnnH0, _rnnTape);
        _rnn.LossBackward(_rnnTape, _rnnGradients);
        return loss;
    }

    /// <summary>RNN: a whole training step (zero the gradients, forward, backward, SGD).</summary>
    [Benchmark(Baseline = true)]
    public float RnnStep()
    {
        _rnnGradients.Clear();
        float loss = _rnn.Loss(_rnnXs, _rnnYs, _rnnH0, _rnnTape);
        _rnn.LossBackward(_rnnTape, _rnnGradients);
        MlpTrainingBenchmarks.Sgd(_rnnParameters, 0.01f);
        return loss;
    }

    /// <summary>LSTM: the training forward alone.</summary>
    [Benchmark]
    public float LstmForward() => _lstm.Loss(_lstmXs, _lstmYs, _lstmH0, _lstmC0, _lstmTape);

    /// <summary>LSTM: a whole training step.</summary>
    [Benchmark]
    public float LstmStep()
    {
        _lstmGradients.Clear();
        float loss = _lstm.Loss(_lstmXs, _lstmYs, _lstmH0, _lstmC0, _lstmTape);
        _lstm.LossBackward(_lstmTape, _lstmGradients);
        MlpTrainingBenchmarks.Sgd(_lstmParameters, 0.01f);
        return loss;
    }
}
