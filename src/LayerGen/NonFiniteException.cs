namespace LayerGen;

/// <summary>
/// Thrown by <see cref="Ops.ThrowIfNotFinite{T}(Matrix{T}, string)"/> when a matrix holds a NaN or an infinity:
/// names the matrix, the first bad element's index and its value, e.g.
/// <c>ThrowIfNotFinite: 'dense.W' [3, 17] is NaN (a [784, 100] matrix)</c>.
/// </summary>
public sealed class NonFiniteException : ArithmeticException
{
    /// <summary>Creates the exception for element (<paramref name="row"/>, <paramref name="col"/>) of the matrix called <paramref name="name"/>.</summary>
    /// <param name="name">The matrix's name, e.g. a parameter name.</param>
    /// <param name="row">Row of the first non-finite element.</param>
    /// <param name="col">Column of the first non-finite element.</param>
    /// <param name="value">The element, formatted (<c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>).</param>
    /// <param name="shape">The matrix's shape, e.g. <c>[784, 100]</c>.</param>
    public NonFiniteException(string name, int row, int col, string value, string shape)
        : base($"ThrowIfNotFinite: '{name}' [{row}, {col}] is {value} (a {shape} matrix)")
    {
        Name = name;
        Row = row;
        Column = col;
        Value = value;
    }

    /// <summary>The matrix's name.</summary>
    public string Name { get; }

    /// <summary>Row of the first non-finite element.</summary>
    public int Row { get; }

    /// <summary>Column of the first non-finite element.</summary>
    public int Column { get; }

    /// <summary>The offending value as text.</summary>
    public string Value { get; }
}
