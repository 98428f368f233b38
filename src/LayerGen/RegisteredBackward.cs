using System.ComponentModel;
using System.Numerics;

namespace LayerGen;

/// <summary>
/// Checks the generated backward pass applies to what a user-registered backward
/// (<see cref="DifferentiableAttribute"/>) returns: a gradient has exactly the shape of its parameter, never null.
/// </summary>
/// <remarks>Called by generated code; not meant to be called by hand.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RegisteredBackward
{
    /// <summary>Returns <paramref name="gradient"/> when it is shaped like <paramref name="value"/>; throws otherwise.</summary>
    /// <param name="gradient">What the registered backward returned for <paramref name="parameter"/>.</param>
    /// <param name="value">The argument the forward op was called with.</param>
    /// <param name="backward">The backward method, as <c>Type.Method</c>, for the message.</param>
    /// <param name="parameter">The op's parameter name, for the message.</param>
    /// <exception cref="System.InvalidOperationException">The backward returned null.</exception>
    /// <exception cref="ShapeMismatchException">The gradient's shape is not the parameter's.</exception>
    public static Matrix<T> Checked<T>(Matrix<T>? gradient, Matrix<T> value, string backward, string parameter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gradient is null)
            throw new System.InvalidOperationException($"{backward} returned null for ∂L/∂{parameter}; it must return a gradient shaped like {parameter} {value.ShapeString}.");
        if (gradient.Rows != value.Rows || gradient.Cols != value.Cols)
            throw new ShapeMismatchException(backward, $"the gradient for {parameter} is {gradient.ShapeString} but {parameter} is {value.ShapeString}: ∂L/∂{parameter} must have the shape of {parameter}");
        return gradient;
    }

    /// <summary>Throws unless a registered op returned a matrix of the size its <c>[return: Shape]</c> declares.</summary>
    /// <param name="result">What the op returned.</param>
    /// <param name="rows">The rows its declaration gives for these arguments.</param>
    /// <param name="cols">The columns its declaration gives for these arguments.</param>
    /// <param name="op">The op, as <c>Type.Method</c>, for the message.</param>
    /// <exception cref="System.InvalidOperationException">The op returned null.</exception>
    /// <exception cref="ShapeMismatchException">The result's shape is not the declared one.</exception>
    public static void CheckResult<T>(Matrix<T>? result, int rows, int cols, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (result is null)
            throw new System.InvalidOperationException($"{op} returned null; it must return a {ShapeMismatchException.Format(rows, cols)} matrix as its [return: Shape] declares.");
        if (result.Rows != rows || result.Cols != cols)
            throw new ShapeMismatchException(op, $"returned {result.ShapeString} but its [return: Shape] declares {ShapeMismatchException.Format(rows, cols)} for these arguments");
    }

    /// <summary>Throws unless a registered op returned a matrix of the shape its descriptor's <c>ResultShape</c> method gives.</summary>
    /// <param name="result">What the op returned.</param>
    /// <param name="shape">What the <c>ResultShape</c> method gave for these arguments.</param>
    /// <param name="op">The op, as <c>Type.Method</c>, for the message.</param>
    /// <exception cref="System.InvalidOperationException">The op returned null.</exception>
    /// <exception cref="ShapeMismatchException">The result's shape is not that one.</exception>
    public static void CheckResult<T>(Matrix<T>? result, (int Rows, int Cols) shape, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (result is null)
            throw new System.InvalidOperationException($"{op} returned null; it must return a {ShapeMismatchException.Format(shape.Rows, shape.Cols)} matrix as its ResultShape method gives.");
        if (result.Rows != shape.Rows || result.Cols != shape.Cols)
            throw new ShapeMismatchException(op, $"returned {result.ShapeString} but its ResultShape method gives {ShapeMismatchException.Format(shape.Rows, shape.Cols)} for these arguments");
    }
}
