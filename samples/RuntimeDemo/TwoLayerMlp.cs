using System.Numerics;

namespace LayerGen.Samples.RuntimeDemo;

/// <summary>
/// A 2-layer perceptron with softmax cross-entropy, <c>L = CE(softmax(relu(x·W1 + B1)·W2 + B2), labels)</c>,
/// whose backward pass is written by hand with the runtime's destination-passing kernels: exactly the code the
/// LayerGen generator writes for a <c>[Forward]</c> method, spelled out.
/// </summary>
/// <remarks>
/// <para>Forward and backward allocate nothing once the work buffers have their shapes (the first call with a
/// batch size); the buffers play the role of a generated <c>Tape</c>.</para>
/// <para>The derivation, from the seed article's rules (batch rows add up; softmax + cross-entropy gives
/// (P − onehot)/N; ReLU masks the gradient):</para>
/// <code>
/// z1 = x·W1 + B1;  h1 = relu(z1);  s = h1·W2 + B2;  L = CE(softmax(s), t)
/// ⇒ ds = (P − onehot(t)) / N
///   dW2 += h1ᵀ·ds;  dB2 += Σrows ds;  dh1 = ds·W2ᵀ
///   dz1 = dh1 ⊙ [z1 &gt; 0]
///   dW1 += xᵀ·dz1;  dB1 += Σrows dz1;  dx = dz1·W1ᵀ
/// </code>
/// </remarks>
/// <typeparam name="T">float for training, double for the gradient check.</typeparam>
public sealed class TwoLayerMlp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Values and gradients, paired by name in Parameters.
    private readonly Matrix<T> _w1, _b1, _w2, _b2;
    private readonly Matrix<T> _dW1, _dB1, _dW2, _dB2;

    // Work buffers, sized for the batch on first use (Matrix<T>.EnsureShape), like a generated tape.
    private Matrix<T>? _z1, _h1, _scores, _probabilities, _dScores, _dH1, _dZ1;

    /// <summary>
    /// Creates the network: He-initialised weights, biases uniform on ±1/√fanIn as in PyTorch's <c>nn.Linear</c>
    /// (non-zero biases also keep the pre-activations of an input at the origin off ReLU's kink at 0).
    /// </summary>
    public TwoLayerMlp(int inputs, int hidden, int classes, int seed)
    {
        _w1 = Matrix<T>.He(inputs, hidden, seed);
        _b1 = Matrix<T>.RandomUniform(1, hidden, seed + 1, -1 / Math.Sqrt(inputs), 1 / Math.Sqrt(inputs));
        _w2 = Matrix<T>.He(hidden, classes, seed + 2);
        _b2 = Matrix<T>.RandomUniform(1, classes, seed + 3, -1 / Math.Sqrt(hidden), 1 / Math.Sqrt(hidden));
        _dW1 = new Matrix<T>(inputs, hidden);
        _dB1 = new Matrix<T>(1, hidden);
        _dW2 = new Matrix<T>(hidden, classes);
        _dB2 = new Matrix<T>(1, classes);
        Parameters =
        [
            new Parameter<T>("Hidden.W", _w1, _dW1),
            new Parameter<T>("Hidden.B", _b1, _dB1),
            new Parameter<T>("Output.W", _w2, _dW2),
            new Parameter<T>("Output.B", _b2, _dB2),
        ];
    }

    /// <summary>The trainable parameters with their gradients, as optimizers and the gradient check take them.</summary>
    public IReadOnlyList<Parameter<T>> Parameters { get; }

    /// <summary>The softmax probabilities of the last <see cref="Loss"/> call (N×classes), owned by the network.</summary>
    public Matrix<T> Probabilities => _probabilities ?? throw new InvalidOperationException("Call Loss first.");

    /// <summary>The training forward pass: the mean cross-entropy over the batch; records what Backward needs.</summary>
    public T Loss(Matrix<T> x, int[] labels)
    {
        int n = x.Rows;
        var z1 = Matrix<T>.EnsureShape(ref _z1, n, _w1.Cols);
        var h1 = Matrix<T>.EnsureShape(ref _h1, n, _w1.Cols);
        var scores = Matrix<T>.EnsureShape(ref _scores, n, _w2.Cols);
        var probabilities = Matrix<T>.EnsureShape(ref _probabilities, n, _w2.Cols);

        Ops.MatMul(x, _w1, z1);                                          // z1 = x·W1
        Ops.Add(z1, _b1, z1);                                            // z1 += B1 (row broadcast, in place)
        Ops.Relu(z1, h1);                                                // h1 = relu(z1)
        Ops.MatMul(h1, _w2, scores);                                     // s = h1·W2
        Ops.Add(scores, _b2, scores);                                    // s += B2
        return Losses.SoftmaxCrossEntropy(scores, labels, probabilities); // L = CE(softmax(s), t); P saved
    }

    /// <summary>
    /// The backward pass of the last <see cref="Loss"/> call (same <paramref name="x"/> and
    /// <paramref name="labels"/>): adds ∂L/∂parameter into the gradients and, when <paramref name="dX"/> is given,
    /// writes ∂L/∂x into it.
    /// </summary>
    public void Backward(Matrix<T> x, int[] labels, Matrix<T>? dX = null)
    {
        if (_z1 is null || _z1.Rows != x.Rows)
            throw new InvalidOperationException($"Backward: call Loss with this [{x.Rows}, {x.Cols}] batch first.");
        int n = x.Rows;
        var dScores = Matrix<T>.EnsureShape(ref _dScores, n, _w2.Cols);
        var dH1 = Matrix<T>.EnsureShape(ref _dH1, n, _w1.Cols);
        var dZ1 = Matrix<T>.EnsureShape(ref _dZ1, n, _w1.Cols);

        Losses.SoftmaxCrossEntropyBackward(_probabilities!, labels, T.One, dScores);   // ds = (P − onehot)/N
        Ops.MatMul(_h1!, dScores, _dW2, transposeA: true, accumulate: true);           // dW2 += h1ᵀ·ds
        Ops.SumToShape(dScores, _dB2, accumulate: true);                               // dB2 += Σrows ds
        Ops.MatMul(dScores, _w2, dH1, transposeB: true);                               // dh1 = ds·W2ᵀ
        Ops.ReluBackward(_z1, dH1, dZ1);                                               // dz1 = dh1 ⊙ [z1 > 0]
        Ops.MatMul(x, dZ1, _dW1, transposeA: true, accumulate: true);                  // dW1 += xᵀ·dz1
        Ops.SumToShape(dZ1, _dB1, accumulate: true);                                   // dB1 += Σrows dz1
        if (dX is not null)
            Ops.MatMul(dZ1, _w1, dX, transposeB: true);                                // dx = dz1·W1ᵀ
    }
}
