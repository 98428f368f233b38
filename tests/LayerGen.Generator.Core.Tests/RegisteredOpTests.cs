using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// User-registered derivatives, <c>[Differentiable(Backward = …)]</c> (DESIGN.md §6): every form of op is gradient-checked
/// in double through the generator, each registration error is reported at the attribute and at every call, and
/// nothing is generated for a method that calls a badly registered op.
/// </summary>
public sealed class RegisteredOpTests
{
    /// <summary>Ops written as arbitrary C# loops: the generator never looks inside them.</summary>
    private const string UserOps = """
        using System;
        using System.Numerics;
        using LayerGen;

        namespace Nn;

        public static class MyOps
        {
            public static int MishBackwardCalls;
            public static int CubeBackwardCalls;
            public static bool WrongShape;

            [Differentiable(Backward = nameof(MishBackward))]
            public static Matrix<double> Mish(Matrix<double> x)
            {
                var y = new Matrix<double>(x.Rows, x.Cols);
                for (int r = 0; r < x.Rows; r++)
                    for (int c = 0; c < x.Cols; c++)
                        y[r, c] = x[r, c] * Math.Tanh(Math.Log(1 + Math.Exp(x[r, c])));
                return y;
            }

            public static Matrix<double> MishBackward(Matrix<double> x, Matrix<double> dResult)
            {
                MishBackwardCalls++;
                var d = new Matrix<double>(WrongShape ? x.Rows + 1 : x.Rows, x.Cols);
                for (int r = 0; r < x.Rows; r++)
                    for (int c = 0; c < x.Cols; c++)
                    {
                        double v = x[r, c], t = Math.Tanh(Math.Log(1 + Math.Exp(v))), s = 1 / (1 + Math.Exp(-v));
                        d[r, c] = dResult[r, c] * (t + v * (1 - t * t) * s);
                    }
                return d;
            }

            // The backward takes the result: it must be exactly what the forward returned.
            [Differentiable(Backward = nameof(CubeBackward))]
            public static Matrix<double> Cube(Matrix<double> x)
            {
                var y = new Matrix<double>(x.Rows, x.Cols);
                for (int r = 0; r < x.Rows; r++)
                    for (int c = 0; c < x.Cols; c++)
                        y[r, c] = x[r, c] * x[r, c] * x[r, c];
                return y;
            }

            public static Matrix<double> CubeBackward(Matrix<double> x, Matrix<double> result, Matrix<double> dResult)
            {
                CubeBackwardCalls++;
                var d = new Matrix<double>(x.Rows, x.Cols);
                for (int r = 0; r < x.Rows; r++)
                    for (int c = 0; c < x.Cols; c++)
                    {
                        if (Math.Abs(result[r, c] - x[r, c] * x[r, c] * x[r, c]) > 1e-12)
                            throw new Exception("CubeBackward was given a result that is not the forward's");
                        d[r, c] = 3 * x[r, c] * x[r, c] * dResult[r, c];
                    }
                return d;
            }

            // Generic: x·σ(x).
            [Differentiable(Backward = nameof(SiluBackward))]
            public static Matrix<T> Silu<T>(Matrix<T> x) where T : unmanaged, IFloatingPointIeee754<T>
            {
                var y = new Matrix<T>(x.Rows, x.Cols);
                for (int r = 0; r < x.Rows; r++)
                    for (int c = 0; c < x.Cols; c++)
                        y[r, c] = x[r, c] / (T.One + T.Exp(-x[r, c]));
                return y;
            }

            public static Matrix<TValue> SiluBackward<TValue>(Matrix<TValue> x, Matrix<TValue> dResult) where TValue : unmanaged, IFloatingPointIeee754<TValue>
            {
                var d = new Matrix<TValue>(x.Rows, x.Cols);
                for (int r = 0; r < x.Rows; r++)
                    for (int c = 0; c < x.Cols; c++)
                    {
                        TValue s = TValue.One / (TValue.One + TValue.Exp(-x[r, c]));
                        d[r, c] = dResult[r, c] * s * (TValue.One + x[r, c] * (TValue.One - s));
                    }
                return d;
            }

            // Three gradients (two matrices and a scalar) and three parameters that get none ([NoGrad] T, int, bool).
            [Differentiable(Backward = nameof(GateBackward))]
            public static Matrix<double> Gate(Matrix<double> a, Matrix<double> b, double s, [NoGrad] double bias, int skipColumn, bool negate)
            {
                var y = new Matrix<double>(a.Rows, a.Cols);
                double sign = negate ? -1 : 1;
                for (int r = 0; r < a.Rows; r++)
                    for (int c = 0; c < a.Cols; c++)
                        y[r, c] = c == skipColumn ? bias : sign * s * a[r, c] * Math.Tanh(b[r, c]) + bias;
                return y;
            }

            public static (Matrix<double>, Matrix<double>, double) GateBackward(Matrix<double> a, Matrix<double> b, double s, double bias,
                int skipColumn, bool negate, Matrix<double> dResult)
            {
                var da = new Matrix<double>(a.Rows, a.Cols);
                var db = new Matrix<double>(b.Rows, b.Cols);
                double ds = 0, sign = negate ? -1 : 1;
                for (int r = 0; r < a.Rows; r++)
                    for (int c = 0; c < a.Cols; c++)
                    {
                        if (c == skipColumn)
                            continue;
                        double t = Math.Tanh(b[r, c]), g = dResult[r, c] * sign;
                        da[r, c] = g * s * t;
                        db[r, c] = g * s * a[r, c] * (1 - t * t);
                        ds += g * a[r, c] * t;
                    }
                return (da, db, ds);
            }

            // Scalar-valued (a loss): the mean Huber loss against a [NoGrad] target.
            [Differentiable(Backward = nameof(HuberBackward))]
            public static double Huber(Matrix<double> prediction, [NoGrad] Matrix<double> target, [NoGrad] double delta)
            {
                double sum = 0;
                for (int r = 0; r < prediction.Rows; r++)
                    for (int c = 0; c < prediction.Cols; c++)
                    {
                        double e = Math.Abs(prediction[r, c] - target[r, c]);
                        sum += e <= delta ? 0.5 * e * e : delta * (e - 0.5 * delta);
                    }
                return sum / prediction.Length;
            }

            public static Matrix<double> HuberBackward(Matrix<double> prediction, Matrix<double> target, double delta, double dResult)
            {
                var d = new Matrix<double>(prediction.Rows, prediction.Cols);
                for (int r = 0; r < prediction.Rows; r++)
                    for (int c = 0; c < prediction.Cols; c++)
                    {
                        double e = prediction[r, c] - target[r, c];
                        d[r, c] = dResult * Math.Clamp(e, -delta, delta) / prediction.Length;
                    }
                return d;
            }
        }
        """;

