using LayerGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using V = LayerGen.Shapes.Tests.Verify<LayerGen.Generator.ShapeAnalyzer>;

namespace LayerGen.Shapes.Tests;

/// <summary>Shapes through loops: inference inside a loop body, from the carried values and sequence elements.</summary>
public class LoopShapeTests
{
    [Fact]
    public async Task LG1001_inside_a_loop_body_from_a_sequence_element()
    {
        const string source = """
            using System.Collections.Generic;
            using LayerGen;

            public partial class Rnn
            {
                [Shape("H", "D")] public Matrix<float> Wx;
                [Shape("H", "H")] public Matrix<float> Wh;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] IReadOnlyList<Matrix<float>> xs, [Shape("N", "H")] Matrix<float> h)
                {
                    for (int t = 0; t < xs.Count; t++)
                        h = Ops.Tanh({|#0:xs[t] * Wx|} + h * Wh);
                    return h;
                }
            }
            """;
        var expected = new DiagnosticResult(DiagnosticDescriptors.ProductInnerDimensions).WithLocation(0)
            .WithMessage("'xs[t] * Wx' multiplies [N, D] by [H, D]: columns of xs[t] (D) ≠ rows of Wx (H). Did you mean 'xs[t] * Wx.T'?")
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
        await V.AnalyzerAsync(source, expected);
    }

    [Fact]
    public async Task LG1010_a_carried_value_that_changes_shape_names_both_shapes()
    {
        const string source = """
            using System.Collections.Generic;
            using LayerGen;

            public partial class Widening
            {
                [Shape("H", "K")] public Matrix<float> Wh;

                [Forward]
                public Matrix<float> Forward([Shape("N", "H")] Matrix<float> h0, [NoGrad] int steps)
                {
                    var h = h0;
                    for (int t = 0; t < steps; t++)
                        h = {|#0:Ops.Tanh(h * Wh)|};
                    return h;
                }
            }
            """;
        var expected = new DiagnosticResult(DiagnosticDescriptors.LoopCarriedShapeChanges).WithLocation(0)
            .WithMessage("'h' is [N, H] before an iteration of the loop but [N, K] after it: columns K ≠ H; a value a loop carries must keep its shape")
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
        await V.AnalyzerAsync(source, expected);
    }

    [Fact]
    public async Task A_well_shaped_rnn_has_no_diagnostics()
    {
        const string source = """
            using System.Collections.Generic;
            using LayerGen;

            public partial class Rnn
            {
                [Shape("D", "H")] public Matrix<float> Wx;
                [Shape("H", "H")] public Matrix<float> Wh;
                [Shape(1, "H")] public Matrix<float> B;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] IReadOnlyList<Matrix<float>> xs, [Shape("N", "H")] Matrix<float> h)
                {
                    for (int t = 0; t < xs.Count; t++)
                        h = Ops.Tanh(xs[t] * Wx + h * Wh + B);
                    return h;
                }
            }
            """;
        await V.AnalyzerAsync(source);
    }
}
