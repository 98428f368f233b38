using System.Numerics;

namespace LayerGen;

/// <summary>
/// A trainable parameter as optimizers see it: a name (dotted for sublayers, e.g. <c>Hidden.W</c>), its value
/// and the gradient that a backward pass accumulates for it. Both matrices have the same shape.
/// </summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a parameter; <paramref name="gradient"/> must have the shape of <paramref name="value"/>.</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public Parameter(string name, Matrix<T> value, Matrix<T> gradient)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(gradient);
        if (!value.SameShape(gradient))
            throw new ShapeMismatchException($"Parameter '{name}'", $"value is {value.ShapeString} but gradient is {gradient.ShapeString}");
        Name = name;
        Value = value;
        Gradient = gradient;
    }

    /// <summary>The parameter's name; sublayer parameters are dotted (<c>Hidden.W</c>).</summary>
    public string Name { get; }

    /// <summary>The parameter's value, updated in place by optimizers.</summary>
    public Matrix<T> Value { get; }

    /// <summary>∂L/∂Value, same shape as <see cref="Value"/>, accumulated by backward passes.</summary>
    public Matrix<T> Gradient { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Value.ShapeString}";
}
