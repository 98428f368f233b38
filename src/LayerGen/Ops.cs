using System.Numerics;

namespace LayerGen;

/// <summary>
/// The operations on <see cref="Matrix{TElement}"/>: each in an allocating form for users and a
/// destination-passing form (<c>…, result</c>) that allocates nothing, for generated code. Backward kernels sit
/// next to the op they differentiate. The contract is <c>docs/runtime-api.md</c>.
/// </summary>
public static partial class Ops
{
    // PLACEHOLDER bodies (naive) so the skeleton builds; the runtime work replaces them.

    /// <summary>Element-wise a + b (broadcasting).</summary>
    public static Matrix<T> Add<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ShapeMismatchException.ThrowIfDifferent("Add", a, b);
        var r = new Matrix<T>(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Add<T>(a.AsReadOnlySpan(), b.AsReadOnlySpan(), r.AsSpan());
        return r;
    }

    /// <summary>Element-wise a − b (broadcasting).</summary>
    public static Matrix<T> Sub<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ShapeMismatchException.ThrowIfDifferent("Sub", a, b);
        var r = new Matrix<T>(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Subtract<T>(a.AsReadOnlySpan(), b.AsReadOnlySpan(), r.AsSpan());
        return r;
    }

    /// <summary>Element-wise −a.</summary>
    public static Matrix<T> Neg<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T> => Scale(a, -T.One);

    /// <summary>Element-wise s·a.</summary>
    public static Matrix<T> Scale<T>(Matrix<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new Matrix<T>(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(a.AsReadOnlySpan(), s, r.AsSpan());
        return r;
    }

    /// <summary>Element-wise product (placeholder).</summary>
    public static Matrix<T> Mul<T>(Matrix<T> a, Matrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ShapeMismatchException.ThrowIfDifferent("Mul", a, b);
        var r = new Matrix<T>(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(a.AsReadOnlySpan(), b.AsReadOnlySpan(), r.AsSpan());
        return r;
    }
}
