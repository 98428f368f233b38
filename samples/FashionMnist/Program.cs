// Fashion-MNIST with LayerGen: a 784-256-128-10 ReLU perceptron (Layers.cs, written as [Forward] layers; LayerGen
// generates the backward pass) trains with Adam (learning rate on a cosine to 0) on Debian's dataset-fashion-mnist. Per epoch it shows a progress
// bar, the test accuracy and the epoch time; at the end it writes a loss/accuracy plot (PNG). --save writes a
// checkpoint (safetensors: weights + Adam state + history) after every epoch; --resume continues from one, taking
// exactly the steps an uninterrupted run would have taken.
//
//   sudo apt-get install -y dataset-fashion-mnist
//   dotnet run -c Release --project samples/FashionMnist -- --epochs 3 --stop-after 2 --save fashion.safetensors
//   dotnet run -c Release --project samples/FashionMnist -- --epochs 3 --resume fashion.safetensors
using System.Diagnostics;
using System.Globalization;
using FashionMnistSample;
using LayerGen;
using LayerGen.Samples;
using Spectre.Console;

if (CnnProgram.Requested(ref args) is { } other)   // --model cnn (Cnn.cs) or bn (BatchNormMlp.cs), trained by CnnProgram.cs
    return CnnProgram.Run(other, args);
var options = Options.Parse(args);
if (options is null)
    return 2;

if (!FashionMnistData.TryFind(options.DataDirectory, out var files))
{
    AnsiConsole.MarkupLine($"[red]Fashion-MNIST was not found[/] in [bold]{Markup.Escape(options.DataDirectory)}[/] (it needs {string.Join(", ", FashionMnistData.FileNames)}).");
    AnsiConsole.MarkupLine("Install it with:  [bold]sudo apt-get install -y dataset-fashion-mnist[/]   (Debian/Ubuntu; it lands in /usr/share/datasets/fashion-mnist)");
    AnsiConsole.MarkupLine("or pass [bold]--data DIR[/] with the four IDX files (gzip or not) from https://github.com/zalandoresearch/fashion-mnist.");
    return 3;
}

var loadClock = Stopwatch.StartNew();
var data = FashionMnistData.Load(files);
AnsiConsole.MarkupLine($"Fashion-MNIST: {data.TrainX.Rows} training and {data.TestX.Rows} test images of {data.TrainX.Cols} pixels, read in {loadClock.Elapsed.TotalSeconds:F2} s");

var model = new FashionMlp(data.TrainX.Cols, 256, 128, 10, options.Seed);
var tape = new FashionMlp.LossTape();
var gradients = new FashionMlp.Gradients(model);
var parameters = model.Parameters(gradients);
var optimizer = new Adam<float>(parameters, learningRate: options.LearningRate);
var batches = new Batches<float>(data.TrainX, data.TrainY, options.BatchSize, options.Seed, LastBatch.Keep);
var history = new List<EpochResult>();
int lastEpoch = Math.Min(options.Epochs, options.StopAfter ?? options.Epochs);

if (options.Resume is not null)
{
    var clock = Stopwatch.StartNew();
    CheckpointLoadResult loaded;
    try
    {
        loaded = Checkpoint.Load(options.Resume, parameters, optimizer);
    }
    catch (Exception e) when (e is CheckpointException or FileNotFoundException)
    {
        AnsiConsole.MarkupLine($"[red]cannot resume:[/] {Markup.Escape(e.Message)}");
        return 4;
    }
    history.AddRange(EpochResult.ParseHistory(loaded.Metadata.GetValueOrDefault("history", "")));
    AnsiConsole.MarkupLine($"Resumed [bold]{Markup.Escape(options.Resume)}[/] in {clock.Elapsed.TotalMilliseconds:F1} ms: {history.Count} epochs done, Adam step {optimizer.StepCount}");
}

AnsiConsole.MarkupLine($"MLP {data.TrainX.Cols}-256-128-10 (ReLU), Adam lr {options.LearningRate}{(options.Cosine ? " (cosine to 0)" : "")}, batch {options.BatchSize}, seed {options.Seed}; epochs {history.Count + 1}..{lastEpoch} of {options.Epochs}");

long totalSteps = (long)options.Epochs * batches.Count;
var table = new Table().AddColumns("epoch", "train loss", "test accuracy", "epoch time", "steps/s");
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
            if (options.Cosine)   // learning rate: cosine from lr to 0 over all the epochs' steps (a function of the step: resumes exactly)
                optimizer.LearningRate = options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * optimizer.StepCount / totalSteps));
            optimizer.ZeroGrad();
            float loss = model.Loss(batch.Features, batch.Labels!, tape);   // generated training forward
            model.LossBackward(tape, gradients);                           // generated backward
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
    {
        TrainEpoch(null);
    }
    else
    {
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context => TrainEpoch(context.AddTask($"epoch {epoch + 1}", maxValue: batches.Count)));
    }

    // CPU seconds of all the process's threads: less disturbed than wall time when other processes share the cores.
    double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    double accuracy = Evaluate(model, data.TestX, data.TestY);
    var result = new EpochResult(epoch + 1, lossSum / batches.Count, accuracy, clock.Elapsed.TotalSeconds);
    history.Add(result);
    table.AddRow(result.Epoch.ToString(CultureInfo.InvariantCulture), $"{result.TrainLoss:F4}", $"{result.TestAccuracy:P2}",
        $"{result.Seconds:F2} s", $"{batches.Count / result.Seconds:F0}");
    AnsiConsole.MarkupLine($"epoch {result.Epoch}: train loss {result.TrainLoss:F4}, test accuracy [bold]{result.TestAccuracy:P2}[/], {result.Seconds:F2} s ({cpuSeconds:F2} CPU-s, {batches.Count} steps)");

    if (options.Save is not null)
    {
        var saveClock = Stopwatch.StartNew();
        Checkpoint.Save(options.Save, parameters, optimizer, new Dictionary<string, string>
        {
            ["history"] = EpochResult.FormatHistory(history),
            ["model"] = "FashionMlp 784-256-128-10",
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
        });
        AnsiConsole.MarkupLine($"  saved [bold]{Markup.Escape(options.Save)}[/] ({new FileInfo(options.Save).Length / 1024.0:F0} KiB) in {saveClock.Elapsed.TotalMilliseconds:F1} ms");
    }
}

AnsiConsole.Write(table);
if (steadySteps > 0)
    AnsiConsole.MarkupLine($"steady-state training step: {(double)allocatedInSteadyState / steadySteps:F1} bytes allocated per step (forward + backward + Adam)");
if (history.Count > 0)
{
    Plot.Write(options.PlotPath, history, lossCurve);
    AnsiConsole.MarkupLine($"plot written to [bold]{Markup.Escape(options.PlotPath)}[/]");
}
double final = history.Count > 0 ? history[^1].TestAccuracy : 0;
return options.Target is double target && final < target ? 1 : 0;

// Test accuracy, in chunks of 1000 rows (the plain forward allocates its results).
static double Evaluate(FashionMlp model, Matrix<float> x, int[] labels)
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
