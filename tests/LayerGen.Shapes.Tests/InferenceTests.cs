using LayerGen.Generator.Model;
using LayerGen.Generator.Parsing;
using LayerGen.Generator.Shapes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LayerGen.Shapes.Tests;

/// <summary>Shape inference as a function of the model: the rule table, inferred shapes, robustness on half-typed code.</summary>
public class InferenceTests
{
    [Fact]
    public void Every_op_has_a_shape_rule()
    {
        var missing = Enum.GetValues<OpKind>().Where(op => !ShapeRules.Covers(op)).ToList();
        Assert.Empty(missing);
    }

    /// <summary>Parses every [Forward] method of <paramref name="source"/> and infers its shapes (no exception handling).</summary>
    private static List<(string Method, ShapeResult Result)> InferAll(string source)
    {
        var compilation = TestCompiler.Compile(source);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var results = new List<(string, ShapeResult)>();
        foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
        {
            if (model.GetDeclaredSymbol(declaration) is not IMethodSymbol method || !Symbols.IsForward(method))
                continue;
            SyntaxNode? bodyNode = (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody;
            var body = bodyNode is null ? null : model.GetOperation(bodyNode);
            var parsed = ForwardParser.Parse(method, body, CancellationToken.None);
            if (parsed.Model is { } m)
                results.Add((method.Name, ShapeInference.Infer(m)));
        }
        return results;
    }

    [Fact]
    public void Definitely_same_shape_holds_only_for_proven_equal_shapes()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W = null!;
                [Shape(1, "C")] public Matrix<float> B = null!;
                [Shape("C", "2*C")] public Matrix<float> V = null!;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x)
                {
                    var z = x * W;
                    var s = z + B;
                    var wide = s * V;
                    return wide;
                }
            }
            """;
        var compilation = TestCompiler.Compile(source);
        var tree = compilation.SyntaxTrees.Single();
        var semantic = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        var method = (IMethodSymbol)semantic.GetDeclaredSymbol(declaration)!;
        var model = ForwardParser.Parse(method, semantic.GetOperation(declaration.Body!), CancellationToken.None).Model!;
        var result = ShapeInference.Infer(model);
        int Id(string name) => model.Body!.Values.Single(v => v.Name == name).Id;

        // x is unannotated: z = x·W is [?, C] and so is z + B (B broadcasts over the rows), the same unknown row count.
        Assert.True(result.DefinitelySameShape(Id("z"), Id("s")));
        Assert.True(result.DefinitelySameShape(Id("z"), Id("z")));
        Assert.False(result.DefinitelySameShape(Id("B"), Id("s")));   // 1 row against an unknown count: not proven
        Assert.False(result.DefinitelyDifferentShape(Id("B"), Id("s")));
        Assert.False(result.DefinitelySameShape(Id("x"), Id("z")));   // D columns against C: not proven equal
        Assert.False(result.DefinitelySameShape(Id("s"), Id("wide"))); // C against 2*C
        Assert.True(result.DefinitelyDifferentShape(Id("s"), Id("wide")));
        Assert.False(result.DefinitelySameShape(-1, Id("s")));
        Assert.False(result.DefinitelySameShape(Id("s"), 10_000));
    }

    [Fact]
    public void Infers_the_shape_of_every_intermediate_value()
    {
        const string source = """
            using LayerGen;

            public partial class Gru
            {
                [Shape("D", "3*H")] public Matrix<float> Wx = null!;
                [Shape(1, "3*H")] public Matrix<float> B = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var z = x * Wx + B;
                    var pooled = Ops.Sum(z, 0);
                    return Ops.Concat(z, pooled, 0);
                }
            }
            """;
        var (_, result) = InferAll(source).Single();
        Assert.DoesNotContain(result.Problems, p => p.Id != "LG1100");
        var shapes = result.Shapes.Where(s => s is not null).Select(s => s!.ToString()).ToList();
        Assert.Contains("[N, 3*H]", shapes);
        Assert.Contains("[1, 3*H]", shapes);
        Assert.Contains("[N + 1, 3*H]", shapes);
    }

    [Fact]
    public void Unannotated_inputs_are_inferred_from_their_uses()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }
            """;
        var (_, result) = InferAll(source).Single();
        var suggestion = Assert.Single(result.Problems, p => p.Id == "LG1100" && p.Properties["Target"] == "parameter");
        Assert.Equal("\"N\", \"D\"", suggestion.Properties["Shape"]);
    }

    [Fact]
    public void Never_throws_on_any_prefix_of_a_layer()
    {
        // Every prefix of realistic layers, as while typing: the parser and inference must not throw (the analyzer
        // also catches, but this proves the functions themselves are total).
        var sources = Corpus.Bugs.Select(row => CorpusTests.ParseMarkup((string)row[1]).Source)
            .Concat(Corpus.Correct.Select(row => (string)row[1])).Take(12);
        foreach (var source in sources)
        {
            for (int length = source.Length; length > 0; length -= 7)
                InferAll(source.Substring(0, length));
        }
    }
}
