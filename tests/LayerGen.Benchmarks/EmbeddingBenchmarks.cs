using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace LayerGen.Benchmarks;

/// <summary>
/// Embedding forward + backward (issue #9 target): a 50,000 × 128 float table, 256 ids per step, the dense gradient of
/// the whole table (PyTorch's default, <c>sparse=False</c>), destination forms (0 B per step). Two ways to start every
/// step's gradient from zero, as in <c>torch/embedding_bench.py</c>:
/// <list type="bullet">
/// <item><c>overwrite</c>: <c>EmbeddingBackward(…, accumulate: false)</c> writes all of dTable (zeros, then the 256
/// rows added): the counterpart of PyTorch's <c>weight.grad = None</c>.</item>
/// <item><c>ZeroGrad+accumulate</c>: <c>dTable.Clear()</c> then <c>EmbeddingBackward(…, accumulate: true)</c>, what
/// a generated backward after <c>optimizer.ZeroGrad()</c> does: the counterpart of <c>weight.grad.zero_()</c>.</item>
/// </list>
/// BenchmarkDotNet: <c>-- --filter '*EmbeddingBenchmarks*'</c>; side by side with PyTorch in one session: <c>-- embedding</c>.
/// </summary>
[MemoryDiagnoser]
public class EmbeddingBenchmarks
{
    internal const int Vocabulary = 50_000, Width = 128, Batch = 256;

    private Step _step = null!;

    [GlobalSetup]
    public void Setup() => _step = new Step();

    [Benchmark(Baseline = true)]
    public void Overwrite() => _step.Overwrite();

    [Benchmark]
    public void ZeroGradAccumulate() => _step.ZeroGradAccumulate();

    internal sealed class Step
    {
        private readonly Matrix<float> _table = Matrix<float>.RandomNormal(Vocabulary, Width, 1);
        private readonly int[] _ids;
        private readonly Matrix<float> _y = new(Batch, Width);
        private readonly Matrix<float> _dy = Matrix<float>.RandomNormal(Batch, Width, 2);
        private readonly Matrix<float> _dTable = new(Vocabulary, Width);

        public Step()
        {
            var random = new Random(3);
            _ids = [.. Enumerable.Range(0, Batch).Select(_ => random.Next(Vocabulary))];
        }

        public void Overwrite()
        {
            Ops.Embedding(_table, _ids, _y);
            Ops.EmbeddingBackward(_table, _ids, _dy, _dTable);
        }

        public void ZeroGradAccumulate()
        {
            _dTable.Clear();
            Ops.Embedding(_table, _ids, _y);
            Ops.EmbeddingBackward(_table, _ids, _dy, _dTable, accumulate: true);
        }
    }

