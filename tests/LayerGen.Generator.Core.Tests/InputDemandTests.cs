using System.Text.RegularExpressions;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// Activity analysis across calls: a generated backward computes only the input gradients its caller needs. A layer
/// whose batch is [NoGrad] never makes its first sublayer compute ∂L/∂x (a whole GEMM, dx = dz·Wᵀ); gradients stay exact.
/// </summary>
public class InputDemandTests
{
    private const double Tolerance = 1e-6;

    private const string Source = """
        using LayerGen;

        namespace Demand;

        public partial class Dense
        {
            public Matrix<double> W;
            public Matrix<double> B;

            public Dense(int inputs, int outputs, int seed)
            {
                W = Matrix<double>.RandomNormal(inputs, outputs, seed, 0, 0.5);
                B = Matrix<double>.RandomNormal(1, outputs, seed + 1, 0, 0.1);
            }

            [Forward]
            public Matrix<double> Forward(Matrix<double> x) => Ops.Tanh(x * W + B);
        }

        /// <summary>Two sublayers under one more level: the flag a caller passes must reach the innermost layer.</summary>
        public partial class Block
        {
            public Dense First, Second;

            public Block(int inputs, int hidden, int outputs, int seed)
            {
                First = new Dense(inputs, hidden, seed);
                Second = new Dense(hidden, outputs, seed + 10);
            }

            [Forward]
            public Matrix<double> Forward(Matrix<double> x) => Second.Forward(First.Forward(x));
        }

        public static partial class Blocks
        {
            /// <summary>Two inputs: a caller may need the gradient of one and not the other.</summary>
            [Forward]
            public static Matrix<double> Mix(Matrix<double> a, Matrix<double> b) => a * 0.5 + Ops.Mul(a, b);
        }

        public partial class Mlp
        {
            public Block Body;
            public Dense Head;

            public Mlp(int inputs, int hidden, int classes, int seed)
            {
                Body = new Block(inputs, hidden, inputs, seed); // Mix combines x and Body's output: same shape
                Head = new Dense(inputs, classes, seed + 20);
            }

            [Forward]
            public double Loss([NoGrad] Matrix<double> x, [NoGrad] int[] labels)
            {
                var h = Body.Forward(x);
                var m = Blocks.Mix(x * 0.1, h);
                return Losses.SoftmaxCrossEntropy(Head.Forward(m), labels);
            }
        }

        /// <summary>A static call whose gradient feeds only the input: its backward runs under needDX.</summary>
        public partial class InputOnly
        {
            public Dense Head = new(4, 3, 30);

            [Forward]
            public double Loss(Matrix<double> x, [NoGrad] int[] labels) => Losses.SoftmaxCrossEntropy(Head.Forward(Blocks.Mix(x, x)), labels);
        }

        /// <summary>Calls InputOnly with a [NoGrad] batch: the guarded static call is skipped.</summary>
        public partial class Frozen
        {
            public InputOnly Inner = new();

            [Forward]
            public double Loss([NoGrad] Matrix<double> x, [NoGrad] int[] labels) => Inner.Loss(x, labels) * 2.0;
        }

        /// <summary>The same network with a differentiable batch: every flag is set at run time.</summary>
        public partial class MlpWithInputGradient
        {
            public Block Body;
            public Dense Head;

            public MlpWithInputGradient(int inputs, int hidden, int classes, int seed)
            {
                Body = new Block(inputs, hidden, inputs, seed); // Mix combines x and Body's output: same shape
                Head = new Dense(inputs, classes, seed + 20);
            }

            [Forward]
            public double Loss(Matrix<double> x, [NoGrad] int[] labels)
            {
                var h = Body.Forward(x);
                var m = Blocks.Mix(x * 0.1, h);
                return Losses.SoftmaxCrossEntropy(Head.Forward(m), labels);
            }
        }
        """;

    private const string Check = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Demand;

        public static class Check
        {
            static readonly int[] Labels = { 0, 2, 1, 1, 0, 2 };

