using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace LayerGen.Benchmarks;

/// <summary>
/// The machine's FMA peak: twelve independent FMA chains (enough to cover a 4-cycle latency on two FMA pipes) of
/// the widest vectors the machine has (<see cref="Vector512{T}"/> with AVX-512, else <see cref="Vector256{T}"/>), on
/// one thread and on every core at once, float and double. The GEMM report states its results as a percentage of
/// these: on an AVX-512 machine a 256-bit peak would be half the real one. Run with BenchmarkDotNet (<c>--filter '*PeakBenchmarks*'</c>) or quickly
/// with <c>-- peak</c>.
/// </summary>
[Config(typeof(PeakConfig))]
public class PeakBenchmarks
{
    /// <summary>Loop trips per thread per invocation: about 20–40 ms of work.</summary>
    public const int Iterations = 2_000_000;

    /// <summary>Whether the chains are 512 bits wide (the machine has AVX-512).</summary>
    public static bool Wide => Avx512F.IsSupported;

    /// <summary>Floating-point operations per trip: 12 chains × lanes × 2 (multiply and add).</summary>
    public static long FlopsPerIteration(bool isDouble) => 12L * (isDouble ? 4 : 8) * (Wide ? 2 : 1) * 2;

    [Benchmark]
    public float FloatOneThread() => FloatChains(Iterations);

    [Benchmark]
    public float FloatAllCores() => AllCores(static () => FloatChains(Iterations));

    [Benchmark]
    public double DoubleOneThread() => DoubleChains(Iterations);

    [Benchmark]
    public double DoubleAllCores() => AllCores(static () => (float)DoubleChains(Iterations));