    /// <summary>
    /// The side-by-side table, from one session: <c>rounds</c> (default 3) times LayerGen then
    /// <c>torch/embedding_bench.py</c> (torch's default threads; other arguments go to the script), then LayerGen once
    /// more. Each measurement is the median of 7 batches of 50 steps by wall clock, with the process's CPU time per
    /// step (all threads); the table gives each side's best and median measurement and the ratios.
    /// </summary>
    public static int Report(string[] args)
    {
        int rounds = 3;
        if (args.Length > 1 && args[0] == "--rounds")
        {
            rounds = int.Parse(args[1], CultureInfo.InvariantCulture);
            args = args[2..];
        }
        string? script = FindScript();
        var step = new Step();
        (string Ours, string Theirs)[] pairs = [("overwrite", "grad=None"), ("ZeroGrad+accumulate", "zero_()")];
        var ours = pairs.Select(_ => new List<(double Ms, double CpuMs)>()).ToArray();
        var theirs = pairs.Select(_ => new List<(double Ms, double CpuMs)>()).ToArray();
        string torchVersion = "not run";
        string loadBefore = Load();
        for (int round = 0; round <= rounds; round++)
        {
            ours[0].Add(Measure(step.Overwrite));
            ours[1].Add(Measure(step.ZeroGradAccumulate));
            if (round == rounds)
                break;
            if (script is null)
            {
                Console.WriteLine("PyTorch not run: torch/embedding_bench.py not found");
                continue;
            }
            try
            {
                var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", $"{script} {string.Join(' ', args)}") { RedirectStandardOutput = true })!;
                foreach (var line in process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (line.StartsWith('#'))
                    {
                        torchVersion = line[1..].Trim();
                        continue;
                    }
                    var fields = line.Split(' ');
                    int i = Array.FindIndex(pairs, p => line.StartsWith(p.Theirs + " ", StringComparison.Ordinal));
                    if (i >= 0)
                        theirs[i].Add((double.Parse(fields[^2], CultureInfo.InvariantCulture), double.Parse(fields[^1], CultureInfo.InvariantCulture)));
                }
                process.WaitForExit();
            }
            catch (Exception e)
            {
                Console.WriteLine($"PyTorch not run: {e.Message}");
            }
        }
        Console.WriteLine($"Embedding forward+backward, float, table {Vocabulary}×{Width}, {Batch} ids, dense gradient; ms per step; {torchVersion}; {rounds} rounds interleaved; load before {loadBefore}, after {Load()}");
        Console.WriteLine($"{"LayerGen",-20} {"best",7} {"median",7} {"CPU",7} | {"PyTorch",-10} {"best",7} {"median",7} {"CPU",7} | {"× best",7} {"× median",8} {"× CPU",7}");
        for (int i = 0; i < pairs.Length; i++)
        {
            var (oBest, oMedian, oCpu) = Summary(ours[i]);
            var (tBest, tMedian, tCpu) = Summary(theirs[i]);
            Console.WriteLine($"{pairs[i].Ours,-20} {oBest,7:F3} {oMedian,7:F3} {oCpu,7:F3} | {pairs[i].Theirs,-10} {tBest,7:F3} {tMedian,7:F3} {tCpu,7:F3} | {tBest / oBest,6:F2}× {tMedian / oMedian,7:F2}× {tCpu / oCpu,6:F2}×");
            Console.WriteLine($"  LayerGen runs: {string.Join(", ", ours[i].Select(r => r.Ms.ToString("F3", CultureInfo.InvariantCulture)))}; PyTorch runs: {string.Join(", ", theirs[i].Select(r => r.Ms.ToString("F3", CultureInfo.InvariantCulture)))}");
        }
        return 0;
    }

    /// <summary>Best and median wall time, and the median CPU time, of a side's measurements (NaN when none).</summary>
    private static (double Best, double Median, double Cpu) Summary(List<(double Ms, double CpuMs)> runs)
    {
        if (runs.Count == 0)
            return (double.NaN, double.NaN, double.NaN);
        var ms = runs.Select(r => r.Ms).Order().ToArray();
        var cpu = runs.Select(r => r.CpuMs).Order().ToArray();
        return (ms[0], ms[ms.Length / 2], cpu[cpu.Length / 2]);
    }

    /// <summary>Median of 7 batches of 50 steps (wall ms per step) and the process's CPU ms per step over them.</summary>
    private static (double Ms, double CpuMs) Measure(Action step)
    {
        for (int i = 0; i < 10; i++)
            step();
        const int reps = 50;
        var times = new List<double>();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (int batch = 0; batch < 7; batch++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                step();
            times.Add(watch.Elapsed.TotalMilliseconds / reps);
        }
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / (7 * reps);
        times.Sort();
        return (times[times.Count / 2], cpuMs);
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (string candidate in new[] { Path.Combine(dir.FullName, "torch", "embedding_bench.py"),
                         Path.Combine(dir.FullName, "tests", "LayerGen.Benchmarks", "torch", "embedding_bench.py") })
                if (File.Exists(candidate))
                    return candidate;
        }
        return null;
    }

    private static string Load()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
