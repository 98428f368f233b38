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
        if (args.Contains("scale"))
        {
            Scale(args);
            return;
        }
        if (args.Contains("openblas-spin"))
        {
            OpenBlasSpin();
            return;
        }
        if (args.Contains("paired"))
        {
            Paired(args);
            return;
        }
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
        Console.WriteLine("GFLOP/s by wall time, and per CPU-second (robust to other processes on a shared machine)");
        Console.WriteLine($"{"n",6} {"mode",5} {"LayerGen",10} {"OpenBLAS",10} {"ratio",7} {"LG/cpu-s",10} {"BLAS/cpu-s",10} {"ratio",7}");
        foreach (int n in sizes)
            for (int mode = 0; mode < 4; mode++)
            {
                var ours = useDouble ? Measure<double>(n, mode, blas: false) : Measure<float>(n, mode, blas: false);
                (double Wall, double Cpu) blas = !OpenBlas.IsAvailable ? (double.NaN, double.NaN) : useDouble ? Measure<double>(n, mode, blas: true) : Measure<float>(n, mode, blas: true);
                Console.WriteLine($"{n,6} {GemmBenchmarks.ModeName(mode),5} {ours.Wall,10:F1} {blas.Wall,10:F1} {ours.Wall / blas.Wall,7:F2} {ours.Cpu,10:F1} {blas.Cpu,10:F1} {ours.Cpu / blas.Cpu,7:F2}");
            }
    }

    /// <summary>
    /// <c>gemm-quick scale [double] [sizes...]</c> (default 256 512 1024, NN): the FMA peak on one thread and on every
    /// core measured in this process (best of the start and end measurements), then LayerGen on every core, LayerGen
    /// on one thread and OpenBLAS on every core, each as GFLOP/s (wall clock, median of five batches) and % of the
    /// matching peak. Rounds repeat (<c>rounds=N</c>, default 3) and the best round per case is printed, so a burst
    /// of load from other processes does not decide the result.
    /// </summary>
    private static void Scale(string[] args)
    {
        bool useDouble = args.Contains("double");
        var (rounds, sizes) = RoundsAndSizes(args, 3);
        int cores = Environment.ProcessorCount;
        // `avx2`: the AVX2 kernel on an AVX-512 machine (the workers follow the caller's choice).
        Gemm.ForceAvx2 = args.Contains("avx2");
        var peak0 = PeakBenchmarks.Measure();
        var all = new double[sizes.Length, 3];
        for (int r = 0; r < rounds; r++)
            for (int s = 0; s < sizes.Length; s++)
            {
                int n = sizes[s];
                GemmParallel.MaxThreads = 0;
                all[s, 0] = Math.Max(all[s, 0], useDouble ? Measure<double>(n, 0, blas: false).Wall : Measure<float>(n, 0, blas: false).Wall);
                GemmParallel.MaxThreads = 1;
                all[s, 1] = Math.Max(all[s, 1], useDouble ? Measure<double>(n, 0, blas: false).Wall : Measure<float>(n, 0, blas: false).Wall);
                GemmParallel.MaxThreads = 0;
                if (OpenBlas.IsAvailable)
                {
                    OpenBlas.SetThreads(cores);
                    all[s, 2] = Math.Max(all[s, 2], useDouble ? Measure<double>(n, 0, blas: true).Wall : Measure<float>(n, 0, blas: true).Wall);
                }
            }
        var peak1 = PeakBenchmarks.Measure();
        double one = useDouble ? Math.Max(peak0.DoubleOne, peak1.DoubleOne) : Math.Max(peak0.FloatOne, peak1.FloatOne);
        double every = useDouble ? Math.Max(peak0.DoubleAll, peak1.DoubleAll) : Math.Max(peak0.FloatAll, peak1.FloatAll);
        Console.WriteLine($"{(useDouble ? "double" : "float")} NN, best of {rounds} rounds; kernel: {(useDouble ? Gemm.KernelName<double>() : Gemm.KernelName<float>())}; FMA peak ({(PeakBenchmarks.Wide ? 512 : 256)}-bit) in this process: {one:F1} GFLOP/s on 1 thread, {every:F1} on {cores} cores; OpenBLAS: {OpenBlas.LoadError ?? "loaded"}");
        Console.WriteLine($"| n | LayerGen {cores} cores GFLOP/s | % of {cores}-core peak | LayerGen 1 thread | % of 1-core peak | OpenBLAS {cores} cores | % of {cores}-core peak | LayerGen / OpenBLAS |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int s = 0; s < sizes.Length; s++)
            Console.WriteLine(System.FormattableString.Invariant(
                $"| {sizes[s]} | {all[s, 0]:F1} | {100 * all[s, 0] / every:F1}% | {all[s, 1]:F1} | {100 * all[s, 1] / one:F1}% | {(OpenBlas.IsAvailable ? all[s, 2].ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "–")} | {(OpenBlas.IsAvailable ? (100 * all[s, 2] / every).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + "%" : "–")} | {(OpenBlas.IsAvailable ? (all[s, 0] / all[s, 2]).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "–")} |"));
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <summary>The <c>rounds=N</c> argument (else <paramref name="defaultRounds"/>) and the sizes given (else 256 512 1024).</summary>
    private static (int Rounds, int[] Sizes) RoundsAndSizes(string[] args, int defaultRounds)
    {
        int rounds = args.Where(a => a.StartsWith("rounds=", StringComparison.Ordinal))
                         .Select(a => int.Parse(a[7..], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(defaultRounds);
        var sizes = args.Select(a => int.TryParse(a, out int v) ? v : 0).Where(v => v > 0).ToArray();
        return (rounds, sizes.Length == 0 ? [256, 512, 1024] : sizes);
    }

    /// <summary>
    /// <c>gemm-quick openblas-spin</c>: how long OpenBLAS's threads keep a core busy after a call, and what that does to
    /// a measurement started meanwhile. After a 256³ product, waits 0–300 ms, then prints the cores this process used over
    /// the next 20 ms (its own thread sleeping) and the two-core FMA peak measured right then.
    /// </summary>
    private static void OpenBlasSpin()
    {
        if (!OpenBlas.IsAvailable)
        {
            Console.WriteLine($"OpenBLAS: {OpenBlas.LoadError}");
            return;
        }
        var bench = new PeakBenchmarks();
        var a = GemmBenchmarks.RandomArray<float>(256 * 256, 1);
        var c = new float[256 * 256];
        OpenBlas.SetThreads(Environment.ProcessorCount);
        using var process = Process.GetCurrentProcess();
        for (int round = 0; round < 4; round++)
        {
            foreach (int delay in new[] { 0, 50, 100, 150, 200, 300 })
            {
                OpenBlas.Gemm(false, false, 256, 256, 256, 1f, a, 256, a, 256, 0f, c, 256);
                Thread.Sleep(delay);
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var window = Stopwatch.StartNew();
                Thread.Sleep(20);
                process.Refresh();
                double busy = (process.TotalProcessorTime - cpu0).TotalSeconds / window.Elapsed.TotalSeconds;
                var sw = Stopwatch.StartNew();
                bench.FloatAllCores();
                double peak = PeakBenchmarks.Flops(nameof(PeakBenchmarks.FloatAllCores)) / sw.Elapsed.TotalSeconds / 1e9;
                Console.Write($"{delay,3} ms after: {busy:F2} cores busy, peak {peak,4:F0} GFLOP/s | ");
            }
            Console.WriteLine();
        }
    }

    /// <summary>
    /// <c>gemm-quick paired [double] [rounds=N] [sizes...]</c> (default 256 512 1024, NN, 15 rounds): the share of the
    /// every-core FMA peak measured in the same moments. Each round times the peak, one batch of LayerGen on every core,
    /// one of OpenBLAS, and the peak again, and takes each product's rate over the mean of the two peaks around it. On a
    /// shared machine whose speed changes from second to second (other tenants on the same physical cores), a peak taken
    /// at the start and the end of a minute-long sweep is not the peak the products ran against; the paired ratio is.
    /// Prints the quartiles of the per-round ratios.
    /// </summary>
    private static void Paired(string[] args)
    {
        bool useDouble = args.Contains("double");
        var (rounds, sizes) = RoundsAndSizes(args, 15);
        int cores = Environment.ProcessorCount;
        GemmParallel.MaxThreads = 0;
        OpenBlas.SetThreads(cores);
        var bench = new PeakBenchmarks();
        double Peak()
        {
            double best = 0;
            for (int i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                if (useDouble)
                    bench.DoubleAllCores();
                else
                    bench.FloatAllCores();
                best = Math.Max(best, PeakBenchmarks.Flops(useDouble ? nameof(PeakBenchmarks.DoubleAllCores) : nameof(PeakBenchmarks.FloatAllCores)) / sw.Elapsed.TotalSeconds / 1e9);
            }
            return best;
        }
        var ours = sizes.Select(_ => new List<double>()).ToArray();
        var theirs = sizes.Select(_ => new List<double>()).ToArray();
        var slices = sizes.Select(_ => new List<double>()).ToArray();
        var products = sizes.Select(n => (Ours: Batch(n, useDouble, blas: false), Theirs: OpenBlas.IsAvailable ? Batch(n, useDouble, blas: true) : null,
                                          Slices: useDouble ? IndependentSlices<double>(n, cores) : IndependentSlices<float>(n, cores))).ToArray();
        OpenBlas.WaitUntilIdle();
        Peak();
        for (int r = 0; r < rounds; r++)
            for (int s = 0; s < sizes.Length; s++)
            {
                double before = Peak();
                double mine = products[s].Ours();
                double blas = products[s].Theirs?.Invoke() ?? double.NaN;
                OpenBlas.WaitUntilIdle();
                double slice = products[s].Slices();
                double peak = (before + Peak()) / 2;
                ours[s].Add(mine / peak);
                theirs[s].Add(blas / peak);
                slices[s].Add(slice / peak);
            }
        static string Quartiles(List<double> values)
        {
            var v = values.Order().ToArray();
            string At(double q) => (100 * v[(int)Math.Round(q * (v.Length - 1))]).ToString("F0", System.Globalization.CultureInfo.InvariantCulture) + "%";
            return $"{At(0)} / {At(0.25)} / **{At(0.5)}** / {At(0.75)} / {At(1)}";
        }
        Console.WriteLine($"{(useDouble ? "double" : "float")} NN on {cores} cores, {rounds} rounds; kernel: {(useDouble ? Gemm.KernelName<double>() : Gemm.KernelName<float>())}; " +
                          $"each batch's GFLOP/s over the {cores}-core FMA peak ({(PeakBenchmarks.Wide ? 512 : 256)}-bit) measured just before and after it; OpenBLAS: {OpenBlas.LoadError ?? "loaded"}");
        Console.WriteLine($"independent slices: each core multiplies its own (n/{cores})×n by n×n on one thread, with its own matrices (no split, nothing shared)");
        Console.WriteLine("| n | LayerGen, % of peak: min / quartile / median / quartile / max | OpenBLAS, same | LayerGen, independent slices, same |");
        Console.WriteLine("|---:|---|---|---|");
        for (int s = 0; s < sizes.Length; s++)
            Console.WriteLine($"| {sizes[s]} | {Quartiles(ours[s])} | {(OpenBlas.IsAvailable ? Quartiles(theirs[s]) : "–")} | {Quartiles(slices[s])} |");
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <summary>
    /// A reference for the split product: each of <paramref name="cores"/> threads multiplies its own
    /// (n/cores)×n slice of A by its own copy of B on one thread (the same flops per core as a row split of order n, with
    /// nothing shared and no synchronisation inside the batch). Each call times one batch from a common start to the last
    /// thread's end and returns the total GFLOP/s.
    /// </summary>
    private static Func<double> IndependentSlices<T>(int n, int cores) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int rows = n / cores;
        double flops = 2.0 * rows * n * n;
        int reps = (int)Math.Clamp(1.5e9 / cores / flops, 1, 1_000_000);
        var mats = Enumerable.Range(0, cores).Select(t => (A: GemmBenchmarks.RandomArray<T>(rows * n, 1 + t), B: GemmBenchmarks.RandomArray<T>(n * n, 2), C: new T[rows * n])).ToArray();
        void Slice(int t, int count)
        {
            GemmParallel.MaxThreads = 1;
            var (a, b, c) = mats[t];
            for (int i = 0; i < count; i++)
                Gemm.Multiply(false, false, rows, n, n, T.One, a, n, b, n, T.Zero, c, n);
        }
        double Run(int count)
        {
            using var start = new Barrier(cores);
            var sw = new Stopwatch();
            // Each thread multiplies once before the start (its packing buffers are thread-static), so the timed batch
            // allocates nothing.
            var threads = Enumerable.Range(1, cores - 1).Select(t => new Thread(() => { Slice(t, 1); start.SignalAndWait(); Slice(t, count); })).ToArray();
            foreach (var thread in threads)
                thread.Start();
            start.SignalAndWait();
            sw.Start();
            Slice(0, count);
            foreach (var thread in threads)
                thread.Join();
            GemmParallel.MaxThreads = 0;
            return flops * cores * count / sw.Elapsed.TotalSeconds / 1e9;
        }
        Run(Math.Max(3, reps / 4));
        return () => Run(reps);
    }

    /// <summary>A warmed-up product of order <paramref name="n"/> whose call times one batch (≥ 1.5 GFLOP, as long as a peak measurement) and returns its GFLOP/s.</summary>
    private static Func<double> Batch(int n, bool useDouble, bool blas)
    {
        return useDouble ? Make<double>() : Make<float>();

        Func<double> Make<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var a = GemmBenchmarks.RandomArray<T>(n * n, 1);
            var b = GemmBenchmarks.RandomArray<T>(n * n, 2);
            var c = new T[n * n];
            double flops = 2.0 * n * n * n;
            int reps = (int)Math.Clamp(1.5e9 / flops, 1, 1_000_000);
            void Once()
            {
                if (blas)
                    OpenBlas.Gemm(false, false, n, n, n, T.One, a, n, b, n, T.Zero, c, n);
                else
                    Gemm.Multiply(false, false, n, n, n, T.One, a, n, b, n, T.Zero, c, n);
            }
            for (int i = 0; i < Math.Max(3, reps / 4); i++)
                Once();
            return () =>
            {
                Once();
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < reps; i++)
                    Once();
                return flops * reps / sw.Elapsed.TotalSeconds / 1e9;
            };
        }
    }

    /// <summary>
    /// Median GFLOP/s of five timed batches by wall-clock time, and GFLOP per CPU-second of this process (all
    /// its threads, spinning included) over the same batches: the second is what the code achieves per core
    /// while other processes share the machine.
    /// </summary>
    public static (double Wall, double Cpu) Measure<T>(int n, int mode, bool blas) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
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
        // Batches of ≥ 1.5 GFLOP (tens of milliseconds) so CPU-time accounting resolves them.
        int reps = (int)Math.Clamp(1.5e9 / flops, 1, 1_000_000);
        for (int i = 0; i < Math.Max(3, reps / 4); i++)
            Once();
        var times = new double[5];
        var cpuTimes = new double[5];
        using var process = Process.GetCurrentProcess();
        for (int t = 0; t < times.Length; t++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                Once();
            times[t] = sw.Elapsed.TotalSeconds / reps;
            process.Refresh();
            cpuTimes[t] = (process.TotalProcessorTime - cpu0).TotalSeconds / reps;
        }
        if (blas)
            OpenBlas.WaitUntilIdle(); // its spinning workers would share the next measurement's cores
        Array.Sort(times);
        Array.Sort(cpuTimes);
        return (flops / times[times.Length / 2] / 1e9, flops / cpuTimes[cpuTimes.Length / 2] / 1e9);
    }
}
