using Microsoft.CodeAnalysis;

namespace LayerGen.Generator;

/// <summary>Every diagnostic LayerGen reports (<c>LG0xxx</c>: usage, <c>LG1xxx</c>: shapes). Help pages: <c>docs/diagnostics/&lt;id&gt;.md</c>.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "LayerGen";
    private const string HelpRoot = "https://github.com/layergen/layergen/blob/main/docs/diagnostics/";

    /// <summary>LG0001: the layer type (or a containing type) is not partial.</summary>
    public static readonly DiagnosticDescriptor TypeNotPartial = new(
        id: "LG0001",
        title: "Layer type must be partial",
        messageFormat: "Type '{0}' must be declared partial so that LayerGen can add the backward pass of '{1}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generated tape, training forward, backward and Gradients go into a partial declaration of the layer type and of every type that contains it.",
        helpLinkUri: HelpRoot + "LG0001.md");

    /// <summary>LG0002: a statement or expression the generator cannot differentiate.</summary>
    public static readonly DiagnosticDescriptor UnsupportedConstruct = new(
        id: "LG0002",
        title: "Unsupported construct in a [Forward] method",
        messageFormat: "LayerGen cannot differentiate {0}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A [Forward] body may declare and reassign locals and return a value computed with matrix operators, Ops, Losses, scalar arithmetic and calls of other [Forward] methods.",
        helpLinkUri: HelpRoot + "LG0002.md");

    /// <summary>LG0003: a call with no known derivative receives a differentiable value.</summary>
    public static readonly DiagnosticDescriptor NoDerivative = new(
        id: "LG0003",
        title: "Call has no known derivative",
        messageFormat: "'{0}' has no known derivative but receives a value that depends on a parameter or input; mark that input [NoGrad] if it needs no gradient, compute it with Ops, or register its derivative with [Differentiable(Backward = ...)]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Only Ops, Losses, matrix operators, [Forward] methods and [Differentiable] ops have derivatives. A call of anything else may only receive values that need no gradient.",
        helpLinkUri: HelpRoot + "LG0003.md");

    /// <summary>LG0004: the method's signature cannot be differentiated.</summary>
    public static readonly DiagnosticDescriptor InvalidForwardSignature = new(
        id: "LG0004",
        title: "Invalid [Forward] method signature",
        messageFormat: "'{0}' cannot be a [Forward] method: it {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A [Forward] method is an ordinary, non-generic, non-async method returning Matrix<T> or T, with by-value parameters.",
        helpLinkUri: HelpRoot + "LG0004.md");

    /// <summary>LG0005: a trainable parameter or differentiable input cannot affect the result.</summary>
    public static readonly DiagnosticDescriptor InputHasNoEffect = new(
        id: "LG0005",
        title: "Parameter or input cannot affect the result",
        messageFormat: "'{0}' cannot affect the result of '{1}', so its gradient is always zero",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A differentiable input or trainable parameter that the result does not depend on gets a zero gradient; mark it [NoGrad] or use it.",
        helpLinkUri: HelpRoot + "LG0005.md");

    /// <summary>LG0006: forward methods call each other recursively.</summary>
    public static readonly DiagnosticDescriptor ForwardRecursion = new(
        id: "LG0006",
        title: "Recursive [Forward] call",
        messageFormat: "'{0}' calls itself through {1}; a [Forward] method cannot be recursive",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Forward bodies are straight-line code: a recursive call would never end and its tape would be infinite.",
        helpLinkUri: HelpRoot + "LG0006.md",
        customTags: WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>LG0007: the matrix element type is not float, double or a type parameter.</summary>
    public static readonly DiagnosticDescriptor UnsupportedElementType = new(
        id: "LG0007",
        title: "Unsupported element type",
        messageFormat: "'{0}' works on '{1}'; LayerGen layers use float, double or a type parameter constrained to IFloatingPointIeee754",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The runtime kernels are specialised for float and double; a generic layer may use a type parameter.",
        helpLinkUri: HelpRoot + "LG0007.md");

    /// <summary>LG0008: a <c>[Differentiable]</c> registration whose backward is missing or does not fit (at the attribute).</summary>
    public static readonly DiagnosticDescriptor InvalidRegisteredBackward = new(
        id: "LG0008",
        title: "Invalid registered backward",
        messageFormat: "'{0}' cannot be differentiated as registered: {1}. Expected: {2} (optionally with the op's result before dResult).",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "[Differentiable(Backward = nameof(B))] on a static op names a static method B of the same type that takes the op's parameters, optionally its result, then ∂L/∂result, and returns ∂L/∂ each differentiable parameter (a tuple in parameter order when there are several).",
        helpLinkUri: HelpRoot + "LG0008.md");

    /// <summary>LG0009: a call of an op whose registered backward is missing or does not fit (at each call).</summary>
    public static readonly DiagnosticDescriptor CallOfInvalidRegisteredOp = new(
        id: "LG0009",
        title: "Call of an op whose registered backward is invalid",
        messageFormat: "'{0}' cannot be differentiated: its [Differentiable] registration is invalid ({1})",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "LayerGen never falls back to another derivative: until the op's registration is fixed, a [Forward] method that calls it is not generated.",
        helpLinkUri: HelpRoot + "LG0009.md");

    /// <summary>LG0011: a field or property of the element type T is read in a forward, so it is a constant.</summary>
    public static readonly DiagnosticDescriptor ScalarFieldIsConstant = new(
        id: "LG0011",
        title: "Scalar field is read as a constant",
        messageFormat: "'{0}' is read in '{1}' as a constant: it receives no gradient; to train it make it a 1×1 Matrix<T> parameter, or mark it [NoGrad] if it is meant to be constant",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Only Matrix<T> fields and properties are trainable parameters. A T field or property (a temperature, a scale) read in a [Forward] method is evaluated as a constant and never updated by an optimizer.",
        helpLinkUri: HelpRoot + "LG0011.md");

    // ---- LG1xxx: shapes (reported by ShapeAnalyzer)

    /// <summary>LG1001: matrix product inner dimensions differ.</summary>
    public static readonly DiagnosticDescriptor ProductInnerDimensions = new(
        id: "LG1001",
        title: "Matrix product inner dimensions differ",
        messageFormat: "'{0}' multiplies {1} by {2}: columns of {3} ({4}) ≠ rows of {5} ({6}).{7}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "In a matrix product op(a)·op(b) the columns of op(a) must equal the rows of op(b).",
        helpLinkUri: HelpRoot + "LG1001.md");

    /// <summary>LG1002: incompatible element-wise shapes.</summary>
    public static readonly DiagnosticDescriptor IncompatibleElementwiseShapes = new(
        id: "LG1002",
        title: "Incompatible element-wise shapes",
        messageFormat: "'{0}' {1} {2} {3} and {4} {5}: {6}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Element-wise operations need equal shapes, or a [1, C] row / [R, 1] column that broadcasts over the other operand; never a column against a row (an outer product).",
        helpLinkUri: HelpRoot + "LG1002.md");

    /// <summary>LG1003: result does not have the declared return shape.</summary>
    public static readonly DiagnosticDescriptor ReturnShapeMismatch = new(
        id: "LG1003",
        title: "Result does not have the declared return shape",
        messageFormat: "'{0}' returns {1} but declares [return: Shape] {2}: {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The shape inferred for the returned value must equal the [return: Shape] declaration.",
        helpLinkUri: HelpRoot + "LG1003.md");

    /// <summary>LG1010: a variable a loop assigns changes shape from one iteration to the next.</summary>
    public static readonly DiagnosticDescriptor LoopCarriedShapeChanges = new(
        id: "LG1010",
        title: "A loop-carried value changes shape",
        messageFormat: "'{0}' is {1} before an iteration of the loop but {2} after it: {3}; a value a loop carries must keep its shape",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A variable assigned in a loop body and read by the next iteration must have the same shape at the end of every iteration as at its start.",
        helpLinkUri: HelpRoot + "LG1010.md");

    /// <summary>LG1011: a variable a branch arm assigns has another shape after the arm than before the branch.</summary>
    public static readonly DiagnosticDescriptor BranchChangesShape = new(
        id: "LG1011",
        title: "A branch changes a value's shape",
        messageFormat: "'{0}' is {1} before '{2}' but {3} after its {4} arm: {5}; a variable assigned in a branch must keep its shape (or be declared before it without a value)",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A variable with a value before an if/else and assigned in an arm must have the same shape after each arm as before the branch: the code after the branch sees one of the two, and its shapes must hold for both.",
        helpLinkUri: HelpRoot + "LG1011.md");

    /// <summary>LG1004: call input does not match the callee's declared shape.</summary>
    public static readonly DiagnosticDescriptor SublayerInputMismatch = new(
        id: "LG1004",
        title: "Call input does not match the callee's declared shape",
        messageFormat: "'{0}' passes {1} {2} as '{3}', which '{4}' declares {5}: {6}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "An argument of a [Forward] call must have the shape the callee declares for that parameter; the callee's layer symbols are shared by every call of the same sublayer.",
        helpLinkUri: HelpRoot + "LG1004.md");

    /// <summary>LG1005: loss targets do not fit the prediction.</summary>
    public static readonly DiagnosticDescriptor LossTargetMismatch = new(
        id: "LG1005",
        title: "Loss targets do not fit the prediction",
        messageFormat: "'{0}': {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "MeanSquaredError and BinaryCrossEntropyWithLogits compare two matrices of equal shape; SoftmaxCrossEntropy needs one label per row of the logits (declare the labels [Shape(\"N\")] to check it).",
        helpLinkUri: HelpRoot + "LG1005.md");

    /// <summary>LG1006: shape symbol bound to two different sizes.</summary>
    public static readonly DiagnosticDescriptor SymbolBoundTwice = new(
        id: "LG1006",
        title: "Shape symbol bound to two different sizes",
        messageFormat: "Symbol '{0}' is bound to {1} by '{2}' and to {3} by '{4}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Within a layer a symbol names one size; a sublayer's symbols name one size for every call of that sublayer.",
        helpLinkUri: HelpRoot + "LG1006.md");

    /// <summary>LG1007: invalid [shape] attribute.</summary>
    public static readonly DiagnosticDescriptor InvalidShapeAttribute = new(
        id: "LG1007",
        title: "Invalid [Shape] attribute",
        messageFormat: "[Shape] on '{0}' {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "[Shape] takes two dimensions on a Matrix<T> (rows, columns) and one on int[] labels; each a string symbol expression (\"N\", \"2*H\", \"H+1\") or a positive int.",
        helpLinkUri: HelpRoot + "LG1007.md");

    /// <summary>LG1008: concatenated matrices do not fit.</summary>
    public static readonly DiagnosticDescriptor ConcatMismatch = new(
        id: "LG1008",
        title: "Concatenated matrices do not fit",
        messageFormat: "'{0}' {1} {2} {3} and {4} {5}: {6}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Concat along axis 0 stacks rows and needs equal columns; along axis 1 it joins columns and needs equal rows.",
        helpLinkUri: HelpRoot + "LG1008.md");

    /// <summary>LG1009: slice out of bounds.</summary>
    public static readonly DiagnosticDescriptor SliceOutOfBounds = new(
        id: "LG1009",
        title: "Slice out of bounds",
        messageFormat: "'{0}' takes {1} [{2}, {3}) of {4} {5}, which has {6}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A slice with constant bounds must lie within the sliced dimension.",
        helpLinkUri: HelpRoot + "LG1009.md");

    /// <summary>LG1100: shape can be declared.</summary>
    public static readonly DiagnosticDescriptor ShapeCanBeDeclared = new(
        id: "LG1100",
        title: "Shape can be declared",
        messageFormat: "The shape of '{0}' can be declared: [Shape({1})]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Hidden,
        isEnabledByDefault: true,
        description: "Shape inference determined the shape of an unannotated parameter or return value; declaring it documents the layer and checks its callers.",
        helpLinkUri: HelpRoot + "LG1100.md");

    /// <summary>The descriptor of a diagnostic id.</summary>
    public static DiagnosticDescriptor? ById(string id) => id switch
    {
        "LG0001" => TypeNotPartial,
        "LG0002" => UnsupportedConstruct,
        "LG0003" => NoDerivative,
        "LG0004" => InvalidForwardSignature,
        "LG0005" => InputHasNoEffect,
        "LG0006" => ForwardRecursion,
        "LG0007" => UnsupportedElementType,
        "LG0008" => InvalidRegisteredBackward,
        "LG0009" => CallOfInvalidRegisteredOp,
        "LG0011" => ScalarFieldIsConstant,
        "LG1001" => ProductInnerDimensions,
        "LG1002" => IncompatibleElementwiseShapes,
        "LG1003" => ReturnShapeMismatch,
        "LG1010" => LoopCarriedShapeChanges,
        "LG1011" => BranchChangesShape,
        "LG1004" => SublayerInputMismatch,
        "LG1005" => LossTargetMismatch,
        "LG1006" => SymbolBoundTwice,
        "LG1007" => InvalidShapeAttribute,
        "LG1008" => ConcatMismatch,
        "LG1009" => SliceOutOfBounds,
        "LG1100" => ShapeCanBeDeclared,
        _ => null,
    };
}
