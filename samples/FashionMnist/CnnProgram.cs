using System.Diagnostics;
using System.Globalization;
using LayerGen;
using LayerGen.Samples;
using Spectre.Console;

namespace FashionMnistSample;

/// <summary>
/// <c>--model cnn</c> (<see cref="FashionCnn"/>) and <c>--model bn</c> (<see cref="FashionBatchNormMlp"/>): trained with the
/// MLP's options and loop (Adam, cosine learning rate, batch 64 by default, progress bar or --quiet, test accuracy, wall
/// and CPU seconds per epoch, the plot, --save and --resume, --target). <c>--model mlp</c> (the default) runs the MLP in
/// Program.cs.
/// </summary>
/// <code>
///   dotnet run -c Release --project samples/FashionMnist -- --model cnn --epochs 3 --quiet
///   dotnet run -c Release --project samples/FashionMnist -- --model bn --epochs 3 --quiet
/// </code>
internal static class CnnProgram
{
    /// <summary>Adam's initial learning rate for the CNN unless <c>--lr</c> is given.</summary>
    public const double DefaultLearningRate = 3e-3;

    /// <summary>One trainable model as the loop sees it: a training step (forward + backward) and evaluation scores.</summary>
    private sealed record Model(string Description, string Name, IReadOnlyList<Parameter<float>> Parameters,
        Func<Matrix<float>, int[], float> ForwardBackward, Func<Matrix<float>, Matrix<float>> Scores, string PlotTitle);

    /// <summary>Takes <c>--model NAME</c> out of <paramref name="args"/>; the model it names other than the MLP, or null.</summary>
    public static string? Requested(ref string[] args)
    {
        int i = Array.IndexOf(args, "--model");
        if (i < 0 || i + 1 >= args.Length)
            return null;
        string name = args[i + 1];
        args = args.Take(i).Concat(args.Skip(i + 2)).ToArray();
        if (name is not ("cnn" or "mlp" or "bn"))
        {
            Console.Error.WriteLine($"error: --model is 'mlp' (the default), 'cnn' or 'bn', not '{name}'");
            Environment.Exit(2);
        }
        return name == "mlp" ? null : name;
    }

    private static Model Create(string name, int seed)
    {
        if (name == "cnn")
        {
            var cnn = new FashionCnn(seed);
            var tape = new FashionCnn.LossTape();
            var gradients = new FashionCnn.Gradients(cnn);
            var scoresTape = new FashionCnn.ScoresTape();
            return new Model("CNN conv3×3 1→8, pool 2, conv3×3 8→16, pool 2, linear 784→10", "FashionCnn conv8-pool-conv16-pool-linear",
                cnn.Parameters(gradients),
                (x, y) =>
                {
                    float loss = cnn.Loss(x, y, tape);      // generated training forward
                    cnn.LossBackward(tape, gradients);      // generated backward
                    return loss;
                },
                // Evaluation through the training forward's own tape: the same scores, into buffers reused from chunk
                // to chunk (the plain forward allocates every intermediate of a 1000-image chunk, ≈ 50 MB).
                x => cnn.Scores(x, scoresTape), "LayerGen · Fashion-MNIST · CNN (conv 8, conv 16, linear), Adam");
        }
        var mlp = new FashionBatchNormMlp(seed);
        var mlpTape = new FashionBatchNormMlp.LossTape();
        var mlpGradients = new FashionBatchNormMlp.Gradients(mlp);
        return new Model("MLP 784-256-128-10 with batch norm and dropout 0.2 in the hidden layers", "FashionBatchNormMlp 784-256bn-128bn-10",
            mlp.Parameters(mlpGradients),
            (x, y) =>
            {
                float loss = mlp.Loss(x, y, true, mlpTape);   // training: batch statistics, running ones updated, dropout
                mlp.LossBackward(mlpTape, mlpGradients);
                return loss;
            },
            mlp.Scores, "LayerGen · Fashion-MNIST · MLP with batch norm and dropout, Adam");
    }

