using System.Text.Json;
using LayerGen.TestLayers;
using static LayerGen.TestSupport.LayerGradientCheck;

namespace LayerGen.Generated.Tests;

/// <summary>
/// The generated gradients agree with PyTorch autograd on the same inputs (torch/reference.json, written by
/// torch/make_reference.py): Dense in float32 to 1e-4 relative; the double layers (PyTorch in float64) to 1e-9.
/// </summary>
public sealed class TorchAgreementTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "torch", "reference.json"))).RootElement;

    [Fact]
    public void Dense_Float32()
    {
        var c = Reference.GetProperty("dense");
        var layer = new Dense(5, 3, 0) { W = F(c, "W"), B = F(c, "B") };
        var tape = new Dense.Tape();
        var gradients = new Dense.Gradients(layer);
        var y = layer.Forward(F(c, "x"), tape);
        var dx = layer.Backward(tape, F(c, "dy"), gradients);
        Close(c, "y", y);
        Close(c, "dx", dx);
        Close(c, "dW", gradients.W);
        Close(c, "dB", gradients.B);
    }

    [Fact]
    public void SoftmaxClassifier()
    {
        var c = Reference.GetProperty("softmax_classifier");
        var layer = new SoftmaxClassifier(4, 3, c.GetProperty("lambda").GetDouble(), 0) { W = D(c, "W"), B = D(c, "B") };
        var tape = new SoftmaxClassifier.LossTape();
        var gradients = new SoftmaxClassifier.Gradients(layer);
        double loss = layer.Loss(D(c, "x"), Labels(c), tape);
        var dx = layer.LossBackward(tape, gradients);
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss, 1e-9);
        Close(c, "dx", dx);
        Close(c, "dW", gradients.W);
        Close(c, "dB", gradients.B);
    }

    [Fact]
    public void Mlp()
    {
        var c = Reference.GetProperty("mlp");
        var mlp = new Mlp(4, 6, 5, 3, 0);
        foreach (var (name, sub) in new[] { ("Hidden1", mlp.Hidden1), ("Hidden2", mlp.Hidden2), ("Output", mlp.Output) })
        {
            sub.W = D(c, name + ".W");
            sub.B = D(c, name + ".B");
        }
        var tape = new Mlp.LossTape();
        var gradients = new Mlp.Gradients(mlp);
        double loss = mlp.Loss(D(c, "x"), Labels(c), tape);
        mlp.LossBackward(tape, gradients);
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss, 1e-9);
        foreach (var p in mlp.Parameters(gradients))
            Close(c, "d" + p.Name, p.Gradient);
    }

    [Fact]
    public void LayerNorm()
    {
        var c = Reference.GetProperty("layer_norm");
        var layer = new LayerNorm(5, 0) { Gamma = D(c, "Gamma"), Beta = D(c, "Beta"), Epsilon = c.GetProperty("Epsilon").GetDouble() };
        var tape = new LayerNorm.Tape();
        var gradients = new LayerNorm.Gradients(layer);
        var y = layer.Forward(D(c, "x"), tape);
        var dx = layer.Backward(tape, D(c, "dy"), gradients);
        Close(c, "y", y);
        Close(c, "dx", dx);
        Close(c, "dGamma", gradients.Gamma);
        Close(c, "dBeta", gradients.Beta);
    }

    [Fact]
    public void Attention()
    {
        var c = Reference.GetProperty("attention");
        var layer = new Attention(4, 3, 2, 0) { Wq = D(c, "Wq"), Wk = D(c, "Wk"), Wv = D(c, "Wv"), Scale = c.GetProperty("Scale").GetDouble() };
        var tape = new Attention.Tape();
        var gradients = new Attention.Gradients(layer);
        var y = layer.Forward(D(c, "x"), tape);
        var dx = layer.Backward(tape, D(c, "dy"), gradients);
        Close(c, "y", y);
        Close(c, "dx", dx);
        Close(c, "dWq", gradients.Wq);
        Close(c, "dWk", gradients.Wk);
        Close(c, "dWv", gradients.Wv);
    }

    [Fact]
    public void GruStep()
    {
        var c = Reference.GetProperty("gru");
        var gru = new GruCell(3, 4, 0);
        var gradients = new GruCell.Gradients(gru);
        var parameters = gru.Parameters(gradients);
        foreach (var p in parameters)
            D(c, p.Name).CopyTo(p.Value);
        var tape = new GruCell.Tape();
        var y = gru.Forward(D(c, "x"), D(c, "h"), tape);
        var (dx, dh) = gru.Backward(tape, D(c, "dy"), gradients);
        Close(c, "y", y);
        Close(c, "dx", dx);
        Close(c, "dh", dh);
        foreach (var p in parameters)
            Close(c, "d" + p.Name, p.Gradient);
    }

    [Fact]
    public void EmbeddingClassifier()
    {
        var c = Reference.GetProperty("embedding_classifier");
        var layer = new OpLayers.EmbeddingClassifier { Table = D(c, "Table"), W = D(c, "W"), B = D(c, "B") };
        var tape = new OpLayers.EmbeddingClassifier.LossTape();
        var gradients = new OpLayers.EmbeddingClassifier.Gradients(layer);
        int[] ids = [.. c.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32())];
        double loss = layer.Loss(ids, Labels(c), tape);
        layer.LossBackward(tape, gradients);
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss, 1e-9);
        Close(c, "dTable", gradients.Table);
        Close(c, "dW", gradients.W);
        Close(c, "dB", gradients.B);
    }

    [Fact]
    public void MaximumMinimum_WithTies()
    {
        var c = Reference.GetProperty("maximum_with_row");
        var layer = new OpLayers.MaximumWithRow { Floor = D(c, "Floor") };
        var tape = new OpLayers.MaximumWithRow.Tape();
        var gradients = new OpLayers.MaximumWithRow.Gradients(layer);
        var output = layer.Forward(D(c, "x"), D(c, "y"), tape);
        var (dx, dy) = layer.Backward(tape, D(c, "dy"), gradients);
        Close(c, "out", output);
        Close(c, "dx", dx);
        Close(c, "dY", dy);
        Close(c, "dFloor", gradients.Floor);
    }

    [Fact]
    public void Clamp_AtTheBounds()
    {
        var c = Reference.GetProperty("clamp");
        var layer = new OpLayers.ClampOp();
        var tape = new OpLayers.ClampOp.Tape();
        var output = layer.Forward(D(c, "x"), tape);
        var dx = layer.Backward(tape, D(c, "dy"), new OpLayers.ClampOp.Gradients(layer));
        Close(c, "out", output);
        Close(c, "dx", dx);
    }

    private static Matrix<double> D(JsonElement c, string name)
    {
        var m = c.GetProperty(name);
        var data = m.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return new Matrix<double>(m.GetProperty("rows").GetInt32(), m.GetProperty("cols").GetInt32(), data);
    }

    private static Matrix<float> F(JsonElement c, string name)
    {
        var m = c.GetProperty(name);
        var data = m.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        return new Matrix<float>(m.GetProperty("rows").GetInt32(), m.GetProperty("cols").GetInt32(), data);
    }

    [Fact]
    public void Conv2d_StridedPadded()
    {
        var c = Reference.GetProperty("conv2d_strided");
        var layer = new OpLayers.Conv2dOp { W = D(c, "W"), B = D(c, "B") };
        var tape = new OpLayers.Conv2dOp.Tape();
        var gradients = new OpLayers.Conv2dOp.Gradients(layer);
        var y = layer.Forward(D(c, "x"), tape);
        var dx = layer.Backward(tape, D(c, "dy"), gradients);
        Close(c, "y", y);
        Close(c, "dx", dx);
        Close(c, "dW", gradients.W);
        Close(c, "dB", gradients.B);
    }

    [Fact]
    public void MaxPool2d_Overlapping()
    {
        var c = Reference.GetProperty("max_pool2d_overlapping");
        var layer = new OpLayers.MaxPool2dOp();
        var tape = new OpLayers.MaxPool2dOp.Tape();
        var y = layer.Forward(D(c, "x"), tape);
        var dx = layer.Backward(tape, D(c, "dy"), new OpLayers.MaxPool2dOp.Gradients(layer));
        Close(c, "y", y);
        Close(c, "dx", dx);
    }

    [Fact]
    public void SmallCnn()
    {
        var c = Reference.GetProperty("small_cnn");
        var layer = new OpLayers.SmallCnn { Filters = D(c, "Filters"), FilterBias = D(c, "FilterBias"), W = D(c, "W"), B = D(c, "B") };
        var tape = new OpLayers.SmallCnn.LossTape();
        var gradients = new OpLayers.SmallCnn.Gradients(layer);
        double loss = layer.Loss(D(c, "x"), Labels(c), tape);
        var dx = layer.LossBackward(tape, gradients);
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss, 1e-9);
        Close(c, "dx", dx);
        Close(c, "dFilters", gradients.Filters);
        Close(c, "dFilterBias", gradients.FilterBias);
        Close(c, "dW", gradients.W);
        Close(c, "dB", gradients.B);
    }

    private static int[] Labels(JsonElement c) => [.. c.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32())];

    private static void Close(JsonElement c, string name, Matrix<double> actual) => Compare(D(c, name), actual, name, 1e-9);

    private static void Close(JsonElement c, string name, Matrix<float> actual)
    {
        var a = new Matrix<double>(actual.Rows, actual.Cols);
        for (int r = 0; r < a.Rows; r++)
            for (int k = 0; k < a.Cols; k++)
                a[r, k] = actual[r, k];
        Compare(D(c, name), a, name, 1e-4);
    }

    private static void Compare(Matrix<double> expected, Matrix<double> actual, string name, double relative)
    {
        Assert.True(expected.SameShape(actual), $"{name}: shape {actual.ShapeString}, PyTorch {expected.ShapeString}");
        double scale = expected.AsReadOnlySpan().ToArray().Max(Math.Abs);
        for (int r = 0; r < expected.Rows; r++)
            for (int k = 0; k < expected.Cols; k++)
                Assert.True(Math.Abs(expected[r, k] - actual[r, k]) <= relative * Math.Max(Math.Abs(expected[r, k]), scale * 1e-3) + 1e-12,
                    $"{name}[{r}, {k}]: {actual[r, k]:R}, PyTorch {expected[r, k]:R}");
    }
}
