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

    /// <summary>
    /// The rule of the generator's table that a runtime op's descriptor names (<c>[Differentiable(Rule = …)]</c>), or null:
    /// no rule, an op outside the runtime (the rule is reserved for the assembly that defines the attribute; elsewhere
    /// <see cref="Resolve"/> reports it), or a rule this generator does not know.
    /// </summary>
    public static BuiltInRule? BuiltInRuleOf(IMethodSymbol? method)
    {
        if (method is null || AttributeOf(method) is not { } attribute || RuleName(attribute) is not { } name || !IsRuntimeOp(method, attribute))
            return null;
        return System.Enum.TryParse<BuiltInRule>(name, out var rule) && rule != BuiltInRule.None ? rule : null;
    }

    /// <summary>The op kind a rule is differentiated as, or null for a rule written only as an operator (<c>m / s</c>).</summary>
    public static OpKind? OpKindOf(BuiltInRule rule) => rule switch
    {
        BuiltInRule.MatMul => OpKind.MatMul,
        BuiltInRule.Transpose => OpKind.Transpose,
        BuiltInRule.Add => OpKind.Add,
        BuiltInRule.AddScalar => OpKind.AddScalar,
        BuiltInRule.Sub => OpKind.Sub,
        BuiltInRule.Mul => OpKind.Mul,
        BuiltInRule.Div => OpKind.Div,
        BuiltInRule.Maximum => OpKind.Maximum,
        BuiltInRule.Minimum => OpKind.Minimum,
        BuiltInRule.Neg => OpKind.Neg,
        BuiltInRule.Scale => OpKind.Scale,
        BuiltInRule.Sum => OpKind.Sum,
        BuiltInRule.SumAxis => OpKind.SumAxis,
        BuiltInRule.Mean => OpKind.Mean,
        BuiltInRule.MeanAxis => OpKind.MeanAxis,
        BuiltInRule.SumOfSquares => OpKind.SumOfSquares,
        BuiltInRule.Dot => OpKind.Dot,
        BuiltInRule.Concat => OpKind.Concat,
        BuiltInRule.SliceRows => OpKind.SliceRows,
        BuiltInRule.SliceColumns => OpKind.SliceColumns,
        BuiltInRule.SoftmaxCrossEntropy => OpKind.SoftmaxCrossEntropy,
        BuiltInRule.MeanSquaredError => OpKind.MeanSquaredError,
        BuiltInRule.BinaryCrossEntropyWithLogits => OpKind.BinaryCrossEntropyWithLogits,
        BuiltInRule.Dropout => OpKind.DropoutMask,
        _ => null,
    };

    /// <summary>The name of the <c>Rule</c> the attribute sets (the enum member's name), or null when it sets none.</summary>
    private static string? RuleName(AttributeData attribute)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key != "Rule" || argument.Value.Value is not int value || value == 0)
                continue;
            // By the enum member's name, not its number: the runtime's enum may be reordered or grow.
            return argument.Value.Type?.GetMembers().OfType<IFieldSymbol>()
                .FirstOrDefault(f => f.HasConstantValue && f.ConstantValue is int v && v == value)?.Name ?? value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>The op is declared in the assembly that defines <c>[Differentiable]</c>: the LayerGen runtime.</summary>
    private static bool IsRuntimeOp(IMethodSymbol method, AttributeData attribute) =>
        SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, attribute.AttributeClass?.ContainingAssembly);

    /// <summary>
    /// When <paramref name="method"/> is the destination-passing form of an op (no descriptor of its own, and a static
    /// overload of the same name with a descriptor whose parameters it has, in order, plus at least one more matrix: the
    /// destination), that op; otherwise null.
    /// </summary>
    public static IMethodSymbol? AllocatingFormOf(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        if (!method.IsStatic || AttributeOf(method) is not null || method.ContainingType is null)
            return null;
        foreach (var overload in method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>())
        {
            if (!overload.IsStatic || AttributeOf(overload) is null || overload.TypeParameters.Length != method.TypeParameters.Length
                || overload.Parameters.Length >= method.Parameters.Length)
                continue;
            var constructed = overload.IsGenericMethod ? overload.Construct(method.TypeParameters.Cast<ITypeSymbol>().ToArray()) : overload;
            // Its parameters are a subsequence of this method's; what is left over includes a matrix (the destination).
            int k = 0;
            bool extraMatrix = false;
            foreach (var parameter in method.Parameters)
            {
                if (k < constructed.Parameters.Length && Same(constructed.Parameters[k].Type, parameter.Type))
                    k++;
                else
                    extraMatrix |= Symbols.MatrixElement(parameter.Type) is not null;
            }
            if (k == constructed.Parameters.Length && extraMatrix)
                return overload;
        }
        return null;
    }

    /// <summary>
    /// The destination form's matrix parameters that its allocating form does not have (where it writes), by position;
    /// empty when <paramref name="method"/> is no destination form.
    /// </summary>
    public static IReadOnlyList<int> DestinationPositions(IMethodSymbol method)
    {
        var positions = new List<int>();
        if (AllocatingFormOf(method) is not { } overload)
            return positions;
        method = method.OriginalDefinition;
        var constructed = overload.IsGenericMethod ? overload.Construct(method.TypeParameters.Cast<ITypeSymbol>().ToArray()) : overload;
        int k = 0;
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            if (k < constructed.Parameters.Length && Same(constructed.Parameters[k].Type, method.Parameters[i].Type))
                k++;
            else if (Symbols.MatrixElement(method.Parameters[i].Type) is not null)
                positions.Add(i);
        }
        return positions;
    }

    /// <summary>An op as messages write it: <c>Ops.Relu(Matrix&lt;T&gt; a)</c>.</summary>
    public static string Show(IMethodSymbol op) =>
        $"{op.ContainingType.Name}.{op.Name}({string.Join(", ", op.Parameters.Select(p => Show(p.Type) + " " + p.Name))})";

    /// <summary>A checked registration, or why it does not fit.</summary>
    /// <param name="Backward">The backward method (original definition), when the registration fits.</param>
    /// <param name="TakesResult">The backward takes the forward's result (after the arguments, if any) before ∂L/∂result.</param>
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
        bool MissingBackward)
    {
        /// <summary>The backward's leading parameters are the op's arguments.</summary>
        public bool TakesArguments { get; init; } = true;

        /// <summary>
        /// The backward writes ∂L/∂ each differentiable parameter into a destination (returns void): one destination and
        /// one accumulate flag per differentiable parameter, in parameter order.
        /// </summary>
        public bool BackwardInto { get; init; }

        /// <summary>Destination form: the names of the backward's <c>bool</c> accumulate parameters, one per differentiable parameter.</summary>
        public IReadOnlyList<string> AccumulateNames { get; init; } = System.Array.Empty<string>();

        /// <summary>Destination form: which accumulate parameters are optional (false may be omitted), as <see cref="AccumulateNames"/>.</summary>
        public IReadOnlyList<bool> AccumulateHasDefaults { get; init; } = System.Array.Empty<bool>();

        /// <summary>
        /// The name of the descriptor's <c>ResultShape</c> method (<c>(int Rows, int Cols) M(the op's parameters)</c>), which
        /// gives the result's size where the <c>[Shape]</c>s cannot; null when the descriptor names none.
        /// </summary>
        public string? ResultShapeMethod { get; init; }

        /// <summary>
        /// The op has a destination overload (<c>Op(args…, Matrix&lt;T&gt; result)</c>) and its result size follows from its
        /// <c>[Shape]</c>s: rows and columns as C# over operand placeholders (<c>{0}.Rows</c>); otherwise null.
        /// </summary>
        public string? ResultRows { get; init; }

        /// <summary>See <see cref="ResultRows"/>.</summary>
        public string? ResultCols { get; init; }

        /// <summary>The op has a destination overload, so its forward writes into a tape buffer of that size.</summary>
        public bool HasDestinationOverload { get; init; }

        /// <summary>The attribute's comment notation of a call, if given.</summary>
        public string? Notation { get; init; }

        /// <summary>The attribute's comment notation of the derivative, if given.</summary>
        public string? Derivative { get; init; }
    }

    /// <summary>Checks the registration on <paramref name="op"/> (which carries the attribute).</summary>
    public static Registration Resolve(IMethodSymbol op)
    {
        op = op.OriginalDefinition;
        var attribute = AttributeOf(op);
        string? name = null, notation = null, derivative = null, resultShape = null;
        int saves = 0;
        if (attribute is not null)
        {
            foreach (var argument in attribute.NamedArguments)
            {
                switch (argument.Key)
                {
                    case "Backward" when argument.Value.Value is string s:
                        name = s;
                        break;
                    case "Saves" when argument.Value.Value is int i:
                        saves = i;
                        break;
                    case "Notation" when argument.Value.Value is string n:
                        notation = n;
                        break;
                    case "Derivative" when argument.Value.Value is string d:
                        derivative = d;
                        break;
                    case "ResultShape" when argument.Value.Value is string r:
                        resultShape = r;
                        break;
                }
            }
        }
        if (saves is < 0 or > 4)
            saves = -1;
        string? rule = attribute is null ? null : RuleName(attribute);

        var element = Symbols.ElementTypeOf(op);
        string expected = ExpectedSignature(op, element, string.IsNullOrEmpty(name) ? op.Name + "Backward" : name!);
        Registration Fail(string error, bool missing = false) => new(null, false, error, expected, name, missing);

        // A built-in rule: only the runtime's own structural ops name one (the generator's table writes their backward).
        if (rule is not null)
        {
            if (!IsRuntimeOp(op, attribute!))
                return Fail("Rule names a rule of the generator's own table and is reserved for the LayerGen runtime's structural ops; register your op's derivative with Backward = nameof(...) instead");
            if (BuiltInRuleOf(op) is null)
                return Fail($"the runtime names the rule '{rule}', which this LayerGen generator does not know (the runtime and generator versions differ)");
            if (!string.IsNullOrEmpty(name))
                return Fail("the descriptor names both a Rule and a Backward");
            if (resultShape is not null)
                return Fail("the descriptor names both a Rule and a ResultShape (a rule's shapes are the generator's own)");
            return new Registration(null, false, null, expected, name, false) { Notation = notation, Derivative = derivative };
        }

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
        if (saves < 0)
            return Fail("Saves is not one of the SavedValues");
        if (resultShape is not null && ResultShapeMismatch(op, resultShape) is { } shapeError)
            return Fail(shapeError);

        // Of several fitting overloads (Conv2dBackward returns its three gradients or writes them), the destination form.
        string? firstMismatch = null;
        IMethodSymbol? chosen = null;
        BackwardForm chosenForm = default;
        foreach (var candidate in candidates)
        {
            string? mismatch = Mismatch(op, candidate, element, differentiable, saves, out var form);
            if (mismatch is null && (chosen is null || (form.Into && !chosenForm.Into)))
            {
                chosen = candidate;
                chosenForm = form;
            }
            firstMismatch ??= mismatch;
        }
        if (chosen is null)
            return Fail($"'{name}' does not fit: {firstMismatch}");
        var (rows, cols, into) = resultShape is null ? ResultSize(op) : (null, null, HasDestinationOverload(op));
        return new Registration(chosen, chosenForm.TakesResult, null, expected, name, false)
        {
            TakesArguments = chosenForm.TakesArguments,
            BackwardInto = chosenForm.Into,
            AccumulateNames = chosenForm.AccumulateNames ?? System.Array.Empty<string>(),
            AccumulateHasDefaults = chosenForm.AccumulateHasDefaults ?? System.Array.Empty<bool>(),
            ResultRows = rows,
            ResultCols = cols,
            HasDestinationOverload = into,
            ResultShapeMethod = resultShape,
            Notation = notation,
            Derivative = derivative,
        };
    }

    /// <summary>Which form of backward a candidate has: what it reads first, and whether it writes into destinations.</summary>
    private readonly record struct BackwardForm(bool TakesArguments, bool TakesResult, bool Into, string[]? AccumulateNames, bool[]? AccumulateHasDefaults);

    /// <summary>
    /// Why the descriptor's <c>ResultShape</c> method does not fit, or null: a static method of that name in the op's type,
    /// with the op's type parameters and exactly its parameters (same types, same order, by value), returning
    /// <c>(int Rows, int Cols)</c>, callable wherever the op is; and the op returns a matrix.
    /// </summary>
    private static string? ResultShapeMismatch(IMethodSymbol op, string name)
    {
        string typeParameters = op.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", op.TypeParameters.Select(t => t.Name)) + ">";
        string expected = $"{Symbols.AccessibilityText(op.DeclaredAccessibility)} static (int Rows, int Cols) {(name.Length == 0 ? op.Name + "ResultShape" : name)}{typeParameters}({string.Join(", ", op.Parameters.Select(p => $"{Show(p.Type)} {p.Name}"))})";
        if (Symbols.MatrixElement(op.ReturnType) is null)
            return $"ResultShape gives a matrix's size but the op returns '{Show(op.ReturnType)}'";
        if (name.Length == 0)
            return $"ResultShape is empty; name a method {expected} with nameof(...)";
        var candidates = op.ContainingType.GetMembers(name).OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).ToList();
        if (candidates.Count == 0)
            return $"ResultShape names '{name}' but '{op.ContainingType.Name}' has no method of that name; expected {expected}";
        string? first = null;
        foreach (var candidate in candidates)
        {
            string? why = null;
            var method = candidate;
            if (!method.IsStatic)
                why = "it is not static";
            else if (method.TypeParameters.Length != op.TypeParameters.Length)
                why = $"it has {method.TypeParameters.Length} type parameter(s) but the op has {op.TypeParameters.Length}";
            else if (Rank(method.DeclaredAccessibility) < Rank(op.DeclaredAccessibility))
                why = $"it is {Symbols.AccessibilityText(method.DeclaredAccessibility)} but the op is {Symbols.AccessibilityText(op.DeclaredAccessibility)}";
            else
            {
                if (method.IsGenericMethod)
                    method = method.Construct(op.TypeParameters.Cast<ITypeSymbol>().ToArray());
                if (method.Parameters.Length != op.Parameters.Length)
                    why = $"it has {method.Parameters.Length} parameter(s) but must take the op's {op.Parameters.Length}";
                for (int i = 0; why is null && i < op.Parameters.Length; i++)
                {
                    if (method.Parameters[i].RefKind != RefKind.None)
                        why = $"its parameter '{method.Parameters[i].Name}' is ref, out or in";
                    else if (!Same(method.Parameters[i].Type, op.Parameters[i].Type))
                        why = $"its parameter {i + 1} '{method.Parameters[i].Name}' is '{Show(method.Parameters[i].Type)}' but the op's parameter '{op.Parameters[i].Name}' is '{Show(op.Parameters[i].Type)}'";
                }
                if (why is null && !(method.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple && tuple.TupleElements.Length == 2
                    && tuple.TupleElements.All(e => e.Type.SpecialType == SpecialType.System_Int32)) || method.ReturnsByRef || method.ReturnsByRefReadonly)
                    why ??= $"it returns '{Show(method.ReturnType)}' but must return (int Rows, int Cols)";
            }
            if (why is null)
                return null;
            first ??= why;
        }
        return $"ResultShape '{name}' does not fit: {first}; expected {expected}";
    }

    /// <summary>
    /// The size of the op's result from its <c>[Shape]</c>s (each dimension of its <c>[return: Shape]</c> a literal or a
    /// symbol that a matrix parameter's <c>[Shape]</c> names: <c>{0}.Rows</c>), and whether a destination overload exists
    /// (its forward then writes into a tape buffer of that size; otherwise the generated code checks what it returns).
    /// </summary>
    private static (string? Rows, string? Cols, bool HasDestinationOverload) ResultSize(IMethodSymbol op)
    {
        if (Symbols.MatrixElement(op.ReturnType) is null || Symbols.ShapeOf(op.GetReturnTypeAttributes()) is not { } shape)
            return (null, null, false);
        bool hasInto = HasDestinationOverload(op);
        string? Dimension(string text)
        {
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                return text;
            foreach (var parameter in op.Parameters)
            {
                string placeholder = "{" + parameter.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";
                // An int that holds a dimension ([Shape("Rows")] int rows) is that dimension; int[] ids ([Shape("N")]) have N.
                if (parameter.Type.SpecialType == SpecialType.System_Int32 && OneDimension(parameter) == text)
                    return placeholder;
                if (parameter.Type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Int32 } && OneDimension(parameter) == text)
                    return placeholder + ".Length";
                if (Symbols.MatrixElement(parameter.Type) is null || Symbols.ShapeOf(parameter.GetAttributes()) is not { } declared)
                    continue;
                if (declared.Rows == text)
                    return placeholder + ".Rows";
                if (declared.Cols == text)
                    return placeholder + ".Cols";
            }
            return null;
        }
        string? rows = Dimension(shape.Rows), cols = Dimension(shape.Cols);
        return rows is null || cols is null ? (null, null, false) : (rows, cols, hasInto);
    }

    /// <summary>The op has a destination overload: <c>static void Op(the op's parameters…, Matrix&lt;T&gt; result)</c>.</summary>
    private static bool HasDestinationOverload(IMethodSymbol op)
    {
        if (Symbols.MatrixElement(op.ReturnType) is null)
            return false;
        bool hasInto = false;
        foreach (var overload in op.ContainingType.GetMembers(op.Name).OfType<IMethodSymbol>())
        {
            if (!overload.IsStatic || !overload.ReturnsVoid || overload.TypeParameters.Length != op.TypeParameters.Length
                || overload.Parameters.Length != op.Parameters.Length + 1)
                continue;
            var constructed = overload.IsGenericMethod ? overload.Construct(op.TypeParameters.Cast<ITypeSymbol>().ToArray()) : overload;
            bool fits = Same(constructed.Parameters[op.Parameters.Length].Type, op.ReturnType);
            for (int i = 0; fits && i < op.Parameters.Length; i++)
                fits = Same(constructed.Parameters[i].Type, op.Parameters[i].Type) && constructed.Parameters[i].RefKind == RefKind.None;
            hasInto |= fits;
        }
        return hasInto;
    }

    /// <summary>The single dimension a parameter's <c>[Shape("N")]</c> declares, or null.</summary>
    private static string? OneDimension(IParameterSymbol parameter)
    {
        foreach (var attribute in parameter.GetAttributes())
        {
            if (Symbols.IsLayerGenType(attribute.AttributeClass, "ShapeAttribute") && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0] is { Kind: TypedConstantKind.Array, Values.Length: 1 } argument)
                return argument.Values[0].Value switch
                {
                    string s => s,
                    int i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => null,
                };
        }
        return null;
    }

    /// <summary>The op's differentiable parameters: <c>Matrix&lt;T&gt;</c> or <c>T</c>, not <c>[NoGrad]</c>.</summary>
    public static List<IParameterSymbol> DifferentiableParameters(IMethodSymbol op, ITypeSymbol? element) =>
        op.Parameters.Where(p => Symbols.KindOf(p.Type, element) != ValueKind.Other && !Symbols.HasAttribute(p, "NoGradAttribute")).ToList();

    /// <summary>Why <paramref name="candidate"/> is not the backward of <paramref name="op"/>, or null when it fits.</summary>
    private static string? Mismatch(IMethodSymbol op, IMethodSymbol candidate, ITypeSymbol element, List<IParameterSymbol> differentiable,
        int saves, out BackwardForm form)
    {
        form = default;
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
        var parameters = candidate.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].RefKind != RefKind.None)
                return $"its parameter '{parameters[i].Name}' is ref, out or in";
        }

        // Destination form (void): …, dResult, then per differentiable parameter (all matrices) Matrix<T> into, bool accumulate.
        bool into = candidate.ReturnsVoid;
        if (into && differentiable.FirstOrDefault(p => Symbols.MatrixElement(p.Type) is null) is { } scalar)
            return $"it returns void (writing the gradients into destinations), which needs every differentiable parameter to be a Matrix<T>, but '{scalar.Name}' is '{Show(scalar.Type)}'";
        int tail = into ? 1 + 2 * differentiable.Count : 1;
        int n = op.Parameters.Length;

        // What it reads first: the arguments and/or the result, as Saves says (Detect: by the parameter count).
        (bool Arguments, bool Result)[] options = saves switch
        {
            1 => new[] { (true, false) },
            2 => new[] { (false, true) },
            3 => new[] { (true, true) },
            4 => new[] { (false, false) },
            _ => new[] { (true, false), (true, true) },
        };
        (bool Arguments, bool Result)? chosen = null;
        foreach (var option in options)
        {
            if (parameters.Length == (option.Arguments ? n : 0) + (option.Result ? 1 : 0) + tail)
                chosen = option;
        }
        if (chosen is not { } reads)
        {
            if (saves == 0 && !into)
                return $"it has {parameters.Length} parameter(s) but must have {n + 1} (the op's {n}, then ∂L/∂result) or {n + 2} (with the result before ∂L/∂result)";
            int expectedCount = (options[0].Arguments ? n : 0) + (options[0].Result ? 1 : 0) + tail;
            return $"it has {parameters.Length} parameter(s) but must have {expectedCount} ({Describe(options[0], n, into ? differentiable : null)})";
        }
        int k = 0;
        if (reads.Arguments)
        {
            for (; k < n; k++)
            {
                if (!Same(parameters[k].Type, op.Parameters[k].Type))
                    return $"its parameter {k + 1} '{parameters[k].Name}' is '{Show(parameters[k].Type)}' but the op's parameter '{op.Parameters[k].Name}' is '{Show(op.Parameters[k].Type)}'";
            }
        }
        if (reads.Result)
        {
            if (!Same(parameters[k].Type, op.ReturnType))
                return $"its parameter '{parameters[k].Name}' (the result) is '{Show(parameters[k].Type)}' but the op returns '{Show(op.ReturnType)}'";
            k++;
        }
        var dResult = parameters[k];
        if (!Same(dResult.Type, op.ReturnType))
            return $"its {(into ? "" : "last ")}parameter '{dResult.Name}' (∂L/∂result) is '{Show(dResult.Type)}' but must be the op's result type '{Show(op.ReturnType)}'";

        if (into)
        {
            // One (destination, accumulate) pair per differentiable parameter, in order; with several, a destination is null
            // where that gradient is not needed, so it must be nullable (Matrix<T>?) wherever nullable annotations are on.
            var names = new string[differentiable.Count];
            var defaults = new bool[differentiable.Count];
            for (int g = 0; g < differentiable.Count; g++)
            {
                var destination = parameters[k + 1 + 2 * g];
                var accumulate = parameters[k + 2 + 2 * g];
                if (!Same(destination.Type, differentiable[g].Type))
                    return $"its parameter '{destination.Name}' (where ∂L/∂{differentiable[g].Name} is written) is '{Show(destination.Type)}' but must be '{Show(differentiable[g].Type)}'";
                if (differentiable.Count > 1 && destination.NullableAnnotation == NullableAnnotation.NotAnnotated)
                    return $"its parameter '{destination.Name}' (where ∂L/∂{differentiable[g].Name} is written) must be nullable, '{Show(differentiable[g].Type)}?': with several gradients, one that is not needed is passed as null";
                if (accumulate.Type.SpecialType != SpecialType.System_Boolean)
                    return differentiable.Count == 1
                        ? $"its last parameter '{accumulate.Name}' must be the bool that says whether to add into the destination"
                        : $"its parameter '{accumulate.Name}' (after '{destination.Name}') must be the bool that says whether to add into '{destination.Name}'";
                names[g] = accumulate.Name;
                defaults[g] = accumulate.HasExplicitDefaultValue;
            }
            form = new BackwardForm(reads.Arguments, reads.Result, true, names, defaults);
            return null;
        }
        form = new BackwardForm(reads.Arguments, reads.Result, false, null, null);

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

    private static string Describe((bool Arguments, bool Result) reads, int n, List<IParameterSymbol>? destinations)
    {
        var parts = new List<string>();
        if (reads.Arguments)
            parts.Add($"the op's {n} argument(s)");
        if (reads.Result)
            parts.Add("its result");
        parts.Add("∂L/∂result");
        if (destinations is { Count: 1 })
            parts.Add("the gradient's destination and the accumulate flag");
        else if (destinations is not null)
            parts.Add($"for each of {string.Join(", ", destinations.Select(p => p.Name))} its gradient's destination and accumulate flag");
        return string.Join(", then ", parts);
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
