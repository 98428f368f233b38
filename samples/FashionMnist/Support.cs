using System.Globalization;
using LayerGen;
using Spectre.Console;

namespace FashionMnistSample;

/// <summary>The command line.</summary>
internal sealed record Options(string DataDirectory, int Epochs, int BatchSize, double LearningRate, int Seed,
    string? Save, string? Resume, string PlotPath, bool Quiet, double? Target, bool Cosine, int? StopAfter)
{
    /// <summary>Where Debian's dataset-fashion-mnist puts the files.</summary>
    public const string DefaultDataDirectory = "/usr/share/datasets/fashion-mnist";

    private const string Usage = """
        usage: FashionMnist [--model mlp|cnn|bn] [--data DIR] [--epochs N] [--batch N] [--lr X] [--seed N]
                            [--save FILE] [--resume FILE] [--plot FILE.png] [--quiet] [--target ACCURACY]
          --model NAME     mlp: 784-256-128-10 perceptron (default); cnn: two conv + pool blocks and a linear layer;
                           bn: the perceptron with batch norm and dropout 0.2 in its hidden layers
          --data DIR       the four Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist,
                           or $FASHION_MNIST_DIR)
          --epochs N       train until N epochs are done in total (default 3; a resumed run continues the count)
          --batch N        mini-batch size (default 64)
          --lr X           Adam's initial learning rate (default 0.001; 0.003 for --model cnn)
          --seed N         initial weights and batch order (default 1)
          --save FILE      write a safetensors checkpoint after every epoch (atomic)
          --resume FILE    continue from a checkpoint (weights, Adam state, history)
          --plot FILE      the loss/accuracy plot (default fashion-mnist.png)
          --quiet          no progress bar (for timing)
          --constant-lr    keep the learning rate at --lr (default: a cosine from --lr to 0 over all --epochs)
          --stop-after N   stop once N epochs are done (an interruption: resume later with the same --epochs)
          --target X       exit 1 unless the final test accuracy is at least X (e.g. 0.87)
        """;

    /// <summary>Parses <paramref name="args"/>; prints the usage and returns null when they are wrong.</summary>
    public static Options? Parse(string[] args)
    {
        var options = new Options(Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") ?? DefaultDataDirectory,
            3, 64, 1e-3, 1, null, null, "fashion-mnist.png", false, null, true, null);
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                options = args[i] switch
                {
                    "--data" => options with { DataDirectory = Value() },
                    "--epochs" => options with { Epochs = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--batch" => options with { BatchSize = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--lr" => options with { LearningRate = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--seed" => options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--save" => options with { Save = Value() },
                    "--resume" => options with { Resume = Value() },
                    "--plot" => options with { PlotPath = Value() },
                    "--quiet" => options with { Quiet = true },
                    "--constant-lr" => options with { Cosine = false },
                    "--stop-after" => options with { StopAfter = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--target" => options with { Target = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--help" or "-h" => throw new FormatException(""),
                    _ => throw new FormatException($"unknown option '{args[i]}'"),
                };
            }
            if (options.Epochs < 1 || options.BatchSize < 1)
                throw new FormatException("--epochs and --batch must be at least 1");
            return options;
        }
        catch (FormatException e)
        {
            if (e.Message.Length > 0)
                Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(Usage);
            return null;
        }
    }
}

/// <summary>Finds and reads the four IDX files; pixels are scaled to [0, 1] and standardized.</summary>
internal static class FashionMnistData
{
    public static readonly string[] FileNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>The training set's pixel mean and standard deviation (after scaling to [0, 1]), as torchvision users normalize.</summary>
    private const float Mean = 0.2860f, StandardDeviation = 0.3530f;

    /// <summary>Finds each file, plain or with <c>.gz</c>.</summary>
    public static bool TryFind(string directory, out string[] paths)
    {
        paths = new string[FileNames.Length];
        for (int i = 0; i < FileNames.Length; i++)
        {
            string plain = Path.Combine(directory, FileNames[i]);
            paths[i] = File.Exists(plain + ".gz") ? plain + ".gz" : plain;
            if (!File.Exists(paths[i]))
                return false;
        }
        return true;
    }

    public static (Matrix<float> TrainX, int[] TrainY, Matrix<float> TestX, int[] TestY) Load(string[] paths)
    {
        var trainX = Standardize(Idx.ReadImages<float>(paths[0]));
        var trainY = Idx.ReadLabels(paths[1]);
        var testX = Standardize(Idx.ReadImages<float>(paths[2]));
        var testY = Idx.ReadLabels(paths[3]);
        return (trainX, trainY, testX, testY);
    }

    private static Matrix<float> Standardize(Matrix<float> x)
    {
        var span = x.AsSpan();
        System.Numerics.Tensors.TensorPrimitives.Add(span, -Mean, span);
        System.Numerics.Tensors.TensorPrimitives.Multiply(span, 1 / StandardDeviation, span);
        return x;
    }
}

/// <summary>One epoch's numbers; the history travels in the checkpoint's metadata.</summary>
internal sealed record EpochResult(int Epoch, double TrainLoss, double TestAccuracy, double Seconds)
{
    public static string FormatHistory(IEnumerable<EpochResult> history)
        => string.Join(";", history.Select(static r => string.Create(CultureInfo.InvariantCulture, $"{r.Epoch}:{r.TrainLoss:R}:{r.TestAccuracy:R}:{r.Seconds:R}")));

    public static IEnumerable<EpochResult> ParseHistory(string text)
        => text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(static item =>
        {
            var f = item.Split(':');
            return new EpochResult(int.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture),
                double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture));
        });
}

/// <summary>The loss/accuracy plot.</summary>
internal static class Plot
{
    public static void Write(string path, IReadOnlyList<EpochResult> history, IReadOnlyList<(double Epoch, double Loss)> lossCurve,
        string title = "LayerGen · Fashion-MNIST · MLP 784-256-128-10, Adam")
    {
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("training loss");

        if (lossCurve.Count > 0)
        {
            var curve = plot.Add.Scatter(lossCurve.Select(p => p.Epoch).ToArray(), lossCurve.Select(p => p.Loss).ToArray());
            curve.LegendText = "training loss (mean of 100 batches, this run)";
            curve.MarkerSize = 0;
        }
        var epochLoss = plot.Add.Scatter(history.Select(h => (double)h.Epoch).ToArray(), history.Select(h => h.TrainLoss).ToArray());
        epochLoss.LegendText = "training loss (epoch mean)";
        epochLoss.MarkerSize = 8;

        var accuracy = plot.Add.Scatter(history.Select(h => (double)h.Epoch).ToArray(), history.Select(h => 100 * h.TestAccuracy).ToArray());
        accuracy.LegendText = "test accuracy (%)";
        accuracy.MarkerSize = 8;
        accuracy.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "test accuracy (%)";
        plot.ShowLegend(ScottPlot.Alignment.UpperCenter);
        plot.SavePng(path, 900, 550);
    }
}
