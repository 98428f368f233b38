using System.Collections.Immutable;
using LayerGen.Generator;
using LayerGen.Generator.Model;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using V = LayerGen.Shapes.Tests.Verify<LayerGen.Generator.ShapeAnalyzer>;

namespace LayerGen.Shapes.Tests;

/// <summary>
/// A call of a sublayer whose <c>[Forward]</c> declares no <c>[return: Shape]</c> gets the result shape inferred from
/// the callee's body (<see cref="ForwardCallee.InferredReturnShape"/>), so its mistakes are not silent.
/// </summary>
public class CalleeInferenceTests
{
    private const string Hidden = Corpus.UndeclaredHidden;

    [Fact]
    public async Task LG1001_on_an_undeclared_sublayer_result_names_the_inferred_shape()
    {
        string source = "using LayerGen;\n" + Hidden + """
            public partial class Mlp
            {
                public Hidden1 H = null!;
                [Shape(10, "K")] public Matrix<float> V = null!;

                [Forward]
                public float Loss([Shape("N", 784)] Matrix<float> x, [NoGrad] int[] labels) => Losses.SoftmaxCrossEntropy({|#0:H.Forward(x) * V|}, labels);
            }
            """;
        var expected = new DiagnosticResult(DiagnosticDescriptors.ProductInnerDimensions).WithLocation(0)
            .WithMessage("'H.Forward(x) * V' multiplies [N, 256] by [10, K]: columns of H.Forward(x) (256) ≠ rows of V (10).")
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
        await V.AnalyzerAsync(source, expected);
    }

    [Fact]
    public async Task LG1004_hidden_size_mismatch_between_two_undeclared_sublayers()
    {
        string source = "using LayerGen;\n" + Hidden + Corpus.UndeclaredOutput.Replace("256", "128") + """
            public partial class Mlp
            {
                public Hidden1 Hidden = null!;
                public Output1 Output = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => {|#0:Output.Forward(Hidden.Forward(x))|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1004").WithLocation(0)
                .WithArguments("Output.Forward(Hidden.Forward(x))", "Hidden.Forward(x)", "[N, 256]", "h", "Output.Forward", "[N, 128]", "columns 256 ≠ 128")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public void Callee_in_another_file_is_inferred_with_its_own_semantic_model()
    {
        const string caller = """
            using LayerGen;

            public partial class Mlp
            {
                public Hidden1 H = null!;
                [Shape(10, "K")] public Matrix<float> V = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => H.Forward(x) * V;
            }
            """;
        var diagnostics = Analyze(caller, "using LayerGen;\n" + Hidden);
        var d = Assert.Single(diagnostics);
        Assert.Equal("LG1001", d.Id);
        Assert.Equal("H.Forward(x) * V", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
    }

    [Fact]
    public void Chain_of_undeclared_callees_carries_the_shape_through_each()
    {
        // Outer.Forward calls Inner.Forward; neither declares a return shape: [N, 256] flows through both.
        string source = "using LayerGen;\n" + Hidden + """
            public partial class Outer
            {
                public Hidden1 Inner = null!;

                [Forward]
                public Matrix<float> Forward([Shape("M", 784)] Matrix<float> x) => Ops.Tanh(Inner.Forward(x));
            }

            public partial class Net
            {
                public Outer O = null!;
                [Shape(10, "K")] public Matrix<float> V = null!;

                [Forward]
                public Matrix<float> Forward([Shape("B", 784)] Matrix<float> x) => O.Forward(x) * V;
            }
            """;
        var call = CallIn(source, "Net", "Forward");
        Assert.Equal(new Shape("M", "256"), call.InferredReturnShape);
        var d = Assert.Single(TestCompiler.Analyze(source));
        Assert.Equal("LG1001", d.Id);
        Assert.Contains("[B, 256] by [10, K]", d.GetMessage());
    }

    [Fact]
    public void Inferred_return_shape_is_a_model_value_that_follows_the_callee_body()
    {
        const string caller = """
            using LayerGen;

            public partial class Mlp
            {
                public Hidden1 H = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => H.Forward(x);
            }
            """;
        var before = CallIn(caller + Hidden, "Mlp", "Forward");
        Assert.Equal(new Shape("N", "256"), before.InferredReturnShape);
        // The same call, the same source of the caller: only the callee's weight changed.
        var after = CallIn(caller + Hidden.Replace("[Shape(784, 256)]", "[Shape(784, 128)]"), "Mlp", "Forward");
        Assert.Equal(new Shape("N", "128"), after.InferredReturnShape);
        Assert.NotEqual(before, after);
        // Equatable: parsing the same sources twice gives equal models.
        Assert.Equal(before, CallIn(caller + Hidden, "Mlp", "Forward"));
    }

    [Fact]
    public void Declared_return_shape_is_not_inferred_and_undecidable_results_stay_unknown()
    {
        const string source = """
            using LayerGen;

            public partial class Declared
            {
                [Shape(784, 256)] public Matrix<float> W = null!;
                [Forward]
                [return: Shape("N", 256)]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => x * W;
            }

            public partial class Passthrough
            {
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Tanh(x);
            }

            public partial class HalfKnown
            {
                [Shape("D", 32)] public Matrix<float> W = null!;
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }

            public partial class Net
            {
                public Declared A = null!;
                public Passthrough P = null!;
                public HalfKnown Q = null!;
                [Shape(10, "K")] public Matrix<float> V = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x, [Shape("N", 10)] Matrix<float> y) => A.Forward(x) + Q.Forward(y) - P.Forward(x);
            }
            """;
        var calls = CallsIn(source, "Net", "Forward");
        Assert.Null(calls["A"].InferredReturnShape); // declared: the declaration is used as is
        Assert.Null(calls["P"].InferredReturnShape); // depends only on an undeclared input: unknown, not a guess
        Assert.Equal(new Shape(Shape.Unknown, "32"), calls["Q"].InferredReturnShape); // rows unknown, columns from W
        // [N, 256] + [?, 32]: the columns definitely clash although the rows are unknown.
        var d = Assert.Single(TestCompiler.Analyze(source));
        Assert.Equal("LG1002", d.Id);
    }

    [Fact]
    public async Task Recursive_and_mutually_recursive_forwards_neither_hang_nor_throw()
    {
        const string source = """
            using LayerGen;

