using Microsoft.CodeAnalysis;

namespace LayerGen.Generator.Core.Tests;

/// <summary>The analyzer reports each LG0xxx at the right place, and the generator skips exactly the invalid methods.</summary>
public class AnalyzerTests
{
    private static string Layer(string members, string modifiers = "public partial") => $$"""
        using System.Threading.Tasks;
        using LayerGen;

        namespace Nn;

        {{modifiers}} class L
        {
            public Matrix<double> W = Matrix<double>.Ones(2, 2);
            public Matrix<double> B = Matrix<double>.Ones(1, 2);
        {{members}}
        }
        """;

    private static IReadOnlyList<Diagnostic> Analyze(string source, out CompileResult result)
    {
        result = TestCompiler.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        return result.AnalyzerDiagnostics;
    }

    private static Diagnostic Single(string source, string id)
    {
        var diagnostics = Analyze(source, out _).Where(d => d.Id == id).ToList();
        Assert.True(diagnostics.Count == 1, $"expected one {id}, got: {string.Join("\n", Analyze(source, out _))}");
        return diagnostics[0];
    }

    private static string TextAt(Diagnostic diagnostic) =>
        diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);

    [Fact]
    public void Valid_layer_has_no_diagnostics_and_generates_code()
    {
        var diagnostics = Analyze(Layer("[Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Relu(x * W + B);"), out var result);
        Assert.Empty(diagnostics);
        Assert.Contains("Nn.L.Forward.g.cs", result.Generated.Keys);
        Assert.Empty(result.CompileErrors);
    }

    [Fact]
    public void LG0001_type_not_partial()
    {
        var d = Single(Layer("[Forward] public Matrix<double> Forward(Matrix<double> x) => x * W; [Forward] public Matrix<double> Other(Matrix<double> x) => x * W;", modifiers: "public"), "LG0001");
        Assert.Equal("L", TextAt(d));
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Fact]
    public void LG0002_unsupported_statement_is_reported_at_its_span_and_nothing_is_generated_for_it()
    {
        var source = Layer("""
                [Forward] public Matrix<double> Forward(Matrix<double> x) { do { x = x * W; } while (x.Rows > 2); return x * W; }
                [Forward] public Matrix<double> Other(Matrix<double> x) => x * W + B;
            """);
        var d = Single(source, "LG0002");
        Assert.StartsWith("do { x = x * W; } while (x.Rows > 2);", TextAt(d));
        Assert.Contains("'do' loop", d.GetMessage());
        var result = TestCompiler.Run(source);
        Assert.DoesNotContain("Nn.L.Forward.g.cs", result.Generated.Keys);
        Assert.Contains("Nn.L.Other.g.cs", result.Generated.Keys);
        Assert.Contains("Nn.L.Gradients.g.cs", result.Generated.Keys);
        Assert.Empty(result.CompileErrors);
    }

    [Fact]
    public void LG0002_element_access()
    {
        var d = Single(Layer("[Forward] public double Forward(Matrix<double> x) => x[0, 0];"), "LG0002");
        Assert.Equal("x[0, 0]", TextAt(d));
        Assert.Contains("element access", d.GetMessage());
    }

    [Fact]
    public void LG0003_call_without_derivative()
    {
        var d = Single(Layer("""
                static Matrix<double> Mystery(Matrix<double> m) => m;
                [Forward] public Matrix<double> Forward(Matrix<double> x) => Mystery(x * W);
            """), "LG0003");
        Assert.Equal("Mystery(x * W)", TextAt(d));
        Assert.Contains("[NoGrad]", d.GetMessage());
    }

    [Fact]
    public void LG0003_is_silent_for_calls_on_constants()
    {
        var diagnostics = Analyze(Layer("""
                [NoGrad] public double Lambda = 0.5;
                static double Twice(double v) => 2 * v;
                [Forward] public double Loss(Matrix<double> x) => Ops.Sum(x * W) * Twice(Lambda);
            """), out var result);
        Assert.Empty(diagnostics);
        Assert.Empty(result.CompileErrors);
    }

    [Theory]
    [InlineData("[Forward] public void Forward(Matrix<double> x) { }", "returns void")]
    [InlineData("[Forward] public Matrix<double> Forward(ref Matrix<double> x) => x * W;", "ref, out or in parameter 'x'")]
    [InlineData("[Forward] public async Task<Matrix<double>> Forward(Matrix<double> x) { await Task.Yield(); return x * W; }", "async")]
    [InlineData("[Forward] public Matrix<double> Forward<TOther>(Matrix<double> x) => x * W;", "generic method")]
    [InlineData("[Forward] public int Forward(Matrix<double> x) => 1;", "returns 'int'")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> tape) => tape * W;", "named 'tape'")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x) => x * W; [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> y) => x * W + y;", "overloaded")]
    public void LG0004_invalid_signature(string member, string reason)
    {
        var diagnostics = Analyze(Layer(member), out var result);
        var matching = diagnostics.Where(x => x.Id == "LG0004" && x.GetMessage().Contains(reason)).ToList();
        Assert.NotEmpty(matching);
        Assert.All(matching, d => Assert.Equal("Forward", TextAt(d)));
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.DoesNotContain("Nn.L.Forward.g.cs", result.Generated.Keys);
    }

    [Fact]
    public void LG0004_forward_without_body()
    {
        var diagnostics = Analyze(Layer("[Forward] public abstract Matrix<double> Forward(Matrix<double> x);", modifiers: "public abstract partial"), out var result);
        var d = Assert.Single(diagnostics, x => x.Id == "LG0004");
        Assert.Contains("no body", d.GetMessage());
        Assert.DoesNotContain("Nn.L.Forward.g.cs", result.Generated.Keys);
    }

    [Fact]
    public void LG0005_input_and_parameter_without_effect()
    {
        var diagnostics = Analyze(Layer("""
                [Forward] public Matrix<double> Forward(Matrix<double> x, Matrix<double> unused)
                {
                    var dead = x * B;
                    return x * W;
                }
            """), out var result);
        var warnings = diagnostics.Where(d => d.Id == "LG0005").ToList();
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Equal(DiagnosticSeverity.Warning, w.Severity));
        Assert.Contains(warnings, w => TextAt(w) == "unused");
        Assert.Contains(warnings, w => TextAt(w) == "B");
        // still generated: the unused input's gradient is zero
        Assert.Contains("Nn.L.Forward.g.cs", result.Generated.Keys);
        Assert.Empty(result.CompileErrors);
    }

    [Fact]
    public void LG0006_direct_and_indirect_recursion()
    {
        var diagnostics = Analyze(Layer("""
                [Forward] public Matrix<double> Forward(Matrix<double> x) => Forward(x) + x * W;
                [Forward] public static Matrix<double> A(Matrix<double> x) => B2(x);
                [Forward] public static Matrix<double> B2(Matrix<double> x) => A(x) + x;
            """), out _);
        var recursion = diagnostics.Where(d => d.Id == "LG0006").ToList();
        Assert.Contains(recursion, d => TextAt(d) == "Forward(x)" && d.GetMessage().Contains("direct"));
        Assert.Contains(recursion, d => TextAt(d) == "B2(x)");
        Assert.Contains(recursion, d => TextAt(d) == "A(x)");
    }

    [Fact]
    public void LG0007_unsupported_element_type()
    {
        var d = Single(Layer("[Forward] public Matrix<System.Half> Forward(Matrix<System.Half> x) => x;"), "LG0007");
        Assert.Contains("System.Half", d.GetMessage());
    }

    [Theory]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x) => x * W +")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x) { var y = ; return y; }")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Relu(x * Missing + B);")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Nope(x);")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x)")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x) { return; }")]
    [InlineData("[Forward] public Forward(x) => x;")]
    [InlineData("[Forward] public Matrix<double> Forward(Matrix<double> x) => new Matrix<double>(x.Rows, 2) * W;")]
    public void Half_typed_code_never_throws(string member)
    {
        var result = TestCompiler.Run(Layer(member));
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.DoesNotContain(result.AnalyzerDiagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public void Every_prefix_of_a_layer_never_throws()
    {
        string source = Layer("""
                public double Lambda = 0.1;
                [Forward] public double Loss(Matrix<double> x, int[] labels)
                {
                    var h = Ops.Relu(x * W + B);
                    h = Ops.Tanh(h) * 2.0;
                    return Losses.SoftmaxCrossEntropy(h * W.T, labels) + 0.5 * Lambda * Ops.SumOfSquares(W);
                }
            """);
        for (int length = source.Length / 3; length <= source.Length; length += 7)
        {
            var result = TestCompiler.Run(source.Substring(0, length));
            Assert.Empty(result.GeneratorDiagnostics);
            Assert.DoesNotContain(result.AnalyzerDiagnostics, d => d.Id == "AD0001");
        }
    }
}

/// <summary>Generated code compiles without errors or warnings for float layers using every op.</summary>
public class FloatCompileTests
{
    [Fact]
    public void Float_layer_with_every_op_compiles_cleanly()
    {
        var result = TestCompiler.Run("""
            using LayerGen;

            namespace Nn;

            public partial class Everything
            {
                public Matrix<float> W = Matrix<float>.Ones(3, 3), B = Matrix<float>.Ones(1, 3);
                [NoGrad] public float Slope = 0.1f;

                [Forward]
                public float Loss(Matrix<float> x, Matrix<float> y, float s, [NoGrad] int[] labels, [NoGrad] Matrix<float> t)
                {
                    var a = Ops.MatMul(x, W, transposeB: true) + B - y;
                    a = Ops.Mul(a, y) + Ops.Div(a, Ops.Exp(y)) - Ops.Add(a, s) * s / 2f;
                    a = Ops.Relu(a) + Ops.LeakyRelu(a, Slope) + Ops.Sigmoid(a) + Ops.Tanh(a) + Ops.Gelu(a) + Ops.Softplus(a);
                    a = Ops.Log(Ops.Exp(a)) + Ops.Sqrt(Ops.Square(a) + Ops.Abs(a)) - Ops.Neg(Ops.Scale(a, s));
                    var p = Ops.Softmax(a) + Ops.LogSoftmax(a) + Ops.Transpose(Ops.Transpose(a));
                    var r = Ops.Concat(Ops.SliceRows(p, 0, 1), Ops.SliceColumns(p, 0, 3), 0);
                    var q = Ops.Sum(r, 0) + Ops.Mean(r, 0) + Ops.Sum(r, 1).T * r + Ops.Mean(r, 1).T * r;
                    float scalar = Ops.Sum(q) + Ops.Mean(q) + Ops.SumOfSquares(q) + Ops.Dot(q, q) - -s;
                    return Losses.SoftmaxCrossEntropy(p, labels) + Losses.MeanSquaredError(p, t) + Losses.BinaryCrossEntropyWithLogits(p, t) * scalar;
                }
            }
            """);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.AnalyzerDiagnostics);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        Assert.Contains("Nn.Everything.Loss.g.cs", result.Generated.Keys);
    }
}
