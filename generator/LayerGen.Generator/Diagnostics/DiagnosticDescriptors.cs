using Microsoft.CodeAnalysis;

namespace LayerGen.Generator;

/// <summary>Every diagnostic LayerGen reports (<c>LG0xxx</c>: usage). Help pages: <c>docs/diagnostics/&lt;id&gt;.md</c>.</summary>
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
        messageFormat: "'{0}' has no known derivative but receives a value that depends on a parameter or input; mark that input [NoGrad] if it needs no gradient, or compute it with Ops",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Only Ops, Losses, matrix operators and [Forward] methods have derivatives. A call of anything else may only receive values that need no gradient.",
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
        _ => null,
    };
}
