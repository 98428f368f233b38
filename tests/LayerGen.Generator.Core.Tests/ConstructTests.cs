using Microsoft.CodeAnalysis;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// Constructs of issue 7 item 4 that a user tried: computed properties (weight tying), reassigned inputs, a sublayer's
/// parameter read in a penalty, constants that depend on nothing differentiable (matrix-valued too), frozen
/// <c>[NoGrad]</c> sublayers, and calls of callees LayerGen cannot generate into. Each gradient is checked against
/// central differences in double.
/// </summary>
public class ConstructTests
{
    private const double Tolerance = 1e-6;

    private static double Check(string layer, string check)
    {
        var assembly = TestCompiler.Load(layer, check);
        return (double)TestCompiler.Invoke(assembly, "Check", "Run")!;
    }

    // ------------------------------------------------------------------ 1. computed properties

    private const string Tied = """
        using LayerGen;

        namespace Nn;

        public partial class Tied
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(4, 4, 1, 0, 0.5);
            public Matrix<double> B { get; set; } = Matrix<double>.RandomNormal(1, 4, 2, 0, 0.5);

            /// <summary>Weight tying: the transpose of W, not a parameter of its own.</summary>
            public Matrix<double> Wt => W.T;
            public Matrix<double> Doubled { get { return Ops.Scale(W, 2.0); } }
            public Matrix<double> Half { get => Ops.Scale(W, 0.5) + B; }
            public double Gain => 0.5 * Ops.Sum(B);

            [Forward]
            public Matrix<double> Forward(Matrix<double> x) => Ops.Tanh(x * W + (x * Wt) * Doubled) + (x * Half) * Gain + x * Wt;
        }
        """;