    public static int Run(string name, string[] args)
    {
        var options = Options.Parse(args);
        if (options is null)
            return 2;
        // The CNN's own default learning rate (89 % in 3 epochs on the cosine schedule; 1e-3 reaches 88 %).
        if (name == "cnn" && !args.Contains("--lr"))
            options = options with { LearningRate = DefaultLearningRate };
        if (!FashionMnistData.TryFind(options.DataDirectory, out var files))
        {
            AnsiConsole.MarkupLine($"[red]Fashion-MNIST was not found[/] in [bold]{Markup.Escape(options.DataDirectory)}[/]; install it with [bold]sudo apt-get install -y dataset-fashion-mnist[/] or pass --data DIR.");
            return 3;
        }
        var data = FashionMnistData.Load(files);

        var model = Create(name, options.Seed);
        var parameters = model.Parameters;
        var optimizer = new Adam<float>(parameters, learningRate: options.LearningRate);
        var batches = new Batches<float>(data.TrainX, data.TrainY, options.BatchSize, options.Seed, LastBatch.Keep);
        var history = new List<EpochResult>();
        int lastEpoch = Math.Min(options.Epochs, options.StopAfter ?? options.Epochs);
        if (options.Resume is not null)
        {
            try
            {
                var loaded = Checkpoint.Load(options.Resume, parameters, optimizer);
                history.AddRange(EpochResult.ParseHistory(loaded.Metadata.GetValueOrDefault("history", "")));
            }
            catch (Exception e) when (e is CheckpointException or FileNotFoundException)
            {
                AnsiConsole.MarkupLine($"[red]cannot resume:[/] {Markup.Escape(e.Message)}");
                return 4;
            }
        }
        AnsiConsole.MarkupLine($"{model.Description}; Adam lr {options.LearningRate}{(options.Cosine ? " (cosine to 0)" : "")}, batch {options.BatchSize}, seed {options.Seed}; epochs {history.Count + 1}..{lastEpoch} of {options.Epochs}; {Environment.ProcessorCount} cores");

        long totalSteps = (long)options.Epochs * batches.Count;
        var lossCurve = new List<(double Epoch, double Loss)>();
        long allocatedInSteadyState = 0, steadySteps = 0;
        for (int epoch = history.Count; epoch < lastEpoch; epoch++)
        {
            double lossSum = 0, windowSum = 0;
            int window = 0, step = 0;
            var clock = new Stopwatch();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

            void TrainEpoch(ProgressTask? task)
            {
                clock.Start();
                foreach (var batch in batches.Epoch(epoch))
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    if (options.Cosine)
                        optimizer.LearningRate = options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * optimizer.StepCount / totalSteps));
                    optimizer.ZeroGrad();
                    float loss = model.ForwardBackward(batch.Features, batch.Labels!);
                    optimizer.Step();
                    if (epoch > history.Count || step > 0)   // the very first step sizes the tape's buffers
                    {
                        allocatedInSteadyState += GC.GetAllocatedBytesForCurrentThread() - before;
                        steadySteps++;
                    }
                    lossSum += loss;
                    windowSum += loss;
                    step++;
                    if (++window == 100)
                    {
                        lossCurve.Add((epoch + step / (double)batches.Count, windowSum / window));
                        task?.Description($"epoch {epoch + 1}  loss {windowSum / window:F4}");
                        windowSum = 0;
                        window = 0;
                    }
                    task?.Increment(1);
                }
                clock.Stop();
            }

            if (options.Quiet)
                TrainEpoch(null);
            else
                AnsiConsole.Progress().AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(context => TrainEpoch(context.AddTask($"epoch {epoch + 1}", maxValue: batches.Count)));

            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            double accuracy = Evaluate(model, data.TestX, data.TestY);
            var result = new EpochResult(epoch + 1, lossSum / batches.Count, accuracy, clock.Elapsed.TotalSeconds);
            history.Add(result);
            AnsiConsole.MarkupLine($"epoch {result.Epoch}: train loss {result.TrainLoss:F4}, test accuracy [bold]{result.TestAccuracy:P2}[/], {result.Seconds:F2} s ({cpuSeconds:F2} CPU-s, {batches.Count} steps)");
            if (options.Save is not null)
            {
                Checkpoint.Save(options.Save, parameters, optimizer, new Dictionary<string, string>
                {
                    ["history"] = EpochResult.FormatHistory(history),
                    ["model"] = model.Name,
                    ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                    ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
                });
            }
        }
        if (steadySteps > 0)
            AnsiConsole.MarkupLine($"steady-state training step: {(double)allocatedInSteadyState / steadySteps:F1} bytes allocated per step (forward + backward + Adam)");
        if (history.Count > 0)
        {
            Plot.Write(options.PlotPath, history, lossCurve, model.PlotTitle);
            AnsiConsole.MarkupLine($"plot written to [bold]{Markup.Escape(options.PlotPath)}[/]");
        }
        double final = history.Count > 0 ? history[^1].TestAccuracy : 0;
        return options.Target is double target && final < target ? 1 : 0;
    }

    /// <summary>Test accuracy, in chunks of 1000 rows (the plain forward allocates its results).</summary>
    private static double Evaluate(Model model, Matrix<float> x, int[] labels)
    {
        const int chunk = 1000;
        int correct = 0;
        for (int start = 0; start < x.Rows; start += chunk)
        {
            int rows = Math.Min(chunk, x.Rows - start);
            var slice = Matrix<float>.FromSpan(rows, x.Cols, x.AsReadOnlySpan().Slice(start * x.Cols, rows * x.Cols));
            correct += (int)Math.Round(Metrics.Accuracy(model.Scores(slice), labels[start..(start + rows)]) * rows);
        }
        return correct / (double)x.Rows;
    }
}
