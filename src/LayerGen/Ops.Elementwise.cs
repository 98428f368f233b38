using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

// Element-wise ops with a scalar operand, negation and scaling.
public static partial class Ops
{
    /// <summary>Throws <see cref="ShapeMismatchException"/> unless <paramref name="result"/> has <paramref name="a"/>'s shape.</summary>
    private static void CheckSameShape<T>(string operation, string role, Matrix<T> a, Matrix<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(result);
        ShapeMismatchException.ThrowIfNotShape(operation, role, result, a.Rows, a.Cols);
    }

    /// <summary><c>a + s</c>, element-wise.</summary>
    [Differentiable(Rule = BuiltInRule.AddScalar)]
    public static Matrix<T> Add<T>(Matrix<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = new Matrix<T>(a.Rows, a.Cols);
        Add(a, s, result);
        return result;
    }

    /// <summary>result = a + s, element-wise; result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Add<T>(Matrix<T> a, T s, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Add", "result", a, result);
        TensorPrimitives.Add(a.AsReadOnlySpan(), s, result.AsSpan());
    }

    /// <summary><c>−a</c>, element-wise.</summary>
    [Differentiable(Rule = BuiltInRule.Neg)]
    public static Matrix<T> Neg<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = new Matrix<T>(a.Rows, a.Cols);
        Neg(a, result);
        return result;
    }

    /// <summary>result = −a, or result −= a with <paramref name="accumulate"/> (the gradient of Sub's right operand).</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Neg<T>(Matrix<T> a, Matrix<T> result, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Neg", "result", a, result);
        var d = result.AsSpan();
        if (accumulate)
            TensorPrimitives.Subtract(d, a.AsReadOnlySpan(), d);
        else
            TensorPrimitives.Negate(a.AsReadOnlySpan(), d);
    }

    /// <summary><c>s · a</c>, element-wise.</summary>
    [Differentiable(Rule = BuiltInRule.Scale)]
    public static Matrix<T> Scale<T>(Matrix<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = new Matrix<T>(a.Rows, a.Cols);
        Scale(a, s, result);
        return result;
    }

    /// <summary>result = s · a, or result += s · a with <paramref name="accumulate"/> (one multiply-add pass).</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Scale<T>(Matrix<T> a, T s, Matrix<T> result, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Scale", "result", a, result);
        var d = result.AsSpan();
        ElementwiseKernels.StoreProduct(a.AsReadOnlySpan(), s, d, accumulate);
    }
}
