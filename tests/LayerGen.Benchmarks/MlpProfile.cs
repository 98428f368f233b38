using System.Diagnostics;

namespace LayerGen.Benchmarks;

/// <summary>
/// Where the time of one Fashion-MNIST training step goes (MLP 784-256-128-10, batch 64, Adam): the generated step
/// (ZeroGrad, training forward, generated backward, Adam) timed as a whole, and the same step written by hand with
/// the same kernels, timed op by op. Stopwatch, not BenchmarkDotNet: the ops are microseconds each and only their
/// shares matter. Wall time per op and the process's CPU time per step (all threads: the GEMM workers spin).
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- mlp-profile [steps=938] [rounds=5]</c>.
/// </summary>
internal static class MlpProfile
{
    private const int Batch = 64;

    public static int Run(string[] args)
    {
        if (args.FirstOrDefault() == "gemm")
            return Shapes(args[1..]);
        int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 938;
        int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var x = Matrix<float>.RandomNormal(Batch, 784, 2);
        int[] labels = [.. Enumerable.Range(0, Batch).Select(i => i % 10)];

        var model = new BenchMlp(1);
        var tape = new BenchMlp.LossTape();
        var gradients = new BenchMlp.Gradients(model);
        var adam = new Adam<float>(model.Parameters(gradients));
        var hand = new Steps(new BenchMlp(1));

        Console.WriteLine($"MLP 784-256-128-10, batch {Batch}, Adam; {steps} steps per round, {rounds} rounds; {Environment.ProcessorCount} cores; load {Load()}");
        for (int round = 0; round < rounds; round++)
        {
            // Generated step, as the sample runs it.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            for (int s = 0; s < steps; s++)
            {
                adam.ZeroGrad();
                model.Loss(x, labels, tape);
                model.LossBackward(tape, gradients);
                adam.Step();
            }
            double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine($"round {round + 1}: generated step {1e6 * wall / steps,7:F1} µs wall, {1e6 * cpuSeconds / steps,7:F1} µs CPU  ({steps} steps = {wall:F3} s, {cpuSeconds:F3} CPU-s)");

            // The same step by hand, op by op.
            hand.Reset();
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            start = Stopwatch.GetTimestamp();
            for (int s = 0; s < steps; s++)
                hand.Step(x, labels);
            wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine($"         timed by op    {1e6 * wall / steps,7:F1} µs wall, {1e6 * cpuSeconds / steps,7:F1} µs CPU");
            if (round == rounds - 1)
                hand.Print(steps);
        }
        return 0;
    }