            public partial class Self
            {
                [Shape(8, 8)] public Matrix<float> W = null!;
                [Forward]
                public Matrix<float> Forward([Shape("N", 8)] Matrix<float> x) => Step(x) * W;
                [Forward]
                public Matrix<float> Step(Matrix<float> x) => Forward(x) + Step(x);
            }

            public partial class Ping
            {
                public Pong Other = null!;
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Tanh(Other.Forward(x));
            }

            public partial class Pong
            {
                public Ping Other = null!;
                [Shape(8, 4)] public Matrix<float> W = null!;
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Other.Forward(x) * W;
            }

            public partial class Top
            {
                public Ping P = null!;
                [Forward]
                public Matrix<float> Forward([Shape("N", 8)] Matrix<float> x) => P.Forward(x);
            }
            """;
        var task = Task.Run(() =>
        {
            var compilation = TestCompiler.Compile(source);
            var diagnostics = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ShapeAnalyzer(), new ForwardAnalyzer()))
                .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
            var driver = TestCompiler.Default.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var generatorDiagnostics);
            return (diagnostics, generatorDiagnostics, driver.GetRunResult());
        });
        // A hang fails the test with a TimeoutException instead of blocking the run.
        var (analyzerDiagnostics, generatorDiagnostics, run) = await task.WaitAsync(TimeSpan.FromSeconds(60));
        // AD0001: an analyzer threw; CS8784/CS8785: the generator threw.
        Assert.DoesNotContain(analyzerDiagnostics, d => d.Id == "AD0001");
        Assert.DoesNotContain(generatorDiagnostics, d => d.Id is "CS8784" or "CS8785");
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        // The cycle leaves shapes unknown: no shape diagnostic is guessed from it.
        Assert.DoesNotContain(analyzerDiagnostics, d => d.Id.StartsWith("LG1", StringComparison.Ordinal) && d.Id != "LG1100");
        // Ping → Pong → Ping: Pong's result is [?, 4] from its weight; the cycle back to Ping contributes nothing.
        Assert.Equal(new Shape(Shape.Unknown, "4"), CallsIn(source, "Ping", "Forward")["Other"].InferredReturnShape);
    }

    [Fact]
    public void Incremental_generator_sees_a_callee_edit_in_the_callers_model()
    {
        const string caller = """
            using LayerGen;

