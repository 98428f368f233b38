using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LayerGen.Generator.Parsing;

/// <summary>Recognises LayerGen's types and attributes on symbols, and captures type-level facts into models.</summary>
internal static class Symbols
{
    /// <summary>The fully qualified metadata name of <c>[Forward]</c>.</summary>
    public const string ForwardAttributeName = "LayerGen.ForwardAttribute";

    private static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayFormat.FullyQualifiedFormat.MiscellaneousOptions | SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    /// <summary>The type as <c>global::</c>-qualified C# (keywords for special types: <c>float</c>).</summary>
    public static string Display(ITypeSymbol type) => type.ToDisplayString(FullyQualified);

    /// <summary>A type declared directly in namespace <c>LayerGen</c> with this name.</summary>
    public static bool IsLayerGenType(ITypeSymbol? type, string name) =>
        type is { Name: var n, ContainingNamespace: { Name: "LayerGen", ContainingNamespace.IsGlobalNamespace: true } } && n == name
        && type.ContainingType is null;

    /// <summary>The element type of <c>LayerGen.Matrix&lt;E&gt;</c>, or null when <paramref name="type"/> is not a matrix.</summary>
    public static ITypeSymbol? MatrixElement(ITypeSymbol? type) =>
        type is INamedTypeSymbol { Arity: 1 } named && IsLayerGenType(named, "Matrix") ? named.TypeArguments[0] : null;

