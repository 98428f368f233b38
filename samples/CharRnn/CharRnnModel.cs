using System.Collections.Generic;
using LayerGen;

namespace CharRnn;

/// <summary>
/// A character-level RNN language model: each step embeds the current characters, updates the hidden state with tanh
/// and predicts the next characters; the loss is the mean cross-entropy over the steps. Only this forward pass is
/// written: LayerGen generates the training forward and the backward through time.
/// </summary>
public partial class CharRnnModel
{
    /// <summary>Character embeddings (the input weights of min-char-rnn, one row per character).</summary>
    [Shape("V", "H")] public Matrix<float> Embed;
    [Shape("H", "H")] public Matrix<float> Wh;
    [Shape(1, "H")] public Matrix<float> B;
    [Shape("H", "V")] public Matrix<float> Why;
    [Shape(1, "V")] public Matrix<float> By;

    public CharRnnModel(int vocabulary, int hidden, int seed)
    {
        Embed = Matrix<float>.RandomNormal(vocabulary, hidden, seed, 0, 0.1f);
        Wh = Matrix<float>.XavierNormal(hidden, hidden, seed + 1);
        B = Matrix<float>.Zeros(1, hidden);
        Why = Matrix<float>.XavierNormal(hidden, vocabulary, seed + 2);
        By = Matrix<float>.Zeros(1, vocabulary);
    }

    [Forward]
    public float Loss(IReadOnlyList<int[]> inputs, IReadOnlyList<int[]> targets, [NoGrad, Shape("N", "H")] Matrix<float> h0)
    {
        var h = h0;
        float loss = 0;
        for (int t = 0; t < inputs.Count; t++)
        {
            h = Ops.Tanh(Ops.Embedding(Embed, inputs[t]) + h * Wh + B);
            loss += Losses.SoftmaxCrossEntropy(h * Why + By, targets[t]);
        }
        return loss / inputs.Count;
    }
}
