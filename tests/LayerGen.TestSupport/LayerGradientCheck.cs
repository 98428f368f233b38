using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;
using Xunit.Sdk;

namespace LayerGen.TestSupport;

/// <summary>
/// Checks a generated backward pass against central differences (<see cref="GradientCheck"/>) of the user's own
/// (plain) forward method, found by reflection so that one helper serves every layer: L = Σ y ⊙ R for a matrix output (R fixed and random, passed as
/// dOutput) or L = c·y for a scalar output (c passed as dOutput). Every trainable parameter (through the generated
/// <c>Parameters</c>) and every differentiable input is perturbed element by element. Also checks that the training
/// forward returns what the plain forward returns, that a second backward accumulates into the gradients (+=) while
/// returning the same input gradients, and that <c>Gradients.Clear()</c> zeroes them.
/// </summary>
public static class LayerGradientCheck
{
    private const double Step = 1e-5;

    /// <summary>Checks <paramref name="method"/> (a [Forward] method of <paramref name="layer"/>, or of a type for a static one).</summary>
    public static void Check(object layer, object?[] inputs, string method = "Forward", double tolerance = 1e-6)
    {
        var type = layer as Type ?? layer.GetType();
        object? instance = layer is Type ? null : layer;
        var user = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Single(m => m.Name == method && m.GetCustomAttribute<ForwardAttribute>() is not null);
        var userParameters = user.GetParameters();
        string prefix = method == "Forward" ? "" : method;
        var tapeType = Nested(type, prefix + "Tape");
        var training = type.GetMethod(method, [.. userParameters.Select(p => p.ParameterType), tapeType])
            ?? throw new XunitException($"{type.Name}: no generated training overload {method}(…, {tapeType.Name})");
        var backward = type.GetMethod(method == "Forward" ? "Backward" : method + "Backward", BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            ?? throw new XunitException($"{type.Name}: no generated backward for {method}");
        var gradientsType = instance is null ? null : Nested(type, "Gradients");

        var tape = Activator.CreateInstance(tapeType)!;
        object? gradients = gradientsType is null ? null : Activator.CreateInstance(gradientsType, instance);
        var parameters = gradients is null
            ? []
            : ((IReadOnlyList<Parameter<double>>)type.GetMethod("Parameters")!.Invoke(instance, [gradients])!).ToList();
        var differentiable = userParameters
            .Select((p, i) => (p, i))
            .Where(t => (t.p.ParameterType == typeof(Matrix<double>) || t.p.ParameterType == typeof(double)
                || t.p.ParameterType == typeof(IReadOnlyList<Matrix<double>>)) && t.p.GetCustomAttribute<NoGradAttribute>() is null)
            .Select(t => t.i)
            .ToArray();

        // The objective and its seed.
        object plain = user.Invoke(instance, inputs)!;
        var seed = plain is Matrix<double> y ? Matrix<double>.RandomNormal(y.Rows, y.Cols, 4242) : null;
        // A sequence result (a list of results): one seed per matrix.
        var seeds = plain is IReadOnlyList<Matrix<double>> ys ? ys.Select((m, k) => Matrix<double>.RandomNormal(m.Rows, m.Cols, 4242 + k)).ToList() : null;
        const double scalarSeed = 0.7;
        double Objective() => user.Invoke(instance, inputs) switch
        {
            Matrix<double> m => Dot(m, seed!),
            IReadOnlyList<Matrix<double>> list => list.Select((m, k) => Dot(m, seeds![k])).Sum(),
            double s => scalarSeed * s,
            var other => throw new XunitException($"{type.Name}.{method} returned {other?.GetType().Name}"),
        };

        // Training forward + backward.
        object? Backward()
        {
            object trained = training.Invoke(instance, [.. inputs, tape])!;
            AssertSameValue(plain, trained, $"{type.Name}.{method}: training forward differs from the plain forward");
            object?[] arguments = [.. backward.GetParameters().Select(p =>
                p.ParameterType == tapeType ? tape
                : p.ParameterType == gradientsType ? gradients
                : p.ParameterType == typeof(Matrix<double>) ? seed
                : p.ParameterType == typeof(IReadOnlyList<Matrix<double>>) ? seeds
                : p.ParameterType == typeof(double) ? (object)scalarSeed
                : throw new XunitException($"{backward}: unexpected parameter {p}"))];
            return backward.Invoke(instance, arguments);
        }

        // Matrix inputs are checked as parameters whose gradient is what Backward returned for them.
        var inputGradientSlots = new Dictionary<int, Matrix<double>>();
        var sequenceGradientSlots = new Dictionary<int, Matrix<double>[]>();
        var checkedValues = new List<Parameter<double>>(parameters);
        foreach (int index in differentiable)
            if (inputs[index] is Matrix<double> input)
            {
                inputGradientSlots[index] = new Matrix<double>(input.Rows, input.Cols);
                checkedValues.Add(new Parameter<double>($"({userParameters[index].Name})", input, inputGradientSlots[index]));
            }
            else if (inputs[index] is IReadOnlyList<Matrix<double>> sequence)
            {
                // A sequence input: every element is checked against its entry in the returned gradient list.
                sequenceGradientSlots[index] = [.. sequence.Select(e => new Matrix<double>(e.Rows, e.Cols))];
                for (int e = 0; e < sequence.Count; e++)
                    checkedValues.Add(new Parameter<double>($"({userParameters[index].Name}[{e}])", sequence[e], sequenceGradientSlots[index][e]));
            }
        object?[] inputGradients = [];
        var check = GradientCheck.Run(
            checkedValues,
            Objective,
            computeGradients: () =>
            {
                inputGradients = Unpack(Backward(), differentiable.Length, backward);
                for (int j = 0; j < differentiable.Length; j++)
                    if (inputGradientSlots.TryGetValue(differentiable[j], out var slot))
                        ((Matrix<double>)inputGradients[j]!).CopyTo(slot);
                    else if (sequenceGradientSlots.TryGetValue(differentiable[j], out var slots))
                    {
                        var returned = (IReadOnlyList<Matrix<double>>)inputGradients[j]!;
                        Assert.Equal(slots.Length, returned.Count);
                        for (int e = 0; e < slots.Length; e++)
                            returned[e].CopyTo(slots[e]);
                    }
            },
            epsilon: Step,
            tolerance: tolerance);
        Assert.True(check.Passed, $"{type.Name}.{method}:\n{check}");
        Assert.Equal(checkedValues.Sum(p => p.Value.Length), check.ElementsChecked);

        // Scalar (T) inputs: GradientCheck perturbs matrices only, so by hand.
        var failures = new List<string>();
        for (int j = 0; j < differentiable.Length; j++)
        {
            int index = differentiable[j];
            if (inputs[index] is not double original)
                continue;
            double numeric = NumericalGradient.Derivative(v =>
            {
                inputs[index] = v;
                return Objective();
            }, original, Step);
            inputs[index] = original;
            Compare($"{type.Name}({userParameters[index].Name})", numeric, (double)inputGradients[j]!, tolerance, failures);
        }
        if (failures.Count > 0)
            throw new XunitException($"Gradient check failed for {failures.Count} scalar input(s):\n" + string.Join("\n", failures));

        // GradientCheck cleared the gradients before its one backward: they now hold exactly one step's worth.
        var parameterGradients = parameters.Select(p => p.Gradient.Clone()).ToList();

        // A second step with the same tape: parameter gradients accumulate, input gradients are recomputed.
        if (parameters.Count > 0 || differentiable.Length > 0)
        {
            var again = Unpack(Backward(), differentiable.Length, backward);
            for (int k = 0; k < parameters.Count; k++)
                AssertClose(Scaled(parameterGradients[k], 2), parameters[k].Gradient, $"{parameters[k].Name} after two backward calls (must accumulate)");
            for (int j = 0; j < differentiable.Length; j++)
                AssertSameValue(inputGradients[j]!, again[j]!, $"input gradient {j} of the second call");
        }

        if (gradients is not null)
        {
            gradientsType!.GetMethod("Clear")!.Invoke(gradients, null);
            foreach (var p in parameters)
                Assert.True(p.Gradient.AsSpan().ToArray().All(v => v == 0), $"{p.Name} is not zero after Clear()");
        }
    }

    private static Type Nested(Type type, string name)
    {
        var nested = type.GetNestedType(name) ?? throw new XunitException($"{type.Name} has no generated nested type {name}");
        return nested.IsGenericTypeDefinition ? nested.MakeGenericType(type.GetGenericArguments()) : nested;
    }

    /// <summary>The input gradients a backward returned: none (void), one value, or a named tuple of several.</summary>
    private static object?[] Unpack(object? returned, int count, MethodInfo backward)
    {
        object?[] values = count switch
        {
            0 => backward.ReturnType == typeof(void) ? [] : throw new XunitException($"{backward} should return void (no differentiable input)"),
            1 => [returned],
            _ => returned is ITuple tuple && tuple.Length == count
                ? [.. Enumerable.Range(0, count).Select(i => tuple[i])]
                : throw new XunitException($"{backward} should return a tuple of {count} gradients, returned {returned}"),
        };
        // Matrices are owned by the tape (overwritten next call): keep copies.
        return [.. values.Select(v => v switch
        {
            Matrix<double> m => m.Clone(),
            IReadOnlyList<Matrix<double>> list => (object)list.Select(m => m.Clone()).ToList(),
            _ => v,
        })];
    }

    private static void Compare(string name, double numeric, double analytic, double tolerance, List<string> failures)
    {
        double error = Math.Abs(numeric - analytic);
        if (!(error <= tolerance * (Math.Abs(numeric) + Math.Abs(analytic)) + 1e-9))
            failures.Add($"{name}: analytic {analytic:R}, numeric {numeric:R}, |diff| {error:E2}");
    }

    /// <summary>Σ a ⊙ b.</summary>
    public static double Dot(Matrix<double> a, Matrix<double> b)
    {
        double sum = 0;
        var x = a.AsReadOnlySpan();
        var y = b.AsReadOnlySpan();
        for (int i = 0; i < x.Length; i++)
            sum += x[i] * y[i];
        return sum;
    }

    private static Matrix<double> Scaled(Matrix<double> m, double s)
    {
        var result = m.Clone();
        foreach (ref var v in result.AsSpan())
            v *= s;
        return result;
    }

    /// <summary>Asserts equal shapes and every element within <paramref name="tolerance"/> · max(1, |expected|).</summary>
    public static void AssertClose(Matrix<double> expected, Matrix<double> actual, string what, double tolerance = 1e-12)
    {
        Assert.True(expected.SameShape(actual), $"{what}: shape {actual.ShapeString}, expected {expected.ShapeString}");
        for (int r = 0; r < expected.Rows; r++)
            for (int c = 0; c < expected.Cols; c++)
                Assert.True(Math.Abs(expected[r, c] - actual[r, c]) <= tolerance * Math.Max(1, Math.Abs(expected[r, c])),
                    $"{what}[{r}, {c}]: {actual[r, c]:R}, expected {expected[r, c]:R}");
    }

    private static void AssertSameValue(object expected, object actual, string what)
    {
        switch (expected, actual)
        {
            case (Matrix<double> e, Matrix<double> a): AssertClose(e, a, what); break;
            case (double e, double a): Assert.True(Math.Abs(e - a) <= 1e-12 * Math.Max(1, Math.Abs(e)), $"{what}: {a:R}, expected {e:R}"); break;
            case (IReadOnlyList<Matrix<double>> e, IReadOnlyList<Matrix<double>> a):
                Assert.Equal(e.Count, a.Count);
                for (int i = 0; i < e.Count; i++)
                    AssertClose(e[i], a[i], $"{what}[{i}]");
                break;
            default: throw new XunitException($"{what}: {actual?.GetType().Name} vs {expected?.GetType().Name}");
        }
    }

    // ---------------------------------------------------------------- inputs

    /// <summary>Standard normal values.</summary>
    public static Matrix<double> Normal(int rows, int cols, int seed) => Matrix<double>.RandomNormal(rows, cols, seed);

    /// <summary>Uniform values in [0.5, 2), for ops defined only for positive inputs (log, sqrt).</summary>
    public static Matrix<double> Positive(int rows, int cols, int seed) => Matrix<double>.RandomUniform(rows, cols, seed, 0.5, 2.0);

    /// <summary>Normal values pushed at least 0.1 away from 0, where ReLU/Abs have their kink.</summary>
    public static Matrix<double> AwayFromZero(int rows, int cols, int seed)
    {
        var m = Normal(rows, cols, seed);
        foreach (ref var v in m.AsSpan())
            v = v >= 0 ? v + 0.1 : v - 0.1;
        return m;
    }
}
