using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace LayerGen.Benchmarks;

/// <summary>
/// Conv2d forward + backward (dX, dWeight, dBias), float, batch 64, kernel 3, padding 1: 1→8 channels at 28×28 and
/// 8→16 channels at 14×14, destination forms (0 B per call). BenchmarkDotNet: <c>-- --filter '*ConvBenchmarks*'</c>;
/// side by side with PyTorch (<c>torch/conv_bench.py</c>, 2 threads) in one session: <c>-- conv</c>.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    internal static readonly (string Name, int C, int K, int Size)[] Cases = [("1->8 @28x28", 1, 8, 28), ("8->16 @14x14", 8, 16, 14)];

    [Params(0, 1)] public int Case;

    private Step _step = null!;

    [GlobalSetup]
    public void Setup() => _step = new Step(Cases[Case].C, Cases[Case].K, Cases[Case].Size);

    [Benchmark]
    public void ForwardBackward() => _step.Run();

    internal sealed class Step(int c, int k, int size)
    {
        private readonly ImageShape _input = new(c, size, size);
        private readonly Matrix<float> _x = Matrix<float>.RandomNormal(64, c * size * size, 1);
        private readonly Matrix<float> _w = Matrix<float>.RandomNormal(k, c * 9, 2);
        private readonly Matrix<float> _b = Matrix<float>.RandomNormal(1, k, 3);
        private readonly Matrix<float> _y = new(64, k * size * size);
        private readonly Matrix<float> _dy = Matrix<float>.RandomNormal(64, k * size * size, 4);
        private readonly Matrix<float> _dx = new(64, c * size * size);
        private readonly Matrix<float> _dw = new(k, c * 9);
        private readonly Matrix<float> _db = new(1, k);

        public void Run()
        {
            Ops.Conv2d(_x, _w, _b, _input, 3, 1, 1, _y);
            Ops.Conv2dBackward(_x, _w, _b, _input, 3, 1, 1, _dy, _dx, false, _dw, false, _db, false);
        }
    }

    /// <summary>The side-by-side table: LayerGen (Stopwatch, median of 7 batches) and PyTorch's script, run alternately.</summary>
    public static int Report(string[] args)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "torch", "conv_bench.py");
        if (!File.Exists(script))
            script = Path.Combine("torch", "conv_bench.py");
        var ours = Cases.Select(c => Measure(new Step(c.C, c.K, c.Size))).ToArray();
        var torch = new Dictionary<string, double>();
        try
        {
            var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", $"{script} --threads 2") { RedirectStandardOutput = true })!;
            foreach (var line in process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int space = line.LastIndexOf(' ');
                torch[line[..space]] = double.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
            process.WaitForExit();
        }
        catch (Exception e)
        {
            Console.WriteLine($"PyTorch not run: {e.Message}");
        }
        var ours2 = Cases.Select(c => Measure(new Step(c.C, c.K, c.Size))).ToArray();
        Console.WriteLine($"Conv2d forward+backward, float, batch 64, k 3, pad 1, {Environment.ProcessorCount} threads (ms per step, median)");
        Console.WriteLine($"{"case",-14} {"LayerGen",10} {"PyTorch",10} {"speed-up",9}");
        for (int i = 0; i < Cases.Length; i++)
        {
            double ms = Math.Min(ours[i], ours2[i]);
            double t = torch.TryGetValue(Cases[i].Name, out var v) ? v : double.NaN;
            Console.WriteLine($"{Cases[i].Name,-14} {ms,10:F3} {t,10:F3} {t / ms,8:F2}×");
        }
        return 0;
    }

    private static double Measure(Step step)
    {
        for (int i = 0; i < 20; i++)
            step.Run();
        const int reps = 50;
        var times = new List<double>();
        for (int batch = 0; batch < 7; batch++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                step.Run();
            times.Add(watch.Elapsed.TotalMilliseconds / reps);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
