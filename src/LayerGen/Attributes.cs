namespace LayerGen;

/// <summary>
/// Marks a layer's forward method. At build time the LayerGen generator writes, into the same partial type,
/// a training overload that records a tape and a <c>Backward</c> method that applies the chain rule.
/// </summary>
/// <remarks>
/// For a method named <c>Forward</c> the generated members are <c>Tape</c>, <c>Forward(…, Tape)</c> and
/// <c>Backward(…)</c>; for another name <c>M</c> they are <c>MTape</c>, <c>M(…, MTape)</c> and <c>MBackward(…)</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ForwardAttribute : Attribute
{
}

/// <summary>
/// Names the dimensions of a matrix: a string is a symbol (<c>"N"</c>, <c>"D"</c>, <c>"2*H"</c>), an int is a
/// fixed size. On fields and properties the symbols are layer-scoped; symbols that appear only on a forward
/// method's parameters are call-scoped (such as the batch size N). Shapes are optional.
/// </summary>
/// <remarks>
/// Three uses: a <see cref="Matrix{TElement}"/> field, property, parameter or return value takes two dimensions
/// (rows, columns); <c>int[]</c> labels take one (their count, <c>[Shape("N")]</c>); an instance <c>int</c> field or
/// property of a layer takes one and then holds that size, so a slice bound or count written with it connects to the
/// symbol: with <c>[Shape("H")] public int Hidden;</c> and <c>[Shape("D", "2*H")] Matrix&lt;float&gt; W</c>,
/// <c>Ops.SliceColumns(x * W, 0, Hidden)</c> is <c>[N, H]</c> (and the training forward checks that
/// <c>Hidden</c> is H).
/// </remarks>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.ReturnValue,
    AllowMultiple = false, Inherited = false)]
public sealed class ShapeAttribute : Attribute
{
    /// <summary>Declares the dimensions, rows first.</summary>
    /// <param name="dimensions">Each a <see cref="string"/> symbol or an <see cref="int"/> size.</param>
    public ShapeAttribute(params object[] dimensions) => Dimensions = dimensions;

    /// <summary>The declared dimensions, rows first.</summary>
    public object[] Dimensions { get; }
}

/// <summary>
/// Excludes a field, property or forward-method parameter from differentiation: a matrix field so marked is a
/// constant (not a trainable parameter), an input so marked gets no gradient, and no work is generated for it.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class NoGradAttribute : Attribute
{
}
