using System.Numerics;

namespace LayerGen;

/// <summary>
/// Adam (Kingma &amp; Ba, 2015) with bias correction and optional L2 weight decay added to the gradient, with the
/// semantics of <c>torch.optim.Adam</c> (without AMSGrad). For decoupled weight decay use <see cref="AdamW{T}"/>.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// At step t (counting from 1), for each parameter p with gradient g, learning rate η and weight decay λ:
/// <code>
/// g ← g + λ·p                              (Adam only; AdamW instead first does p ← p − η·λ·p)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// Each parameter is updated in one pass over p, g, m and v (a parameter of 16 k elements or more split over the
/// cores), bit for bit what one <c>TensorPrimitives</c> call per line computes (PyTorch's order of operations).
/// The moment buffers m and v (one per parameter) and one scratch buffer as long as the largest parameter (for the
/// passes, which parameters shorter than one vector take) are allocated in the constructor;
/// <see cref="Optimizer{T}.Step"/> allocates nothing. Gradients are read, never modified.
/// </remarks>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _firstMoments;
    private readonly T[][] _secondMoments;
    private readonly T[] _scratch;
    private readonly bool _decoupledWeightDecay;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The step size η, finite and ≥ 0.</param>
    /// <param name="beta1">Decay rate β₁ of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay rate β₂ of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for numerical stability, finite and ≥ 0.</param>
    /// <param name="weightDecay">The L2 penalty λ, added to the gradient as λ·p; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its range.</exception>
    public Adam(IReadOnlyList<Parameter<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : this(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay: false)
    {
    }

    /// <summary>Shared constructor of <see cref="Adam{T}"/> and <see cref="AdamW{T}"/>.</summary>
    private protected Adam(IReadOnlyList<Parameter<T>> parameters, double learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool decoupledWeightDecay)
        : base(parameters, learningRate)
    {
        RequireUnitInterval(beta1, nameof(beta1));
        RequireUnitInterval(beta2, nameof(beta2));
        RequireNonNegative(epsilon, nameof(epsilon));
        RequireNonNegative(weightDecay, nameof(weightDecay));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _decoupledWeightDecay = decoupledWeightDecay;
        _firstMoments = AllocateStatePerParameter();
        _secondMoments = AllocateStatePerParameter();
        _scratch = new T[MaxParameterLength];
    }

    /// <summary>Decay rate β₁ of the first-moment (mean) estimate.</summary>
    public double Beta1 { get; }

    /// <summary>Decay rate β₂ of the second-moment (uncentred variance) estimate.</summary>
    public double Beta2 { get; }

    /// <summary>The denominator's stabilising term ε.</summary>
    public double Epsilon { get; }

    /// <summary>The weight-decay factor λ: an L2 term in the gradient for Adam, decoupled for <see cref="AdamW{T}"/>.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    /// <remarks>PyTorch's names: <c>exp_avg</c> (m) and <c>exp_avg_sq</c> (v).</remarks>
    public override IReadOnlyList<string> StateNames { get; } = ["exp_avg", "exp_avg_sq"];

    /// <inheritdoc/>
    public override Span<T> GetState(string stateName, int parameterIndex) => stateName switch
    {
        "exp_avg" => _firstMoments[CheckParameterIndex(parameterIndex)],
        "exp_avg_sq" => _secondMoments[CheckParameterIndex(parameterIndex)],
        _ => base.GetState(stateName, parameterIndex),
    };

    /// <inheritdoc/>
    public override void Step()
    {
        long t = StepCount + 1;
        T lr = T.CreateChecked(LearningRate);
        T wd = T.CreateChecked(WeightDecay);
        T beta1 = T.CreateChecked(Beta1);
        T beta2 = T.CreateChecked(Beta2);
        T epsilon = T.CreateChecked(Epsilon);
        // The bias corrections are scalars: computed once per step in double, as PyTorch does in Python floats.
        double biasCorrection1 = 1 - Math.Pow(Beta1, t);
        double biasCorrection2 = 1 - Math.Pow(Beta2, t);
        T stepSize = T.CreateChecked(LearningRate / biasCorrection1);
        T sqrtBiasCorrection2 = T.CreateChecked(Math.Sqrt(biasCorrection2));

        var constants = new AdamConstants<T>
        {
            OneMinusBeta1 = T.One - beta1,
            OneMinusBeta2 = T.One - beta2,
            SqrtBiasCorrection2 = sqrtBiasCorrection2,
            Epsilon = epsilon,
            NegativeStepSize = -stepSize,
            L2 = _decoupledWeightDecay ? T.Zero : wd,
            Decoupled = _decoupledWeightDecay && WeightDecay != 0,
            DecayFactor = T.One - lr * wd,
        };

        var parameters = ParameterArray;
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            Span<T> m = _firstMoments[i];
            CheckLength(i, m.Length);
            // One pass per parameter (Kernels/AdamKernel.cs), bit for bit the lines of the update in the remarks.
            AdamKernel.UpdateParallel(parameter.Value.AsSpan(), parameter.Gradient.AsReadOnlySpan(), m, _secondMoments[i], constants, _scratch);
        }
        StepCount = t;
    }
}
