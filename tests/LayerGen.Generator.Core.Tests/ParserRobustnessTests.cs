using LayerGen.Generator.Emit;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// The parser and emitter themselves (not behind the generator's and analyzer's safety nets) never throw on
/// half-typed code: every prefix of realistic layer files is parsed, and every model it accepts is emitted.
/// </summary>
public class ParserRobustnessTests
{
    [Theory]
    [InlineData(nameof(Layers.Composite))]
    [InlineData(nameof(Layers.MultiInput))]
    [InlineData(nameof(Layers.EdgeCases))]
    public void Every_prefix_parses_and_emits_without_exceptions(string layer)
    {
        string source = (string)typeof(Layers).GetField(layer)!.GetValue(null)!;
        var references = TestCompiler.Run("class Empty { }").Output.References;
        int parsed = 0, emitted = 0;
        for (int length = 0; length <= source.Length; length += Math.Max(3, source.Length / 400))
        {
            var tree = CSharpSyntaxTree.ParseText(source.Substring(0, length), TestCompiler.ParseOptions);
            var compilation = CSharpCompilation.Create("Prefix", new[] { tree }, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            var model = compilation.GetSemanticModel(tree);
            foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                if (model.GetDeclaredSymbol(declaration) is not IMethodSymbol method || !Symbols.IsForward(method))
                    continue;
                SyntaxNode? body = (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody;
                var result = ForwardParser.Parse(method, body is null ? null : model.GetOperation(body), default);
                parsed++;
                if (result.Model is { Body: { } forwardBody } m)
                {
                    Assert.DoesNotContain("#error", MethodPipeline.Run(m with { Body = forwardBody }));
                    emitted++;
                }
            }
        }
        Assert.True(parsed > 0 && emitted > 0, $"parsed {parsed}, emitted {emitted}");
    }
}
