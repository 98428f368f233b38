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

    /// <summary>One benchmark layer's operands (batch 64, k 3, stride 1, pad 1, random inputs) and its passes.</summary>
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

        /// <summary>The training step: the forward, then the fused backward for dX, dWeight and dBias.</summary>
        public void Run()
        {
            Forward();
            Backward(dX: true, dWeight: true);
        }

        public void Forward() => Ops.Conv2d(_x, _w, _b, _input, 3, 1, 1, _y);

        /// <summary>The fused backward for dX, for dWeight + dBias, or for both.</summary>
        public void Backward(bool dX, bool dWeight) =>
            Ops.Conv2dBackward(_x, _w, _b, _input, 3, 1, 1, _dy, dX ? _dx : null, false, dWeight ? _dw : null, false, dWeight ? _db : null, false);
    }

    /// <summary>
    /// The side-by-side table. PyTorch's script runs as a server (<c>conv_bench.py --serve</c>), and each round times one
    /// batch of 50 steps of each side in turn, the order alternating between rounds, with a pause between them so that
    /// neither side's spinning threads overlap the other's batch. A burst of load from other tenants of a shared machine
    /// then hits both sides of a round alike: the table gives each side's median and the paired per-round ratios.
    /// <c>-- conv [rounds=N]</c> (default 15).
    /// </summary>
    public static int Report(string[] args)
    {
        int rounds = args.Where(a => a.StartsWith("rounds=", StringComparison.Ordinal))
                         .Select(a => int.Parse(a[7..], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(15);
        string script = Path.Combine(AppContext.BaseDirectory, "torch", "conv_bench.py");
        if (!File.Exists(script))
            script = Path.Combine("torch", "conv_bench.py");
        var steps = Cases.Select(c => new Step(c.C, c.K, c.Size)).ToArray();
        foreach (var step in steps)
            for (int i = 0; i < 20; i++)
                step.Run();
        Process? torch = null;
        try
        {
            torch = Process.Start(new ProcessStartInfo("/usr/bin/python3", $"{script} --threads 2 --serve")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            })!;
            if (torch.StandardOutput.ReadLine() != "ready")
                throw new InvalidOperationException($"{script} did not start");
        }
        catch (Exception e)
        {
            Console.WriteLine($"PyTorch not run: {e.Message}");
            torch = null;
        }
        const int reps = 50;
        var ours = Cases.Select(_ => new List<double>()).ToArray();
        var theirs = Cases.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < Cases.Length; i++)
                for (int side = 0; side < 2; side++)
                {
                    bool layerGen = (side == 0) == (round % 2 == 0);
                    if (layerGen)
                        ours[i].Add(Batch(steps[i], reps));
                    else if (torch is not null)
                    {
                        torch.StandardInput.WriteLine($"{i} {reps}");
                        torch.StandardInput.Flush();
                        theirs[i].Add(double.Parse(torch.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture));
                    }
                    Thread.Sleep(30);
                }
        if (torch is not null)
        {
            torch.StandardInput.Close();
            torch.WaitForExit();
        }
        Console.WriteLine($"Conv2d forward+backward, float, batch 64, k 3, pad 1, {Environment.ProcessorCount} threads, kernel " +
                          $"{(Gemm.UseAvx512<float>() ? "AVX-512" : "AVX2")}: {rounds} rounds of {reps} steps per side, alternating (ms per step)");
        Console.WriteLine($"{"case",-14} {"LayerGen",10} {"PyTorch",10} {"speed-up",9}   per round: min / quartile / median / quartile / max");
        for (int i = 0; i < Cases.Length; i++)
        {
            double ms = Median(ours[i]), t = theirs[i].Count > 0 ? Median(theirs[i]) : double.NaN;
            var ratios = theirs[i].Zip(ours[i], (a, b) => a / b).Order().ToArray();
            string spread = ratios.Length == 0 ? "" :
                $"   {ratios[0]:F2} / {Quantile(ratios, 0.25):F2} / {Quantile(ratios, 0.5):F2} / {Quantile(ratios, 0.75):F2} / {ratios[^1]:F2}";
            Console.WriteLine($"{Cases[i].Name,-14} {ms,10:F3} {t,10:F3} {t / ms,8:F2}×{spread}");
        }
        return 0;
    }

    private static double Median(List<double> values) => Quantile(values.Order().ToArray(), 0.5);

    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int low = (int)position;
        return low + 1 < sorted.Length ? sorted[low] + (position - low) * (sorted[low + 1] - sorted[low]) : sorted[low];
    }

    /// <summary>One timed batch: a few untimed steps (as the script does), then <paramref name="reps"/> timed ones.</summary>
    private static double Batch(Step step, int reps)
    {
        for (int i = 0; i < 5; i++)
            step.Run();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
            step.Run();
        return watch.Elapsed.TotalMilliseconds / reps;
    }
}
