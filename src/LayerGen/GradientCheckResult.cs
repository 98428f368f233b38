using System.Globalization;
using System.Text;

namespace LayerGen;

/// <summary>One compared element of a <see cref="GradientCheck"/>.</summary>
/// <param name="ParameterName">The parameter's name.</param>
/// <param name="Row">The element's row.</param>
/// <param name="Col">The element's column.</param>
/// <param name="Analytic">∂L/∂element from the backward pass.</param>
/// <param name="Numeric">∂L/∂element from central differences.</param>
/// <param name="RelativeError"><c>|Analytic − Numeric| / max(|Analytic|, |Numeric|, floor)</c>; NaN if either is NaN.</param>
public sealed record GradientCheckElement(string ParameterName, int Row, int Col, double Analytic, double Numeric, double RelativeError)
{
    /// <summary>E.g. <c>Hidden.W[2, 5]: analytic 0.25, numeric 0.125, relative error 0.5</c>.</summary>
    public override string ToString()
        => $"{ParameterName}[{Row}, {Col}]: analytic {GradientCheck.Format(Analytic)}, numeric {GradientCheck.Format(Numeric)}, relative error {GradientCheck.Format(RelativeError)}";
}

/// <summary>The outcome of a <see cref="GradientCheck"/> for one parameter.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="Rows">The parameter's rows.</param>
/// <param name="Cols">The parameter's columns.</param>
/// <param name="ElementsChecked">How many elements were compared (all, or the sample).</param>
/// <param name="MaxRelativeError">The largest relative error among them (NaN if one was NaN; 0 if none was checked).</param>
/// <param name="Worst">The element with <see cref="MaxRelativeError"/>, or null if none was checked.</param>
/// <param name="FailureCount">How many elements exceeded the tolerance.</param>
public sealed record GradientCheckParameterResult(string Name, int Rows, int Cols, int ElementsChecked, double MaxRelativeError, GradientCheckElement? Worst, int FailureCount)
{
    /// <summary>Whether every checked element of this parameter was within the tolerance.</summary>
    public bool Passed => FailureCount == 0;
}

/// <summary>
/// The outcome of <see cref="GradientCheck.Run"/>: whether every checked element's relative error is within the
/// tolerance, the worst element, per-parameter maxima and the first failing elements.
/// </summary>
public sealed class GradientCheckResult
{
    internal GradientCheckResult(
        IReadOnlyList<GradientCheckParameterResult> parameters, GradientCheckElement? worst, IReadOnlyList<GradientCheckElement> failures,
        int failureCount, int elementsChecked, double epsilon, double tolerance, double floor)
    {
        Parameters = parameters;
        Worst = worst;
        Failures = failures;
        FailureCount = failureCount;
        ElementsChecked = elementsChecked;
        Epsilon = epsilon;
        Tolerance = tolerance;
        Floor = floor;
    }

    /// <summary>Whether every checked element's relative error is ≤ <see cref="Tolerance"/>.</summary>
    public bool Passed => FailureCount == 0;

    /// <summary>The largest relative error over all checked elements (NaN if one was NaN; 0 if none was checked).</summary>
    public double MaxRelativeError => Worst?.RelativeError ?? 0;

    /// <summary>The element with the largest relative error, or null when nothing was checked.</summary>
    public GradientCheckElement? Worst { get; }

    /// <summary>Per-parameter results, in the order of the parameters given.</summary>
    public IReadOnlyList<GradientCheckParameterResult> Parameters { get; }

    /// <summary>The first <see cref="GradientCheck.MaxListedFailures"/> failing elements, in checking order.</summary>
    public IReadOnlyList<GradientCheckElement> Failures { get; }

    /// <summary>How many elements exceeded the tolerance (all of them, not only those listed).</summary>
    public int FailureCount { get; }

    /// <summary>How many elements were compared.</summary>
    public int ElementsChecked { get; }

    /// <summary>The central-difference step used.</summary>
    public double Epsilon { get; }

    /// <summary>The relative-error tolerance used.</summary>
    public double Tolerance { get; }

    /// <summary>The smallest denominator of the relative error used.</summary>
    public double Floor { get; }

    /// <summary>Throws <see cref="InvalidOperationException"/> with the report (<see cref="ToString"/>) unless the check passed.</summary>
    public void ThrowIfFailed()
    {
        if (!Passed)
            throw new InvalidOperationException(ToString());
    }

    /// <summary>A readable report: verdict, per-parameter maxima, the worst element and the listed failures.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.Append(invariant, $"Gradient check {(Passed ? "passed" : "FAILED")}: {ElementsChecked} elements of {Parameters.Count} parameters, ")
            .Append(invariant, $"max relative error {GradientCheck.Format(MaxRelativeError)} (tolerance {GradientCheck.Format(Tolerance)}, ")
            .Append(invariant, $"epsilon {GradientCheck.Format(Epsilon)}, floor {GradientCheck.Format(Floor)})");
        if (!Passed)
            text.Append(invariant, $", {FailureCount} elements fail");
        foreach (var parameter in Parameters)
        {
            text.Append(invariant, $"\n  {parameter.Name} [{parameter.Rows}, {parameter.Cols}]: {parameter.ElementsChecked} checked, ")
                .Append(invariant, $"max relative error {GradientCheck.Format(parameter.MaxRelativeError)}");
            if (!parameter.Passed)
                text.Append(invariant, $", {parameter.FailureCount} fail");
        }
        if (Worst is not null)
            text.Append("\n  worst: ").Append(Worst);
        if (!Passed)
        {
            text.Append(invariant, $"\n  failing elements (first {Failures.Count} of {FailureCount}):");
            foreach (var failure in Failures)
                text.Append("\n    ").Append(failure);
        }
        return text.ToString();
    }
}
