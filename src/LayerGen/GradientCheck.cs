using System.Globalization;

namespace LayerGen;

/// <summary>
/// Numerical gradient checking, like <c>torch.autograd.gradcheck</c>: compares the analytic gradients of a scalar
/// loss (from a generated or hand-written backward pass) with central differences, element by element.
/// </summary>
/// <remarks>
/// <para>The check works in <see cref="double"/> only, on purpose: a central difference in <see cref="float"/>
/// loses about half of its 7 significant digits to cancellation, so it cannot tell a subtly wrong gradient from
/// rounding noise. Instantiate the layer with <c>Matrix&lt;double&gt;</c> for the check (generated code is
/// generic over the element type) and train in <see cref="float"/>.</para>
/// <para>To check the gradient with respect to an input as well, wrap the input matrix and the matrix its
/// gradient is written to as another <see cref="Parameter{T}"/>:</para>
/// <code>
/// var x = Matrix&lt;double&gt;.RandomNormal(4, 3, seed: 1);
/// var dx = new Matrix&lt;double&gt;(4, 3);
/// var checkedValues = new List&lt;Parameter&lt;double&gt;&gt;(layer.Parameters(gradients)) { new("x", x, dx) };
/// var result = GradientCheck.Run(
///     checkedValues,
///     loss: () =&gt; layer.Loss(x, labels),
///     computeGradients: () =&gt;
///     {
///         var tape = new Layer.LossTape();
///         layer.Loss(x, labels, tape);
///         layer.LossBackward(tape, gradients).CopyTo(dx);   // Backward returns ∂L/∂x
///     });
/// Console.WriteLine(result);   // or result.ThrowIfFailed() in a test
/// </code>
/// </remarks>
public static class GradientCheck
{
    /// <summary>How many failing elements a result lists (all are counted).</summary>
    public const int MaxListedFailures = 10;

    /// <summary>
    /// Checks the analytic gradients of <paramref name="loss"/> with respect to every element of every parameter
    /// (or a seeded sample of each parameter's elements) against central differences.
    /// </summary>
    /// <param name="parameters">The values to perturb and the matrices that hold their analytic gradients.</param>
    /// <param name="loss">Evaluates the scalar loss at the parameters' current values. Must be deterministic
    /// (no dropout, no fresh random numbers) and must not change the values.</param>
    /// <param name="computeGradients">Writes ∂loss/∂value into each parameter's <see cref="Parameter{T}.Gradient"/>
    /// at the current values. The gradients are cleared just before it is called, so a backward pass that
    /// accumulates (<c>+=</c>, as generated ones do) is fine.</param>
    /// <param name="epsilon">The step h of the central difference <c>(L(x + h) − L(x − h)) / 2h</c>. The default
    /// 1e-6 (PyTorch's) keeps truncation error (∝ h²) and cancellation (∝ |L|·ε_machine / h) small for losses of
    /// order 1 while rarely stepping across a kink of ReLU or abs (a larger h does: 1e-4 fails correct ReLU
    /// networks).</param>
    /// <param name="tolerance">The largest relative error that passes. Correct gradients of a small MLP measure
    /// 1e-8 to 2e-6 (rounding noise of the loss, amplified by 1/h); a wrong rule measures 1e-2 to 1.</param>
    /// <param name="floor">The smallest denominator of the relative error: gradients much smaller than this are
    /// compared absolutely (an error up to <c>tolerance · floor</c> passes), because the numerical derivative of a
    /// flat direction is rounding noise of order <c>ε_machine · |L| / h</c>, not 0. Scale it with the loss for
    /// losses far from order 1.</param>
    /// <param name="maxElementsPerParameter">When set, at most this many elements of each parameter are checked,
    /// chosen uniformly without replacement from <paramref name="seed"/>; null checks every element.</param>
    /// <param name="seed">Seed of the element sampling.</param>
    /// <returns>The per-element comparison summarised: <see cref="GradientCheckResult.Passed"/>, the worst element,
    /// per-parameter maxima; <see cref="GradientCheckResult.ToString"/> is a readable report.</returns>
    /// <remarks>
    /// The relative error of an element is <c>|a − n| / max(|a|, |n|, floor)</c> with a the analytic and n the
    /// numerical derivative; NaN anywhere fails. Every value is restored bit-exactly after it is perturbed.
    /// The loss is evaluated 2 times per checked element, plus 2 times to test that it is deterministic.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/>, <paramref name="tolerance"/> or
    /// <paramref name="floor"/> is not a positive finite number, or <paramref name="maxElementsPerParameter"/> &lt; 1.</exception>
    /// <exception cref="InvalidOperationException">The loss is not finite, or two evaluations at the same values differ.</exception>
    public static GradientCheckResult Run(
        IReadOnlyList<Parameter<double>> parameters,
        Func<double> loss,
        Action computeGradients,
        double epsilon = 1e-6,
        double tolerance = 1e-5,
        double floor = 1e-3,
        int? maxElementsPerParameter = null,
        int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(computeGradients);
        RequirePositive(epsilon, nameof(epsilon));
        RequirePositive(tolerance, nameof(tolerance));
        RequirePositive(floor, nameof(floor));
        if (maxElementsPerParameter is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxElementsPerParameter), maxElementsPerParameter,
                $"GradientCheck: maxElementsPerParameter must be ≥ 1 (or null for every element) but is {maxElementsPerParameter}.");
        for (int i = 0; i < parameters.Count; i++)
            if (parameters[i] is null)
                throw new ArgumentNullException(nameof(parameters), $"GradientCheck: parameter {i} is null.");

