using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;
using LayerGen.Benchmarks.Interop;

namespace LayerGen.Benchmarks;

/// <summary>
/// <c>gemm-report</c>: the FMA peak, the BenchmarkDotNet GEMM suite (LayerGen, OpenBLAS, MathNet) and the libtorch
/// script, printed as one Markdown table with % of peak and ratios.
/// <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- gemm-report [--sizes 64,256] [--types float,double] [--no-torch] [--no-cpu]</c>.
/// Python: <c>$LAYERGEN_PYTHON</c>, else <c>/usr/bin/python3</c>, else <c>python3</c>; missing PyTorch is
/// reported and the torch column left empty.
/// </summary>
internal static class GemmReport
{
    private sealed record Key(string Type, int N, string Mode);

    public static int Run(string[] args)
    {
        var total = Stopwatch.StartNew();
        int[] sizes = Option(args, "--sizes")?.Split(',').Select(int.Parse).ToArray() ?? [64, 128, 256, 512, 1024, 2048];
        string[] types = Option(args, "--types")?.Split(',') ?? ["float", "double"];
        bool torch = !args.Contains("--no-torch");

        Console.WriteLine($"Load before: {LoadAverage()}");
        var peak = PeakBenchmarks.Measure();
        Console.WriteLine($"FMA peak: float {peak.FloatOne:F1} / {peak.FloatAll:F1} GFLOP/s (1 thread / {Environment.ProcessorCount} cores), " +
                          $"double {peak.DoubleOne:F1} / {peak.DoubleAll:F1}");
        Console.WriteLine($"OpenBLAS: {OpenBlas.LoadError ?? "loaded"}");

        // BenchmarkDotNet suite, restricted to the requested sizes.
        var results = new Dictionary<(Key, string), double>();
        foreach (string type in types)
        {
            var benchType = type == "double" ? typeof(GemmBenchmarks<double>) : typeof(GemmBenchmarks<float>);
            // The class's [Config(typeof(GemmConfig))] (job, columns) is merged in by BenchmarkDotNet; this adds loggers and the filter.
            var config = ManualConfig.Create(DefaultConfig.Instance).AddFilter(new SimpleFilter(c => sizes.Contains((int)c.Parameters["N"])));
            var summary = BenchmarkRunner.Run(benchType, config);
            foreach (var report in summary.Reports)
            {
                double? g = GflopsColumn.Gflops(summary, report.BenchmarkCase);
                if (g is null)
                    continue;
                var bc = report.BenchmarkCase;
                results[(new Key(type, (int)bc.Parameters["N"], (string)bc.Parameters["Mode"]), bc.Descriptor.WorkloadMethod.Name)] = g.Value;
            }
        }
        Console.WriteLine($"Load after BenchmarkDotNet: {LoadAverage()}");

        var (torchResults, torchCpu) = torch ? RunTorch(sizes, types) : (new Dictionary<Key, double>(), new Dictionary<Key, double>());

        var table = new StringBuilder();
        table.AppendLine($"| type | n | mode | LayerGen GFLOP/s | % of {Environment.ProcessorCount}-core peak | OpenBLAS | MathNet | libtorch | ×torch | ×OpenBLAS | ×MathNet |");
        table.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string type in types)
            foreach (int n in sizes)
                foreach (string mode in new[] { "NN", "NT", "TN", "TT" })
                {
                    var key = new Key(type, n, mode);
                    double ours = results.GetValueOrDefault((key, "LayerGen"), double.NaN);
                    double blas = results.GetValueOrDefault((key, "OpenBLAS"), double.NaN);
                    double mathNet = results.GetValueOrDefault((key, "MathNet"), double.NaN);
                    double tor = torchResults.GetValueOrDefault(key, double.NaN);
                    double typePeak = type == "double" ? peak.DoubleAll : peak.FloatAll;
                    table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {type} | {n} | {mode} | {F(ours)} | {F(100 * ours / typePeak)}% | {F(blas)} | {F(mathNet)} | {F(tor)} | {R(ours, tor)} | {R(ours, blas)} | {R(ours, mathNet)} |"));
                }
        Console.WriteLine();
        Console.WriteLine(table);