    private const string Net = """
        using LayerGen;

        namespace Nn;

        public partial class Net
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(4, 3, 1, 0, 0.5);
            public Matrix<double> B = Matrix<double>.RandomNormal(1, 3, 2, 0, 0.5);
            public Matrix<double> V = Matrix<double>.RandomNormal(3, 3, 3, 0, 0.5);
            public Matrix<double> S = Matrix<double>.RandomNormal(1, 1, 4, 1, 0.2);

            [Forward]
            public double Loss(Matrix<double> x, [NoGrad] Matrix<double> target)
            {
                var h = MyOps.Mish(x * W + B);
                var g = MyOps.Gate(h, MyOps.Cube(h * V), Ops.Sum(S), 0.1, 1, false);
                var z = MyOps.Silu(g) + MyOps.Mish(g);
                return MyOps.Huber(z, target, 0.5);
            }
        }
        """;

    private const string NetCheck = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Nn;

        public static class Check
        {
            static Net layer = new Net();
            static Matrix<double> x = Matrix<double>.RandomNormal(5, 4, 7);
            static Matrix<double> target = Matrix<double>.RandomNormal(5, 3, 8);

            public static double Run()
            {
                var tape = new Net.LossTape();
                var gradients = new Net.Gradients(layer);
                double value = layer.Loss(x, target, tape);
                if (Math.Abs(value - layer.Loss(x, target)) > 1e-12) throw new Exception("training forward differs");
                var dx = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, target);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.B, gradients.B, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.V, gradients.V, loss));
                worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.S, gradients.S, loss));
                return worst;
            }

            /// <summary>How many times one Backward called each registered backward (the op is called twice / once).</summary>
            public static string Calls()
            {
                var tape = new Net.LossTape();
                var gradients = new Net.Gradients(layer);
                layer.Loss(x, target, tape);
                MyOps.MishBackwardCalls = 0;
                MyOps.CubeBackwardCalls = 0;
                layer.LossBackward(tape, gradients);
                return $"{MyOps.MishBackwardCalls} {MyOps.CubeBackwardCalls}";
            }

            public static string WrongShape()
            {
                var tape = new Net.LossTape();
                var gradients = new Net.Gradients(layer);
                layer.Loss(x, target, tape);
                MyOps.WrongShape = true;
                try
                {
                    layer.LossBackward(tape, gradients);
                    return "no exception";
                }
                catch (ShapeMismatchException e)
                {
                    return e.Message;
                }
                finally
                {
                    MyOps.WrongShape = false;
                }
            }
        }
        """;

    [Fact]
    public void Every_form_of_registered_op_is_exact_against_central_differences()
    {
        var assembly = TestCompiler.Load(UserOps, Net, NetCheck);
        double error = (double)TestCompiler.Invoke(assembly, "Check", "Run")!;
        Assert.True(error < 1e-6, $"max relative error {error}");
    }

    [Fact]
    public void The_registered_backward_runs_once_per_call_of_the_op()
    {
        var assembly = TestCompiler.Load(UserOps, Net, NetCheck);
        Assert.Equal("2 1", TestCompiler.Invoke(assembly, "Check", "Calls"));
    }

    [Fact]
    public void A_gradient_of_the_wrong_shape_is_a_clear_exception_naming_the_backward()
    {
        var assembly = TestCompiler.Load(UserOps, Net, NetCheck);
        string message = (string)TestCompiler.Invoke(assembly, "Check", "WrongShape")!;
        Assert.Contains("Nn.MyOps.MishBackward", message);
        Assert.Contains("the gradient for x is [6, 3] but x is [5, 3]", message);
    }

    [Fact]
    public void The_tape_saves_only_what_the_backward_signature_reads()
    {
        var result = TestCompiler.Run(UserOps, Net);
        Assert.Empty(result.CompileErrors);
        string code = result.Generated.Single(kv => kv.Key.EndsWith("Net.Loss.g.cs", StringComparison.Ordinal)).Value;
        // Each backward is called with exactly its signature: Cube's takes its result (saved by the forward), Mish's does not.
        foreach (var expected in new[]
        {
            @"global::Nn\.MyOps\.CubeBackward\((\w+), cube, dCube\);",
            @"global::Nn\.MyOps\.MishBackward\(g, dMish\);",
            @"global::Nn\.MyOps\.GateBackward\(h, cube, \w+, 0\.1, 1, false, dG\);",
            @"global::Nn\.MyOps\.HuberBackward\(z, target, 0\.5, dOutput\);",
            // Generic op: its type argument is inferred from the arguments, as in the user's call.
            @"global::Nn\.MyOps\.Silu\(g\);",
            @"global::Nn\.MyOps\.SiluBackward\(g, dSilu\);",
            @"tape\._cube = cube;",
        })
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(code, expected), $"{expected} not in:\n{code}");
        // Mish's backward takes no result: the first Mish's result (h) is saved for Gate and h·V, never for MishBackward.
        Assert.DoesNotMatch(@"MishBackward\([^)]*\bh\b", code);
    }

    private const string GenericLayer = """
        using System.Numerics;
        using LayerGen;
        using LayerGen.TestSupport;

        namespace Nn;

        public partial class SiluDense<TElement> where TElement : unmanaged, IFloatingPointIeee754<TElement>
        {
            public Matrix<TElement> W = null!;

            [Forward]
            public Matrix<TElement> Forward(Matrix<TElement> x) => MyOps.Silu(x * W);
        }

        public static class GenericCheck
        {
            public static double Run()
            {
                var layer = new SiluDense<double> { W = Matrix<double>.RandomNormal(3, 2, 5) };
                var x = Matrix<double>.RandomNormal(4, 3, 6);
                var g = Matrix<double>.RandomNormal(4, 2, 7);
                var tape = new SiluDense<double>.Tape();
                var gradients = new SiluDense<double>.Gradients(layer);
                layer.Forward(x, tape);
                var dx = layer.Backward(tape, g, gradients);
                System.Func<double> loss = () => Ops.Dot(layer.Forward(x), g);
                return System.Math.Max(NumericalGradient.MaxRelativeError(x, dx, loss), NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
            }
        }
        """;

    [Fact]
    public void A_generic_op_is_called_with_the_layers_type_parameter()
    {
        var assembly = TestCompiler.Load(UserOps, GenericLayer);
        double error = (double)TestCompiler.Invoke(assembly, "Nn.GenericCheck", "Run")!;
        Assert.True(error < 1e-6, $"max relative error {error}");
    }

    private const string OtherAssemblyLayer = """
        using LayerGen;
        using LayerGen.TestSupport;

        namespace App;

        public partial class MishLayer
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(3, 2, 5);

            [Forward]
            public Matrix<double> Forward(Matrix<double> x) => Nn.MyOps.Mish(x * W);
        }

        public static class OtherAssemblyCheck
        {
            public static double Run()
            {
                var layer = new MishLayer();
                var x = Matrix<double>.RandomNormal(4, 3, 6);
                var g = Matrix<double>.RandomNormal(4, 2, 7);
                var tape = new MishLayer.Tape();
                var gradients = new MishLayer.Gradients(layer);
                layer.Forward(x, tape);
                var dx = layer.Backward(tape, g, gradients);
                System.Func<double> loss = () => Ops.Dot(layer.Forward(x), g);
                return System.Math.Max(NumericalGradient.MaxRelativeError(x, dx, loss), NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
            }
        }
        """;

    [Fact]
    public void An_op_compiled_in_another_assembly_is_read_from_its_metadata()
    {
        // The ops assembly, compiled on its own (no generator) and referenced as metadata, as a NuGet package would be.
        var opsCompilation = CSharpCompilation.Create("UserOpsLibrary",
            new[] { CSharpSyntaxTree.ParseText(UserOps, TestCompiler.ParseOptions) },
            TestCompiler.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var opsImage = new MemoryStream();
        var opsEmit = opsCompilation.Emit(opsImage);
        Assert.True(opsEmit.Success, string.Join("\n", opsEmit.Diagnostics));
        var opsAssembly = Assembly.Load(opsImage.ToArray());
        ResolveEventHandler resolve = (_, args) => args.Name.StartsWith("UserOpsLibrary,", StringComparison.Ordinal) ? opsAssembly : null;
        AppDomain.CurrentDomain.AssemblyResolve += resolve;
        try
        {
            var result = TestCompiler.Run(new[] { MetadataReference.CreateFromImage(opsImage.ToArray()) }, OtherAssemblyLayer);
            Assert.True(result.CompileErrors.Count == 0, result.Dump());
            Assert.Empty(result.AnalyzerDiagnostics);
            using var stream = new MemoryStream();
            Assert.True(result.Output.Emit(stream).Success);
            var assembly = Assembly.Load(stream.ToArray());
            double error = (double)TestCompiler.Invoke(assembly, "App.OtherAssemblyCheck", "Run")!;
            Assert.True(error < 1e-6, $"max relative error {error}");
        }
        finally
        {
            AppDomain.CurrentDomain.AssemblyResolve -= resolve;
        }
    }

    // ------------------------------------------------------------------ registration errors

    private static string OpWith(string registration) => $$"""
        using LayerGen;

        namespace Nn;

        public class BadOps
        {
            {{registration}}
        }

        public partial class User
        {
            public Matrix<double> W = new(2, 2);

            [Forward]
            public Matrix<double> Forward(Matrix<double> x) => BadOps.Soft(x * W);
        }
        """;

    [Theory]
    [InlineData("""
        [Differentiable(Backward = "SoftBackward")]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        """, "'BadOps' has no method 'SoftBackward'")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public static Matrix<double> SoftBackward(Matrix<float> x, Matrix<double> dResult) => dResult;
        """, "'SoftBackward' does not fit: its parameter 1 'x' is 'Matrix<float>' but the op's parameter 'x' is 'Matrix<double>'")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public static Matrix<double> SoftBackward(Matrix<double> dResult) => dResult;
        """, "'SoftBackward' does not fit: it has 1 parameter(s) but must have 2 (the op's 1, then ∂L/∂result) or 3 (with the result before ∂L/∂result)")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public static double SoftBackward(Matrix<double> x, Matrix<double> dResult) => 0;
        """, "'SoftBackward' does not fit: it returns 'double' but must return ∂L/∂x, a 'Matrix<double>'")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> result, double dResult) => x;
        """, "'SoftBackward' does not fit: its last parameter 'dResult' (∂L/∂result) is 'double' but must be the op's result type 'Matrix<double>'")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult) => x;
        """, "'SoftBackward' does not fit: it is not static")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        private static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult) => x;
        """, "'SoftBackward' does not fit: it is private but the op is public")]
    [InlineData("""
        [Differentiable]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        """, "the attribute names no backward: set Backward = nameof(...)")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward))]
        public static Matrix<double> Soft([NoGrad] Matrix<double> x) => x;
        public static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult) => x;
        """, "the op has no differentiable parameter")]
    [InlineData("""
        [Differentiable(Rule = BuiltInRule.Add)]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        """, "Rule names a rule of the generator's own table and is reserved for the LayerGen runtime's structural ops")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward), ResultShape = "SoftShape")]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult) => x;
        """, "ResultShape names 'SoftShape' but 'BadOps' has no method of that name; expected public static (int Rows, int Cols) SoftShape(Matrix<double> x)")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward), ResultShape = nameof(SoftShape))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public static int SoftShape(Matrix<double> x) => x.Rows;
        public static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult) => x;
        """, "ResultShape 'SoftShape' does not fit: it returns 'int' but must return (int Rows, int Cols)")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward), ResultShape = nameof(SoftShape))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        public static (int Rows, int Cols) SoftShape(Matrix<double> x, int extra) => (x.Rows, x.Cols);
        public static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult) => x;
        """, "ResultShape 'SoftShape' does not fit: it has 2 parameter(s) but must take the op's 1")]
    [InlineData("""
        [Differentiable(Backward = nameof(SoftBackward), ResultShape = nameof(SoftShape))]
        public static Matrix<double> Soft(Matrix<double> x) => x;
        internal static (int Rows, int Cols) SoftShape(Matrix<double> x) => (x.Rows, x.Cols);
        public static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult) => x;
        """, "ResultShape 'SoftShape' does not fit: it is internal but the op is public")]
    public void A_registration_that_does_not_fit_is_an_error_at_the_attribute_and_at_every_call(string registration, string reason)
    {
        var result = TestCompiler.Run(OpWith(registration));
        var atAttribute = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0008");
        Assert.Equal(DiagnosticSeverity.Error, atAttribute.Severity);
        Assert.StartsWith("Differentiable", atAttribute.Location.SourceTree!.ToString().Substring(atAttribute.Location.SourceSpan.Start));
        string message = atAttribute.GetMessage();
        Assert.Contains(reason, message);
        Assert.Contains(reason.StartsWith("the op has no differentiable", StringComparison.Ordinal)
            ? "Expected: public static void SoftBackward(Matrix<double> x, Matrix<double> dResult)"
            : "Expected: public static Matrix<double> SoftBackward(Matrix<double> x, Matrix<double> dResult)", message);

        var atCall = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0009");
        Assert.Equal("BadOps.Soft(x * W)", atCall.Location.SourceTree!.ToString().Substring(atCall.Location.SourceSpan.Start, atCall.Location.SourceSpan.Length));
        Assert.Contains(reason, atCall.GetMessage());

        // Never a fallback: nothing is generated for the method that calls the op, and what is generated compiles.
        Assert.DoesNotContain(result.Generated.Keys, k => k.EndsWith("User.Forward.g.cs", StringComparison.Ordinal));
        Assert.Empty(result.CompileErrors);
    }

    /// <summary>A destination backward for several gradients: each destination nullable, each followed by its flag.</summary>
    [Theory]
    [InlineData("Matrix<double> da, bool accumulateA, Matrix<double>? db, bool accumulateB",
        "its parameter 'da' (where ∂L/∂a is written) must be nullable, 'Matrix<double>?': with several gradients, one that is not needed is passed as null")]
    [InlineData("Matrix<double>? da, Matrix<double>? db, bool accumulateA, bool accumulateB",
        "its parameter 'db' (after 'da') must be the bool that says whether to add into 'da'")]
    [InlineData("Matrix<double>? da, bool accumulateA",
        "it has 6 parameter(s) but must have 8 (the op's 3 argument(s), then ∂L/∂result, then for each of a, b its gradient's destination and accumulate flag)")]
    public void A_multi_gradient_destination_backward_that_does_not_fit_is_an_error_at_the_attribute(string destinations, string reason)
    {
        var result = TestCompiler.Run($$"""
            #nullable enable
            using LayerGen;

            public static class PairOps
            {
                [Differentiable(Backward = nameof(MixBackward), Saves = SavedValues.Arguments)]
                public static Matrix<double> Mix(Matrix<double> a, Matrix<double> b, int k) => a;
                public static void MixBackward(Matrix<double> a, Matrix<double> b, int k, Matrix<double> dResult, {{destinations}}) { }
            }
            """);
        var diagnostic = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0008");
        Assert.Contains(reason, diagnostic.GetMessage());
    }

    /// <summary>
    /// A user op whose result size depends on an int (a ResultShape method), with a destination overload and a backward that
    /// writes both gradients: exact, one backward call per op call, and a training step allocates nothing.
    /// </summary>
    [Fact]
    public void A_user_op_with_a_ResultShape_and_a_multi_gradient_destination_backward_is_exact_fused_and_allocation_free()
    {
        var result = TestCompiler.Run("""
            #nullable enable
            using System;
            using LayerGen;
            using LayerGen.TestSupport;

            public static class TileOps
            {
                public static int BackwardCalls;

                /// <summary>[a ⊙ b | a ⊙ b | …], <paramref name="copies"/> times side by side: [R, copies·C].</summary>
                [Differentiable(Backward = nameof(TileProductBackward), ResultShape = nameof(TileProductShape), Derivative = "∂L/∂{a} = Σ {dResult}ₖ ⊙ {b}")]
                public static Matrix<double> TileProduct(Matrix<double> a, Matrix<double> b, int copies)
                {
                    var result = new Matrix<double>(a.Rows, a.Cols * copies);
                    TileProduct(a, b, copies, result);
                    return result;
                }

                public static (int Rows, int Cols) TileProductShape(Matrix<double> a, Matrix<double> b, int copies) => (a.Rows, a.Cols * copies);

                public static void TileProduct(Matrix<double> a, Matrix<double> b, int copies, Matrix<double> result)
                {
                    for (int r = 0; r < a.Rows; r++)
                        for (int k = 0; k < copies; k++)
                            for (int c = 0; c < a.Cols; c++)
                                result[r, k * a.Cols + c] = a[r, c] * b[r, c];
                }

                public static void TileProductBackward(Matrix<double> a, Matrix<double> b, int copies, Matrix<double> dResult,
                    Matrix<double>? dA, bool accumulateA, Matrix<double>? dB, bool accumulateB)
                {
                    BackwardCalls++;
                    for (int r = 0; r < a.Rows; r++)
                        for (int c = 0; c < a.Cols; c++)
                        {
                            double sum = 0;
                            for (int k = 0; k < copies; k++)
                                sum += dResult[r, k * a.Cols + c];
                            if (dA is not null)
                                dA[r, c] = (accumulateA ? dA[r, c] : 0) + sum * b[r, c];
                            if (dB is not null)
                                dB[r, c] = (accumulateB ? dB[r, c] : 0) + sum * a[r, c];
                        }
                }
            }

            public partial class Tiler
            {
                public Matrix<double> W = Matrix<double>.RandomNormal(3, 4, 1);
                public Matrix<double> V = Matrix<double>.RandomNormal(3, 4, 2);

                [Forward]
                public double Loss(Matrix<double> x) => Ops.SumOfSquares(TileOps.TileProduct(x * W, Ops.Tanh(x * V), 3));
            }

            public static class TileCheck
            {
                public static string Run()
                {
                    var layer = new Tiler();
                    var x = Matrix<double>.RandomNormal(5, 3, 3);
                    var tape = new Tiler.LossTape();
                    var gradients = new Tiler.Gradients(layer);
                    layer.Loss(x, tape);
                    TileOps.BackwardCalls = 0;
                    var dx = layer.LossBackward(tape, gradients);
                    int calls = TileOps.BackwardCalls;
                    Func<double> loss = () => layer.Loss(x);
                    double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.W, gradients.W, loss));
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(layer.V, gradients.V, loss));
                    for (int i = 0; i < 2; i++)
                    {
                        gradients.Clear();
                        layer.Loss(x, tape);
                        layer.LossBackward(tape, gradients);
                    }
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    gradients.Clear();
                    layer.Loss(x, tape);
                    layer.LossBackward(tape, gradients);
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    return $"{(worst < 1e-6 ? "exact" : "error " + worst)}, {calls} call(s), {allocated} B";
                }
            }
            """);
        Assert.Empty(result.AnalyzerDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        string generated = result.Generated.Single(g => g.Key.EndsWith("Tiler.Loss.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("EnsureShape(ref tape._tileProduct, global::TileOps.TileProductShape(", generated);
        Assert.Contains("accumulateA: false, ", generated);
        using var stream = new MemoryStream();
        Assert.True(result.Output.Emit(stream).Success);
        var assembly = Assembly.Load(stream.ToArray());
        Assert.Equal("exact, 1 call(s), 0 B", TestCompiler.Invoke(assembly, "TileCheck", "Run"));
    }

    [Fact]
    public void A_tuple_of_the_wrong_gradients_names_the_element()
    {
        var result = TestCompiler.Run("""
            using LayerGen;

            public static class PairOps
            {
                [Differentiable(Backward = nameof(MixBackward))]
                public static Matrix<double> Mix(Matrix<double> a, double s) => a;
                public static (Matrix<double>, Matrix<double>) MixBackward(Matrix<double> a, double s, Matrix<double> dResult) => (a, a);
            }
            """);
        var diagnostic = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0008");
        Assert.Contains("element 2 of its tuple is 'Matrix<double>' but ∂L/∂s is a 'double'", diagnostic.GetMessage());
        Assert.Contains("Expected: public static (Matrix<double> dA, double dS) MixBackward(Matrix<double> a, double s, Matrix<double> dResult)", diagnostic.GetMessage());
    }

    [Fact]
    public void A_correct_registration_reports_nothing()
    {
        var result = TestCompiler.Run(UserOps, Net);
        Assert.Empty(result.AnalyzerDiagnostics);
        Assert.Empty(result.CompileErrors);
    }

    [Theory]
    [InlineData("Ops.LeakyRelu(x * W, Ops.Sum(W))", "Ops.Sum(W)", "negativeSlope")]
    [InlineData("Ops.Elu(x * W, Ops.Mean(x))", "Ops.Mean(x)", "alpha")]
    public void A_varied_value_passed_as_a_NoGrad_parameter_is_an_error_not_a_dropped_path(string expression, string argument, string parameter)
    {
        var result = TestCompiler.Run($$"""
            using LayerGen;

            public partial class Leaky
            {
                public Matrix<double> W = new(2, 2);

                [Forward]
                public Matrix<double> Forward(Matrix<double> x) => {{expression}};
            }
            """);
        var diagnostic = Assert.Single(result.AnalyzerDiagnostics, d => d.Id == "LG0002");
        var span = diagnostic.Location.SourceSpan;
        Assert.Equal(argument, diagnostic.Location.SourceTree!.ToString().Substring(span.Start, span.Length));
        Assert.Contains($"as '{parameter}'", diagnostic.GetMessage());
        Assert.Contains("[NoGrad]", diagnostic.GetMessage());
        Assert.DoesNotContain(result.Generated.Keys, k => k.EndsWith("Leaky.Forward.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_user_op_that_returns_another_shape_than_it_declares_is_a_clear_exception()
    {
        var assembly = TestCompiler.Load("""
            using LayerGen;

            public static class ShapedOps
            {
                public static bool Lie;

                [Differentiable(Backward = nameof(TwiceBackward))]
                [return: Shape("R", "C")]
                public static Matrix<double> Twice([Shape("R", "C")] Matrix<double> x)
                {
                    var y = new Matrix<double>(Lie ? 1 : x.Rows, x.Cols);
                    for (int r = 0; r < y.Rows; r++)
                        for (int c = 0; c < y.Cols; c++)
                            y[r, c] = 2 * x[r, c];
                    return y;
                }

                public static Matrix<double> TwiceBackward(Matrix<double> x, Matrix<double> dResult) => Ops.Scale(dResult, 2.0);
            }

            public partial class Doubler
            {
                public Matrix<double> W = Matrix<double>.RandomNormal(3, 2, 1);

                [Forward]
                public Matrix<double> Forward(Matrix<double> x) => ShapedOps.Twice(x * W) + x * W;
            }

            public static class ShapeCheck
            {
                public static string Run()
                {
                    var layer = new Doubler();
                    var x = Matrix<double>.RandomNormal(4, 3, 2);
                    layer.Forward(x, new Doubler.Tape());   // honest: no exception
                    ShapedOps.Lie = true;
                    try
                    {
                        layer.Forward(x, new Doubler.Tape());
                        return "no exception";
                    }
                    catch (ShapeMismatchException e)
                    {
                        return e.Message;
                    }
                }
            }
            """);
        Assert.Equal("ShapedOps.Twice: returned [1, 2] but its [return: Shape] declares [4, 2] for these arguments",
            TestCompiler.Invoke(assembly, "ShapeCheck", "Run"));
    }
}
