using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace LayerGen.Generator.Parsing;

/// <summary>
/// Reads and checks <c>[Differentiable(Backward = …)]</c> registrations (DESIGN.md §6). The analyzer reports a bad
/// registration at the attribute (LG0008) and the parser reports each call of such an op (LG0009) from the same
/// <see cref="Resolve"/>, so the two can never disagree, and a bad registration never falls back to anything.
/// </summary>
internal static class RegisteredOps
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeName = "LayerGen.DifferentiableAttribute";

    /// <summary>The <c>[Differentiable]</c> attribute on the op's definition, if any.</summary>
    public static AttributeData? AttributeOf(IMethodSymbol method)
    {
        foreach (var attribute in method.OriginalDefinition.GetAttributes())
        {
            if (Symbols.IsLayerGenType(attribute.AttributeClass, "DifferentiableAttribute"))
                return attribute;
        }
        return null;
    }

    /// <summary>A checked registration, or why it does not fit.</summary>
    /// <param name="Backward">The backward method (original definition), when the registration fits.</param>
    /// <param name="TakesResult">The backward takes the forward's result before ∂L/∂result.</param>
    /// <param name="Error">Why the registration does not fit (a sentence fragment), or null.</param>
    /// <param name="ExpectedSignature">The backward's expected signature as C#, for messages and the code fix.</param>
    /// <param name="BackwardName">The name the attribute gives (null or empty when unset).</param>
    /// <param name="MissingBackward">No method of that name exists (the code fix can write its stub).</param>
    internal sealed record Registration(
        IMethodSymbol? Backward,
        bool TakesResult,
        string? Error,
        string ExpectedSignature,
        string? BackwardName,
        bool MissingBackward);

    /// <summary>Checks the registration on <paramref name="op"/> (which carries the attribute).</summary>
    public static Registration Resolve(IMethodSymbol op)
    {
        op = op.OriginalDefinition;
        var attribute = AttributeOf(op);
        string? name = null;
        if (attribute is not null)
        {
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "Backward" && argument.Value.Value is string s)
                    name = s;
            }
        }

        var element = Symbols.ElementTypeOf(op);
        string expected = ExpectedSignature(op, element, string.IsNullOrEmpty(name) ? op.Name + "Backward" : name!);
        Registration Fail(string error, bool missing = false) => new(null, false, error, expected, name, missing);

        // The op itself.
        if (!op.IsStatic)
            return Fail("the op must be a static method (an instance method of a layer is written as a [Forward] method instead)");
        if (Symbols.IsForward(op))
            return Fail("a method cannot be both [Forward] and [Differentiable]: LayerGen either differentiates its body or calls its registered backward");
        if (op.ReturnsVoid || element is null || Symbols.KindOf(op.ReturnType, element) == ValueKind.Other)
            return Fail($"the op returns '{Show(op.ReturnType)}'; a differentiable op returns Matrix<T> or T (float, double or a type parameter)");
        if (op.ReturnsByRef || op.ReturnsByRefReadonly)
            return Fail("the op returns by reference");
        foreach (var parameter in op.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
                return Fail($"the op's parameter '{parameter.Name}' is ref, out or in; pass it by value");
            if (parameter.IsParams)
                return Fail($"the op's parameter '{parameter.Name}' is params");
        }
        var differentiable = DifferentiableParameters(op, element);
        if (differentiable.Count == 0)
            return Fail("the op has no differentiable parameter (a Matrix<T> or T not marked [NoGrad]), so it needs no backward: call it as an ordinary method");
        if (string.IsNullOrEmpty(name))
            return Fail("the attribute names no backward: set Backward = nameof(...)");

        // The backward: a method of that name in the same type that fits exactly.
        var candidates = op.ContainingType.GetMembers(name!).OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).ToList();
        if (candidates.Count == 0)
            return Fail($"'{op.ContainingType.Name}' has no method '{name}'", missing: true);
        string? firstMismatch = null;
        foreach (var candidate in candidates)
        {
            string? mismatch = Mismatch(op, candidate, element, differentiable, out bool takesResult);
            if (mismatch is null)
                return new Registration(candidate, takesResult, null, expected, name, false);
            firstMismatch ??= mismatch;
        }
        return Fail($"'{name}' does not fit: {firstMismatch}");
    }

    /// <summary>The op's differentiable parameters: <c>Matrix&lt;T&gt;</c> or <c>T</c>, not <c>[NoGrad]</c>.</summary>
    public static List<IParameterSymbol> DifferentiableParameters(IMethodSymbol op, ITypeSymbol? element) =>
        op.Parameters.Where(p => Symbols.KindOf(p.Type, element) != ValueKind.Other && !Symbols.HasAttribute(p, "NoGradAttribute")).ToList();

    /// <summary>Why <paramref name="candidate"/> is not the backward of <paramref name="op"/>, or null when it fits.</summary>
    private static string? Mismatch(IMethodSymbol op, IMethodSymbol candidate, ITypeSymbol element, List<IParameterSymbol> differentiable, out bool takesResult)
    {
        takesResult = false;
        if (!candidate.IsStatic)
            return "it is not static";
        if (candidate.TypeParameters.Length != op.TypeParameters.Length)
            return $"it has {candidate.TypeParameters.Length} type parameter(s) but the op has {op.TypeParameters.Length}";
        if (candidate.IsGenericMethod)
        {
            // Compare in the op's own type parameters: Backward<U>(Matrix<U>) fits Op<T>(Matrix<T>).
            try
            {
                candidate = candidate.Construct(op.TypeParameters.Cast<ITypeSymbol>().ToArray());
            }
            catch (System.ArgumentException)
            {
                return "its type parameters cannot stand for the op's";
            }
        }
        if (Rank(candidate.DeclaredAccessibility) < Rank(op.DeclaredAccessibility))
            return $"it is {Symbols.AccessibilityText(candidate.DeclaredAccessibility)} but the op is {Symbols.AccessibilityText(op.DeclaredAccessibility)}; the generated code must be able to call it wherever the op can be called";
        int n = op.Parameters.Length;
        var parameters = candidate.Parameters;
        if (parameters.Length != n + 1 && parameters.Length != n + 2)
            return $"it has {parameters.Length} parameter(s) but must have {n + 1} (the op's {n}, then ∂L/∂result) or {n + 2} (with the result before ∂L/∂result)";
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].RefKind != RefKind.None)
                return $"its parameter '{parameters[i].Name}' is ref, out or in";
        }
        for (int i = 0; i < n; i++)
        {
            if (!Same(parameters[i].Type, op.Parameters[i].Type))
                return $"its parameter {i + 1} '{parameters[i].Name}' is '{Show(parameters[i].Type)}' but the op's parameter '{op.Parameters[i].Name}' is '{Show(op.Parameters[i].Type)}'";
        }
        takesResult = parameters.Length == n + 2;
        if (takesResult && !Same(parameters[n].Type, op.ReturnType))
            return $"its parameter '{parameters[n].Name}' (the result) is '{Show(parameters[n].Type)}' but the op returns '{Show(op.ReturnType)}'";
        var last = parameters[parameters.Length - 1];
        if (!Same(last.Type, op.ReturnType))
            return $"its last parameter '{last.Name}' (∂L/∂result) is '{Show(last.Type)}' but must be the op's result type '{Show(op.ReturnType)}'";

        // The return: one gradient, or a tuple of them in parameter order.
        if (differentiable.Count == 1)
        {
            if (!Same(candidate.ReturnType, differentiable[0].Type))
                return $"it returns '{Show(candidate.ReturnType)}' but must return ∂L/∂{differentiable[0].Name}, a '{Show(differentiable[0].Type)}'";
            return null;
        }
        if (candidate.ReturnType is not INamedTypeSymbol { IsTupleType: true } tuple || tuple.TupleElements.Length != differentiable.Count)
            return $"it returns '{Show(candidate.ReturnType)}' but must return a tuple of {differentiable.Count} gradients ({string.Join(", ", differentiable.Select(p => "∂L/∂" + p.Name))})";
        for (int i = 0; i < differentiable.Count; i++)
        {
            if (!Same(tuple.TupleElements[i].Type, differentiable[i].Type))
                return $"element {i + 1} of its tuple is '{Show(tuple.TupleElements[i].Type)}' but ∂L/∂{differentiable[i].Name} is a '{Show(differentiable[i].Type)}'";
        }
        return null;
    }

    /// <summary>The backward's expected signature, as C# the user can paste (<c>public static Matrix&lt;double&gt; MishBackward(…)</c>).</summary>
    public static string ExpectedSignature(IMethodSymbol op, ITypeSymbol? element, string backwardName)
    {
        var differentiable = DifferentiableParameters(op, element);
        string returns = differentiable.Count switch
        {
            0 => "void",
            1 => Show(differentiable[0].Type),
            _ => "(" + string.Join(", ", differentiable.Select(p => $"{Show(p.Type)} d{Pascal(p.Name)}")) + ")",
        };
        string typeParameters = op.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", op.TypeParameters.Select(t => t.Name)) + ">";
        var parameters = op.Parameters.Select(p => $"{Show(p.Type)} {p.Name}").ToList();
        parameters.Add($"{Show(op.ReturnType)} dResult");
        string accessibility = Symbols.AccessibilityText(op.DeclaredAccessibility);
        return $"{accessibility} static {returns} {backwardName}{typeParameters}({string.Join(", ", parameters)})";
    }

    private static readonly SymbolDisplayFormat Minimal = SymbolDisplayFormat.MinimallyQualifiedFormat;

    private static string Show(ITypeSymbol type) => type.ToDisplayString(Minimal);

    private static bool Same(ITypeSymbol a, ITypeSymbol b) => SymbolEqualityComparer.Default.Equals(a, b);

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

    /// <summary>How widely a member can be called, for "at least as accessible as the op".</summary>
    private static int Rank(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => 4,
        Accessibility.ProtectedOrInternal => 3,
        Accessibility.Internal or Accessibility.Protected => 2,
        Accessibility.ProtectedAndInternal => 1,
        _ => 0,
    };
}