    /// <summary>Flops one invocation of a benchmark method performs.</summary>
    public static long Flops(string method)
        => FlopsPerIteration(method.StartsWith("Double", StringComparison.Ordinal)) * Iterations
           * (method.EndsWith("AllCores", StringComparison.Ordinal) ? Environment.ProcessorCount : 1);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float FloatChains(int iterations) => Wide ? FloatChains512(iterations) : FloatChains256(iterations);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static double DoubleChains(int iterations) => Wide ? DoubleChains512(iterations) : DoubleChains256(iterations);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FloatChains512(int iterations)
    {
        var m = Vector512.Create(0.999999f);
        var d = Vector512.Create(1e-7f);
        Vector512<float> x0 = Vector512.Create(1.0f), x1 = Vector512.Create(1.1f), x2 = Vector512.Create(1.2f), x3 = Vector512.Create(1.3f);
        Vector512<float> x4 = Vector512.Create(1.4f), x5 = Vector512.Create(1.5f), x6 = Vector512.Create(1.6f), x7 = Vector512.Create(1.7f);
        Vector512<float> x8 = Vector512.Create(1.8f), x9 = Vector512.Create(1.9f), x10 = Vector512.Create(2.0f), x11 = Vector512.Create(2.1f);
        for (int i = 0; i < iterations; i++)
        {
            x0 = Avx512F.FusedMultiplyAdd(x0, m, d); x1 = Avx512F.FusedMultiplyAdd(x1, m, d); x2 = Avx512F.FusedMultiplyAdd(x2, m, d);
            x3 = Avx512F.FusedMultiplyAdd(x3, m, d); x4 = Avx512F.FusedMultiplyAdd(x4, m, d); x5 = Avx512F.FusedMultiplyAdd(x5, m, d);
            x6 = Avx512F.FusedMultiplyAdd(x6, m, d); x7 = Avx512F.FusedMultiplyAdd(x7, m, d); x8 = Avx512F.FusedMultiplyAdd(x8, m, d);
            x9 = Avx512F.FusedMultiplyAdd(x9, m, d); x10 = Avx512F.FusedMultiplyAdd(x10, m, d); x11 = Avx512F.FusedMultiplyAdd(x11, m, d);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double DoubleChains512(int iterations)
    {
        var m = Vector512.Create(0.999999);
        var d = Vector512.Create(1e-7);
        Vector512<double> x0 = Vector512.Create(1.0), x1 = Vector512.Create(1.1), x2 = Vector512.Create(1.2), x3 = Vector512.Create(1.3);
        Vector512<double> x4 = Vector512.Create(1.4), x5 = Vector512.Create(1.5), x6 = Vector512.Create(1.6), x7 = Vector512.Create(1.7);
        Vector512<double> x8 = Vector512.Create(1.8), x9 = Vector512.Create(1.9), x10 = Vector512.Create(2.0), x11 = Vector512.Create(2.1);
        for (int i = 0; i < iterations; i++)
        {
            x0 = Avx512F.FusedMultiplyAdd(x0, m, d); x1 = Avx512F.FusedMultiplyAdd(x1, m, d); x2 = Avx512F.FusedMultiplyAdd(x2, m, d);
            x3 = Avx512F.FusedMultiplyAdd(x3, m, d); x4 = Avx512F.FusedMultiplyAdd(x4, m, d); x5 = Avx512F.FusedMultiplyAdd(x5, m, d);
            x6 = Avx512F.FusedMultiplyAdd(x6, m, d); x7 = Avx512F.FusedMultiplyAdd(x7, m, d); x8 = Avx512F.FusedMultiplyAdd(x8, m, d);
            x9 = Avx512F.FusedMultiplyAdd(x9, m, d); x10 = Avx512F.FusedMultiplyAdd(x10, m, d); x11 = Avx512F.FusedMultiplyAdd(x11, m, d);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FloatChains256(int iterations)
    {
        if (!Fma.IsSupported)
            throw new PlatformNotSupportedException("FMA is not supported on this machine.");
        var m = Vector256.Create(0.999999f);
        var d = Vector256.Create(1e-7f);
        Vector256<float> x0 = Vector256.Create(1.0f), x1 = Vector256.Create(1.1f), x2 = Vector256.Create(1.2f), x3 = Vector256.Create(1.3f);
        Vector256<float> x4 = Vector256.Create(1.4f), x5 = Vector256.Create(1.5f), x6 = Vector256.Create(1.6f), x7 = Vector256.Create(1.7f);
        Vector256<float> x8 = Vector256.Create(1.8f), x9 = Vector256.Create(1.9f), x10 = Vector256.Create(2.0f), x11 = Vector256.Create(2.1f);
        for (int i = 0; i < iterations; i++)
        {
            x0 = Fma.MultiplyAdd(x0, m, d); x1 = Fma.MultiplyAdd(x1, m, d); x2 = Fma.MultiplyAdd(x2, m, d);
            x3 = Fma.MultiplyAdd(x3, m, d); x4 = Fma.MultiplyAdd(x4, m, d); x5 = Fma.MultiplyAdd(x5, m, d);
            x6 = Fma.MultiplyAdd(x6, m, d); x7 = Fma.MultiplyAdd(x7, m, d); x8 = Fma.MultiplyAdd(x8, m, d);
            x9 = Fma.MultiplyAdd(x9, m, d); x10 = Fma.MultiplyAdd(x10, m, d); x11 = Fma.MultiplyAdd(x11, m, d);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
        return Vector256.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double DoubleChains256(int iterations)
    {
        if (!Fma.IsSupported)
            throw new PlatformNotSupportedException("FMA is not supported on this machine.");
        var m = Vector256.Create(0.999999);
        var d = Vector256.Create(1e-7);
        Vector256<double> x0 = Vector256.Create(1.0), x1 = Vector256.Create(1.1), x2 = Vector256.Create(1.2), x3 = Vector256.Create(1.3);
        Vector256<double> x4 = Vector256.Create(1.4), x5 = Vector256.Create(1.5), x6 = Vector256.Create(1.6), x7 = Vector256.Create(1.7);
        Vector256<double> x8 = Vector256.Create(1.8), x9 = Vector256.Create(1.9), x10 = Vector256.Create(2.0), x11 = Vector256.Create(2.1);
        for (int i = 0; i < iterations; i++)
        {
            x0 = Fma.MultiplyAdd(x0, m, d); x1 = Fma.MultiplyAdd(x1, m, d); x2 = Fma.MultiplyAdd(x2, m, d);
            x3 = Fma.MultiplyAdd(x3, m, d); x4 = Fma.MultiplyAdd(x4, m, d); x5 = Fma.MultiplyAdd(x5, m, d);
            x6 = Fma.MultiplyAdd(x6, m, d); x7 = Fma.MultiplyAdd(x7, m, d); x8 = Fma.MultiplyAdd(x8, m, d);
            x9 = Fma.MultiplyAdd(x9, m, d); x10 = Fma.MultiplyAdd(x10, m, d); x11 = Fma.MultiplyAdd(x11, m, d);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
        return Vector256.Sum(sum);
    }

    /// <summary>Runs <paramref name="work"/> on every core at once (one dedicated thread each).</summary>
    private static float AllCores(Func<float> work)
    {
        int threads = Environment.ProcessorCount;
        var results = new float[threads];
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() => results[index] = work());
            workers[t].Start();
        }
        foreach (var w in workers)
            w.Join();
        return results.Sum();
    }

    /// <summary>Measured peaks in GFLOP/s (best of five), for the report.</summary>
    public static (double FloatOne, double FloatAll, double DoubleOne, double DoubleAll) Measure()
    {
        var bench = new PeakBenchmarks();
        double Best(Func<object> run, string name)
        {
            run();
            double best = double.MaxValue;
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                run();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return Flops(name) / best / 1e9;
        }
        return (Best(() => bench.FloatOneThread(), nameof(FloatOneThread)), Best(() => bench.FloatAllCores(), nameof(FloatAllCores)),
                Best(() => bench.DoubleOneThread(), nameof(DoubleOneThread)), Best(() => bench.DoubleAllCores(), nameof(DoubleAllCores)));
    }

    /// <summary>
    /// One-thread peaks in GFLOP per CPU-second (median of five): what a core delivers while it runs this
    /// thread, independent of other processes on a shared machine. The reference for the CPU-time table.
    /// </summary>
    public static (double Float, double Double) MeasurePerCpuSecond()
    {
        using var process = Process.GetCurrentProcess();
        double Median(Func<double> run, bool isDouble)
        {
            run();
            var rates = new double[5];
            for (int i = 0; i < rates.Length; i++)
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                run();
                process.Refresh();
                rates[i] = FlopsPerIteration(isDouble) * Iterations * 4 / (process.TotalProcessorTime - cpu0).TotalSeconds / 1e9;
            }
            Array.Sort(rates);
            return rates[2];
        }
        return (Median(() => FloatChains(4 * Iterations), false), Median(() => DoubleChains(4 * Iterations), true));
    }

    /// <summary>Prints <see cref="Measure"/>.</summary>
    public static void Report()
    {
        var p = Measure();
        Console.WriteLine($"FMA peak ({(Wide ? 512 : 256)}-bit vectors), {Environment.ProcessorCount} cores: float {p.FloatOne:F1} GFLOP/s one thread, {p.FloatAll:F1} all cores; " +
                          $"double {p.DoubleOne:F1} one thread, {p.DoubleAll:F1} all cores");
        var c = MeasurePerCpuSecond();
        Console.WriteLine($"Per CPU-second (one thread): float {c.Float:F1}, double {c.Double:F1} GFLOP/s");
    }
}

/// <summary>Short jobs and a GFLOP/s column for <see cref="PeakBenchmarks"/>.</summary>
public sealed class PeakConfig : ManualConfig
{
    public PeakConfig()
    {
        AddJob(BenchmarkDotNet.Jobs.Job.ShortRun);
        AddColumn(new PeakGflopsColumn());
    }
}

/// <summary>GFLOP/s = flops per invocation / mean.</summary>
public sealed class PeakGflopsColumn : IColumn
{
    public string Id => nameof(PeakGflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Floating-point operations per second (12 FMA chains)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null)
            return "-";
        double flops = PeakBenchmarks.Flops(benchmarkCase.Descriptor.WorkloadMethod.Name);
        return (flops / stats.Mean).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }
}
