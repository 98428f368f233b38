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
/// <para><b>Allocation-free ops</b> (how the runtime's own ops are described): a forward overload of the same name
/// taking one more <c>Matrix&lt;T&gt;</c>, the destination, is used with a tape buffer sized from the op's
/// <c>[return: Shape]</c> (each dimension a literal, a dimension of a matrix parameter's <c>[Shape]</c>, the length of an <c>int[]</c> parameter marked <c>[Shape("N")]</c>, or an <c>int</c> parameter marked <c>[Shape("Rows")]</c>, which holds that dimension), or by the
/// <see cref="ResultShape"/> method where the size follows from other arguments; a backward that returns <c>void</c>
/// and takes, after ∂L/∂result, for each differentiable parameter in order its gradient's destination and a
/// <c>bool</c> accumulate flag writes (or adds) the gradients into tape buffers. With several differentiable
/// parameters each destination is nullable: null when that gradient is not needed. <see cref="Saves"/> then says which
/// values the backward reads.</para>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DifferentiableAttribute : Attribute
{
    /// <summary>The name of the backward method, in the same type (write it with <c>nameof</c>).</summary>
    public string? Backward { get; set; }

    /// <summary>
    /// What the forward saves for the backward, which are the backward's leading parameters, in this order:
    /// the op's arguments and/or its result. The default reads it from the backward's parameter count (the
    /// arguments, then optionally the result).
    /// </summary>
    public SavedValues Saves { get; set; }

    /// <summary>
    /// The name of a static method in the same type that gives the op's result shape for its arguments, for a result
    /// whose size a <c>[return: Shape]</c> cannot express (it depends on a struct or on int arithmetic: a convolution's
    /// <c>K·OH·OW</c> columns). It takes exactly the op's parameters (same types, same order, same type parameters) and
    /// returns <c>(int Rows, int Cols)</c>; the generated training forward calls it to size the tape buffer the op's
    /// destination overload writes into (the buffer is reallocated only when the shape grows).
    /// </summary>
    /// <code>
    /// [Differentiable(Backward = nameof(Conv2dBackward), ResultShape = nameof(Conv2dResultShape))]
    /// public static Matrix&lt;T&gt; Conv2d&lt;T&gt;(Matrix&lt;T&gt; x, …, ImageShape input, int kernel, int stride, int padding) …
    /// public static (int Rows, int Cols) Conv2dResultShape&lt;T&gt;(Matrix&lt;T&gt; x, …, ImageShape input, int kernel, int stride, int padding) …
    /// </code>
    public string? ResultShape { get; set; }

    /// <summary>
    /// How generated comments write a call, with the op's parameter names in braces: <c>"tanh({a})"</c>. Default:
    /// the op's name in lower case applied to its arguments.
    /// </summary>
    public string? Notation { get; set; }

    /// <summary>
    /// The derivative as generated comments write it, with <c>{dResult}</c>, <c>{result}</c> and the op's
    /// parameter names in braces: <c>"{dResult} ⊙ (1 − {result}²)"</c>. Default: the backward's call.
    /// </summary>
    public string? Derivative { get; set; }

    /// <summary>
    /// For the LayerGen runtime's own structural ops only: the rule of the generator's table that differentiates it.
    /// Elsewhere it is an error (LG0008): register a <see cref="Backward"/> instead.
    /// </summary>
    /// <remarks>
    /// Products, broadcasting arithmetic, reductions, slices and the fused losses need what a backward method cannot
    /// say: a <c>.T</c> folded into the GEMM's flags, an adjoint shared without a copy where the shapes agree, one
    /// kernel per operand with its own accumulate flag, constant axis arguments. Their descriptor therefore names the
    /// rule; the generator binds it from the op's symbol, never from the op's name.
    /// </remarks>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public BuiltInRule Rule { get; set; }
}

/// <summary>
/// The generator's rules for the runtime's structural ops (<see cref="DifferentiableAttribute.Rule"/>); reserved for
/// the LayerGen runtime.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public enum BuiltInRule
{
    /// <summary>No built-in rule: the op names its <see cref="DifferentiableAttribute.Backward"/>.</summary>
    None,

    /// <summary>op(a)·op(b) (<c>a * b</c>, <see cref="Ops.MatMul{T}(Matrix{T}, Matrix{T}, bool, bool)"/>).</summary>
    MatMul,

    /// <summary>aᵀ (<see cref="Matrix{TElement}.T"/>, <see cref="Ops.Transpose{T}(Matrix{T})"/>).</summary>
    Transpose,

    /// <summary>a + b, broadcasting.</summary>
    Add,

    /// <summary>a + s (a scalar added to every element).</summary>
    AddScalar,

    /// <summary>a − b, broadcasting.</summary>
    Sub,

    /// <summary>a ⊙ b, broadcasting.</summary>
    Mul,

    /// <summary>a ⊘ b, broadcasting.</summary>
    Div,

    /// <summary>max(a, b), broadcasting.</summary>
    Maximum,

    /// <summary>min(a, b), broadcasting.</summary>
    Minimum,

    /// <summary>−a.</summary>
    Neg,

    /// <summary>s·a.</summary>
    Scale,

    /// <summary>a / s, differentiated as a · (1 / s).</summary>
    DivideByScalar,

    /// <summary>Σ a.</summary>
    Sum,

    /// <summary>Σ over a constant axis.</summary>
    SumAxis,

    /// <summary>mean a.</summary>
    Mean,

    /// <summary>mean over a constant axis.</summary>
    MeanAxis,

    /// <summary>Σ a².</summary>
    SumOfSquares,

    /// <summary>Σ a ⊙ b.</summary>
    Dot,

    /// <summary>Concatenation along a constant axis.</summary>
    Concat,

    /// <summary>Rows [start, start + count).</summary>
    SliceRows,

    /// <summary>Columns [start, start + count).</summary>
    SliceColumns,

    /// <summary>Softmax cross-entropy of logits with integer labels.</summary>
    SoftmaxCrossEntropy,

    /// <summary>Mean squared error.</summary>
    MeanSquaredError,

    /// <summary>Binary cross-entropy with logits.</summary>
    BinaryCrossEntropyWithLogits,

    /// <summary>x ⊙ mask, the mask drawn once per call (saved on the tape, never differentiated).</summary>
    Dropout,
}

/// <summary>Which forward values a registered backward reads (<see cref="DifferentiableAttribute.Saves"/>).</summary>
public enum SavedValues
{
    /// <summary>Read from the backward's parameter count: the op's arguments, then optionally its result.</summary>
    Detect,

    /// <summary>The op's arguments, in order.</summary>
    Arguments,

    /// <summary>Only the op's result (tanh, sigmoid, exp, softmax: the derivative is cheapest from it).</summary>
    Result,

    /// <summary>The op's arguments, then its result.</summary>
    ArgumentsAndResult,

    /// <summary>Nothing: the derivative needs only ∂L/∂result (negation).</summary>
    Nothing,
}