    /// <summary>
    /// The item type of a sequence a loop may index (<c>IReadOnlyList&lt;Matrix&lt;T&gt;&gt;</c>, <c>IReadOnlyList&lt;int[]&gt;</c>),
    /// or null when <paramref name="type"/> is not <c>System.Collections.Generic.IReadOnlyList&lt;E&gt;</c>.
    /// </summary>
    public static ITypeSymbol? SequenceItem(ITypeSymbol? type) =>
        type is INamedTypeSymbol { Arity: 1, Name: "IReadOnlyList" } named
        && named.ContainingNamespace is { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } }
            ? named.TypeArguments[0]
            : null;

    /// <summary>
    /// A collection of sublayers a layer may hold (<c>Dense[]</c>, <c>List&lt;Dense&gt;</c>, <c>IReadOnlyList&lt;Dense&gt;</c>,
    /// <c>IList&lt;Dense&gt;</c>): its element type and kind, or null.
    /// </summary>
    public static (ITypeSymbol Element, SublayerCollection Kind)? CollectionElement(ITypeSymbol? type)
    {
        if (type is IArrayTypeSymbol { Rank: 1 } array)
            return (array.ElementType, SublayerCollection.Array);
        if (type is INamedTypeSymbol { Arity: 1, Name: "List" or "IReadOnlyList" or "IList" } named
            && named.ContainingNamespace is { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } })
            return (named.TypeArguments[0], SublayerCollection.List);
        return null;
    }

    /// <summary>Whether the symbol carries the LayerGen attribute <paramref name="name"/> (<c>NoGradAttribute</c>).</summary>
    public static bool HasAttribute(ISymbol symbol, string name) =>
        symbol.GetAttributes().Any(a => IsLayerGenType(a.AttributeClass, name));

    /// <summary>Whether the method is marked <c>[Forward]</c>.</summary>
    public static bool IsForward(IMethodSymbol method) => HasAttribute(method.OriginalDefinition, "ForwardAttribute");

    /// <summary>Whether the type declares at least one <c>[Forward]</c> method (it is a layer, usable as a sublayer).</summary>
    public static bool HasForwardMethod(ITypeSymbol type) =>
        type is INamedTypeSymbol named && !IsLayerGenType(named, "Matrix")
        && named.GetMembers().OfType<IMethodSymbol>().Any(m => !m.IsStatic && IsForward(m));

    /// <summary>A sublayer's element type matches the layer's (else its parameters cannot join the flat list).</summary>
    private static bool SameElement(ITypeSymbol sublayer, ITypeSymbol? element)
    {
        if (element is null)
            return true;
        foreach (var method in sublayer.GetMembers().OfType<IMethodSymbol>())
        {
            if (!method.IsStatic && IsForward(method))
                return ElementTypeOf(method) is { } e && SymbolEqualityComparer.Default.Equals(e, element);
        }
        return false;
    }

    /// <summary>The shape from a <c>[Shape]</c> attribute, if declared with exactly two dimensions.</summary>
    public static Shape? ShapeOf(IEnumerable<AttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (!IsLayerGenType(attribute.AttributeClass, "ShapeAttribute") || attribute.ConstructorArguments.Length != 1)
                continue;
            var argument = attribute.ConstructorArguments[0];
            if (argument.Kind != TypedConstantKind.Array || argument.Values.Length != 2)
                return null;
            string? rows = DimensionText(argument.Values[0]), cols = DimensionText(argument.Values[1]);
            return rows is null || cols is null ? null : new Shape(rows, cols);
        }
        return null;
    }

    /// <summary>
    /// The dimension an <c>int</c> member holds, from <c>[Shape("H")]</c> (exactly one dimension), or null. Only instance
    /// fields and properties of type <c>int</c> hold a layer's dimension.
    /// </summary>
    public static string? SizeDimension(ISymbol member)
    {
        if (member.IsStatic || !IsSizeType(member))
            return null;
        foreach (var attribute in member.GetAttributes())
        {
            if (IsLayerGenType(attribute.AttributeClass, "ShapeAttribute") && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0] is { Kind: TypedConstantKind.Array, Values.Length: 1 } argument)
                return DimensionText(argument.Values[0]);
        }
        return null;
    }

    /// <summary>Whether the member is a field or property of type <c>int</c> (one that may hold a dimension).</summary>
    public static bool IsSizeType(ISymbol member) => member switch
    {
        IFieldSymbol field => field.Type.SpecialType == SpecialType.System_Int32,
        IPropertySymbol { IsIndexer: false } property => property.Type.SpecialType == SpecialType.System_Int32,
        _ => false,
    };

    private static string? DimensionText(TypedConstant value) => value.Value switch
    {
        string s => s,
        int i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>How a value of <paramref name="type"/> is treated, given the layer's element type.</summary>
    public static ValueKind KindOf(ITypeSymbol? type, ITypeSymbol? element)
    {
        if (MatrixElement(type) is not null)
            return ValueKind.Matrix;
        if (SequenceItem(type) is { } item && MatrixElement(item) is not null)
            return ValueKind.Sequence;
        if (type is not null && element is not null && SymbolEqualityComparer.Default.Equals(type, element))
            return ValueKind.Scalar;
        return ValueKind.Other;
    }

    /// <summary>The element type a forward method works in: from its return type or its first matrix parameter.</summary>
    public static ITypeSymbol? ElementTypeOf(IMethodSymbol method)
    {
        if (MatrixElement(method.ReturnType) is { } fromReturn)
            return fromReturn;
        if (MatrixElement(SequenceItem(method.ReturnType)) is { } fromSequence)
            return fromSequence;
        if (method.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            foreach (var item in tuple.TupleElements)
            {
                if (MatrixElement(item.Type) is { } fromElement)
                    return fromElement;
            }
        }
        foreach (var parameter in method.Parameters)
        {
            if ((MatrixElement(parameter.Type) ?? MatrixElement(SequenceItem(parameter.Type))) is { } fromParameter)
                return fromParameter;
        }
        return method.ReturnType is { SpecialType: SpecialType.System_Single or SpecialType.System_Double } or ITypeParameterSymbol
            ? method.ReturnType
            : null;
    }

    /// <summary>
    /// The elements of a tuple return type whose elements are all <c>Matrix&lt;T&gt;</c> or <c>T</c> (two or more), as
    /// models named after the tuple's element names; null for any other type.
    /// </summary>
    public static EquatableArray<MethodParameter>? TupleElements(ITypeSymbol type, ITypeSymbol? element)
    {
        if (type is not INamedTypeSymbol { IsTupleType: true } tuple || tuple.TupleElements.Length < 2)
            return null;
        var result = new List<MethodParameter>();
        foreach (var field in tuple.TupleElements)
        {
            var kind = KindOf(field.Type, element);
            if (kind == ValueKind.Other)
                return null;
            result.Add(new MethodParameter(field.Name, Display(field.Type), kind, true, null));
        }
        return result.ToEquatableArray();
    }

    /// <summary>The parameters of a forward method as models.</summary>
    public static EquatableArray<MethodParameter> Parameters(IMethodSymbol method, ITypeSymbol? element)
    {
        var result = new List<MethodParameter>(method.Parameters.Length);
        foreach (var parameter in method.Parameters)
        {
            var kind = KindOf(parameter.Type, element);
            result.Add(new MethodParameter(
                parameter.Name,
                Display(parameter.Type),
                kind,
                kind != ValueKind.Other && !HasAttribute(parameter, "NoGradAttribute"),
                DeclaredShape(parameter, kind)));
        }
        return result.ToEquatableArray();
    }

    /// <summary>
    /// The <c>[Shape]</c> of a forward-method parameter: two dimensions on a matrix; on <c>int[]</c> labels one
    /// dimension (the number of labels), recorded as <c>[count, 1]</c>.
    /// </summary>
    public static Shape? DeclaredShape(IParameterSymbol parameter, ValueKind kind) => DeclaredShape(parameter.Type, parameter.GetAttributes(), kind);

    /// <summary>
    /// The <c>[Shape]</c> of a value of type <paramref name="type"/> with <paramref name="attributes"/>: two dimensions on a
    /// matrix, or on a sequence of matrices (the shape of every element); one dimension on <c>int[]</c> labels.
    /// </summary>
    public static Shape? DeclaredShape(ITypeSymbol type, IEnumerable<AttributeData> attributes, ValueKind kind)
    {
        if (kind is ValueKind.Matrix or ValueKind.Sequence)
            return ShapeOf(attributes);
        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Int32 })
        {
            foreach (var attribute in attributes)
            {
                if (IsLayerGenType(attribute.AttributeClass, "ShapeAttribute") && attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0] is { Kind: TypedConstantKind.Array, Values.Length: 1 } argument
                    && DimensionText(argument.Values[0]) is { } count)
                    return new Shape(count, "1");
            }
        }
        return null;
    }

    /// <summary>The symbols a layer type declares in <c>[Shape]</c> on its instance matrix fields and properties.</summary>
    public static EquatableArray<string> LayerShapeSymbols(INamedTypeSymbol type)
    {
        var symbols = new SortedSet<string>(System.StringComparer.Ordinal);
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.IsStatic || member is not (IFieldSymbol or IPropertySymbol))
                    continue;
                string[] texts;
                if (ShapeOf(member.GetAttributes()) is { } shape)
                    texts = new[] { shape.Rows, shape.Cols };
                else if (SizeDimension(member) is { } size)
                    texts = new[] { size };
                else
                    continue;
                foreach (var text in texts)
                {
                    foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, "[A-Za-z_][A-Za-z0-9_]*"))
                        symbols.Add(m.Value);
                }
            }
        }
        return symbols.ToEquatableArray();
    }

    /// <summary>The name of the tape class generated for <paramref name="methodName"/>.</summary>
    public static string TapeName(string methodName) => methodName == "Forward" ? "Tape" : methodName + "Tape";

    /// <summary>The name of the backward method generated for <paramref name="methodName"/>.</summary>
    public static string BackwardName(string methodName) => methodName == "Forward" ? "Backward" : methodName + "Backward";

    /// <summary>
    /// The generated internal backward that takes one "needed" flag per differentiable input and skips the adjoint
    /// statements that feed only unneeded inputs (generated callers use it; the public backward computes everything).
    /// </summary>
    public static string BackwardCoreName(string methodName) => BackwardName(methodName) + "Core";

    /// <summary>Every declaration of <paramref name="type"/> and its containing types is <c>partial</c>.</summary>
    public static INamedTypeSymbol? FirstNonPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            foreach (var reference in current.DeclaringSyntaxReferences)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
                    && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                    return current;
            }
        }
        return null;
    }

    /// <summary>Captures the type-level facts of a layer type into a model.</summary>
    public static LayerTypeModel LayerType(INamedTypeSymbol type, ITypeSymbol? element, CancellationToken cancellationToken)
    {
        var chain = new List<INamedTypeSymbol>();
        for (var current = type; current is not null; current = current.ContainingType)
            chain.Insert(0, current);

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        var declarations = new List<TypeDeclaration>();
        var hint = new System.Text.StringBuilder(ns.Length == 0 ? "" : ns + ".");
        bool canEmit = FirstNonPartial(type, cancellationToken) is null;
        for (int i = 0; i < chain.Count; i++)
        {
            var t = chain[i];
            string keyword = t.TypeKind switch
            {
                TypeKind.Struct => t.IsRecord ? "record struct" : "struct",
                TypeKind.Class => t.IsRecord ? "record" : "class",
                _ => "interface",
            };
            if (t.TypeKind is not (TypeKind.Class or TypeKind.Struct))
                canEmit = false;
            string typeParameters = t.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", t.TypeParameters.Select(p => p.Name)) + ">";
            declarations.Add(new TypeDeclaration(keyword, t.Name, typeParameters));
            if (i > 0)
                hint.Append('.');
            hint.Append(t.Name);
            if (t.TypeParameters.Length > 0)
                hint.Append('_').Append(string.Join("_", t.TypeParameters.Select(p => p.Name))).Append('_');
        }

        var parameters = new List<TrainableParameter>();
        var sublayers = new List<SublayerModel>();
        var sizes = new List<SizeMember>();
        var seen = new HashSet<string>();
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (member.IsStatic || member.IsImplicitlyDeclared || !seen.Add(member.Name))
                    continue;
                if (!SymbolEqualityComparer.Default.Equals(current, type) && member.DeclaredAccessibility == Accessibility.Private)
                    continue;
                ITypeSymbol? memberType = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol { IsIndexer: false, GetMethod: not null } property => property.Type,
                    _ => null,
                };
                if (memberType is null)
                    continue;
                if (SizeDimension(member) is { } dimension)
                {
                    sizes.Add(new SizeMember(member.Name, dimension));
                }
                else if (MatrixElement(memberType) is { } e)
                {
                    // A computed property (W.T) is not a parameter of its own: a forward that reads it is differentiated
                    // through its getter, so its gradient reaches the parameters it reads.
                    if (!HasAttribute(member, "NoGradAttribute") && (element is null || SymbolEqualityComparer.Default.Equals(e, element))
                        && !(member is IPropertySymbol computed && IsComputedProperty(computed, cancellationToken)))
                        parameters.Add(new TrainableParameter(member.Name, ShapeOf(member.GetAttributes())));
                }
                else if (HasForwardMethod(memberType) && !HasAttribute(member, "NoGradAttribute") && SameElement(memberType, element)
                         && CannotEmitReason((INamedTypeSymbol)memberType, cancellationToken) is null)
                {
                    sublayers.Add(new SublayerModel(member.Name, Display(memberType)));
                }
                else if (CollectionElement(memberType) is { } collection && HasForwardMethod(collection.Element) && !HasAttribute(member, "NoGradAttribute")
                         && SameElement(collection.Element, element) && CannotEmitReason((INamedTypeSymbol)collection.Element, cancellationToken) is null)
                {
                    // Dense[] Blocks: gradients.Blocks[i] mirrors it, parameter names read Blocks[0].W.
                    sublayers.Add(new SublayerModel(member.Name, Display(collection.Element), collection.Kind));
                }
            }
        }

        string elementText = element is null ? "float" : element is ITypeParameterSymbol ? element.Name : Display(element);
        return new LayerTypeModel(
            ns,
            declarations.ToEquatableArray(),
            Display(type),
            hint.ToString(),
            elementText,
            element is ITypeParameterSymbol,
            canEmit,
            type.IsStatic,
            parameters.ToEquatableArray(),
            sublayers.ToEquatableArray(),
            sizes.ToEquatableArray());
    }

    /// <summary>
    /// Whether the member is a trainable parameter of a layer (instance matrix, not <c>[NoGrad]</c>, not a computed
    /// property: those are differentiated through their getter).
    /// </summary>
    public static bool IsTrainable(ISymbol member, ITypeSymbol? element) =>
        !member.IsStatic
        && member switch
        {
            IFieldSymbol field => MatrixElement(field.Type) is { } e && SymbolEqualityComparer.Default.Equals(e, element),
            IPropertySymbol property => MatrixElement(property.Type) is { } e && SymbolEqualityComparer.Default.Equals(e, element)
                && !IsComputedProperty(property, CancellationToken.None),
            _ => false,
        }
        && !HasAttribute(member, "NoGradAttribute");

    /// <summary>
    /// Whether the property computes its value (an expression body, or a getter with a body) instead of storing it in
    /// a backing field (an auto-property). A property compiled in another assembly is an auto-property when its getter
    /// is compiler-generated.
    /// </summary>
    public static bool IsComputedProperty(IPropertySymbol property, CancellationToken cancellationToken)
    {
        var definition = property.OriginalDefinition;
        if (definition.IsIndexer || definition.GetMethod is null)
            return false;
        if (definition.DeclaringSyntaxReferences.Length == 0)
            return !definition.GetMethod.GetAttributes().Any(a => a.AttributeClass is { Name: "CompilerGeneratedAttribute" });
        foreach (var reference in definition.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not PropertyDeclarationSyntax declaration)
                continue;
            if (declaration.ExpressionBody is not null)
                return true;
            foreach (var accessor in declaration.AccessorList?.Accessors ?? default)
            {
                if (accessor.IsKind(SyntaxKind.GetAccessorDeclaration) && (accessor.Body is not null || accessor.ExpressionBody is not null))
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The getter expression of a computed property (<c>=&gt; e</c>, <c>get =&gt; e</c> or <c>get { return e; }</c>),
    /// or null with the reason why it cannot be read.
    /// </summary>
    public static ExpressionSyntax? GetterExpression(IPropertySymbol property, CancellationToken cancellationToken, out string reason)
    {
        reason = "it is compiled in another assembly, so LayerGen cannot read its getter";
        foreach (var reference in property.OriginalDefinition.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not PropertyDeclarationSyntax declaration)
                continue;
            if (declaration.ExpressionBody is { } arrow)
                return arrow.Expression;
            foreach (var accessor in declaration.AccessorList?.Accessors ?? default)
            {
                if (!accessor.IsKind(SyntaxKind.GetAccessorDeclaration))
                    continue;
                if (accessor.ExpressionBody is { } getArrow)
                    return getArrow.Expression;
                if (accessor.Body is { Statements.Count: 1 } body && body.Statements[0] is ReturnStatementSyntax { Expression: { } returned })
                    return returned;
                if (accessor.Body is not null)
                {
                    reason = "its getter is not a single 'return' statement";
                    return null;
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Why LayerGen cannot add generated members to <paramref name="type"/> (a declaration in its chain is not partial,
    /// or it is an interface), or null when it can. A type compiled in another assembly can be used only when it
    /// carries the generated members already, which the caller checks by name.
    /// </summary>
    public static string? CannotEmitReason(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (FirstNonPartial(type, cancellationToken) is { } nonPartial)
            return $"'{nonPartial.Name}' is not declared partial";
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaringSyntaxReferences.Length > 0 && current.TypeKind is not (TypeKind.Class or TypeKind.Struct))
                return $"'{current.Name}' is not a class or struct";
        }
        return null;
    }

    /// <summary>The C# accessibility keywords.</summary>
    public static string AccessibilityText(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };
}
