using System.Diagnostics;

namespace LayerGen.Benchmarks;

/// <summary>
/// <c>-- conv-profile</c>: the benchmark's convolutions split into forward, dX and dWeight + dBias, each on one thread
/// and on all cores, with the rate of useful multiply-adds (Stopwatch, best of 7 batches).
/// </summary>
internal static class ConvProfile
{
    public static int Run(string[] args)
    {
        if (args.Length > 0)
            ConvKernels<float>.GroupBudget = int.Parse(args[0]);
        Console.WriteLine($"Conv2d phases, float, batch 64, k 3, pad 1 (ms per call, best of 7; GFLOP/s of useful work); kernel: {(Gemm.UseAvx512<float>() ? "AVX-512" : "AVX2")}");
        foreach (var (name, c, k, size) in ConvBenchmarks.Cases)
        {
            var input = new ImageShape(c, size, size);
            var x = Matrix<float>.RandomNormal(64, c * size * size, 1);
            var w = Matrix<float>.RandomNormal(k, c * 9, 2);
            var b = Matrix<float>.RandomNormal(1, k, 3);
            var y = new Matrix<float>(64, k * size * size);
            var dy = Matrix<float>.RandomNormal(64, k * size * size, 4);
            var dx = new Matrix<float>(64, c * size * size);
            var dw = new Matrix<float>(k, c * 9);
            var db = new Matrix<float>(1, k);
            double flop = 2.0 * 64 * k * size * size * c * 9;
            foreach (int threads in new[] { 1, Environment.ProcessorCount })
            {
                int saved = GemmParallel.MaxThreads;
                GemmParallel.MaxThreads = threads;
                try
                {
                    double f = Time(() => Ops.Conv2d(x, w, b, input, 3, 1, 1, y));
                    double bx = Time(() => Ops.Conv2dBackward(x, w, b, input, 3, 1, 1, dy, dx, false, null, false, null, false));
                    double bw = Time(() => Ops.Conv2dBackward(x, w, b, input, 3, 1, 1, dy, null, false, dw, false, db, false));
                    double all = Time(() => Ops.Conv2dBackward(x, w, b, input, 3, 1, 1, dy, dx, false, dw, false, db, false));
                    Console.WriteLine($"{name,-14} {threads} thread(s): forward {f:F3} ({flop / f / 1e6:F0})  dX {bx:F3} ({flop / bx / 1e6:F0})  " +
                                      $"dW+dB {bw:F3} ({flop / bw / 1e6:F0})  fused backward {all:F3}  step {f + all:F3}");
                }
                finally
                {
                    GemmParallel.MaxThreads = saved;
                }
            }
        }
        return 0;
    }

    private static double Time(Action action)
    {
        for (int i = 0; i < 200; i++)
            action();
        double best = double.MaxValue;
        for (int batch = 0; batch < 7; batch++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < 50; i++)
                action();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds / 50);
        }
        return best;
    }
}

internal static unsafe class ConvTileProbe
{
    public static void Run()
    {
        var input = new float[8 * 256 + 64];
        var packed = new float[72 * 8];
        var output = new float[8 * 256];
        var offsets = new int[72];
        for (int c = 0, t = 0; c < 8; c++) for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++, t++) offsets[t] = c * 256 + i * 16 + j;
        new Random(1).NextBytes(new byte[1]);
        for (int i = 0; i < input.Length; i++) input[i] = 1e-3f * (i % 17);
        for (int i = 0; i < packed.Length; i++) packed[i] = 1e-3f * (i % 13);
        fixed (float* pi = input) fixed (float* pp = packed) fixed (float* po = output) fixed (int* off = offsets)
        {
            foreach (bool aligned in new[] { false, true })
            {
                if (aligned) for (int t = 0; t < 72; t++) offsets[t] = (offsets[t] / 16) * 16;
                for (int rep = 0; rep < 3; rep++)
                {
                    var sw = Stopwatch.StartNew();
                    const int calls = 200000;
                    for (int n = 0; n < calls; n++)
                        ConvTiles512<float>.Tile(pi + (n % 5) * 32, off, 72, pp, po, 256);
                    double s = sw.Elapsed.TotalSeconds;
                    Console.WriteLine($"tile probe aligned={aligned}: {calls * 72.0 * 16 * 32 / s / 1e9:F1} GFLOP/s");
                }
                var dy = new float[4 * 240 * 4];
                fixed (float* pd = dy)
                    for (int rep = 0; rep < 3; rep++)
                    {
                        var sw = Stopwatch.StartNew();
                        const int calls = 100000;
                        float* sums = stackalloc float[24];
                        for (int n = 0; n < calls; n++)
                            ConvTiles512<float>.GradTile(pd, 240, 0, pi, 0, off + (n % 12) * 6, 240, 4, sums);
                        double s = sw.Elapsed.TotalSeconds;
                        Console.WriteLine($"grad tile probe aligned={aligned}: {calls * 4 * 15.0 * 24 * 32 / s / 1e9:F1} GFLOP/s");
                    }
            }
        }
    }
}
