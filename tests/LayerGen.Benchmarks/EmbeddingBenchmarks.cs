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
    /// The side-by-side table: LayerGen (Stopwatch, median of 7 batches of 50 steps, before and after the PyTorch run,
    /// the better of the two) and <c>torch/embedding_bench.py</c> (torch's default threads), one session.
    /// </summary>
    public static int Report(string[] args)
    {
        string? script = FindScript();
        var step = new Step();
        Console.WriteLine($"load {Load()}");
        double[] before = [Measure(step.Overwrite), Measure(step.ZeroGradAccumulate)];
        var torch = new Dictionary<string, double>();
        string torchVersion = "not run";
        if (script is null)
        {
            Console.WriteLine("PyTorch not run: torch/embedding_bench.py not found");
        }
        else
        {
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
                    int space = line.LastIndexOf(' ');
                    torch[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
                }
                process.WaitForExit();
            }
            catch (Exception e)
            {
                Console.WriteLine($"PyTorch not run: {e.Message}");
            }
        }
        double[] after = [Measure(step.Overwrite), Measure(step.ZeroGradAccumulate)];
        Console.WriteLine($"load {Load()}");
        Console.WriteLine($"Embedding forward+backward, float, table {Vocabulary}×{Width}, {Batch} ids, dense gradient (ms per step, median); {torchVersion}");
        Console.WriteLine($"{"LayerGen",-22} {"ms",8} {"PyTorch",-10} {"ms",8} {"speed-up",9}");
        (string Ours, string Theirs)[] pairs = [("overwrite", "grad=None"), ("ZeroGrad+accumulate", "zero_()")];
        for (int i = 0; i < pairs.Length; i++)
        {
            double ms = Math.Min(before[i], after[i]);
            double t = torch.TryGetValue(pairs[i].Theirs, out var v) ? v : double.NaN;
            Console.WriteLine($"{pairs[i].Ours,-22} {ms,8:F3} {pairs[i].Theirs,-10} {t,8:F3} {t / ms,8:F2}×   (LayerGen runs {before[i]:F3} / {after[i]:F3})");
        }
        return 0;
    }

    private static double Measure(Action step)
    {
        for (int i = 0; i < 10; i++)
            step();
        const int reps = 50;
        var times = new List<double>();
        for (int batch = 0; batch < 7; batch++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                step();
            times.Add(watch.Elapsed.TotalMilliseconds / reps);
        }
        times.Sort();
        return times[times.Count / 2];
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
