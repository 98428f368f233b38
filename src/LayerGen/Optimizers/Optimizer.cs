using System.Numerics;

namespace LayerGen;

/// <summary>
/// Base class of the optimizers: updates a fixed list of <see cref="Parameter{T}"/>s in place from their
/// accumulated gradients, as <c>torch.optim.Optimizer</c> does.
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>A training step is <c>optimizer.ZeroGrad(); … forward; … backward; optimizer.Step();</c>. Gradients
/// accumulate (as in PyTorch), so <see cref="ZeroGrad"/> must run once per step before the backward pass.</para>
/// <para>Every state buffer (momentum, moment estimates, scratch) is allocated in the constructor:
/// <see cref="Step"/> allocates nothing, so a training loop runs without garbage collections. The vector
/// arithmetic is done by <see cref="System.Numerics.Tensors.TensorPrimitives"/> in <typeparamref name="T"/>;
/// hyperparameters are <see cref="double"/> and converted to <typeparamref name="T"/> once per step.</para>
/// <para>The parameter list is copied when the optimizer is created; the matrices themselves are shared and
/// must keep their shapes.</para>
/// </remarks>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Parameter<T>[] _parameters;
    private readonly IReadOnlyList<Parameter<T>> _readOnlyParameters;
    private double _learningRate;

    /// <summary>Creates an optimizer over <paramref name="parameters"/> with the given learning rate.</summary>
    /// <param name="parameters">The parameters to update, e.g. from a generated <c>Parameters(gradients)</c>.</param>
    /// <param name="learningRate">The step size, ≥ 0 and finite.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">The same value matrix appears twice (it would be updated twice per step).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is negative, NaN or infinite.</exception>
    protected Optimizer(IReadOnlyList<Parameter<T>> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = new Parameter<T>[parameters.Count];
        var seen = new HashSet<Matrix<T>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var parameter = parameters[i] ?? throw new ArgumentNullException(nameof(parameters), $"{OptimizerName}: parameter {i} is null.");
            if (!seen.Add(parameter.Value))
                throw new ArgumentException($"{OptimizerName}: parameter {i} ('{parameter.Name}') shares its value matrix with an earlier parameter; each parameter must appear once.", nameof(parameters));
            _parameters[i] = parameter;
        }
        _readOnlyParameters = Array.AsReadOnly(_parameters);
        RequireNonNegative(learningRate, nameof(learningRate));
        _learningRate = learningRate;
    }

    /// <summary>The parameters this optimizer updates, in the order given to the constructor.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => _readOnlyParameters;

    /// <summary>The step size; settable between steps for learning-rate schedules.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{OptimizerName}: LearningRate must be a finite number ≥ 0 but is {value}.");
            _learningRate = value;
        }
    }

    /// <summary>
    /// Updates every parameter's value from its gradient (and the optimizer's state). Allocates nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter's value or gradient changed size since the optimizer was created.</exception>
    public abstract void Step();

    /// <summary>
    /// The number of completed <see cref="Step"/> calls. Saved and restored by <see cref="Checkpoint"/>, so a
    /// resumed run continues the count (Adam's bias corrections, SGD's first momentum step).
    /// </summary>
    public long StepCount { get; protected set; }

    /// <summary>
    /// The names of the per-parameter state buffers this optimizer keeps, in PyTorch's names (<c>exp_avg</c>,
    /// <c>exp_avg_sq</c>, <c>momentum_buffer</c>); empty for a stateless optimizer. Each name has one buffer per
    /// parameter, as long as that parameter's value (see <see cref="GetState"/>).
    /// </summary>
    /// <remarks>
    /// <see cref="Checkpoint"/> saves and restores exactly these buffers and <see cref="StepCount"/>. An optimizer
    /// that keeps other state overrides this property and <see cref="GetState"/>, or it cannot resume exactly.
    /// </remarks>
    public virtual IReadOnlyList<string> StateNames => [];

    /// <summary>
    /// The state buffer <paramref name="stateName"/> (one of <see cref="StateNames"/>) of parameter
    /// <paramref name="parameterIndex"/>, row-major like the parameter's value; writable, for restoring.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="stateName"/> is not one of <see cref="StateNames"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parameterIndex"/> is outside <see cref="Parameters"/>.</exception>
    public virtual Span<T> GetState(string stateName, int parameterIndex)
        => throw new ArgumentException($"{OptimizerName} keeps no state '{stateName}'.", nameof(stateName));

    /// <summary>Called after a checkpoint restored <see cref="StepCount"/> and the state buffers.</summary>
    private protected virtual void OnStateRestored()
    {
    }

    /// <summary>Restores the step count (used by <see cref="Checkpoint"/>).</summary>
    internal void RestoreStepCount(long stepCount)
    {
        StepCount = stepCount;
        OnStateRestored();
    }

    /// <summary>Sets every parameter's gradient to zero (call before each backward pass: gradients accumulate).</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in _parameters)
            parameter.Gradient.Clear();
    }

    /// <summary>The optimizer's name for messages, e.g. <c>Sgd</c> (without the generic arity suffix).</summary>
    private protected string OptimizerName => GetType().Name.Split('`')[0];

    /// <summary>The parameters as an array, for allocation-free iteration in <see cref="Step"/>.</summary>
    private protected Parameter<T>[] ParameterArray => _parameters;

    /// <summary>Element count of the largest parameter, for sizing a shared scratch buffer.</summary>
    private protected int MaxParameterLength
    {
        get
        {
            int max = 0;
            foreach (var parameter in _parameters)
                max = Math.Max(max, parameter.Value.Length);
            return max;
        }
    }

    /// <summary>One zeroed state buffer per parameter, shaped like its value.</summary>
    private protected T[][] AllocateStatePerParameter()
    {
        var state = new T[_parameters.Length][];
        for (int i = 0; i < state.Length; i++)
            state[i] = new T[_parameters[i].Value.Length];
        return state;
    }

    /// <summary>
    /// Throws unless parameter <paramref name="index"/> still has <paramref name="expectedLength"/> elements in both
    /// value and gradient: the state buffers were sized for that, and a silently misaligned update would corrupt
    /// the model.
    /// </summary>
    private protected void CheckLength(int index, int expectedLength)
    {
        var parameter = _parameters[index];
        if (parameter.Value.Length != expectedLength || parameter.Gradient.Length != expectedLength)
            throw new InvalidOperationException(
                $"{OptimizerName}.Step: parameter '{parameter.Name}' has value {parameter.Value.ShapeString} and gradient {parameter.Gradient.ShapeString} " +
                $"but had {expectedLength} elements when the optimizer was created; parameters must keep their shapes.");
    }

    /// <summary>Returns <paramref name="parameterIndex"/> if it indexes <see cref="Parameters"/>, else throws.</summary>
    private protected int CheckParameterIndex(int parameterIndex)
    {
        if ((uint)parameterIndex >= (uint)_parameters.Length)
            throw new ArgumentOutOfRangeException(nameof(parameterIndex), parameterIndex, $"{OptimizerName}: parameter index must be in [0, {_parameters.Length}).");
        return parameterIndex;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="value"/> is finite and ≥ 0.</summary>
    private protected void RequireNonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{OptimizerName}: {name} must be a finite number ≥ 0 but is {value}.");
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 0 ≤ <paramref name="value"/> &lt; 1.</summary>
    private protected void RequireUnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{OptimizerName}: {name} must be in [0, 1) but is {value}.");
    }
}
