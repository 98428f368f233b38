using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using LayerGen.Generator.Model;
using LayerGen.Generator.Parsing;
using LayerGen.Generator.Shapes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace LayerGen.Generator;

/// <summary>
/// Reports the <c>LG1xxx</c> shape diagnostics. Per <c>[Forward]</c> method (an operation-block action, so an edit
/// re-analyses only the edited method) it runs the generator's parser and <see cref="ShapeInference"/>; per field,
/// property and method it validates the <c>[Shape]</c> attributes themselves (LG1007).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ShapeAnalyzer : DiagnosticAnalyzer
{
    private static readonly Regex Identifier = new("[A-Za-z_][A-Za-z0-9_]*", RegexOptions.Compiled);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.ProductInnerDimensions,
        DiagnosticDescriptors.IncompatibleElementwiseShapes,
        DiagnosticDescriptors.ReturnShapeMismatch,
        DiagnosticDescriptors.SublayerInputMismatch,
        DiagnosticDescriptors.LossTargetMismatch,
        DiagnosticDescriptors.SymbolBoundTwice,
        DiagnosticDescriptors.InvalidShapeAttribute,
        DiagnosticDescriptors.ConcatMismatch,
        DiagnosticDescriptors.SliceOutOfBounds,
        DiagnosticDescriptors.ShapeCanBeDeclared,
        DiagnosticDescriptors.LoopCarriedShapeChanges,
        DiagnosticDescriptors.BranchChangesShape);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (start.Compilation.GetTypeByMetadataName(Symbols.ForwardAttributeName) is null)
                return;
            start.RegisterOperationBlockAction(AnalyzeForward);
            start.RegisterSymbolAction(AnalyzeShapeAttributes, SymbolKind.Field, SymbolKind.Property, SymbolKind.Method);
        });
    }

    // ------------------------------------------------------------------ LG1001-LG1006, LG1008, LG1009, LG1100

    private static void AnalyzeForward(OperationBlockAnalysisContext block)
    {
        if (block.OwningSymbol is not IMethodSymbol method || !Symbols.IsForward(method))
            return;
        try
        {
            var body = block.OperationBlocks.FirstOrDefault(o => o is Microsoft.CodeAnalysis.Operations.IMethodBodyOperation or Microsoft.CodeAnalysis.Operations.IBlockOperation);
            var parsed = SharedParse.Get(block.Compilation, method, body, block.CancellationToken).Result;
            if (parsed.Model?.Body is null)
                return; // LG0xxx errors: the shapes of a body the generator rejects are not checked
            var tree = method.DeclaringSyntaxReferences.FirstOrDefault()?.SyntaxTree;
            var root = tree?.GetRoot(block.CancellationToken);
            Report(block, method, tree, root, parsed);
            // Each loop body (region) is inferred on its own, its problems located with its own value spans.
            foreach (var region in Emit.Emitter.AllRegions(parsed.Model))
            {
                if (parsed.RegionSpans is { } spans && spans.TryGetValue(region.Name, out var regionSpans))
                    Report(block, method, tree, root, parsed with { Model = region, ValueSpans = regionSpans });
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception)
        {
            // Never crash the IDE on half-typed code: say nothing rather than something wrong.
        }
    }

    private static void Report(OperationBlockAnalysisContext block, IMethodSymbol method, SyntaxTree? tree, SyntaxNode? root, ParseResult parsed)
    {
        {
            var result = ShapeInference.Infer(parsed.Model!, (instruction, position) => OperandText(root, parsed, instruction, position), block.CancellationToken);
            foreach (var problem in result.Problems)
            {
                if (DiagnosticDescriptors.ById(problem.Id) is not { } descriptor)
                    continue;
                var location = LocationOf(tree, parsed, problem.Value, method);
                var additional = problem.Sites.Select(s => LocationOf(tree, parsed, s, method))
                    .Concat(DeclarationsOf(method, problem.Symbols, block.CancellationToken))
                    .Where(l => l != Location.None && l != location)
                    .Distinct()
                    .ToList();
                block.ReportDiagnostic(Diagnostic.Create(descriptor, location, additional,
                    problem.Properties.ToImmutableDictionary(p => p.Key, p => (string?)p.Value), problem.Arguments.ToArray<object>()));
            }
        }
    }

    /// <summary>The source text of an instruction's operand at its use, so messages use the user's own words.</summary>
    private static string? OperandText(SyntaxNode? root, ParseResult parsed, Instruction instruction, int position)
    {
        if (root is null || !parsed.ValueSpans.TryGetValue(instruction.Result, out var span) || span.Start + span.Length > root.FullSpan.End)
            return null;
        var target = new TextSpan(span.Start, span.Length);
        var node = root.FindNode(target, getInnermostNodeForTie: false)
            .DescendantNodesAndSelf(n => n.Span.Contains(target))
            .FirstOrDefault(n => n.Span == target && n is BinaryExpressionSyntax or AssignmentExpressionSyntax or InvocationExpressionSyntax);
        ExpressionSyntax? operand = node switch
        {
            BinaryExpressionSyntax binary => position == 0 ? binary.Left : position == 1 ? binary.Right : null,
            AssignmentExpressionSyntax assignment => position == 0 ? assignment.Left : position == 1 ? assignment.Right : null,
            InvocationExpressionSyntax invocation when position < invocation.ArgumentList.Arguments.Count
                && invocation.ArgumentList.Arguments.All(a => a.NameColon is null) => invocation.ArgumentList.Arguments[position].Expression,
            _ => null,
        };
        return operand is null ? null : string.Join(" ", operand.ToString().Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries));
    }

    private static Location LocationOf(SyntaxTree? tree, ParseResult parsed, int value, IMethodSymbol method)
    {
        if (value >= 0 && parsed.ValueSpans.TryGetValue(value, out var span))
        {
            if (tree is not null && tree.FilePath == span.Path && span.Start + span.Length <= tree.Length)
                return Location.Create(tree, new TextSpan(span.Start, span.Length));
        }
        return method.Locations.FirstOrDefault() ?? Location.None;
    }

    /// <summary>The <c>[Shape]</c> attributes that mention one of <paramref name="symbols"/> (where each was declared).</summary>
    private static IEnumerable<Location> DeclarationsOf(IMethodSymbol method, IReadOnlyList<string> symbols, System.Threading.CancellationToken cancellationToken)
    {
        if (symbols.Count == 0)
            yield break;
        var wanted = new HashSet<string>(symbols.Where(s => !Unifier.IsVariable(s)), StringComparer.Ordinal);
        if (wanted.Count == 0)
            yield break;
        IEnumerable<AttributeData> attributes = method.Parameters.SelectMany(p => p.GetAttributes()).Concat(method.GetReturnTypeAttributes());
        attributes = attributes.Concat(method.ContainingType.GetMembers().Where(m => m is IFieldSymbol or IPropertySymbol).SelectMany(m => m.GetAttributes()));
        foreach (var attribute in attributes)
        {
            if (!Symbols.IsLayerGenType(attribute.AttributeClass, "ShapeAttribute") || attribute.ApplicationSyntaxReference is not { } reference)
                continue;
            bool mentions = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
                && attribute.ConstructorArguments[0].Values.Any(v => v.Value is string text && Identifier.Matches(text).Cast<Match>().Any(m => wanted.Contains(m.Value)));
            if (mentions)
                yield return Location.Create(reference.SyntaxTree, reference.GetSyntax(cancellationToken).Span);
        }
    }

    // ------------------------------------------------------------------ LG1007

    private static void AnalyzeShapeAttributes(SymbolAnalysisContext context)
    {
        try
        {
            switch (context.Symbol)
            {
                case IFieldSymbol field:
                    Check(context, field.Name, field.Type, field.GetAttributes(), field);
                    break;
                case IPropertySymbol property:
                    Check(context, property.Name, property.Type, property.GetAttributes(), property);
                    break;
                case IMethodSymbol method:
                    foreach (var parameter in method.Parameters)
                        Check(context, parameter.Name, parameter.Type, parameter.GetAttributes());
                    Check(context, "return value of " + method.Name, method.ReturnType, method.GetReturnTypeAttributes());
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception)
        {
            // Never crash the IDE on half-typed code.
        }
    }

    private static void Check(SymbolAnalysisContext context, string name, ITypeSymbol type, ImmutableArray<AttributeData> attributes, ISymbol? member = null)
    {
        foreach (var attribute in attributes)
        {
            if (!Symbols.IsLayerGenType(attribute.AttributeClass, "ShapeAttribute") || attribute.ApplicationSyntaxReference is not { } reference)
                continue;
            if (ShapeAttributeProblem(type, attribute, member) is { } problem)
            {
                var location = Location.Create(reference.SyntaxTree, reference.GetSyntax(context.CancellationToken).Span);
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidShapeAttribute, location, name, problem));
            }
        }
    }

    /// <summary>
    /// What is wrong with a <c>[Shape]</c> on a member or parameter of type <paramref name="type"/>, or null.
    /// <paramref name="member"/> is the field or property it is on (null for parameters and return values): an
    /// <c>int</c> member with one dimension holds that size (<c>[Shape("H")] public int Hidden;</c>).
    /// </summary>
    internal static string? ShapeAttributeProblem(ITypeSymbol type, AttributeData attribute, ISymbol? member = null)
    {
        // On a sequence (IReadOnlyList<Matrix<T>>, IReadOnlyList<int[]>) [Shape] describes every element.
        if (Symbols.SequenceItem(type) is { } item && (Symbols.MatrixElement(item) is not null
                || item is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Int32 }))
            type = item;
        bool isMatrix = Symbols.MatrixElement(type) is not null;
        bool isLabels = type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Int32 };
        bool isSize = member is not null && Symbols.IsSizeType(member);
        if (isSize && member!.IsStatic)
            return "is on a static int member; a size that [Shape] names is an instance field or property of the layer";
        if (!isMatrix && !isLabels && !isSize)
            return $"is on a '{type.ToDisplayString()}'; [Shape] describes a Matrix<T> or int[] labels";
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Kind != TypedConstantKind.Array)
            return null; // a compile error already
        var values = attribute.ConstructorArguments[0].Values;
        int expected = isMatrix ? 2 : 1;
        if (values.Length != expected)
        {
            return isMatrix
                ? $"has {values.Length} dimension{(values.Length == 1 ? "" : "s")}; a matrix has 2 (rows, columns)"
                : isSize
                ? $"has {values.Length} dimensions; an int member holds 1 size (e.g. [Shape(\"H\")] public int Hidden;)"
                : $"has {values.Length} dimensions; int[] labels have 1 (their count, e.g. [Shape(\"N\")])";
        }
        foreach (var value in values)
        {
            switch (value.Value)
            {
                case int size when size <= 0:
                    return $"has the size {size}; a size must be positive";
                case int:
                    break;
                case string text when Dim.Parse(text) is null:
                    return $"has the dimension \"{text}\", which is not an expression of symbols, integers, '+', '-', '*' and parentheses";
                case string:
                    break;
                default:
                    return $"has a dimension of type '{value.Type?.ToDisplayString() ?? "null"}'; use a string symbol (\"N\") or an int size";
            }
        }
        return null;
    }
}