    /// <summary>The step's products alone, on one thread and on all cores, best of several rounds.</summary>
    private static int Shapes(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 400;
        (string Name, bool TA, bool TB, int M, int N, int K)[] shapes =
        [
            ("fwd  x·W1", false, false, 64, 256, 784),
            ("fwd  h1·W2", false, false, 64, 128, 256),
            ("fwd  h2·W3", false, false, 64, 10, 128),
            ("bwd  dW3 = h2ᵀ·dY", true, false, 128, 10, 64),
            ("bwd  dh2 = dY·W3ᵀ", false, true, 64, 128, 10),
            ("bwd  dW2 = h1ᵀ·dz2", true, false, 256, 128, 64),
            ("bwd  dh1 = dz2·W2ᵀ", false, true, 64, 256, 128),
            ("bwd  dW1 = xᵀ·dz1", true, false, 784, 256, 64),
        ];
        Console.WriteLine($"{"product",-22} {"m×n×k",-12} {"1 thread µs",12} {"GFLOP/s",8} {"2 threads µs",13} {"GFLOP/s",8}   load {Load()}");
        foreach (var (name, ta, tb, m, n, k) in shapes)
        {
            var a = Matrix<float>.RandomNormal(ta ? k : m, ta ? m : k, 1).AsSpan().ToArray();
            var b = Matrix<float>.RandomNormal(tb ? n : k, tb ? k : n, 2).AsSpan().ToArray();
            var c = new float[m * n];
            double Time(int threads)
            {
                GemmParallel.MaxThreads = threads;
                double best = double.MaxValue;
                for (int round = 0; round < 5; round++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int r = 0; r < repeats; r++)
                        Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 1f, c, n);
                    best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds * 1e6 / repeats);
                }
                return best;
            }
            double one = Time(1), two = Time(0);
            double flops = 2.0 * m * n * k;
            Console.WriteLine($"{name,-22} {$"{m}×{n}×{k}",-12} {one,12:F1} {flops / one / 1e3,8:F1} {two,13:F1} {flops / two / 1e3,8:F1}");
        }
        GemmParallel.MaxThreads = 0;
        return 0;
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

    /// <summary>The step written out with a timer around every op.</summary>
    private sealed class Steps
    {
        private readonly BenchMlp _model;
        private readonly Matrix<float> _z1 = new(Batch, 256), _h1 = new(Batch, 256), _z2 = new(Batch, 128), _h2 = new(Batch, 128);
        private readonly Matrix<float> _logits = new(Batch, 10), _p = new(Batch, 10), _dLogits = new(Batch, 10);
        private readonly Matrix<float> _dh2 = new(Batch, 128), _dz2 = new(Batch, 128), _dh1 = new(Batch, 256), _dz1 = new(Batch, 256);
        private readonly Matrix<float> _dW1 = new(784, 256), _dB1 = new(1, 256), _dW2 = new(256, 128), _dB2 = new(1, 128), _dW3 = new(128, 10), _dB3 = new(1, 10);
        private readonly Adam<float> _adam;
        private readonly List<(string Name, double Flops)> _names = [];
        private readonly long[] _ticks = new long[32];
        private int _op;
        private long _last;

        public Steps(BenchMlp model)
        {
            _model = model;
            _adam = new Adam<float>([
                new("W1", model.Hidden1.W, _dW1), new("B1", model.Hidden1.B, _dB1),
                new("W2", model.Hidden2.W, _dW2), new("B2", model.Hidden2.B, _dB2),
                new("W3", model.Output.W, _dW3), new("B3", model.Output.B, _dB3)]);
        }

        public void Reset() => Array.Clear(_ticks);

        private void Begin()
        {
            _op = 0;
            _last = Stopwatch.GetTimestamp();
        }

        private void Lap(string name, double flops = 0)
        {
            long now = Stopwatch.GetTimestamp();
            if (_names.Count <= _op)
                _names.Add((name, flops));
            _ticks[_op++] += now - _last;
            _last = now;
        }

        public void Step(Matrix<float> x, int[] labels)
        {
            var (l1, l2, l3) = (_model.Hidden1, _model.Hidden2, _model.Output);
            Begin();
            _adam.ZeroGrad(); Lap("ZeroGrad");
            Ops.MatMul(x, l1.W, _z1); Lap("fwd  x·W1      64×784·784×256", 2.0 * 64 * 784 * 256);
            Ops.Add(_z1, l1.B, _z1); Lap("fwd  +B1");
            Ops.Relu(_z1, _h1); Lap("fwd  relu1");
            Ops.MatMul(_h1, l2.W, _z2); Lap("fwd  h1·W2     64×256·256×128", 2.0 * 64 * 256 * 128);
            Ops.Add(_z2, l2.B, _z2); Lap("fwd  +B2");
            Ops.Relu(_z2, _h2); Lap("fwd  relu2");
            Ops.MatMul(_h2, l3.W, _logits); Lap("fwd  h2·W3     64×128·128×10", 2.0 * 64 * 128 * 10);
            Ops.Add(_logits, l3.B, _logits); Lap("fwd  +B3");
            Losses.SoftmaxCrossEntropy(_logits, labels, _p); Lap("fwd  softmax-CE");

            Losses.SoftmaxCrossEntropyBackward(_p, labels, 1f, _dLogits); Lap("bwd  softmax-CE");
            Ops.SumToShape(_dLogits, _dB3, accumulate: true); Lap("bwd  dB3 colsum");
            Ops.MatMul(_h2, _dLogits, _dW3, transposeA: true, accumulate: true); Lap("bwd  dW3 += h2ᵀ·dY 128×64·64×10", 2.0 * 128 * 64 * 10);
            Ops.MatMul(_dLogits, l3.W, _dh2, transposeB: true); Lap("bwd  dh2 = dY·W3ᵀ 64×10·10×128", 2.0 * 64 * 10 * 128);
            Ops.ReluBackward(_z2, _dh2, _dz2); Lap("bwd  relu2");
            Ops.SumToShape(_dz2, _dB2, accumulate: true); Lap("bwd  dB2 colsum");
            Ops.MatMul(_h1, _dz2, _dW2, transposeA: true, accumulate: true); Lap("bwd  dW2 += h1ᵀ·dz2 256×64·64×128", 2.0 * 256 * 64 * 128);
            Ops.MatMul(_dz2, l2.W, _dh1, transposeB: true); Lap("bwd  dh1 = dz2·W2ᵀ 64×128·128×256", 2.0 * 64 * 128 * 256);
            Ops.ReluBackward(_z1, _dh1, _dz1); Lap("bwd  relu1");
            Ops.SumToShape(_dz1, _dB1, accumulate: true); Lap("bwd  dB1 colsum");
            Ops.MatMul(x, _dz1, _dW1, transposeA: true, accumulate: true); Lap("bwd  dW1 += xᵀ·dz1 784×64·64×256", 2.0 * 784 * 64 * 256);
            _adam.Step(); Lap("Adam (235,146 parameters)");
        }

        public void Print(int steps)
        {
            double total = 0;
            for (int i = 0; i < _names.Count; i++)
                total += _ticks[i];
            Console.WriteLine($"  {"op",-40} {"µs/step",8} {"share",6} {"GFLOP/s",8}");
            for (int i = 0; i < _names.Count; i++)
            {
                double us = 1e6 * _ticks[i] / Stopwatch.Frequency / steps;
                string gflops = _names[i].Flops > 0 ? $"{_names[i].Flops / us / 1e3,8:F1}" : "";
                Console.WriteLine($"  {_names[i].Name,-40} {us,8:F1} {_ticks[i] / total,6:P0} {gflops}");
            }
            Console.WriteLine($"  {"total",-40} {1e6 * total / Stopwatch.Frequency / steps,8:F1}");
        }
    }
}
