using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using LayerGen;

namespace LayerGen.Benchmarks;

/// <summary>
/// Overhead of the <see cref="Ops"/> destination forms over the bare <see cref="TensorPrimitives"/> call(s) that do
/// the same pass over memory, at 256×1024 float. Each category's baseline is the bare call, so the Ratio column is
/// Ops / TensorPrimitives (target ≤ 1.1). ReluBackward has no single TensorPrimitives call: its baseline is
/// <c>TensorPrimitives.Multiply(x, dy, dx)</c>, which moves the same bytes (two reads, one write).
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*Elementwise*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ElementwiseBenchmarks
{
    private const int Rows = 256, Cols = 1024;
    private Matrix<float> _a = null!, _b = null!, _bias = null!, _result = null!, _softmax = null!, _columnSums = null!;

    [GlobalSetup]
    public void Setup()
    {
        _a = Matrix<float>.RandomNormal(Rows, Cols, 1);
        _b = Matrix<float>.RandomNormal(Rows, Cols, 2);
        _bias = Matrix<float>.RandomNormal(1, Cols, 3);
        _result = new Matrix<float>(Rows, Cols);
        _softmax = Ops.Softmax(_a);
        _columnSums = new Matrix<float>(1, Cols);
    }

    [BenchmarkCategory("Add"), Benchmark(Baseline = true)]
    public void AddTensorPrimitives() => TensorPrimitives.Add(_a.AsReadOnlySpan(), _b.AsReadOnlySpan(), _result.AsSpan());

    [BenchmarkCategory("Add"), Benchmark]
    public void AddOps() => Ops.Add(_a, _b, _result);

    [BenchmarkCategory("AddRowBroadcast"), Benchmark(Baseline = true)]
    public void AddRowBroadcastTensorPrimitives()
    {
        ReadOnlySpan<float> a = _a.AsReadOnlySpan(), bias = _bias.AsReadOnlySpan();
        var d = _result.AsSpan();
        for (int r = 0; r < Rows; r++)
            TensorPrimitives.Add(a.Slice(r * Cols, Cols), bias, d.Slice(r * Cols, Cols));
    }

    [BenchmarkCategory("AddRowBroadcast"), Benchmark]
    public void AddRowBroadcastOps() => Ops.Add(_a, _bias, _result);

    [BenchmarkCategory("Relu"), Benchmark(Baseline = true)]
    public void ReluTensorPrimitives() => TensorPrimitives.Max(_a.AsReadOnlySpan(), 0f, _result.AsSpan());

    [BenchmarkCategory("Relu"), Benchmark]
    public void ReluOps() => Ops.Relu(_a, _result);

    [BenchmarkCategory("Sigmoid"), Benchmark(Baseline = true)]
    public void SigmoidTensorPrimitives() => TensorPrimitives.Sigmoid(_a.AsReadOnlySpan(), _result.AsSpan());

    [BenchmarkCategory("Sigmoid"), Benchmark]
    public void SigmoidOps() => Ops.Sigmoid(_a, _result);

    [BenchmarkCategory("ReluBackward"), Benchmark(Baseline = true)]
    public void ReluBackwardTensorPrimitivesMultiply() => TensorPrimitives.Multiply(_a.AsReadOnlySpan(), _b.AsReadOnlySpan(), _result.AsSpan());

    [BenchmarkCategory("ReluBackward"), Benchmark]
    public void ReluBackwardOps() => Ops.ReluBackward(_a, _b, _result);

    [BenchmarkCategory("SoftmaxBackward"), Benchmark(Baseline = true)]
    public void SoftmaxBackwardTensorPrimitives()
    {
        ReadOnlySpan<float> y = _softmax.AsReadOnlySpan(), dy = _b.AsReadOnlySpan();
        var dx = _result.AsSpan();
        for (int r = 0; r < Rows; r++)
        {
            var yRow = y.Slice(r * Cols, Cols);
            var dyRow = dy.Slice(r * Cols, Cols);
            TensorPrimitives.AddMultiply(dyRow, -TensorPrimitives.Dot(dyRow, yRow), yRow, dx.Slice(r * Cols, Cols));
        }
    }

    [BenchmarkCategory("SoftmaxBackward"), Benchmark]
    public void SoftmaxBackwardOps() => Ops.SoftmaxBackward(_softmax, _b, _result);

    [BenchmarkCategory("SumAxis0"), Benchmark(Baseline = true)]
    public void SumAxis0TensorPrimitives()
    {
        ReadOnlySpan<float> a = _a.AsReadOnlySpan();
        var d = _columnSums.AsSpan();
        a[..Cols].CopyTo(d);
        for (int r = 1; r < Rows; r++)
            TensorPrimitives.Add(a.Slice(r * Cols, Cols), d, d);
    }

    [BenchmarkCategory("SumAxis0"), Benchmark]
    public void SumAxis0Ops() => Ops.Sum(_a, 0, _columnSums);
}
