using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace LayerGen.CodeFixes;

/// <summary>
/// LG0008 (the registered backward does not exist): writes its stub after the op, with exactly the signature LayerGen
/// expects: the op's modifiers, type parameters and constraints, its parameters, <c>dResult</c> of its result type, and
/// ∂L/∂ each differentiable parameter as the return (a named tuple when there are several).
/// </summary>
/// <remarks>
/// The types are copied from the op's own syntax, so the stub compiles with the file's usings however the op spells them.
/// <code>
/// public static Matrix&lt;double&gt; MishBackward(Matrix&lt;double&gt; x, Matrix&lt;double&gt; dResult)
/// {
///     throw new System.NotImplementedException("∂L/∂x of Mish: dResult ⊙ ∂Mish/∂x");
/// }
/// </code>
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddBackwardStubCodeFix)), Shared]
public sealed class AddBackwardStubCodeFix : CodeFixProvider
{
    private const string BackwardNameProperty = "BackwardName";
    private const string DifferentiableParametersProperty = "DifferentiableParameters";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("LG0008");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(BackwardNameProperty, out var name) || string.IsNullOrEmpty(name)
                || !SyntaxFacts.IsValidIdentifier(name)
                || !diagnostic.Properties.TryGetValue(DifferentiableParametersProperty, out var ordinals) || ordinals is null)
                continue;
            if (root?.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } op)
                continue;
            var span = op.Span;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Add the backward '{name}' with the signature LayerGen expects",
                    cancellationToken => AddStubAsync(context.Document, span, name!, ordinals!, cancellationToken),
                    equivalenceKey: nameof(AddBackwardStubCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Document> AddStubAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, string name, string ordinals, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(span).AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } op)
            return document;
        var stub = Stub(op, name, Parse(ordinals));
        if (stub is null)
            return document;
        var newRoot = root.InsertNodesAfter(op, new[] { stub.WithAdditionalAnnotations(Formatter.Annotation) });
        return document.WithSyntaxRoot(newRoot);
    }

    private static List<int> Parse(string ordinals)
    {
        var result = new List<int>();
        foreach (var part in ordinals.Split(','))
        {
            if (int.TryParse(part, out int ordinal))
                result.Add(ordinal);
        }
        return result;
    }

    /// <summary>The stub, or null when the op's syntax does not match the diagnostic (edited since).</summary>
    internal static MethodDeclarationSyntax? Stub(MethodDeclarationSyntax op, string name, IReadOnlyList<int> differentiable)
    {
        var parameters = op.ParameterList.Parameters;
        if (differentiable.Count == 0 || differentiable.Any(i => i < 0 || i >= parameters.Count) || parameters.Any(p => p.Type is null))
            return null;

        // The op's parameters as written (without their attributes), then ∂L/∂result.
        var backwardParameters = parameters.Select(p => SyntaxFactory.Parameter(p.Identifier.WithoutTrivia()).WithType(p.Type!.WithoutTrivia())).ToList();
        backwardParameters.Add(SyntaxFactory.Parameter(SyntaxFactory.Identifier("dResult")).WithType(op.ReturnType.WithoutTrivia()));

        TypeSyntax returnType = differentiable.Count == 1
            ? parameters[differentiable[0]].Type!.WithoutTrivia()
            : SyntaxFactory.TupleType(SyntaxFactory.SeparatedList(differentiable.Select(i =>
                SyntaxFactory.TupleElement(parameters[i].Type!.WithoutTrivia(), SyntaxFactory.Identifier("d" + Pascal(parameters[i].Identifier.ValueText))))));

        string gradients = string.Join(", ", differentiable.Select(i => "∂L/∂" + parameters[i].Identifier.ValueText));
        var body = SyntaxFactory.Block(SyntaxFactory.ParseStatement(
            $"throw new System.NotImplementedException(\"{gradients} of {op.Identifier.ValueText}, from dResult = ∂L/∂result\");"));

        var modifiers = SyntaxFactory.TokenList(op.Modifiers.Where(m => !m.IsKind(SyntaxKind.AsyncKeyword) && !m.IsKind(SyntaxKind.PartialKeyword))
            .Select(m => m.WithoutTrivia().WithTrailingTrivia(SyntaxFactory.Space)));
        return SyntaxFactory.MethodDeclaration(returnType.WithTrailingTrivia(SyntaxFactory.Space), SyntaxFactory.Identifier(name))
            .WithModifiers(modifiers)
            .WithTypeParameterList(op.TypeParameterList?.WithoutTrivia())
            .WithParameterList(SyntaxFactory.ParameterList(SyntaxFactory.SeparatedList(backwardParameters)))
            .WithConstraintClauses(SyntaxFactory.List(op.ConstraintClauses.Select(c => c.WithoutTrivia())))
            .WithBody(body)
            .WithLeadingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
            .NormalizeWhitespace()
            .WithLeadingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
    }

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
}
