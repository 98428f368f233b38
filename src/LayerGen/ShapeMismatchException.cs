namespace LayerGen;

/// <summary>
/// Thrown when the shapes of an operation's operands do not fit together. The message names the operation and
/// every shape, e.g. <c>MatMul: [32, 784] × [100, 10]: inner dimensions 784 ≠ 100</c>.
/// </summary>
/// <remarks>An <see cref="ArgumentException"/>, so callers that guard arguments generally also catch it.</remarks>
public sealed class ShapeMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a complete message.</summary>
    /// <param name="operation">The operation, e.g. <c>MatMul</c> or <c>Dense.Forward</c>.</param>
    /// <param name="message">The rest of the message, naming the shapes; it is prefixed with <c>operation: </c>.</param>
    public ShapeMismatchException(string operation, string message)
        : base($"{operation}: {message}")
    {
        Operation = operation;
    }

    /// <summary>The operation whose operands did not fit.</summary>
    public string Operation { get; }

    /// <summary>Formats a shape as in messages: <c>[rows, cols]</c>.</summary>
    public static string Format(int rows, int cols) => $"[{rows}, {cols}]";

    /// <summary>Throws unless <paramref name="a"/> and <paramref name="b"/> have the same shape.</summary>
    public static void ThrowIfDifferent<T>(string operation, Matrix<T> a, Matrix<T> b)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols)
            throw new ShapeMismatchException(operation, $"{a.ShapeString} and {b.ShapeString}: shapes must be equal");
    }

    /// <summary>Throws unless <paramref name="m"/> is <paramref name="rows"/>×<paramref name="cols"/>.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="role">What the matrix is, e.g. <c>result</c> or <c>dInput</c>.</param>
    /// <param name="m">The matrix to check.</param>
    /// <param name="rows">Expected rows.</param>
    /// <param name="cols">Expected columns.</param>
    public static void ThrowIfNotShape<T>(string operation, string role, Matrix<T> m, int rows, int cols)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (m.Rows != rows || m.Cols != cols)
            throw new ShapeMismatchException(operation, $"{role} is {m.ShapeString} but must be {Format(rows, cols)}");
    }
}
