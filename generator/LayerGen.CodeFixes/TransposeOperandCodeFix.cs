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

namespace LayerGen.CodeFixes;

/// <summary>
/// LG1001: transposes the operand of <c>a * b</c> whose transpose makes the inner dimensions agree (the analyzer names it
/// in the <c>Transpose</c> property): adds <c>.T</c>, or removes a <c>.T</c> that is already there.
/// </summary>
/// <remarks>Offered only for the <c>*</c> operator; an <c>Ops.MatMul</c> call with flags is left to the user.</remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TransposeOperandCodeFix)), Shared]
public sealed class TransposeOperandCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("LG1001");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue("Transpose", out var which) || which is not ("0" or "1"))
                continue;
            if (root is null || Product(root, diagnostic.Location.SourceSpan) is not { } product)
                continue;
            var operand = which == "0" ? product.Left : product.Right;
            string title = Unwrap(operand) is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "T" }
                ? $"Remove '.T' from '{operand}'" : $"Transpose '{operand}'";
            context.RegisterCodeFix(
                CodeAction.Create(title, cancellationToken => FixAsync(context.Document, diagnostic.Location.SourceSpan, which == "0", cancellationToken),
                    equivalenceKey: nameof(TransposeOperandCodeFix)),
                diagnostic);
        }
    }

    private static BinaryExpressionSyntax? Product(SyntaxNode root, Microsoft.CodeAnalysis.Text.TextSpan span) =>
        root.FindNode(span, getInnermostNodeForTie: true).DescendantNodesAndSelf()
            .OfType<BinaryExpressionSyntax>().FirstOrDefault(b => b.Span == span && b.IsKind(SyntaxKind.MultiplyExpression));

    private static ExpressionSyntax Unwrap(ExpressionSyntax e) => e is ParenthesizedExpressionSyntax p ? Unwrap(p.Expression) : e;

    private static async Task<Document> FixAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, bool left, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || Product(root, span) is not { } product)
            return document;
        var operand = left ? product.Left : product.Right;
        return document.WithSyntaxRoot(root.ReplaceNode(operand, Toggle(operand)));
    }

    /// <summary><c>W</c> → <c>W.T</c>, <c>W.T</c> → <c>W</c>, <c>a + b</c> → <c>(a + b).T</c>.</summary>
    internal static ExpressionSyntax Toggle(ExpressionSyntax operand)
    {
        if (Unwrap(operand) is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "T" } transposed)
            return transposed.Expression.WithTriviaFrom(operand);
        var target = operand is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax
            or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax or ThisExpressionSyntax
            ? operand.WithoutTrivia()
            : SyntaxFactory.ParenthesizedExpression(operand.WithoutTrivia());
        return SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, target, SyntaxFactory.IdentifierName("T"))
            .WithTriviaFrom(operand);
    }
}
