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

/// <summary>
/// Registers the derivative of an op: a call of the marked static method inside a <c>[Forward]</c> method is
/// differentiated by calling <see cref="Backward"/>, a static method of the same type, once per call in the generated
/// backward pass. The op's body may be any C# (element loops, other libraries): LayerGen never looks inside it.
/// </summary>
/// <remarks>
/// <para>The backward takes exactly the op's parameters (same types, same order), then optionally one parameter of
/// the op's result type (the result the forward returned), then ∂L/∂result (the result's type: <c>Matrix&lt;T&gt;</c>,
/// or <c>T</c> for a scalar-valued op such as a loss). It returns ∂L/∂ each differentiable parameter (a
/// <c>Matrix&lt;T&gt;</c> or <c>T</c> parameter not marked <see cref="NoGradAttribute"/>), each shaped like its
/// parameter: one value, or a tuple in parameter order when there are several. Other parameters (<c>int</c>,
/// <c>int[]</c>, <c>bool</c>, a struct) are passed in and get no gradient.</para>
/// <para>The generated code saves exactly what that signature reads: the op's arguments, and its result only when the
/// backward takes it. A generic op's backward has the same type parameters. The attribute is read from the op's
/// symbol, so an op compiled in another assembly works too.</para>
/// <code>
/// [Differentiable(Backward = nameof(MishBackward))]
/// public static Matrix&lt;double&gt; Mish(Matrix&lt;double&gt; x) { … }
/// public static Matrix&lt;double&gt; MishBackward(Matrix&lt;double&gt; x, Matrix&lt;double&gt; dResult) { … }
/// </code>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DifferentiableAttribute : Attribute
{
    /// <summary>The name of the backward method, in the same type (write it with <c>nameof</c>).</summary>
    public string? Backward { get; set; }
}