        // A loss that changes between two evaluations at the same point (dropout, a shuffled batch) makes every
        // difference quotient meaningless; say so instead of reporting huge "gradient" errors.
        double reference = loss();
        double again = loss();
        if (!double.IsFinite(reference))
            throw new InvalidOperationException($"GradientCheck: the loss is {reference} at the starting point; a gradient check needs a finite loss.");
        if (BitConverter.DoubleToInt64Bits(reference) != BitConverter.DoubleToInt64Bits(again))
            throw new InvalidOperationException(
                $"GradientCheck: the loss is not deterministic: two evaluations at the same values gave {Format(reference)} and {Format(again)}. " +
                "Disable dropout and other randomness for the check.");

        // The analytic gradients, snapshotted so that a loss function that happens to touch the gradient matrices
        // cannot change what is compared.
        foreach (var parameter in parameters)
            parameter.Gradient.Clear();
        computeGradients();
        var analytic = new double[parameters.Count][];
        for (int i = 0; i < parameters.Count; i++)
            analytic[i] = parameters[i].Gradient.ToArray();

        var random = new Random(seed);
        var parameterResults = new GradientCheckParameterResult[parameters.Count];
        var failures = new List<GradientCheckElement>();
        int failureCount = 0, elementsChecked = 0;
        GradientCheckElement? worst = null;
        for (int i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            var value = parameter.Value;
            if (value.Length != analytic[i].Length)
                throw new InvalidOperationException(
                    $"GradientCheck: parameter '{parameter.Name}' is {value.ShapeString} but its gradient had {analytic[i].Length} elements after computeGradients.");

            int[] indices = ChooseElements(value.Length, maxElementsPerParameter, random);
            GradientCheckElement? parameterWorst = null;
            int parameterFailures = 0;
            var span = value.AsSpan();
            foreach (int index in indices)
            {
                double original = span[index];
                double plus = original + epsilon, minus = original - epsilon;
                span[index] = plus;
                double lossPlus = loss();
                span[index] = minus;
                double lossMinus = loss();
                span[index] = original;
                // Divide by the step actually taken: plus − minus is not exactly 2h once x is large.
                double numeric = (lossPlus - lossMinus) / (plus - minus);

                double a = analytic[i][index];
                double relativeError = Math.Abs(a - numeric) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(numeric)), floor);
                var element = new GradientCheckElement(parameter.Name, index / value.Cols, index % value.Cols, a, numeric, relativeError);
                if (IsWorse(element, parameterWorst))
                    parameterWorst = element;
                if (!(relativeError <= tolerance))
                {
                    parameterFailures++;
                    if (failures.Count < MaxListedFailures)
                        failures.Add(element);
                }
            }
            elementsChecked += indices.Length;
            failureCount += parameterFailures;
            if (IsWorse(parameterWorst, worst))
                worst = parameterWorst;
            parameterResults[i] = new GradientCheckParameterResult(
                parameter.Name, value.Rows, value.Cols, indices.Length, parameterWorst?.RelativeError ?? 0, parameterWorst, parameterFailures);
        }

        return new GradientCheckResult(parameterResults, worst, failures, failureCount, elementsChecked, epsilon, tolerance, floor);
    }

    private static bool IsWorse(GradientCheckElement? candidate, GradientCheckElement? current)
        => candidate is not null
           && (current is null
               || (!double.IsNaN(current.RelativeError) && (double.IsNaN(candidate.RelativeError) || candidate.RelativeError > current.RelativeError)));

    /// <summary>All indices, or a sorted uniform sample of <paramref name="max"/> distinct ones (partial Fisher–Yates).</summary>
    private static int[] ChooseElements(int length, int? max, Random random)
    {
        var all = new int[length];
        for (int i = 0; i < length; i++)
            all[i] = i;
        if (max is not int count || count >= length)
            return all;
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, length);
            (all[i], all[j]) = (all[j], all[i]);
        }
        var sample = all.AsSpan(0, count).ToArray();
        Array.Sort(sample);
        return sample;
    }

    private static void RequirePositive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"GradientCheck: {name} must be a positive finite number but is {value}.");
    }

    internal static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
