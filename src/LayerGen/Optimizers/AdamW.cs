using System.Numerics;

namespace LayerGen;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, 2019): Adam with <em>decoupled</em> weight decay, with the semantics of
/// <c>torch.optim.AdamW</c>. Before the Adam update, each parameter shrinks by <c>p ← p − η·λ·p</c>; the decay
/// does not pass through the moment estimates, so it is not rescaled by the adaptive denominator.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// See <see cref="Adam{T}"/> for the update. With <c>weightDecay = 0</c> AdamW and Adam are identical.
/// <see cref="Optimizer{T}.Step"/> allocates nothing.
/// </remarks>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The step size η, finite and ≥ 0.</param>
    /// <param name="beta1">Decay rate β₁ of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay rate β₂ of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for numerical stability, finite and ≥ 0.</param>
    /// <param name="weightDecay">The decoupled decay λ (each step p ← p − η·λ·p), finite and ≥ 0; PyTorch's default 0.01.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its range.</exception>
    public AdamW(IReadOnlyList<Parameter<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay: true)
    {
    }
}
