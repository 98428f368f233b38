namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// Without <c>[Shape]</c>, an Add operand's adjoint is the result's adjoint when the operand was not broadcast (decided
/// at run time: no copy, no buffer), and the broadcast operand's adjoint is reduced over the repeated rows.
/// </summary>
public class PassThroughTests
{
    private const string Source = """
        using LayerGen;

        namespace Shared;

        public partial class Broadcasts
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(1, 3, 5, 0, 0.5);
            public Matrix<double> V = Matrix<double>.RandomNormal(4, 3, 6, 0, 0.5);

            // Ops.Mul(W, W) is [1, 3], broadcast over the rows of x * V ([N, 3]); neither shape is declared.
            [Forward]
            public Matrix<double> Forward(Matrix<double> x) => Ops.Tanh(Ops.Add(Ops.Mul(W, W), x * V));
        }
        """;

    private const string Check = """
        using System;
        using LayerGen;
        using LayerGen.TestSupport;
        using Shared;

        public static class Check
        {
            public static double Run()
            {
                var layer = new Broadcasts();
                var x = Matrix<double>.RandomNormal(6, 4, 2);
                var weights = Matrix<double>.RandomNormal(6, 3, 3);
                var tape = new Broadcasts.Tape();
                var gradients = new Broadcasts.Gradients(layer);
                layer.Forward(x, tape);
                var dx = layer.Backward(tape, weights, gradients);
                Func<double> loss = () => Ops.Dot(layer.Forward(x), weights);
                double worst = NumericalGradient.MaxRelativeError(x, dx, loss);
                foreach (var p in layer.Parameters(gradients))
                    worst = Math.Max(worst, NumericalGradient.MaxRelativeError(p.Value, p.Gradient, loss));
                return worst;
            }

            // Which operand adjoints needed a buffer of their own.
            public static string Buffers()
            {
                var layer = new Broadcasts();
                var tape = new Broadcasts.Tape();
                layer.Forward(Matrix<double>.RandomNormal(6, 4, 2), tape);
                layer.Backward(tape, Matrix<double>.RandomNormal(6, 3, 3), new Broadcasts.Gradients(layer));
                string State(object? buffer) => buffer is null ? "shared" : "own";
                return $"dWW={State(tape._dWW)} dXV={State(tape._dXV)}";
            }
        }
        """;

    [Fact]
    public void Gradients_match_central_differences_with_a_broadcast_and_a_same_shape_operand()
    {
        var assembly = TestCompiler.Load(Source, Check);
        double error = (double)TestCompiler.Invoke(assembly, "Check", "Run")!;
        Assert.True(error < 1e-6, $"max relative error {error:E3}");
    }

    [Fact]
    public void The_operand_that_was_not_broadcast_shares_the_result_adjoint()
    {
        var result = TestCompiler.Run(Source, Check);
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        string generated = result.Generated["Shared.Broadcasts.Forward.g.cs"];
        Assert.Contains("if (xV.Rows != dWWPlusXV.Rows || xV.Cols != dWWPlusXV.Cols)", generated);
        var assembly = TestCompiler.Load(Source, Check);
        // W ⊙ W ([1, 3]) was broadcast: reduced into its own buffer; x·V ([6, 3]) shares dWWPlusXV.
        Assert.Equal("dWW=own dXV=shared", (string)TestCompiler.Invoke(assembly, "Check", "Buffers")!);
    }
}
