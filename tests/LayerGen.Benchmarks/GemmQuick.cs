using System.Diagnostics;
using LayerGen.Benchmarks.Interop;

namespace LayerGen.Benchmarks;

/// <summary>
/// A fast Stopwatch-based GEMM sweep (seconds, not minutes) for tuning: <c>dotnet run -c Release -- gemm-quick
/// [float|double] [single] [portable] [sizes...]</c>. Prints GFLOP/s of LayerGen and OpenBLAS side by side for the four transpose
/// modes. Not a substitute for the BenchmarkDotNet suite (<see cref="GemmBenchmarks"/>), which the report uses.
/// </summary>
internal static class GemmQuick
{
    public static void Run(string[] args)
    {
        bool useDouble = args.Contains("double");
        bool single = args.Contains("single");
        var sizes = args.Select(a => int.TryParse(a, out int v) ? v : 0).Where(v => v > 0).ToArray();
        if (sizes.Length == 0)
            sizes = [16, 32, 64, 128, 256, 512, 1024];
        if (single)
            GemmParallel.MaxThreads = 1;
        // `portable`: the direct Vector<T> loop (the fallback and the tiny-product path) instead of the packed kernel.
        Gemm.ForcePortable = args.Contains("portable");
        OpenBlas.SetThreads(single ? 1 : Environment.ProcessorCount);
        Console.WriteLine($"{(useDouble ? "double" : "float")}, threads: {(single ? 1 : Environment.ProcessorCount)}; OpenBLAS: {OpenBlas.LoadError ?? "loaded"}");
        Console.WriteLine($"{"n",6} {"mode",5} {"LayerGen",10} {"OpenBLAS",10} {"ratio",7}");
        foreach (int n in sizes)
            for (int mode = 0; mode < 4; mode++)
            {
                double ours = useDouble ? Measure<double>(n, mode, blas: false) : Measure<float>(n, mode, blas: false);
                double blas = !OpenBlas.IsAvailable ? double.NaN : useDouble ? Measure<double>(n, mode, blas: true) : Measure<float>(n, mode, blas: true);
                Console.WriteLine($"{n,6} {GemmBenchmarks.ModeName(mode),5} {ours,10:F1} {blas,10:F1} {ours / blas,7:F2}");
            }
    }

    private static double Measure<T>(int n, int mode, bool blas) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        bool ta = mode >= 2, tb = (mode & 1) != 0;
        var a = GemmBenchmarks.RandomArray<T>(n * n, 1);
        var b = GemmBenchmarks.RandomArray<T>(n * n, 2);
        var c = new T[n * n];
        void Once()
        {
            if (blas)
                OpenBlas.Gemm(ta, tb, n, n, n, T.One, a, n, b, n, T.Zero, c, n);
            else
                Gemm.Multiply(ta, tb, n, n, n, T.One, a, n, b, n, T.Zero, c, n);
        }
        double flops = 2.0 * n * n * n;
        int reps = (int)Math.Clamp(3e8 / flops, 1, 1_000_000);
        for (int i = 0; i < Math.Max(3, reps / 4); i++)
            Once();
        var times = new double[5];
        for (int t = 0; t < times.Length; t++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                Once();
            times[t] = sw.Elapsed.TotalSeconds / reps;
        }
        Array.Sort(times);
        return flops / times[times.Length / 2] / 1e9;
    }
}
