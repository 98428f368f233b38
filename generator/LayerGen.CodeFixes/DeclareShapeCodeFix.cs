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
/// LG1100: writes the inferred shape (the <c>Shape</c> property, attribute arguments such as <c>"N", "D"</c>) as
/// <c>[Shape(...)]</c> on the parameter, or <c>[return: Shape(...)]</c> on the method.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeclareShapeCodeFix)), Shared]
public sealed class DeclareShapeCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("LG1100");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue("Shape", out var shape) || shape is null
                || !diagnostic.Properties.TryGetValue("Target", out var target) || target is not ("parameter" or "return"))
                continue;
            diagnostic.Properties.TryGetValue("Name", out var name);
            string title = target == "return" ? $"Declare [return: Shape({shape})]" : $"Declare [Shape({shape})] on '{name}'";
            context.RegisterCodeFix(
                CodeAction.Create(title, cancellationToken => FixAsync(context.Document, diagnostic.Location.SourceSpan, shape, target == "return", cancellationToken),
                    equivalenceKey: nameof(DeclareShapeCodeFix)),
                diagnostic);
        }
        return Task.CompletedTask;
    }

    private static async Task<Document> FixAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, string shape, bool onReturn, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
            return document;
        var node = root.FindNode(span);
        var attribute = SyntaxFactory.Attribute(SyntaxFactory.ParseName(AttributeName(root)), SyntaxFactory.ParseAttributeArgumentList("(" + shape + ")"));
        if (onReturn)
        {
            if (node.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } method)
                return document;
            var list = SyntaxFactory.AttributeList(
                SyntaxFactory.AttributeTargetSpecifier(SyntaxFactory.Token(SyntaxKind.ReturnKeyword)),
                SyntaxFactory.SingletonSeparatedList(attribute));
            // On its own line after the method's attributes (or before its first modifier), indented like the method.
            var indentation = method.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
            list = list.WithLeadingTrivia(indentation).WithTrailingTrivia(SyntaxFactory.EndOfLine("\n"));
            MethodDeclarationSyntax updated;
            if (method.AttributeLists.Count > 0)
            {
                updated = method.WithAttributeLists(method.AttributeLists.Add(list));
            }
            else
            {
                var first = method.GetFirstToken();
                list = list.WithLeadingTrivia(first.LeadingTrivia);
                updated = method.ReplaceToken(first, first.WithLeadingTrivia(indentation)).WithAttributeLists(SyntaxFactory.SingletonList(list));
            }
            return document.WithSyntaxRoot(root.ReplaceNode(method, updated));
        }
        if (node.AncestorsAndSelf().OfType<ParameterSyntax>().FirstOrDefault() is not { } parameter)
            return document;
        var parameterList = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute)).WithTrailingTrivia(SyntaxFactory.Space);
        var newParameter = parameter.WithAttributeLists(parameter.AttributeLists.Insert(0, parameterList.WithLeadingTrivia(parameter.GetLeadingTrivia())))
            .WithModifiers(parameter.Modifiers);
        if (parameter.AttributeLists.Count == 0)
        {
            var first = parameter.GetFirstToken();
            newParameter = parameter.ReplaceToken(first, first.WithLeadingTrivia())
                .WithAttributeLists(SyntaxFactory.SingletonList(parameterList.WithLeadingTrivia(first.LeadingTrivia)));
        }
        return document.WithSyntaxRoot(root.ReplaceNode(parameter, newParameter.WithAdditionalAnnotations(Formatter.Annotation)));
    }

    /// <summary><c>Shape</c> where <c>using LayerGen;</c> is in scope, else <c>global::LayerGen.Shape</c>.</summary>
    private static string AttributeName(SyntaxNode root)
    {
        bool imported = root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
            .OfType<UsingDirectiveSyntax>().Any(u => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() == "LayerGen");
        bool inside = root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
            .OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ToString() == "LayerGen" || n.Name.ToString().StartsWith("LayerGen.", System.StringComparison.Ordinal));
        return imported || inside ? "Shape" : "global::LayerGen.Shape";
    }
}
