using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LayerGen.Benchmarks;

/// <summary>
/// <c>gemm-kernel</c>: the AVX-512 float micro-kernel alone, on one thread, as % of the 1-thread FMA peak: (1) one A and
/// one B micro-panel in L1, (2) the driver's inner loop (one B micro-panel, the A micro-panels of an MC block in turn),
/// for several KC. Tells whether a shortfall of the blocked GEMM is the kernel or the blocking around it.
/// <c>gemm-kernel drift</c> runs the FMA chains for 8 s in 250 ms windows (does the core slow down under load?).
/// <c>gemm-kernel versus [n]</c> alternates 60 ms windows of the kernel alone (KC 256, an MC block of 12 A micro-panels)
/// with 60 ms of single-threaded <c>Gemm.Multiply</c> of order n (default 1024) and prints the quartiles of the per-round
/// ratio: the share of the kernel's own rate the blocked product keeps, measured in the same seconds. With <c>all</c>,
/// the kernel runs on every core at once and the product on every core.
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
        if (Environment.GetCommandLineArgs().Contains("versus"))
        {
            Versus(Environment.GetCommandLineArgs().Select(a => int.TryParse(a, out int v) ? v : 0).FirstOrDefault(v => v > 0, 1024),
                   Environment.GetCommandLineArgs().Contains("all") ? Environment.ProcessorCount : 1);
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

    private static void Versus(int n, int threads)
    {
        int saved = GemmParallel.MaxThreads;
        GemmParallel.MaxThreads = threads;
        try
        {
            var a = GemmBenchmarks.RandomArray<float>(n * n, 1);
            var b = GemmBenchmarks.RandomArray<float>(n * n, 2);
            var c = new float[n * n];
            using var process = Process.GetCurrentProcess();
            var busy = new List<double>();
            var gemmPerCpu = new List<double>();
            var kernelPerCpu = new List<double>();
            double GemmWindow()
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                long reps = 0;
                do
                {
                    Gemm.Multiply(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
                    reps++;
                }
                while (sw.ElapsedMilliseconds < 60);
                double wall = sw.Elapsed.TotalSeconds;
                process.Refresh();
                double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
                busy.Add(cpu / wall);
                gemmPerCpu.Add(reps * 2.0 * n * n * n / cpu / 1e9);
                return reps * 2.0 * n * n * n / wall / 1e9;
            }
            // The kernel alone on every thread at once (each its own panels), its rates summed; and its flops per
            // CPU-second of the process (each thread ran about the same wall time).
            double Kernel()
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                var rates = new double[threads];
                var workers = Enumerable.Range(1, threads - 1).Select(t => new Thread(() => rates[t] = Measure(256, 12, 1))).ToArray();
                foreach (var w in workers)
                    w.Start();
                rates[0] = Measure(256, 12, 1);
                foreach (var w in workers)
                    w.Join();
                double wall = sw.Elapsed.TotalSeconds;
                process.Refresh();
                kernelPerCpu.Add(rates.Sum() * wall / (process.TotalProcessorTime - cpu0).TotalSeconds);
                return rates.Sum();
            }
            GemmWindow();
            Kernel();
            busy.Clear();
            gemmPerCpu.Clear();
            kernelPerCpu.Clear();
            var ratios = new List<double>();
            var gemm = new List<double>();
            var kernel = new List<double>();
            for (int round = 0; round < 21; round++)
            {
                double k = Kernel(), g = GemmWindow();
                kernel.Add(k);
                gemm.Add(g);
                ratios.Add(g / k);
            }
            static string Quartiles(List<double> values, string format)
            {
                var v = values.Order().ToArray();
                string At(double q) => v[(int)Math.Round(q * (v.Length - 1))].ToString(format, System.Globalization.CultureInfo.InvariantCulture);
                return $"{At(0)} / {At(0.25)} / {At(0.5)} / {At(0.75)} / {At(1)}";
            }
            Console.WriteLine($"float NN n = {n}, {threads} thread(s), 21 rounds of 60 ms each (min / quartile / median / quartile / max)");
            Console.WriteLine($"kernel alone (KC 256, 12 A micro-panels), GFLOP/s: {Quartiles(kernel, "F1")}");
            Console.WriteLine($"Gemm.Multiply, GFLOP/s:                             {Quartiles(gemm, "F1")}");
            Console.WriteLine($"Gemm.Multiply / kernel, per round:                   {Quartiles(ratios, "P0")}");
            Console.WriteLine($"Gemm.Multiply CPU-seconds per second (threads busy): {Quartiles(busy, "F2")}");
            // Per CPU-second, time the hypervisor gives to other guests drops out of both; spinning still counts.
            var cpuRatios = gemmPerCpu.Zip(kernelPerCpu, (g, k) => g / k).ToList();
            Console.WriteLine($"per CPU-second, Gemm.Multiply / kernel:              {Quartiles(cpuRatios, "P0")}");
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    private static double Measure(int kc, int panels, int rounds = 7)
    {
        const int mr = 12, nr = 32;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(panels * mr * kc * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(kc * nr * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(panels * mr * nr * 4), 64);
        for (int i = 0; i < panels * mr * kc; i++) a[i] = 1e-3f * (i % 7);
        for (int i = 0; i < kc * nr; i++) b[i] = 1e-3f * (i % 5);
        long flops = 0;
        double best = 0;
        for (int round = 0; round < rounds; round++)
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