            public partial class Mlp
            {
                public Hidden1 H = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => H.Forward(x);
            }
            """;
        var compilation = TestCompiler.Compile(caller, "using LayerGen;\n" + Hidden);
        var driver = TestCompiler.Default.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var calleeTree = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(calleeTree,
            calleeTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(calleeTree.GetText().ToString().Replace("[Shape(784, 256)]", "[Shape(784, 128)]"))));
        driver = driver.RunGenerators(edited);
        var steps = driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.ForwardMethods];
        var outputs = steps.SelectMany(s => s.Outputs).ToList();
        var callerOutput = outputs.Single(o => o.Value is ForwardMethodModel { Layer.FullName: "global::Mlp" });
        Assert.Equal(IncrementalStepRunReason.Modified, callerOutput.Reason);
        var model = (ForwardMethodModel)callerOutput.Value;
        var call = model.Body!.Instructions.Single(i => i.Op == OpKind.ForwardCall).Call!;
        Assert.Equal(new Shape("N", "128"), call.InferredReturnShape);
    }

    [Fact]
    public void Generated_code_for_undeclared_sublayer_returns_compiles()
    {
        // The inferred shape only feeds the analysis: the generator's output for such a layer still builds.
        var run = TestCompiler.Run("using LayerGen;\n" + Hidden + Corpus.UndeclaredOutput + """
            public partial class Mlp
            {
                public Hidden1 Hidden = null!;
                public Output1 Output = null!;

                [Forward]
                public float Loss([Shape("N", 784)] Matrix<float> x, [NoGrad, Shape("N")] int[] labels)
                    => Losses.SoftmaxCrossEntropy(Output.Forward(Hidden.Forward(x)), labels);
            }
            """);
        run.Load();
        Assert.Contains(run.Generated.Keys, k => k.StartsWith("Mlp.Loss", StringComparison.Ordinal));
    }

    private static IReadOnlyList<Diagnostic> Analyze(params string[] sources)
    {
        var compilation = TestCompiler.Compile(sources);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ShapeAnalyzer(), new ForwardAnalyzer()))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult().Where(d => d.Id != "LG1100").ToList();
    }

    /// <summary>The callees of the forward calls in <paramref name="type"/>.<paramref name="method"/>, by receiver.</summary>
    private static Dictionary<string, ForwardCallee> CallsIn(string source, string type, string method)
    {
        var compilation = TestCompiler.Compile(source);
        var tree = compilation.SyntaxTrees.Single();
        var semanticModel = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>()
            .Single(m => m.Identifier.Text == method && ((TypeDeclarationSyntax)m.Parent!).Identifier.Text == type);
        var symbol = semanticModel.GetDeclaredSymbol(declaration)!;
        var body = semanticModel.GetOperation((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody!);
        var parsed = ForwardParser.Parse(symbol, body, CancellationToken.None);
        Assert.NotNull(parsed.Model?.Body);
        return parsed.Model!.Body!.Instructions.Where(i => i.Op == OpKind.ForwardCall)
            .ToDictionary(i => i.Call!.Receiver.Length > 0 ? i.Call.Receiver : i.Call.MethodName, i => i.Call!);
    }

    private static ForwardCallee CallIn(string source, string type, string method) => Assert.Single(CallsIn(source, type, method).Values);
}
