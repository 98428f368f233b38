using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, with the
/// semantics of <c>torch.optim.SGD</c> (dampening 0).
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// For each parameter p with gradient g, learning rate η, momentum μ and weight decay λ:
/// <code>
/// g ← g + λ·p                       (L2 weight decay, added to the gradient)
/// b ← g on the first step, else μ·b + g   (only when μ ≠ 0)
/// d ← g + μ·b (Nesterov) or b (classic momentum) or g (μ = 0)
/// p ← p − η·d
/// </code>
/// The gradient matrices are read, never modified. The momentum buffers are allocated in the constructor
/// (only when μ ≠ 0); <see cref="Optimizer{T}.Step"/> allocates nothing.
/// </remarks>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][]? _momentumBuffers;
    private bool _hasMomentumState;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The step size η, finite and ≥ 0.</param>
    /// <param name="momentum">The momentum factor μ, in [0, 1); 0 disables momentum.</param>
    /// <param name="weightDecay">The L2 penalty λ (adds λ·p to the gradient), finite and ≥ 0.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum (requires <paramref name="momentum"/> &gt; 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its range.</exception>
    /// <exception cref="ArgumentException"><paramref name="nesterov"/> is set without momentum.</exception>
    public Sgd(IReadOnlyList<Parameter<T>> parameters, double learningRate, double momentum = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        RequireUnitInterval(momentum, nameof(momentum));
        RequireNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0)
            throw new ArgumentException("Sgd: nesterov = true requires momentum > 0.", nameof(nesterov));
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        if (momentum != 0)
            _momentumBuffers = AllocateStatePerParameter();
    }

    /// <summary>The momentum factor μ.</summary>
    public double Momentum { get; }

    /// <summary>The L2 weight-decay factor λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    /// <remarks>With momentum, PyTorch's <c>momentum_buffer</c> (b); without, none.</remarks>
    public override IReadOnlyList<string> StateNames => _momentumBuffers is null ? [] : MomentumStateNames;

    private static readonly string[] MomentumStateNames = ["momentum_buffer"];

    /// <inheritdoc/>
    public override Span<T> GetState(string stateName, int parameterIndex)
        => stateName == "momentum_buffer" && _momentumBuffers is not null
            ? _momentumBuffers[CheckParameterIndex(parameterIndex)]
            : base.GetState(stateName, parameterIndex);

    /// <inheritdoc/>
    private protected override void OnStateRestored() => _hasMomentumState = StepCount > 0;

    /// <inheritdoc/>
    public override void Step()
    {
        T lr = T.CreateChecked(LearningRate);
        T mu = T.CreateChecked(Momentum);
        T wd = T.CreateChecked(WeightDecay);
        var parameters = ParameterArray;
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            Span<T> p = parameter.Value.AsSpan();
            ReadOnlySpan<T> g = parameter.Gradient.AsReadOnlySpan();
            if (_momentumBuffers is null)
            {
                CheckLength(i, p.Length);
                // p − η(g + λp) = (1 − ηλ)p − ηg: two in-place passes, no temporary for g + λp.
                if (WeightDecay != 0)
                    TensorPrimitives.Multiply(p, T.One - lr * wd, p);
                TensorPrimitives.MultiplyAdd(g, -lr, p, p);
                continue;
            }

            Span<T> b = _momentumBuffers[i];
            CheckLength(i, b.Length);
            // b ← μ·b + (g + λp); on the first step b ← g + λp (PyTorch starts the buffer at the gradient).
            if (_hasMomentumState)
                TensorPrimitives.MultiplyAdd(b, mu, g, b);
            else
                g.CopyTo(b);
            if (WeightDecay != 0)
                TensorPrimitives.MultiplyAdd(p, wd, b, b);

            if (Nesterov)
            {
                // p − η(g + λp + μb) = (1 − ηλ)p − ηg − ημb, again without a temporary.
                if (WeightDecay != 0)
                    TensorPrimitives.Multiply(p, T.One - lr * wd, p);
                TensorPrimitives.MultiplyAdd(g, -lr, p, p);
                TensorPrimitives.MultiplyAdd(b, -lr * mu, p, p);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(b, -lr, p, p);
            }
        }
        if (_momentumBuffers is not null)
            _hasMomentumState = true;
        StepCount++;
    }
}
