using System.Numerics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Extensions;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LayerGen.Benchmarks.Interop;
using MathNetProvider = MathNet.Numerics.Providers.LinearAlgebra;

namespace LayerGen.Benchmarks;

/// <summary>
/// Square GEMM, C = op(A)·op(B), n = 64…2048, the four transpose modes, side by side: LayerGen's
/// <see cref="Gemm.Multiply{T}"/> (baseline; with AVX-512 its wide kernel, and <c>LayerGenAvx2</c> beside it),
/// OpenBLAS <c>cblas_?gemm</c> (P/Invoke, all cores) and the
/// MathNet.Numerics managed provider (what <c>Matrix&lt;T&gt;.Multiply</c> runs). A GFLOP/s column (2n³ / median)
/// is added. Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*GemmBenchmarks*'</c>,
/// or <c>-- gemm-report</c> for the combined table with libtorch.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
[Config(typeof(GemmConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class GemmBenchmarks<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _a = [], _b = [], _c = [];

    /// <summary>Matrix size (square).</summary>
    [Params(64, 128, 256, 512, 1024, 2048)]
    public int N { get; set; }

    /// <summary>Transpose mode: NN, NT (Bᵀ), TN (Aᵀ), TT.</summary>
    [Params("NN", "NT", "TN", "TT")]
    public string Mode { get; set; } = "NN";

    private bool TransposeA => Mode[0] == 'T';

    private bool TransposeB => Mode[1] == 'T';

    [GlobalSetup]
    public void Setup()
    {
        _a = GemmBenchmarks.RandomArray<T>(N * N, 1);
        _b = GemmBenchmarks.RandomArray<T>(N * N, 2);
        _c = new T[N * N];
        OpenBlas.SetThreads(Environment.ProcessorCount);
        global::MathNet.Numerics.Control.UseManaged();
    }

    /// <summary>OpenBLAS's workers spin for about 0.13 s after its last call; the next case should not share them a core.</summary>
    [GlobalCleanup]
    public void Cleanup() => OpenBlas.WaitUntilIdle();

    [Benchmark(Baseline = true)]
    public void LayerGen() => Gemm.Multiply(TransposeA, TransposeB, N, N, N, T.One, _a, N, _b, N, T.Zero, _c, N);

    /// <summary>LayerGen with its AVX2 kernel forced: on an AVX-512 machine, the wide kernel's gain side by side (on
    /// other machines the same kernel as <see cref="LayerGen"/>).</summary>
    [Benchmark]
    public void LayerGenAvx2()
    {
        Gemm.ForceAvx2 = true;
        try
        {
            Gemm.Multiply(TransposeA, TransposeB, N, N, N, T.One, _a, N, _b, N, T.Zero, _c, N);
        }
        finally
        {
            Gemm.ForceAvx2 = false;
        }
    }

    [Benchmark]
    public void OpenBLAS()
    {
        if (!OpenBlas.IsAvailable)
            throw new InvalidOperationException($"OpenBLAS unavailable: {OpenBlas.LoadError}");
        OpenBlas.Gemm(TransposeA, TransposeB, N, N, N, T.One, _a, N, _b, N, T.Zero, _c, N);
    }

    [Benchmark]
    public void MathNet()
    {
        // MathNet is column-major: our row-major X is its Xᵀ, so row-major C = op(A)·op(B) is its
        // Cᵀ = op(B)ᵀ·op(A)ᵀ, i.e. the provider call with the operands swapped and the same transpose flags.
        // Matrix<T>.Multiply calls this same provider method. Skipped above n = 512 (its managed provider needs seconds per product there).
        if (N > GemmBenchmarks.MathNetMaxN)
            throw new InvalidOperationException($"MathNet skipped above n = {GemmBenchmarks.MathNetMaxN} (too slow for this suite)");
        var ta = TransposeB ? MathNetProvider.Transpose.Transpose : MathNetProvider.Transpose.DontTranspose;
        var tb = TransposeA ? MathNetProvider.Transpose.Transpose : MathNetProvider.Transpose.DontTranspose;
        if (typeof(T) == typeof(float))
            MathNetProvider.LinearAlgebraControl.Provider.MatrixMultiplyWithUpdate(ta, tb, 1f, (float[])(object)_b, N, N, (float[])(object)_a, N, N, 0f, (float[])(object)_c);
        else
            MathNetProvider.LinearAlgebraControl.Provider.MatrixMultiplyWithUpdate(ta, tb, 1.0, (double[])(object)_b, N, N, (double[])(object)_a, N, N, 0.0, (double[])(object)_c);
    }
}

/// <summary>Shared helpers and settings of the GEMM suites.</summary>
public static class GemmBenchmarks
{
    /// <summary>Largest n for the MathNet column.</summary>
    public const int MathNetMaxN = 512;

    /// <summary>Uniform values in [-1, 1), reproducible.</summary>
    public static T[] RandomArray<T>(int length, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var data = new T[length];
        for (int i = 0; i < data.Length; i++)
            data[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>NN, NT, TN, TT for mode 0…3 (bit 1: A transposed, bit 0: B transposed).</summary>
    public static string ModeName(int mode) => mode switch { 0 => "NN", 1 => "NT", 2 => "TN", _ => "TT" };
}

/// <summary>
/// Short in-process jobs (2 warm-ups, 5 measured iterations of ≥ 200 ms) so the 144-case suite finishes in
/// minutes, plus the GFLOP/s column.
/// </summary>
public sealed class GemmConfig : ManualConfig
{
    public GemmConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(200))
            .WithId("Short"));
        AddColumn(new GflopsColumn());
        AddColumn(StatisticColumn.Median);
        Options |= ConfigOptions.DisableOptimizationsValidator;
    }
}

/// <summary>GFLOP/s = 2·N³ / median time (N from the benchmark's <c>N</c> parameter).</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Billions of floating-point operations per second, 2·N³ / median time";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? g = Gflops(summary, benchmarkCase);
        return g is null ? "-" : g.Value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>GFLOP/s of one case from its mean, or null when it did not run.</summary>
    public static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        var stats = report?.ResultStatistics;
        if (stats is null || benchmarkCase.Parameters["N"] is not int n)
            return null;
        // The median, not the mean: the machine is shared, and one disturbed iteration should not move the result.
        return 2.0 * n * n * n / stats.Median;   // flops per ns = GFLOP/s
    }
}
