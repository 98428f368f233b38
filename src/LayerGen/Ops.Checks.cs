using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

// Finite-value checks, for catching a diverging training run at the step where it diverges.
public static partial class Ops
{
    /// <summary>Whether every element is finite (no NaN, no ±∞). One vectorised pass; allocates nothing.</summary>
    public static bool AllFinite<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        return TensorPrimitives.IsFiniteAll(a.AsReadOnlySpan());
    }

    /// <summary>
    /// Throws <see cref="NonFiniteException"/> naming <paramref name="name"/>, the first non-finite element's
    /// [row, col] and its value; does nothing (and allocates nothing) when every element is finite.
    /// </summary>
    /// <exception cref="NonFiniteException">An element is NaN or infinite.</exception>
    public static void ThrowIfNotFinite<T>(Matrix<T> a, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (AllFinite(a))
            return;
        // Cold path: find the first bad element (a scalar scan is fine here, it runs once before throwing).
        var span = a.AsReadOnlySpan();
        int index = 0;
        while (T.IsFinite(span[index]))
            index++;
        throw new NonFiniteException(name, index / a.Cols, index % a.Cols, span[index].ToString(null, CultureInfo.InvariantCulture), a.ShapeString);
    }
}
