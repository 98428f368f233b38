using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace LayerGen;

/// <summary>
/// The argument checks a generated <c>Backward</c> runs on entry: the tape belongs to this layer instance, ∂L/∂result
/// has the forward result's shape, every gradient has its parameter's shape. Called by generated code only.
/// </summary>
/// <remarks>
/// Each check is a few integer (or reference) compares, inlined into the generated method; the message is built only
/// on the cold path, in a method that is never inlined, so a correct call costs nothing measurable and allocates nothing.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BackwardChecks
{
    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> unless <paramref name="recordedBy"/> (the layer instance whose
    /// training forward filled the tape) is <paramref name="layer"/>: a tape used with another instance would give a
    /// silently wrong gradient.
    /// </summary>
    /// <param name="method">The generated method, e.g. <c>Backward</c>.</param>
    /// <param name="layerType">The layer type's name, e.g. <c>Dense</c>.</param>
    /// <param name="recordedBy">The instance recorded on the tape.</param>
    /// <param name="layer">The instance Backward was called on.</param>
    /// <exception cref="InvalidOperationException">The tape was recorded by another instance.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SameLayer(string method, string layerType, object? recordedBy, object layer)
    {
        if (!ReferenceEquals(recordedBy, layer))
            ThrowOtherLayer(method, layerType);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless a list of ∂L/∂item has one matrix per item the forward produced
    /// (one per iteration of the loop that filled the list).
    /// </summary>
    /// <param name="method">The generated method, e.g. <c>Backward</c>.</param>
    /// <param name="what">The list, e.g. <c>dOutput</c>.</param>
    /// <param name="count">How many matrices it holds.</param>
    /// <param name="expected">How many the forward returned.</param>
    public static void SequenceLength(string method, string what, int count, int expected)
    {
        if (count != expected)
            throw new ArgumentException($"{method}: {what} holds {count} matrices but the forward returned {expected}; pass one ∂L/∂item per item.", what == "dOutput" ? "dOutput" : null);
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> unless a sublayer collection holds as many sublayers as its
    /// gradients (made by <c>new Gradients(layer)</c> when it held <paramref name="gradients"/>): a sublayer added or
    /// removed since would otherwise get no gradients, or another one's.
    /// </summary>
    /// <param name="method">The generated method, e.g. <c>Backward</c>.</param>
    /// <param name="member">The collection member, e.g. <c>Blocks</c>.</param>
    /// <param name="sublayers">How many sublayers it holds now.</param>
    /// <param name="gradients">How many the gradients were made for.</param>
    public static void SameCount(string method, string member, int sublayers, int gradients)
    {
        if (sublayers != gradients)
            throw new InvalidOperationException($"{method}: {member} holds {sublayers} sublayers but the gradients were made for {gradients}; make new Gradients(layer) after changing {member}.");
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> for <c>dOutput</c> unless it is <paramref name="rows"/>×<paramref name="cols"/>,
    /// the shape of the forward result the tape recorded.
    /// </summary>
    /// <param name="method">The generated method, e.g. <c>Backward</c>.</param>
    /// <param name="dOutput">∂L/∂result as passed to Backward.</param>
    /// <param name="rows">Rows of the forward result.</param>
    /// <param name="cols">Columns of the forward result.</param>
    /// <exception cref="ArgumentException"><paramref name="dOutput"/> is not shaped like the result.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DOutputShape<T>(string method, Matrix<T> dOutput, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dOutput.Rows != rows || dOutput.Cols != cols)
            ThrowDOutputShape(method, dOutput.Rows, dOutput.Cols, rows, cols);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> for <c>gradients</c> unless <paramref name="gradient"/> (e.g.
    /// <c>gradients.W</c>) has the shape of <paramref name="parameter"/> (<c>W</c>): gradients made for a differently
    /// shaped layer.
    /// </summary>
    /// <param name="method">The generated method, e.g. <c>Backward</c>.</param>
    /// <param name="layerType">The layer type's name, e.g. <c>Dense</c> (a sublayer checks its own gradients).</param>
    /// <param name="name">The parameter's name, e.g. <c>W</c>.</param>
    /// <param name="gradient">The gradient matrix, <c>gradients.W</c>.</param>
    /// <param name="parameter">The parameter, <c>this.W</c>.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GradientShape<T>(string method, string layerType, string name, Matrix<T> gradient, Matrix<T> parameter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gradient.Rows != parameter.Rows || gradient.Cols != parameter.Cols)
            ThrowGradientShape(method, layerType, name, gradient.Rows, gradient.Cols, parameter.Rows, parameter.Cols);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOtherLayer(string method, string layerType) =>
        throw new InvalidOperationException($"{method}: this tape was recorded by a different {layerType} instance; use one tape per layer instance");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDOutputShape(string method, int rows, int cols, int expectedRows, int expectedCols) =>
        throw new ArgumentException(
            $"{method}: dOutput is {ShapeMismatchException.Format(rows, cols)} but the forward result was {ShapeMismatchException.Format(expectedRows, expectedCols)}",
            "dOutput");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowGradientShape(string method, string layerType, string name, int rows, int cols, int expectedRows, int expectedCols) =>
        throw new ArgumentException(
            $"{method}: gradients.{name} is {ShapeMismatchException.Format(rows, cols)} but this {layerType}'s {name} is "
            + $"{ShapeMismatchException.Format(expectedRows, expectedCols)}; make the gradients for this layer (new {layerType}.Gradients(layer))",
            "gradients");
}
