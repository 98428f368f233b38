using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LayerGen.Benchmarks;

/// <summary>
/// <c>gemm-kernel</c>: the AVX-512 float micro-kernel alone, on one thread, as % of the 1-thread FMA peak: (1) one A and
/// one B micro-panel in L1, (2) the driver's inner loop (one B micro-panel, the A micro-panels of an MC block in turn),
/// for several KC; <c>gemm-kernel drift</c> runs the FMA chains for 8 s in 250 ms windows. Tells whether a shortfall of the blocked GEMM is the kernel or the blocking around it.
/// </summary>
internal static unsafe class GemmKernelProbe
{
    public static void Run()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Console.WriteLine("no AVX-512");
            return;
        }
        if (Environment.GetCommandLineArgs().Contains("drift"))
        {
            // The FMA chains back to back for 8 s, one rate per 250 ms window: does the core slow down under load?
            var total = Stopwatch.StartNew();
            while (total.ElapsedMilliseconds < 8000)
            {
                var w = Stopwatch.StartNew();
                long n = 0;
                while (w.ElapsedMilliseconds < 250) { PeakBenchmarks.FloatChains(PeakBenchmarks.Iterations / 4); n++; }
                Console.Write($"{n * 12.0 * 32 * PeakBenchmarks.Iterations / 4 / w.Elapsed.TotalSeconds / 1e9:F0} ");
            }
            Console.WriteLine();
            return;
        }
        double peak = PeakBenchmarks.Measure().FloatOne;
        Console.WriteLine($"1-thread float FMA peak {peak:F1} GFLOP/s");
        foreach (int kc in new[] { 72, 144, 256 })
            foreach (int panels in new[] { 1, 12, 24 })
            {
                double g = Measure(kc, panels);
                Console.WriteLine($"kc {kc,4}  A micro-panels {panels,3}: {g,6:F1} GFLOP/s  {100 * g / peak,5:F1} %");
            }
    }

    private static double Measure(int kc, int panels)
    {
        const int mr = 12, nr = 32;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(panels * mr * kc * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(kc * nr * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(panels * mr * nr * 4), 64);
        for (int i = 0; i < panels * mr * kc; i++) a[i] = 1e-3f * (i % 7);
        for (int i = 0; i < kc * nr; i++) b[i] = 1e-3f * (i % 5);
        long flops = 0;
        double best = 0;
        for (int round = 0; round < 7; round++)
        {
            var sw = Stopwatch.StartNew();
            long reps = 0;
            while (sw.ElapsedMilliseconds < 60)
            {
                for (int p = 0; p < panels; p++)
                    GemmKernels512.Float12x32(kc, a + (long)p * mr * kc, b, c + p * mr * nr, nr, 1f, 1f);
                reps++;
            }
            flops = reps * panels * 2L * mr * nr * kc;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(c);
        return best;
    }
}