            // Parameter gradients of the [NoGrad]-batch network against central differences.
            public static double Run()
            {
                var layer = new Mlp(4, 5, 3, 1);
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                var tape = new Mlp.LossTape();
                var gradients = new Mlp.Gradients(layer);
                layer.Loss(x, Labels, tape);
                layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, Labels);
                double worst = 0;
                foreach (var p in layer.Parameters(gradients))
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));
                return worst;
            }

            // The same with a differentiable batch: input and parameter gradients.
            public static double RunWithInputGradient()
            {
                var layer = new MlpWithInputGradient(4, 5, 3, 1);
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                var tape = new MlpWithInputGradient.LossTape();
                var gradients = new MlpWithInputGradient.Gradients(layer);
                layer.Loss(x, Labels, tape);
                var dx = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, Labels);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                foreach (var p in layer.Parameters(gradients))
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));
                return worst;
            }

            // A guarded static call: input and parameter gradients through the public backward, then through a caller
            // that needs no input gradient (the static call's backward must not run: its buffers stay untouched).
            public static string GuardedStaticCall()
            {
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                var layer = new InputOnly();
                var tape = new InputOnly.LossTape();
                var gradients = new InputOnly.Gradients(layer);
                layer.Loss(x, Labels, tape);
                var dx = layer.LossBackward(tape, gradients);
                Func<double> loss = () => layer.Loss(x, Labels);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss, 1e-5);
                foreach (var p in layer.Parameters(gradients))
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss, 1e-5));

                var frozen = new Frozen();
                var frozenTape = new Frozen.LossTape();
                var frozenGradients = new Frozen.Gradients(frozen);
                frozen.Loss(x, Labels, frozenTape);
                frozen.LossBackward(frozenTape, frozenGradients);
                Func<double> frozenLoss = () => frozen.Loss(x, Labels);
                foreach (var p in frozen.Parameters(frozenGradients))
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, frozenLoss, 1e-5));
                var inner = frozenTape._innerTape!;
                string mix = inner._mixTape!._dA is null && inner._mixTape!._dB is null ? "untouched" : "written";
                return worst < 1e-6 ? "exact, Mix backward " + mix : "error " + worst;
            }

            // Which input-gradient buffers a backward wrote, as "name=written|untouched" (a buffer is allocated on its
            // first write, so a null field was never written).
            public static string Buffers()
            {
                var layer = new Mlp(4, 5, 3, 1);
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                var tape = new Mlp.LossTape();
                layer.Loss(x, Labels, tape);
                layer.LossBackward(tape, new Mlp.Gradients(layer));
                var body = tape._hTape!;
                var mix = tape._mTape!;
                string State(object? buffer) => buffer is null ? "untouched" : "written";
                return $"First.dX={State(body._firstTape!._dX)} Second.dX={State(body._outputTape!._dX)} "
                    + $"Mix.dA={State(mix._dA)} Mix.dB={State(mix._dB)} Head.dX={State(tape._headTape!._dX)}";
            }

            // The core contract: an unneeded input gradient is null and its buffer untouched; needed, it equals the public one.
            public static string Core()
            {
                var layer = new Dense(4, 3, 7);
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                var dy = Matrix<double>.RandomNormal(6, 3, 3);
                var tape = new Dense.Tape();
                layer.Forward(x, tape);
                var skipped = layer.BackwardCore(tape, dy, new Dense.Gradients(layer), false);
                string first = $"skipped={(skipped is null ? "null" : "matrix")} buffer={(tape._dX is null ? "untouched" : "written")}";
                var needed = layer.BackwardCore(tape, dy, new Dense.Gradients(layer), true)!;
                var publicResult = layer.Backward(tape, dy, new Dense.Gradients(layer));
                double difference = 0;
                for (int i = 0; i < needed.Rows; i++)
                    for (int j = 0; j < needed.Cols; j++)
                        difference = Math.Max(difference, Math.Abs(needed[i, j] - publicResult[i, j]));
                return first + $" needed-vs-public={difference}";
            }
        }
        """;

    [Fact]
    public void Parameter_gradients_match_central_differences_when_the_batch_is_NoGrad()
    {
        var assembly = TestCompiler.Load(Source, Check);
        double error = (double)TestCompiler.Invoke(assembly, "Check", "Run")!;
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    [Fact]
    public void Input_and_parameter_gradients_match_central_differences_when_the_batch_is_differentiable()
    {
        var assembly = TestCompiler.Load(Source, Check);
        double error = (double)TestCompiler.Invoke(assembly, "Check", "RunWithInputGradient")!;
        Assert.True(error < Tolerance, $"max relative error {error:E3}");
    }

    [Fact]
    public void Input_gradients_nobody_needs_are_never_computed()
    {
        var assembly = TestCompiler.Load(Source, Check);
        string buffers = (string)TestCompiler.Invoke(assembly, "Check", "Buffers")!;
        // x is [NoGrad]: the innermost layer skips dx = dz·Wᵀ (the flag crosses Block), Mix skips ∂L/∂a (its argument is
        // x·0.1); the gradients that reach parameters are still computed.
        Assert.Equal("First.dX=untouched Second.dX=written Mix.dA=untouched Mix.dB=written Head.dX=written", buffers);
    }

    [Fact]
    public void A_static_call_that_feeds_only_the_input_runs_only_when_the_input_gradient_is_needed()
    {
        var assembly = TestCompiler.Load(Source, Check);
        Assert.Equal("exact, Mix backward untouched", (string)TestCompiler.Invoke(assembly, "Check", "GuardedStaticCall")!);
    }

    [Fact]
    public void Core_returns_null_for_an_unneeded_input_and_the_public_result_when_needed()
    {
        var assembly = TestCompiler.Load(Source, Check);
        Assert.Equal("skipped=null buffer=untouched needed-vs-public=0", (string)TestCompiler.Invoke(assembly, "Check", "Core")!);
    }

    [Fact]
    public void Generated_callers_pass_compile_time_flags_and_the_public_backward_passes_true()
    {
        var result = TestCompiler.Run(Source, Check);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        string mlp = result.Generated["Demand.Mlp.Loss.g.cs"];
        string block = result.Generated["Demand.Block.Forward.g.cs"];
        string dense = result.Generated["Demand.Dense.Forward.g.cs"];
        // Mlp: Body's input is the [NoGrad] x; Mix's first argument is x·0.1, its second needed.
        Assert.Matches(new Regex(@"this\.Body\.BackwardCore\([^;]*gradients\.Body, false\)"), mlp);
        Assert.Matches(new Regex(@"Blocks\.MixBackwardCore\([^;]*, false, true\)"), mlp);
        // Block forwards its own flag to First; Second's input feeds First's parameters: always needed.
        Assert.Matches(new Regex(@"this\.First\.BackwardCore\([^;]*gradients\.First, needDX\)"), block);
        Assert.Matches(new Regex(@"this\.Second\.BackwardCore\([^;]*gradients\.Second, true\)"), block);
        // Dense: dX = dZ·Wᵀ runs only under the flag; the public Backward computes everything.
        Assert.Matches(new Regex(@"if \(needDX\)\s*\{[^}]*global::LayerGen\.Ops\.MatMul\(dXW, this\.W, dX, transposeB: true\)"), dense);
        Assert.Contains("return BackwardCore(tape, dOutput, gradients, true)!;", dense);
    }
}