    private const string TiedCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Tied();
                var x = Matrix<double>.RandomNormal(5, 4, 3);
                var g = Matrix<double>.RandomNormal(5, 4, 4);
                var tape = new Tied.Tape();
                var gradients = new Tied.Gradients(layer);
                layer.Forward(x, tape);
                var dx = layer.Backward(tape, g, gradients);
                Func<double> loss = () => Ops.Dot(layer.Forward(x), g);
                var parameters = layer.Parameters(gradients);
                if (parameters.Count != 2 || parameters[0].Name != "W" || parameters[1].Name != "B")
                    throw new Exception("Parameters: " + string.Join(", ", parameters));
                foreach (var name in new[] { "Wt", "Doubled", "Half" })
                    if (typeof(Tied.Gradients).GetProperty(name) is not null)
                        throw new Exception("Gradients has a computed property: " + name);
                return Math.Max(NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss),
                       Math.Max(NumericalGradient.MaxRelativeError(layer.B, gradients.B, loss), NumericalGradient.MaxRelativeError(x, dx, loss)));
            }
        }
        """;

    [Fact]
    public void Computed_properties_are_differentiated_through_their_getter_not_taken_as_parameters()
    {
        double error = Check(Tied, TiedCheck);
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    [Fact]
    public void Computed_property_declared_in_another_file_of_the_partial_type_is_read_with_that_tree_s_model()
    {
        // The same layer, its computed properties moved into a second partial declaration in another source file.
        int start = Tied.IndexOf("    /// <summary>Weight tying", StringComparison.Ordinal);
        int end = Tied.IndexOf("    [Forward]", StringComparison.Ordinal);
        string properties = Tied.Substring(start, end - start);
        string main = Tied.Remove(start, end - start);
        string other = "using LayerGen;\n\nnamespace Nn;\n\npublic partial class Tied\n{\n" + properties + "}\n";
        var assembly = TestCompiler.Load(main, other, TiedCheck);
        double error = (double)TestCompiler.Invoke(assembly, "Check", "Run")!;
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    [Theory]
    [InlineData("public Matrix<double> Wt { get { var t = W.T; return t; } }", "x * Wt", "single 'return'")]
    [InlineData("public Matrix<double> Wt => Inner.Wt;", "x * Inner.Wt", "another object")]
    [InlineData("", "x * Wt", "declared in a base type")]
    public void Computed_property_whose_getter_cannot_be_read_is_LG0002_with_the_reason(string member, string use, string reason)
    {
        var result = TestCompiler.Run($$"""
            using LayerGen;

            namespace Nn;

            public partial class Base
            {
                public Matrix<double> W = Matrix<double>.Ones(2, 2);
                public Matrix<double> Wt => W.T;
            }

            public partial class L : Base
            {
                public Base Inner = new();
                {{(member.Length == 0 ? "" : "public new " + member.Substring("public ".Length))}}

                [Forward] public Matrix<double> Apply(Matrix<double> x) => {{use}};
            }
            """);
        var d = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0002");
        Assert.Contains("computed property", d.GetMessage());
        Assert.Contains(reason, d.GetMessage());
        Assert.DoesNotContain("Nn.L.Apply.g.cs", result.Generated.Keys);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        // Not parameters either: L's Gradients has the inherited W only.
        Assert.Contains("W.Rows", result.Generated["Nn.L.Gradients.g.cs"]);
        Assert.DoesNotContain("Wt", result.Generated["Nn.L.Gradients.g.cs"]);
    }

    // ------------------------------------------------------------------ 2. callees LayerGen cannot generate into

    [Fact]
    public void Static_forward_helper_in_a_class_that_is_not_partial_is_an_error_at_the_call_and_generated_code_compiles()
    {
        var result = TestCompiler.Run("""
            using LayerGen;

            namespace Nn;

            public static class Helpers
            {
                [Forward] public static Matrix<double> Mix(Matrix<double> a) => Ops.Tanh(a);
            }

            public partial class User
            {
                public Matrix<double> W = Matrix<double>.Ones(2, 2);

                [Forward] public Matrix<double> Forward(Matrix<double> x) => Helpers.Mix(x * W);
                [Forward] public Matrix<double> Other(Matrix<double> x) => x * W;
            }
            """);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        var call = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0002");
        Assert.Equal("Helpers.Mix(x * W)", call.Location.SourceTree!.GetText().ToString(call.Location.SourceSpan));
        Assert.Contains("'Helpers' is not declared partial", call.GetMessage());
        Assert.Contains(result.AnalyzerDiagnostics, d => d.Id == "LG0001" && d.GetMessage().Contains("'Helpers'"));
        Assert.DoesNotContain("Nn.User.Forward.g.cs", result.Generated.Keys);
        Assert.Contains("Nn.User.Other.g.cs", result.Generated.Keys);
    }

    [Fact]
    public void Sublayer_whose_type_is_not_partial_is_an_error_at_the_call_and_generated_code_compiles()
    {
        var result = TestCompiler.Run("""
            using LayerGen;

            namespace Nn;

            public class Plain
            {
                public Matrix<double> W = Matrix<double>.Ones(2, 2);
                [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W;
            }

            public partial class Outer
            {
                public Plain Inner = new();
                public Matrix<double> V = Matrix<double>.Ones(2, 2);

                [Forward] public Matrix<double> Forward(Matrix<double> x) => Inner.Forward(x * V);
                [Forward] public Matrix<double> Other(Matrix<double> x) => x * V;
            }
            """);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        var call = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0002");
        Assert.Equal("Inner.Forward(x * V)", call.Location.SourceTree!.GetText().ToString(call.Location.SourceSpan));
        Assert.Contains("'Plain' is not declared partial", call.GetMessage());
        Assert.DoesNotContain("Nn.Outer.Forward.g.cs", result.Generated.Keys);
        Assert.DoesNotContain("Inner", result.Generated["Nn.Outer.Gradients.g.cs"]);
    }

    [Fact]
    public void Call_of_a_forward_method_with_errors_of_its_own_is_an_error_at_the_call_and_generated_code_compiles()
    {
        var result = TestCompiler.Run("""
            using LayerGen;

            namespace Nn;

            public partial class Bad
            {
                public Matrix<double> W = Matrix<double>.Ones(2, 2);
                [Forward] public Matrix<double> Forward(Matrix<double> x) { do { x = x * W; } while (x.Rows > 1); return x * W; }
                [Forward] public Matrix<double> Good(Matrix<double> x) => Forward(x) + x;
            }

            public partial class Outer
            {
                public Bad Inner = new();
                public Matrix<double> V = Matrix<double>.Ones(2, 2);

                [Forward] public Matrix<double> Forward(Matrix<double> x) => Inner.Forward(x * V);
                [Forward] public Matrix<double> Other(Matrix<double> x) => x * V;
            }
            """);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        var calls = result.AnalyzerDiagnostics.Where(d => d.Id == "LG0002" && d.GetMessage().Contains("errors of its own")).ToList();
        Assert.Equal(new[] { "Forward(x)", "Inner.Forward(x * V)" },
            calls.Select(d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)).OrderBy(t => t, StringComparer.Ordinal));
        Assert.DoesNotContain("Nn.Outer.Forward.g.cs", result.Generated.Keys);
        Assert.DoesNotContain("Nn.Bad.Good.g.cs", result.Generated.Keys);
        Assert.Contains("Nn.Outer.Other.g.cs", result.Generated.Keys);
    }

    // ------------------------------------------------------------------ 3. reassigned inputs

    private const string Reassigned = """
        using LayerGen;

        namespace Nn;

        public partial class Reassign
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(4, 3, 1, 0, 0.5);
            public Matrix<double> B = Matrix<double>.RandomNormal(1, 3, 2, 0, 0.5);

            [Forward]
            public Matrix<double> Forward(Matrix<double> x, double s)
            {
                var first = x;
                x = Ops.Tanh(x);
                x = x * W + B;
                x += Ops.Scale(x, s);
                s = s * s;
                x = Ops.Scale(x, 1.0 / x.Cols);
                return Ops.Sigmoid(x) * s + first * W;
            }
        }
        """;

    private const string ReassignedCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Reassign();
                var x = Matrix<double>.RandomNormal(5, 4, 3);
                double s = 0.7;
                var g = Matrix<double>.RandomNormal(5, 3, 4);
                var tape = new Reassign.Tape();
                var gradients = new Reassign.Gradients(layer);
                var y = layer.Forward(x, s, tape);
                if (Ops.Dot(y, g) != Ops.Dot(layer.Forward(x, s), g)) throw new Exception("training forward differs");
                var (dx, ds) = layer.Backward(tape, g, gradients);
                Func<double> loss = () => Ops.Dot(layer.Forward(x, s), g);
                double numeric = NumericalGradient.Derivative(v => Ops.Dot(layer.Forward(x, v), g), s, 1e-4);
                double worst = NumericalGradient.RelativeError(numeric, ds);
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(x, dx, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
                return Math.Max(worst, NumericalGradient.MaxRelativeError(layer.B, gradients.B, loss));
            }
        }
        """;

    [Fact]
    public void Reassigned_inputs_are_renamed_like_locals_and_their_gradient_is_the_argument_s()
    {
        double error = Check(Reassigned, ReassignedCheck);
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    // ------------------------------------------------------------------ 4. a sublayer's parameter

    private const string Penalized = """
        using LayerGen;

        namespace Nn;

        public partial class Linear
        {
            public Matrix<double> W;
            public Matrix<double> B { get; set; }

            public Linear(int inputs, int outputs, int seed)
            {
                W = Matrix<double>.RandomNormal(inputs, outputs, seed, 0, 0.5);
                B = Matrix<double>.RandomNormal(1, outputs, seed + 1, 0, 0.5);
            }

            [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W + B;
        }

        public partial class Penalized
        {
            public Linear L1 = new(4, 3, 1);
            public Linear L2 { get; } = new(3, 2, 5);

            [Forward]
            public double Loss(Matrix<double> x, [NoGrad] Matrix<double> target)
                => Losses.MeanSquaredError(L2.Forward(Ops.Tanh(L1.Forward(x))), target)
                   + 0.1 * Ops.SumOfSquares(L1.W) + Ops.Dot(L2.B, L2.B) + Ops.Sum(L1.W * L2.W);
        }
        """;

    private const string PenalizedCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Penalized();
                var x = Matrix<double>.RandomNormal(5, 4, 3);
                var t = Matrix<double>.RandomNormal(5, 2, 4);
                var tape = new Penalized.LossTape();
                var gradients = new Penalized.Gradients(layer);
                layer.Loss(x, t, tape);
                var dx = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, t);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                var parameters = layer.Parameters(gradients);
                if (parameters.Count != 4) throw new Exception("Parameters: " + string.Join(", ", parameters));
                foreach (var p in parameters)
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));
                return worst;
            }
        }
        """;

    [Fact]
    public void Reading_a_sublayer_s_parameter_adds_its_gradient_to_the_sublayer_s_gradients()
    {
        double error = Check(Penalized, PenalizedCheck);
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    // ------------------------------------------------------------------ 5. constants

    private const string Constants = """
        using LayerGen;

        namespace Nn;

        public partial class Constants
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(4, 3, 1, 0, 0.5);
            public int Rows = 4, Cols = 3;

            [Forward]
            public Matrix<double> Forward(Matrix<double> x, int n)
            {
                var ones = Matrix<double>.Ones(n, x.Cols);
                var noise = Matrix<double>.RandomUniform(Rows, Cols, 42);
                int k = W.Cols;
                var bias = Matrix<double>.Filled(1, k, 0.25);
                var h = Ops.Mul(x, ones + ones) * Ops.Mul(W, noise) + bias;
                return Ops.Tanh(h) + new Matrix<double>(x.Rows, k);
            }
        }
        """;

    private const string ConstantsCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Constants();
                var x = Matrix<double>.RandomNormal(5, 4, 3);
                var g = Matrix<double>.RandomNormal(5, 3, 4);
                var tape = new Constants.Tape();
                var gradients = new Constants.Gradients(layer);
                var y = layer.Forward(x, 5, tape);
                if (Ops.Dot(y, g) != Ops.Dot(layer.Forward(x, 5), g)) throw new Exception("training forward differs");
                var dx = layer.Backward(tape, g, gradients);
                Func<double> loss = () => Ops.Dot(layer.Forward(x, 5), g);
                return Math.Max(NumericalGradient.MaxRelativeError(x, dx, loss), NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
            }
        }
        """;

    [Fact]
    public void Matrix_valued_expressions_that_depend_on_nothing_differentiable_are_constants()
    {
        double error = Check(Constants, ConstantsCheck);
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    [Theory]
    [InlineData("Matrix<double> Helper() => W.T;", "x * Helper()")]
    [InlineData("double Penalty() => Ops.SumOfSquares(W);", "x * W * Penalty()")]
    [InlineData("static double Norm(L layer) => Ops.SumOfSquares(layer.W);", "x * W * Norm(this)")]
    public void Call_that_may_read_this_layer_s_parameters_is_never_a_constant(string helper, string use)
    {
        var result = TestCompiler.Run($$"""
            using LayerGen;

            namespace Nn;

            public partial class L
            {
                public Matrix<double> W = Matrix<double>.Ones(2, 2);
                {{helper}}

                [Forward] public Matrix<double> Forward(Matrix<double> x) => {{use}};
            }
            """);
        Assert.Contains(result.AnalyzerDiagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Id is "LG0002" or "LG0003");
        Assert.DoesNotContain("Nn.L.Forward.g.cs", result.Generated.Keys);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
    }

    // ------------------------------------------------------------------ 6. LG0011

    private static string ScalarLayer(string member) => $$"""
        using LayerGen;

        namespace Nn;

        public partial class L
        {
            public Matrix<double> W = Matrix<double>.Ones(2, 2);
            {{member}}

            [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Softmax(x * W / Temperature) * Temperature;
        }
        """;

    [Theory]
    [InlineData("public double Temperature = 2.0;")]
    [InlineData("public double Temperature { get; set; } = 2.0;")]
    public void LG0011_scalar_field_read_as_a_constant_is_a_warning_once_per_member(string member)
    {
        var result = TestCompiler.Run(ScalarLayer(member));
        var d = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0011");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal("Temperature", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Contains("'Temperature'", d.GetMessage());
        Assert.Contains("no gradient", d.GetMessage());
        Assert.Contains("[NoGrad]", d.GetMessage());
        Assert.Equal("https://github.com/layergen/layergen/blob/main/docs/diagnostics/LG0011.md", d.Descriptor.HelpLinkUri);
        // A warning: the backward is still generated.
        Assert.Contains("Nn.L.Forward.g.cs", result.Generated.Keys);
        Assert.Empty(result.CompileErrors);
    }

    [Theory]
    [InlineData("[NoGrad] public double Temperature = 2.0;")]
    [InlineData("public const double Temperature = 2.0;")]
    [InlineData("public static double Temperature = 2.0;")]
    [InlineData("public Matrix<double> Temperature = Matrix<double>.Ones(1, 1);")]
    public void LG0011_is_silent_for_NoGrad_static_and_matrix_members(string member)
    {
        var source = ScalarLayer(member).Replace("x * W / Temperature) * Temperature", member.Contains("Matrix") ? "Ops.Div(x * W, Temperature))" : "x * W / Temperature) * Temperature");
        var result = TestCompiler.Run(source);
        Assert.DoesNotContain(result.AnalyzerDiagnostics, d => d.Id == "LG0011");
        Assert.DoesNotContain(result.AnalyzerDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
        Assert.Contains("Nn.L.Forward.g.cs", result.Generated.Keys);
    }

    // ------------------------------------------------------------------ 7. frozen sublayers

    private const string Frozen = """
        using LayerGen;

        namespace Nn;

        public partial class Linear
        {
            public Matrix<double> W;
            public Matrix<double> B;

            public Linear(int inputs, int outputs, int seed)
            {
                W = Matrix<double>.RandomNormal(inputs, outputs, seed, 0, 0.5);
                B = Matrix<double>.RandomNormal(1, outputs, seed + 1, 0, 0.5);
            }

            [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W + B;
        }

        public partial class Head
        {
            [NoGrad] public Linear Encoder = new(4, 3, 1);
            [NoGrad] public Linear Side = new(2, 3, 7);
            public Matrix<double> V = Matrix<double>.RandomNormal(4, 4, 3, 0, 0.5);

            [Forward]
            public Matrix<double> Forward(Matrix<double> x, [NoGrad] Matrix<double> c)
                => Ops.Tanh(Encoder.Forward(x * V)) + Side.Forward(c) + Ops.Sum(Encoder.W) * x * Encoder.W;
        }
        """;

    private const string FrozenCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Head();
                var x = Matrix<double>.RandomNormal(5, 4, 3);
                var c = Matrix<double>.RandomNormal(5, 2, 5);
                var g = Matrix<double>.RandomNormal(5, 3, 4);
                var tape = new Head.Tape();
                var gradients = new Head.Gradients(layer);
                layer.Forward(x, c, tape);
                var dx = layer.Backward(tape, g, gradients);
                var parameters = layer.Parameters(gradients);
                if (parameters.Count != 1 || parameters[0].Name != "V")
                    throw new Exception("Parameters: " + string.Join(", ", parameters));
                if (typeof(Head.Gradients).GetProperty("Encoder") is not null) throw new Exception("frozen sublayer in Gradients");
                Func<double> loss = () => Ops.Dot(layer.Forward(x, c), g);
                return Math.Max(NumericalGradient.MaxRelativeError(x, dx, loss), NumericalGradient.MaxRelativeError(layer.V, gradients.V, loss));
            }

            public static double AllocatedOnSecondStep()
            {
                var layer = new Head();
                var x = Matrix<double>.RandomNormal(5, 4, 3);
                var c = Matrix<double>.RandomNormal(5, 2, 5);
                var g = Matrix<double>.RandomNormal(5, 3, 4);
                var tape = new Head.Tape();
                var gradients = new Head.Gradients(layer);
                layer.Forward(x, c, tape);
                layer.Backward(tape, g, gradients);
                long before = GC.GetAllocatedBytesForCurrentThread();
                layer.Forward(x, c, tape);
                layer.Backward(tape, g, gradients);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        """;

    [Fact]
    public void Frozen_sublayer_passes_the_exact_input_gradient_and_has_no_parameters()
    {
        double error = Check(Frozen, FrozenCheck);
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    [Fact]
    public void Frozen_sublayer_backward_runs_only_where_its_input_needs_a_gradient_and_allocates_nothing_after_the_first_step()
    {
        var result = TestCompiler.Run(Frozen, FrozenCheck);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        string generated = result.Generated["Nn.Head.Forward.g.cs"];
        Assert.Contains("this.Encoder.BackwardCore(", generated);
        // Side's argument is [NoGrad]: nothing needs its backward.
        Assert.DoesNotContain("this.Side.Backward", generated);
        var assembly = TestCompiler.Load(Frozen, FrozenCheck);
        Assert.Equal(0d, (double)TestCompiler.Invoke(assembly, "Check", "AllocatedOnSecondStep")!);
    }

    // ------------------------------------------------------------------ 8. tuple-returning forwards

    private const string Cell = """
        using LayerGen;

        namespace Nn;

        public partial class Cell
        {
            public Matrix<double> Wx = Matrix<double>.RandomNormal(3, 4, 1, 0, 0.5);
            public Matrix<double> Wh = Matrix<double>.RandomNormal(4, 4, 2, 0, 0.5);
            public Matrix<double> B = Matrix<double>.RandomNormal(1, 4, 3, 0, 0.5);

            [Forward]
            public (Matrix<double> h, Matrix<double> c) Step(Matrix<double> x, Matrix<double> c)
            {
                var z = x * Wx + c * Wh + B;
                var cNext = Ops.Tanh(z) + Ops.Mul(c, Ops.Sigmoid(z));
                var h = Ops.Mul(Ops.Sigmoid(z), Ops.Tanh(cNext));
                return (h, cNext);
            }

            [Forward]
            public (Matrix<double> y, double penalty) Regularized(Matrix<double> x) => (Ops.Relu(x * Wx), 0.5 * Ops.SumOfSquares(Wx));
        }
        """;

    private const string CellCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Cell();
                var x = Matrix<double>.RandomNormal(5, 3, 4);
                var c = Matrix<double>.RandomNormal(5, 4, 5);
                var gh = Matrix<double>.RandomNormal(5, 4, 6);
                var gc = Matrix<double>.RandomNormal(5, 4, 7);
                var tape = new Cell.StepTape();
                var gradients = new Cell.Gradients(layer);
                var (h, cNext) = layer.Step(x, c, tape);
                var plain = layer.Step(x, c);
                if (Ops.Dot(h, gh) != Ops.Dot(plain.h, gh) || Ops.Dot(cNext, gc) != Ops.Dot(plain.c, gc)) throw new Exception("training forward differs");
                var (dx, dc) = layer.StepBackward(tape, gh, gc, gradients);
                Func<double> loss = () => { var (a, b) = layer.Step(x, c); return Ops.Dot(a, gh) + Ops.Dot(b, gc); };
                double worst = Math.Max(NumericalGradient.MaxRelativeError(x, dx, loss), NumericalGradient.MaxRelativeError(c, dc, loss));
                foreach (var p in layer.Parameters(gradients))
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));

                var rtape = new Cell.RegularizedTape();
                var rgradients = new Cell.Gradients(layer);
                var gy = Matrix<double>.RandomNormal(5, 4, 8);
                layer.Regularized(x, rtape);
                var rdx = layer.RegularizedBackward(rtape, gy, 0.7, rgradients);
                Func<double> rloss = () => { var (y, penalty) = layer.Regularized(x); return Ops.Dot(y, gy) + 0.7 * penalty; };
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(x, rdx, rloss));
                return Math.Max(worst, NumericalGradient.MaxRelativeError(layer.Wx, rgradients.Wx, rloss));
            }
        }
        """;

    [Fact]
    public void Tuple_returning_forward_takes_one_gradient_per_element()
    {
        double error = Check(Cell, CellCheck);
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    [Fact]
    public void Call_of_a_tuple_returning_forward_from_another_forward_is_LG0002_and_generated_code_compiles()
    {
        var result = TestCompiler.Run(Cell.Replace("    [Forward]\n    public (Matrix<double> y", """
                [Forward]
                public Matrix<double> Caller(Matrix<double> x, Matrix<double> c) { var t = Step(x, c); return x; }

                [Forward]
                public (Matrix<double> y
            """.Replace("\r", "")));
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        var d = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0002");
        Assert.Contains("tuple-returning", d.GetMessage());
        Assert.Contains("Nn.Cell.Step.g.cs", result.Generated.Keys);
        Assert.DoesNotContain("Nn.Cell.Caller.g.cs", result.Generated.Keys);
    }
}