        // Second table: the same products timed by CPU time (LayerGen and OpenBLAS in this process, libtorch in
        // the script), which a shared machine disturbs far less than wall-clock time.
        if (!args.Contains("--no-cpu"))
        {
            var cpuPeak = PeakBenchmarks.MeasurePerCpuSecond();
            Console.WriteLine($"Per CPU-second: GFLOP per second of CPU time of all the process's threads; one-core FMA peak per CPU-second: " +
                              $"float {cpuPeak.Float:F1}, double {cpuPeak.Double:F1}");
            var cpuTable = new StringBuilder();
            cpuTable.AppendLine("| type | n | mode | LayerGen GFLOP/cpu-s | % of core peak | OpenBLAS | libtorch | ×torch | ×OpenBLAS |");
            cpuTable.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");
            foreach (string type in types)
                foreach (int n in sizes)
                    for (int mode = 0; mode < 4; mode++)
                    {
                        var key = new Key(type, n, GemmBenchmarks.ModeName(mode));
                        double ours = type == "double" ? GemmQuick.Measure<double>(n, mode, blas: false).Cpu : GemmQuick.Measure<float>(n, mode, blas: false).Cpu;
                        double blas = !OpenBlas.IsAvailable ? double.NaN
                            : type == "double" ? GemmQuick.Measure<double>(n, mode, blas: true).Cpu : GemmQuick.Measure<float>(n, mode, blas: true).Cpu;
                        double tor = torchCpu.GetValueOrDefault(key, double.NaN);
                        double corePeak = type == "double" ? cpuPeak.Double : cpuPeak.Float;
                        cpuTable.AppendLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {type} | {n} | {key.Mode} | {F(ours)} | {F(100 * ours / corePeak)}% | {F(blas)} | {F(tor)} | {R(ours, tor)} | {R(ours, blas)} |"));
                    }
            Console.WriteLine();
            Console.WriteLine(cpuTable);
        }
        Console.WriteLine($"Load at the end: {LoadAverage()}; total time {total.Elapsed.TotalMinutes:F1} min");
        return 0;
    }

    private static string F(double x) => double.IsNaN(x) ? "–" : x.ToString("F1", CultureInfo.InvariantCulture);

    private static string R(double x, double y) => double.IsNaN(x) || double.IsNaN(y) ? "–" : (x / y).ToString("F2", CultureInfo.InvariantCulture);

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Runs torch/gemm_bench.py --json; an empty result (and a message) when Python or PyTorch is missing.</summary>
    private static (Dictionary<Key, double> Wall, Dictionary<Key, double> Cpu) RunTorch(int[] sizes, string[] types)
    {
        var results = new Dictionary<Key, double>();
        var cpu = new Dictionary<Key, double>();
        string? script = FindScript();
        if (script is null)
        {
            Console.WriteLine("libtorch: torch/gemm_bench.py not found next to the benchmark sources; torch column left empty.");
            return (results, cpu);
        }
        string python = Environment.GetEnvironmentVariable("LAYERGEN_PYTHON") ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        string dtypes = string.Join(',', types.Select(t => t == "double" ? "float64" : "float32"));
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { script, "--json", "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
                     "--sizes", string.Join(',', sizes), "--dtypes", dtypes })
            start.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                string type = root.GetProperty("dtype").GetString() == "float64" ? "double" : "float";
                var key = new Key(type, root.GetProperty("n").GetInt32(), root.GetProperty("mode").GetString()!);
                results[key] = root.GetProperty("gflops").GetDouble();
                if (root.TryGetProperty("cpu_gflops", out var c) && c.ValueKind == JsonValueKind.Number)
                    cpu[key] = c.GetDouble();
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                Console.WriteLine($"libtorch: {python} exited with {process.ExitCode}: {stderr.Result.Trim()}; torch column left empty.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"libtorch: cannot start {python} ({e.Message}); torch column left empty.");
        }
        return (results, cpu);
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (string candidate in new[] { Path.Combine(dir.FullName, "torch", "gemm_bench.py"),
                         Path.Combine(dir.FullName, "tests", "LayerGen.Benchmarks", "torch", "gemm_bench.py") })
                if (File.Exists(candidate))
                    return candidate;
        }
        return null;
    }
}
