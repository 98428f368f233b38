using LayerGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using V = LayerGen.Shapes.Tests.Verify<LayerGen.Generator.ShapeAnalyzer>;

namespace LayerGen.Shapes.Tests;

/// <summary>Shapes through branches: inference inside each arm, from the values the arms read.</summary>
public class BranchShapeTests
{
    [Fact]
    public async Task LG1001_inside_an_else_arm()
    {
        const string source = """
            using LayerGen;

            public partial class Gate
            {
                [Shape("D", "H")] public Matrix<float> W;
                [Shape("D", "H")] public Matrix<float> V;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, bool training)
                {
                    Matrix<float> h;
                    if (training)
                        h = x * W;
                    else
                        h = Ops.Tanh({|#0:x * V.T|});
                    return h;
                }
            }
            """;
        var expected = new DiagnosticResult(DiagnosticDescriptors.ProductInnerDimensions).WithLocation(0)
            .WithMessage("'x * V.T' multiplies [N, D] by [H, D]: columns of x (D) ≠ rows of V.T (H). Did you mean 'x * V'?")
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
        await V.AnalyzerAsync(source, expected);
    }

    [Fact]
    public async Task LG1001_inside_a_conditional_expression_arm()
    {
        const string source = """
            using LayerGen;

            public partial class Pick
            {
                [Shape("D", "H")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "H")] Matrix<float> y, bool first)
                    => first ? x * W : {|#0:y * W|};
            }
            """;
        var expected = new DiagnosticResult(DiagnosticDescriptors.ProductInnerDimensions).WithLocation(0)
            .WithMessage("'y * W' multiplies [N, H] by [D, H]: columns of y (H) ≠ rows of W (D). Did you mean 'y * W.T'?")
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
        await V.AnalyzerAsync(source, expected);
    }

    [Fact]
    public async Task LG1011_an_arm_that_changes_a_variables_shape_names_both_shapes()
    {
        const string source = """
            using LayerGen;

            public partial class Deepen
            {
                [Shape("H", "K")] public Matrix<float> Wk;

                [Forward]
                public Matrix<float> Forward([Shape("N", "H")] Matrix<float> x, bool deep)
                {
                    var h = x;
                    if (deep)
                        h = {|#0:Ops.Tanh(h * Wk)|};
                    return h;
                }
            }
            """;
        var expected = new DiagnosticResult(DiagnosticDescriptors.BranchChangesShape).WithLocation(0)
            .WithMessage("'h' is [N, H] before 'if (deep)' but [N, K] after its then arm: columns K ≠ H; a variable assigned in a branch must keep its shape (or be declared before it without a value)")
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
        await V.AnalyzerAsync(source, expected);
    }

    [Fact]
    public async Task Well_shaped_branches_have_no_diagnostics()
    {
        const string source = """
            using LayerGen;

            public partial class Gate
            {
                [Shape("D", "H")] public Matrix<float> W;
                [Shape("H", "H")] public Matrix<float> U;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, bool training, bool deep)
                {
                    var h = x * W;
                    if (deep)
                        h = Ops.Tanh(h * U);
                    Matrix<float> y;
                    if (training)
                        y = Ops.Sigmoid(h);
                    else
                        y = h;
                    return training ? y * U : y;
                }
            }
            """;
        await V.AnalyzerAsync(source);
    }
}
