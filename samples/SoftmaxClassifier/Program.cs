// The seed article's linear softmax classifier: L = CE(softmax(x·W + B), t) + ½·λ·ΣW². LayerGen generates
// LossBackward, whose dW is Xᵀ(P − T)/N + λW, exactly the article's formula.
using LayerGen;
using SoftmaxClassifierSample;

const int perClass = 200, features = 4, classes = 3;
var (x, labels) = Blobs.Generate(perClass, features, classes, seed: 3);

var model = new SoftmaxClassifier(features, classes, lambda: 1e-3);
var tape = new SoftmaxClassifier.LossTape();
var gradients = new SoftmaxClassifier.Gradients(model);
var optimizer = new Sgd<double>(model.Parameters(gradients), learningRate: 0.5);

Console.WriteLine($"Softmax classifier with L2: {x.Rows} points, {features} features, {classes} classes");
Console.WriteLine("step      loss  accuracy");
for (int step = 0; step <= 200; step++)
{
    optimizer.ZeroGrad();
    double loss = model.Loss(x, labels, tape);
    model.LossBackward(tape, gradients);
    optimizer.Step();
    if (step % 20 == 0)
        Console.WriteLine($"{step,4} {loss,9:F4} {model.Accuracy(x, labels),8:P1}");
}
double accuracy = model.Accuracy(x, labels);
Console.WriteLine($"final training accuracy {accuracy:P1}");
return accuracy >= 0.9 ? 0 : 1;
