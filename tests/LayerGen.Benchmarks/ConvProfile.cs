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
        if (args.Length > 0 && args[0].StartsWith("ab=", StringComparison.Ordinal))
            return AbTest(args[0][3..]);
        if (args.Length > 0)
            ConvKernels<float>.GroupBudget = int.Parse(args[0]);
        Console.WriteLine($"Conv2d phases, float, batch 64, k 3, pad 1 (ms per call, best of 7; GFLOP/s of useful work); kernel: {(Gemm.UseAvx512<float>() ? "AVX-512" : "AVX2")}");
        foreach (var (name, c, k, size) in ConvBenchmarks.Cases)
        {
            var layer = new ConvBenchmarks.Step(c, k, size);
            double flop = 2.0 * 64 * k * size * size * c * 9;
            foreach (int threads in new[] { 1, Environment.ProcessorCount })
            {
                int saved = GemmParallel.MaxThreads;
                GemmParallel.MaxThreads = threads;
                try
                {
                    double f = Time(layer.Forward);
                    double bx = Time(() => layer.Backward(dX: true, dWeight: false));
                    double bw = Time(() => layer.Backward(dX: false, dWeight: true));
                    double all = Time(() => layer.Backward(dX: true, dWeight: true));
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

    /// <summary>
    /// <c>conv-profile ab=SETTING:A,B</c> (SETTING: <c>chunks</c> = equal image ranges per part, 0 for the guided ones;
    /// <c>budget</c> = the weight gradient's group budget): the training step (forward + fused backward) of each case on
    /// every core, in alternating 60 ms windows with the setting at A and at B, 31 rounds; prints the quartiles of the
    /// per-round time ratio B / A.
    /// A machine whose speed changes from second to second shows small differences only side by side like this.
    /// </summary>
    private static int AbTest(string spec)
    {
        var (setting, values) = (spec.Split(':')[0], spec.Split(':')[1].Split(',').Select(int.Parse).ToArray());
        Action<int> set = setting switch
        {
            "chunks" => v => ConvKernels<float>.ChunksPerPart = v,
            "budget" => v => ConvKernels<float>.GroupBudget = v,
            _ => throw new ArgumentException($"unknown setting '{setting}' (chunks, budget)"),
        };
        Console.WriteLine($"Conv2d step, float, batch 64, {Environment.ProcessorCount} threads, kernel {(Gemm.UseAvx512<float>() ? "AVX-512" : "AVX2")}: {setting} {values[1]} against {values[0]}");
        foreach (var (name, c, k, size) in ConvBenchmarks.Cases)
        {
            var layer = new ConvBenchmarks.Step(c, k, size);
            double Window(int value)
            {
                set(value);
                var watch = Stopwatch.StartNew();
                long steps = 0;
                do
                {
                    layer.Run();
                    steps++;
                }
                while (watch.ElapsedMilliseconds < 60);
                return watch.Elapsed.TotalMilliseconds / steps;
            }
            Window(values[0]);
            Window(values[1]);
            var ratios = new List<double>();
            for (int round = 0; round < 31; round++)
            {
                bool bFirst = round % 2 == 1;
                double first = Window(bFirst ? values[1] : values[0]), second = Window(bFirst ? values[0] : values[1]);
                ratios.Add(bFirst ? first / second : second / first);
            }
            var v = ratios.Order().ToArray();
            Console.WriteLine($"{name,-14} time B / A: {v[0]:F3} / {v[7]:F3} / **{v[15]:F3}** / {v[23]:F3} / {v[30]:F3}");
        }
        set(values[0]);
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

/// <summary>
/// <c>-- conv-tile</c>: the direct convolution's register tiles alone, their operands in L1 (the 8→16 @14×14 layer's
/// shapes: 8 padded 16×16 planes, 72 taps), in GFLOP/s on one thread, from 64-byte aligned buffers; with the offsets
/// rounded down to whole vectors too. That row is an upper bound on what aligned tap loads could give, not a
/// measurement of them: the rounding also makes a row's three taps read the same lines (the layer itself with one
/// aligned copy of the image per kernel column was 8–12 % slower, stop 20).
/// </summary>
internal static unsafe class ConvTileProbe
{
    public static void Run()
    {
        if (ConvTiles512<float>.IsSupported)
            Probe<ConvTiles512<float>>("AVX-512");
        if (ConvTiles256<float>.IsSupported)
            Probe<ConvTiles256<float>>("AVX2");
    }

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private static void Probe<TK>(string name) where TK : IConvTiles<float>
    {
        const int taps = 72, length = 224, images = 4;
        var input = GC.AllocateArray<float>(8 * 256 + 2 * length + 16, pinned: true);
        var packed = GC.AllocateArray<float>(taps * TK.Rows + 16, pinned: true);
        var output = GC.AllocateArray<float>(TK.Rows * length + 16, pinned: true);
        var dy = GC.AllocateArray<float>(TK.GradRows * length + 16, pinned: true);
        var offsets = new int[taps];
        for (int i = 0; i < input.Length; i++)
            input[i] = 1e-3f * (i % 17);
        for (int i = 0; i < packed.Length; i++)
            packed[i] = 1e-3f * (i % 13);
        for (int i = 0; i < dy.Length; i++)
            dy[i] = 1e-3f * (i % 7);
        float* sums = stackalloc float[TK.GradRows * TK.GradTaps];
        foreach (bool aligned in new[] { false, true })
        {
            for (int c = 0, t = 0; c < 8; c++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++, t++)
                        offsets[t] = aligned ? (c * 256 + i * 16 + j) / TK.Lanes * TK.Lanes : c * 256 + i * 16 + j;
            fixed (float* pi0 = input)
            fixed (float* pp0 = packed)
            fixed (float* po0 = output)
            fixed (float* pd0 = dy)
            fixed (int* off = offsets)
            {
                float* pi = Align(pi0), pp = Align(pp0), po = Align(po0), pd = Align(pd0);
                int columns = length / TK.Columns, tapTiles = taps / TK.GradTaps;
                for (int round = 0; round < 5; round++)
                {
                    const int calls = 200_000;
                    var watch = Stopwatch.StartNew();
                    for (int n = 0; n < calls; n++)
                        TK.Tile(pi + n % columns * TK.Columns, off, taps, pp, po + n % columns * TK.Columns, length);
                    double forward = calls * 2.0 * taps * TK.Rows * TK.Columns / watch.Elapsed.TotalSeconds / 1e9;
                    watch.Restart();
                    for (int n = 0; n < calls / 4; n++)
                        TK.GradTile(pd, length, 0, pi, 0, off + n % tapTiles * TK.GradTaps, length, images, sums);
                    double grad = calls / 4 * 2.0 * images * length * TK.GradRows * TK.GradTaps / watch.Elapsed.TotalSeconds / 1e9;
                    Console.WriteLine($"{name} tiles, offsets {(aligned ? "aligned" : "as in the layer")}: forward {forward:F1} GFLOP/s, weight gradient {grad:F1} GFLOP/s");
                }
            }
        }
    }
}
