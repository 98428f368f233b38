// LayerGen runtime demo: trains a 2 → 64 (ReLU) → 3 perceptron on a 3-arm spiral with a hand-written backward
// pass over the runtime's allocation-free kernels, after checking that backward pass against central differences.
using System.Diagnostics;
using LayerGen;
using LayerGen.Samples;
using LayerGen.Samples.RuntimeDemo;

const int Hidden = 64, Epochs = 500, ReportEvery = 50, Seed = 7;
const double LearningRate = 0.02, TargetAccuracy = 0.95;

var data = Spiral.Generate<float>(pointsPerClass: 100, classes: 3, noise: 0.2, seed: Seed);
Console.WriteLine($"LayerGen runtime demo: {data.Classes}-class spiral, {data.Count} points; MLP 2 → {Hidden} (ReLU) → {data.Classes}, softmax cross-entropy, Adam (lr {LearningRate})");

// 1. Gradient check: the same network in double on a tiny batch, the input x checked as well (wrapped as a
//    parameter). Central differences need double: in float they are mostly rounding noise.
var tiny = Spiral.Generate<double>(pointsPerClass: 3, classes: 3, noise: 0.2, seed: Seed + 1);
var checkedNetwork = new TwoLayerMlp<double>(2, Hidden, tiny.Classes, Seed);
var dX = new Matrix<double>(tiny.Count, 2);
var checkedValues = new List<Parameter<double>>(checkedNetwork.Parameters) { new("x", tiny.Features, dX) };
var check = GradientCheck.Run(
    checkedValues,
    loss: () => checkedNetwork.Loss(tiny.Features, tiny.Labels),
    computeGradients: () =>
    {
        checkedNetwork.Loss(tiny.Features, tiny.Labels);
        checkedNetwork.Backward(tiny.Features, tiny.Labels, dX);
    });
Console.WriteLine();
Console.WriteLine(check);
if (!check.Passed)
    return 1;

// 2. Training: full batch, float, Adam. Only the steps are timed and measured for allocations (printing allocates).
var network = new TwoLayerMlp<float>(2, Hidden, data.Classes, Seed);
var optimizer = new Adam<float>(network.Parameters, LearningRate);
Console.WriteLine();
Console.WriteLine("epoch      loss   accuracy");
var clock = new Stopwatch();
TimeSpan firstStep = default;
long allocatedAfterFirstStep = 0;
float loss = 0;
for (int epoch = 0; epoch <= Epochs; epoch++)
{
    long before = GC.GetAllocatedBytesForCurrentThread();
    clock.Start();
    optimizer.ZeroGrad();
    loss = network.Loss(data.Features, data.Labels);
    network.Backward(data.Features, data.Labels);
    optimizer.Step();
    clock.Stop();
    if (epoch == 0)
    {
        // The first step compiles the kernels (JIT) and sizes the work buffers; it is reported on its own.
        firstStep = clock.Elapsed;
        clock.Reset();
    }
    else
    {
        allocatedAfterFirstStep += GC.GetAllocatedBytesForCurrentThread() - before;
    }

    if (epoch % ReportEvery == 0)
        Console.WriteLine($"{epoch,5} {loss,9:F4} {100 * Metrics.Accuracy(network.Probabilities, data.Labels),8:F1}%");
}

// The accuracy of the final parameters (the loop's last forward ran before the last step).
loss = network.Loss(data.Features, data.Labels);
double accuracy = Metrics.Accuracy(network.Probabilities, data.Labels);
Console.WriteLine();
Console.WriteLine($"Final: loss {loss:F4}, training accuracy {100 * accuracy:F1}% after {Epochs + 1} full-batch steps in {(firstStep + clock.Elapsed).TotalSeconds:F2} s");
Console.WriteLine($"       first step (JIT, buffers) {firstStep.TotalMilliseconds:F0} ms, then {clock.Elapsed.TotalMilliseconds * 1000 / Epochs:F0} µs per step; " +
                  $"{allocatedAfterFirstStep} bytes allocated by the {Epochs} steps after the first.");
if (accuracy < TargetAccuracy)
{
    Console.WriteLine($"Training accuracy is below the {100 * TargetAccuracy:F0}% this demo promises.");
    return 1;
}
return 0;
