using LayerGen.CodeFixes;
using LayerGen.Generator;
using Microsoft.CodeAnalysis.Testing;

namespace LayerGen.Shapes.Tests;

/// <summary>The code fixes: single fixes, Fix All, and the cases where no fix is offered.</summary>
public class CodeFixTests
{
    [Fact]
    public async Task LG1001_transposes_the_right_operand()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("C", "D")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|LG1001:x * W|};
            }
            """;
        const string fixedSource = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("C", "D")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x * W.T;
            }
            """;
        await VerifyFix<ShapeAnalyzer, TransposeOperandCodeFix>.FixAsync(source, fixedSource, null, "LG1100");
    }

    [Fact]
    public async Task LG1001_removes_a_wrong_transpose_and_parenthesises_a_left_expression()
    {
        const string source = """
            using LayerGen;

            public partial class Two
            {
                [Shape("D", "C")] public Matrix<float> W;
                [Shape("N", "E")] public Matrix<float> P;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "D")] Matrix<float> y)
                {
                    var a = {|LG1001:x * W.T|};
                    return {|LG1001:(x + y) * P|};
                }
            }
            """;
        const string fixedSource = """
            using LayerGen;

            public partial class Two
            {
                [Shape("D", "C")] public Matrix<float> W;
                [Shape("N", "E")] public Matrix<float> P;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "D")] Matrix<float> y)
                {
                    var a = x * W;
                    return (x + y).T * P;
                }
            }
            """;
        await VerifyFix<ShapeAnalyzer, TransposeOperandCodeFix>.FixAsync(source, fixedSource, 2, "LG1100");
    }

    [Fact]
    public async Task LG1001_no_fix_when_no_transpose_helps_or_for_Ops_MatMul()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("C", "E")] public Matrix<float> W;
                [Shape("C", "D")] public Matrix<float> V;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|LG1001:x * W|} + {|LG1001:Ops.MatMul(x, V)|};
            }
            """;
        // Both are reported; neither gets a fix (no transpose makes x * W agree; Ops.MatMul takes flags, not '.T').
        await VerifyFix<ShapeAnalyzer, TransposeOperandCodeFix>.FixAsync(source, source, null, "LG1100", "LG1002");
    }

    [Fact]
    public async Task LG0001_makes_the_type_and_its_containers_partial_with_fix_all()
    {
        const string source = """
            using LayerGen;

            public static class Outer
            {
                public class {|LG0001:Dense|}
                {
                    [Forward]
                    public Matrix<float> Forward(Matrix<float> x) => Ops.Relu(x);
                }
            }

            class {|LG0001:Plain|}
            {
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Tanh(x);
            }
            """;
        const string fixedSource = """
            using LayerGen;

            public static partial class Outer
            {
                public partial class Dense
                {
                    [Forward]
                    public Matrix<float> Forward(Matrix<float> x) => Ops.Relu(x);
                }
            }

            partial class Plain
            {
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Tanh(x);
            }
            """;
        // LG0001 comes from ForwardAnalyzer's operation-block action but sits on the type declaration: a non-local
        // diagnostic, which the framework's locality check rejects by default.
        await VerifyFix<ForwardAnalyzer, MakePartialCodeFix>.FixAsync(source, fixedSource, 2, CodeFixTestBehaviors.SkipLocalDiagnosticCheck);
    }

    [Fact]
    public async Task LG1100_declares_the_inferred_shapes()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W;
                [Shape(1, "C")] public Matrix<float> B;

                [Forward]
                public Matrix<float> {|LG1100:Forward|}(Matrix<float> {|LG1100:x|}) => Ops.Relu(x * W + B);
            }
            """;
        const string fixedSource = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W;
                [Shape(1, "C")] public Matrix<float> B;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
            }
            """;
        await VerifyFix<ShapeAnalyzer, DeclareShapeCodeFix>.FixAsync(source, fixedSource, 2);
    }

    [Fact]
    public async Task LG1100_not_reported_when_nothing_is_known()
    {
        const string source = """
            using LayerGen;

            public partial class Act
            {
                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => Ops.Relu(x);
            }
            """;
        await Verify<ShapeAnalyzer>.AnalyzerAsync(source, includeSuggestions: true);
    }
}
