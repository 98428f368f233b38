using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using V = LayerGen.Shapes.Tests.Verify<LayerGen.Generator.ShapeAnalyzer>;

namespace LayerGen.Shapes.Tests;

/// <summary>
/// An <c>int</c> member marked <c>[Shape("H")]</c> holds the size H: used as a slice bound or count it connects to
/// the shape symbol, so <c>Ops.SliceColumns(z, 0, Hidden)</c> is <c>[N, H]</c>.
/// </summary>
public class SizeMemberTests
{
    [Fact]
    public async Task Slices_by_a_size_member_have_that_size()
    {
        const string source = """
            using LayerGen;

            public partial class Gated
            {
                [Shape("H")] public int Hidden = 4;
                [Shape("D", "2*H")] public Matrix<float> W;
                [Shape("H", "C")] public Matrix<float> V;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var z = x * W;
                    var gate = Ops.Sigmoid(Ops.SliceColumns(z, 0, Hidden));
                    var value = Ops.Tanh(Ops.SliceColumns(z, Hidden, Hidden));
                    return Ops.Mul(gate, value) * V;
                }
            }
            """;
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task LG1001_when_a_slice_by_a_size_member_meets_another_width()
    {
        const string source = """
            using LayerGen;

            public partial class Gated
            {
                [Shape("H")] public int Hidden = 4;
                [Shape("D", "2*H")] public Matrix<float> W;
                [Shape("2*H", "C")] public Matrix<float> V;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|#0:Ops.SliceColumns(x * W, 0, Hidden) * V|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1001").WithLocation(0)
                .WithArguments("Ops.SliceColumns(x * W, 0, Hidden) * V", "[N, H]", "[2*H, C]", "Ops.SliceColumns(x * W, 0, Hidden)", "H", "V", "2*H", "")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1003_when_a_slice_by_a_size_member_is_returned_as_another_width()
    {
        const string source = """
            using LayerGen;

            public partial class Half
            {
                [Shape("H")] public int Hidden { get; set; } = 4;

                [Forward]
                [return: Shape("N", "2*H")]
                public Matrix<float> Forward([Shape("N", "2*H")] Matrix<float> z) => {|#0:Ops.SliceColumns(z, this.Hidden, Hidden)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1003").WithLocation(0).WithArguments("Forward", "[N, H]", "[N, 2*H]", "columns H ≠ 2*H")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1009_when_a_slice_by_size_members_runs_past_the_end()
    {
        const string source = """
            using LayerGen;

            public partial class Gates
            {
                [Shape("H")] public int Hidden = 4;

                [Forward]
                public Matrix<float> Forward([Shape("N", "2*H")] Matrix<float> z) => {|#0:Ops.SliceColumns(z, Hidden, 2 * Hidden)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1009").WithLocation(0)
                .WithArguments("Ops.SliceColumns(z, Hidden, 2 * Hidden)", "columns", "H", "3*H", "z", "[N, 2*H]", "2*H")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task Rows_sliced_by_a_size_member_plus_one_fit()
    {
        const string source = """
            using LayerGen;

            public partial class Window
            {
                [Shape("K")] public int Context = 2;
                [Shape(1, "D")] public Matrix<float> B;

                [Forward]
                [return: Shape("K+1", "D")]
                public Matrix<float> Forward([Shape("K+1", "D")] Matrix<float> x) => Ops.SliceRows(x, 0, Context + 1) + B;
            }
            """;
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task An_unannotated_int_member_stays_unknown()
    {
        // Without [Shape] nothing says Hidden is H (nor that a member named H is): the slice's width is unknown, no report.
        const string source = """
            using LayerGen;

            public partial class Gated
            {
                public int Hidden = 4;
                public int H = 4;
                [Shape("D", "2*H")] public Matrix<float> W;
                [Shape("2*H", "C")] public Matrix<float> V;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.SliceColumns(x * W, 0, Hidden) * V + Ops.SliceColumns(x * W, 0, H) * V;
            }
            """;
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task A_size_member_in_an_expression_the_engine_cannot_read_stays_unknown()
    {
        const string source = """
            using LayerGen;

            public partial class Gated
            {
                [Shape("H")] public int Hidden = 4;
                [Shape("D", "2*H")] public Matrix<float> W;
                [Shape("2*H", "C")] public Matrix<float> V;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.SliceColumns(x * W, 0, Hidden / 2) * V;
            }
            """;
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task LG1007_for_a_size_member_with_two_dimensions_or_static()
    {
        const string source = """
            using LayerGen;

            public partial class Sizes
            {
                [{|#0:Shape("H", "W")|}] public int Two = 4;
                [{|#1:Shape("H")|}] public static int Shared = 4;
                [{|#2:Shape("H")|}] public float Scale = 1;
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1007").WithLocation(0).WithArguments("Two", "has 2 dimensions; an int member holds 1 size (e.g. [Shape(\"H\")] public int Hidden;)"),
            V.Diagnostic("LG1007").WithLocation(1).WithArguments("Shared", "is on a static int member; a size that [Shape] names is an instance field or property of the layer"),
            V.Diagnostic("LG1007").WithLocation(2).WithArguments("Scale", "is on a 'float'; [Shape] describes a Matrix<T> or int[] labels"));
    }

    [Fact]
    public async Task A_sublayer_slicing_by_its_size_member_has_that_sublayers_width()
    {
        // Half.Forward returns [N, H] with H the sublayer's own (First.H): the concatenation of two is 2*First.H wide,
        // definitely not First.H.
        const string source = """
            using LayerGen;

            public partial class Half
            {
                [Shape("H")] public int Hidden = 4;
                [Shape("D", "2*H")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.SliceColumns(x * W, 0, Hidden);
            }

            public partial class Stack
            {
                public Half First;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                    => {|#0:Ops.Mul(First.Forward(x), Ops.Concat(First.Forward(x), First.Forward(x), 1))|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1002").WithLocation(0)
                .WithArguments("Ops.Mul(First.Forward(x), Ops.Concat(First.Forward(x), First.Forward(x), 1))", "multiplies element-wise",
                    "First.Forward(x)", "[N, First.H]", "Ops.Concat(First.Forward(x), First.Forward(x), 1)", "[N, 2*First.H]",
                    "columns First.H ≠ 2*First.H (each dimension must be equal or 1)")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public void The_inferred_shape_of_a_slice_by_a_size_member_names_the_symbol()
    {
        const string source = """
            using LayerGen;

            public partial class Gated
            {
                [Shape("H")] public int Hidden = 4;
                [Shape("D", "2*H")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var z = x * W;
                    var gate = Ops.SliceColumns(z, 0, Hidden);
                    var rest = Ops.SliceColumns(z, Hidden, Hidden);
                    return Ops.Mul(gate, rest);
                }
            }
            """;
        var compilation = TestCompiler.Compile(source);
        var tree = compilation.SyntaxTrees.Single();
        var semantic = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single();
        var method = (Microsoft.CodeAnalysis.IMethodSymbol)semantic.GetDeclaredSymbol(declaration)!;
        var model = LayerGen.Generator.Parsing.ForwardParser.Parse(method, semantic.GetOperation(declaration.Body!), CancellationToken.None).Model!;
        Assert.Equal(new LayerGen.Generator.Model.SizeMember("Hidden", "H"), Assert.Single(model.Layer.SizeMembers));
        var result = LayerGen.Generator.Shapes.ShapeInference.Infer(model);
        string ShapeOf(string name) => result.Shapes[model.Body!.Values.Single(v => v.Name == name).Id]!.ToString();
        Assert.Equal("[N, H]", ShapeOf("gate"));
        Assert.Equal("[N, H]", ShapeOf("rest"));
        Assert.True(result.DefinitelySameShape(model.Body!.Values.Single(v => v.Name == "gate").Id, model.Body!.Values.Single(v => v.Name == "rest").Id));
        Assert.DoesNotContain(result.Problems, p => p.Id != "LG1100");
    }

    [Fact]
    public void The_training_forward_checks_that_a_size_member_holds_its_dimension()
    {
        const string source = """
            using LayerGen;

            namespace Nn;

            public partial class Gated
            {
                [Shape("H")] public int Hidden;
                [Shape("D", "2*H")] public Matrix<float> W;

                public Gated(int inputs, int hidden, int width) { Hidden = hidden; W = new Matrix<float>(inputs, width); }

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var z = x * W;
                    return Ops.Mul(Ops.SliceColumns(z, 0, Hidden), Ops.SliceColumns(z, Hidden, Hidden));
                }
            }

            public static class Driver
            {
                private static string Catch(System.Action action)
                {
                    try
                    {
                        action();
                        return "no exception";
                    }
                    catch (ShapeMismatchException e)
                    {
                        return e.Message;
                    }
                }

                public static string Fits() => Catch(() => new Gated(3, 2, 4).Forward(new Matrix<float>(5, 3), new Gated.Tape()));

                public static string WrongHidden() => Catch(() => new Gated(3, 3, 4).Forward(new Matrix<float>(5, 3), new Gated.Tape()));
            }
            """;
        var run = TestCompiler.Run(source);
        var assembly = run.Load();
        Assert.Contains("Hidden = H", run.Generated.Single(g => g.Key.EndsWith("Gated.Forward.g.cs", StringComparison.Ordinal)).Value);
        Assert.Equal("no exception", TestCompiler.Invoke(assembly, "Nn.Driver", "Fits"));
        var message = (string)TestCompiler.Invoke(assembly, "Nn.Driver", "WrongHidden")!;
        // H is known from Hidden (3), so W [3, 4] cannot be [D, 2*H].
        Assert.Contains("W is [3, 4]", message);
        Assert.Contains("H = 3 from Hidden", message);
    }
}
