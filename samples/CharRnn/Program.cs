using System.Diagnostics;
using CharRnn;
using LayerGen;

// Trains CharRnnModel on the text next to this program (or a file given as the first argument), printing the loss
// as it falls, then samples a line of text from the trained model.
string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "input.txt");
int iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 600;
if (!File.Exists(path))
{
    Console.Error.WriteLine($"no text at {path}");
    return 2;
}
string text = File.ReadAllText(path).Replace("\r", "");
var vocabulary = text.Distinct().OrderBy(c => c).ToArray();
var index = vocabulary.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
Console.WriteLine($"{text.Length} characters, {vocabulary.Length} distinct");

const int steps = 32, batch = 32, hidden = 128;
var model = new CharRnnModel(vocabulary.Length, hidden, seed: 7);
var tape = new CharRnnModel.LossTape();
var gradients = new CharRnnModel.Gradients(model);
var optimizer = new Adam<float>(model.Parameters(gradients), learningRate: 3e-3);
var h0 = Matrix<float>.Zeros(batch, hidden);

// Per step t: the characters at offset + t of each of the batch's windows, and the next ones (the targets).
var inputs = Enumerable.Range(0, steps).Select(_ => new int[batch]).ToList();
var targets = Enumerable.Range(0, steps).Select(_ => new int[batch]).ToList();
var random = new Random(1);
float smooth = MathF.Log(vocabulary.Length);
var clock = Stopwatch.StartNew();
for (int iteration = 1; iteration <= iterations; iteration++)
{
    for (int b = 0; b < batch; b++)
    {
        int offset = random.Next(text.Length - steps - 1);
        for (int t = 0; t < steps; t++)
        {
            inputs[t][b] = index[text[offset + t]];
            targets[t][b] = index[text[offset + t + 1]];
        }
    }
    gradients.Clear();
    float loss = model.Loss(inputs, targets, h0, tape);
    model.LossBackward(tape, gradients);
    optimizer.Step();
    smooth = 0.95f * smooth + 0.05f * loss;
    if (iteration == 1 || iteration % 50 == 0)
        Console.WriteLine($"iteration {iteration,4}: loss {smooth:F3} nats/char  ({clock.Elapsed.TotalSeconds:F1} s)");
}

// Sampling: the same step, run by hand over the trained parameters, one character at a time.
var h = Matrix<float>.Zeros(1, hidden);
var sample = new System.Text.StringBuilder();
int current = index[text[random.Next(text.Length)]];
var sampler = new Random(3);
for (int n = 0; n < 200; n++)
{
    h = Ops.Tanh(Ops.Embedding(model.Embed, new[] { current }) + h * model.Wh + model.B);
    var probabilities = Ops.Softmax(h * model.Why + model.By);
    double u = sampler.NextDouble(), cumulative = 0;
    current = vocabulary.Length - 1;
    for (int c = 0; c < vocabulary.Length; c++)
    {
        cumulative += probabilities[0, c];
        if (u < cumulative)
        {
            current = c;
            break;
        }
    }
    if (vocabulary[current] == '\n' && sample.Length > 40)
        break;
    sample.Append(vocabulary[current]);
}
Console.WriteLine($"sample: {sample.ToString().Replace('\n', ' ')}");
return 0;
