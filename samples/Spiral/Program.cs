// The LayerGen demo: a two-layer ReLU network (Layers.cs) learns the classic 3-class spiral. The training step
// is the generated training forward + generated backward + an optimizer step; after the first step it allocates
// nothing, which the program measures and prints.
using System.Diagnostics;
using LayerGen;
using LayerGen.Samples;
using SpiralSample;

const int pointsPerClass = 100, classes = 3, hidden = 64, epochs = 600;
var data = Spiral.Generate<float>(pointsPerClass, classes, noise: 0.2, seed: 7);
var (x, labels) = (data.Features, data.Labels);

var model = new Mlp(inputs: 2, hidden, classes, seed: 1);
var tape = new Mlp.LossTape();
var gradients = new Mlp.Gradients(model);
var optimizer = new Adam<float>(model.Parameters(gradients), learningRate: 0.02);

Console.WriteLine($"Spiral: {x.Rows} points, {classes} classes; MLP 2-{hidden}-{classes} (ReLU), Adam, full batch");
Console.WriteLine("epoch      loss  accuracy");

long allocatedAfterWarmUp = 0;
int measuredSteps = 0;
var clock = Stopwatch.StartNew();
var steadyClock = new Stopwatch();
for (int epoch = 1; epoch <= epochs; epoch++)
{
    bool measure = epoch > 2;   // the first steps size the tape's buffers
    long before = GC.GetAllocatedBytesForCurrentThread();
    if (measure)
        steadyClock.Start();

    optimizer.ZeroGrad();
    float loss = model.Loss(x, labels, tape);   // generated training forward: records the tape
    model.LossBackward(tape, gradients);        // generated backward: accumulates ∂L/∂W, ∂L/∂B of both layers
    optimizer.Step();

    if (measure)
    {
        steadyClock.Stop();
        allocatedAfterWarmUp += GC.GetAllocatedBytesForCurrentThread() - before;
        measuredSteps++;
    }
    if (epoch == 1 || epoch % 50 == 0)
        Console.WriteLine($"{epoch,5} {loss,9:F4} {Accuracy(model, x, labels),8:P1}");
}
clock.Stop();

double accuracy = Accuracy(model, x, labels);
Console.WriteLine($"training accuracy {accuracy:P1} after {epochs} steps in {clock.Elapsed.TotalSeconds:F2} s");
Console.WriteLine($"steady-state step: {steadyClock.Elapsed.TotalMicroseconds / measuredSteps:F1} µs, " +
    $"{(double)allocatedAfterWarmUp / measuredSteps:F1} bytes allocated per step");
return accuracy >= 0.95 ? 0 : 1;

static double Accuracy(Mlp model, Matrix<float> x, int[] labels) => Metrics.Accuracy(model.Scores(x), labels);
