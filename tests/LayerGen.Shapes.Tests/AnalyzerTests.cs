using LayerGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using V = LayerGen.Shapes.Tests.Verify<LayerGen.Generator.ShapeAnalyzer>;

namespace LayerGen.Shapes.Tests;

/// <summary>Each LG1xxx diagnostic: exact span, message arguments, additional locations; and negative cases.</summary>
public class AnalyzerTests
{
    [Fact]
    public async Task LG1001_names_operands_shapes_and_the_clash_with_a_transpose_hint()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [{|#1:Shape("C", "D")|}] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([{|#2:Shape("N", "D")|}] Matrix<float> x) => {|#0:x * W|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1001").WithLocation(0).WithLocation(2).WithLocation(1)
                .WithArguments("x * W", "[N, D]", "[C, D]", "x", "D", "W", "C", " Did you mean 'x * W.T'?"));
    }

    [Fact]
    public async Task LG1001_message_text()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("C", "D")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|#0:x * W|};
            }
            """;
        var expected = new DiagnosticResult(DiagnosticDescriptors.ProductInnerDimensions).WithLocation(0)
            .WithMessage("'x * W' multiplies [N, D] by [C, D]: columns of x (D) ≠ rows of W (C). Did you mean 'x * W.T'?")
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
        await V.AnalyzerAsync(source, expected);
    }

    [Fact]
    public async Task LG1001_with_folded_transpose_suggests_removing_it()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|#0:x * W.T|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1001").WithLocation(0).WithArguments("x * W.T", "[N, D]", "[C, D]", "x", "D", "W.T", "C", " Did you mean 'x * W'?")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1001_through_Ops_MatMul_has_a_generic_hint()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("C", "D")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|#0:Ops.MatMul(x, W)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1001").WithLocation(0).WithArguments("Ops.MatMul(x, W)", "[N, D]", "[C, D]", "x", "D", "W", "C", " Did you mean to transpose W?")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1002_bias_of_the_wrong_width()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W;
                [Shape(1, "D")] public Matrix<float> B;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|#0:x * W + B|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1002").WithLocation(0)
                .WithArguments("x * W + B", "adds", "x * W", "[N, C]", "B", "[1, D]", "columns C ≠ D (each dimension must be equal or 1)")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1002_outer_product_of_a_column_and_a_row()
    {
        const string source = """
            using LayerGen;

            public partial class Centre
            {
                [Forward]
                public Matrix<float> Forward([Shape("N", 1)] Matrix<float> a, [Shape(1, "N")] Matrix<float> b) => {|#0:a - b|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1002").WithLocation(0)
                .WithArguments("a - b", "subtracts", "a", "[N, 1]", "b", "[1, N]",
                    "a column vector against a row vector would broadcast both ways (an outer product); transpose one operand, or use a matrix product for an outer product")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1003_result_against_declared_return_shape()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W;

                [Forward]
                [return: Shape("N", "D")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|#0:x * W|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1003").WithLocation(0).WithArguments("Forward", "[N, C]", "[N, D]", "columns C ≠ D")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    private const string DenseLayer = """
        public partial class Dense
        {
            [Shape("D", "C")] public Matrix<float> W;
            [Shape(1, "C")] public Matrix<float> B;

            [Forward]
            [return: Shape("N", "C")]
            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
        }
        """;

    private const string EncoderAndHead = """
        public partial class Encoder
        {
            [Shape(784, "H")] public Matrix<float> W;

            [Forward]
            [return: Shape("N", "H")]
            public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => Ops.Tanh(x * W);
        }

        public partial class Head
        {
            [Shape("H", 10)] public Matrix<float> W;

            [Forward]
            [return: Shape("N", 10)]
            public Matrix<float> Forward([Shape("N", "H")] Matrix<float> h) => h * W;
        }
        """;

    [Fact]
    public async Task LG1004_sublayers_wired_in_the_wrong_order()
    {
        string source = """
            using LayerGen;

            public partial class Classifier
            {
                public Encoder Encode = null!;
                public Head Classify = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 784)] Matrix<float> x) => {|#0:Encode.Forward(Classify.Forward(x))|};
            }
            """ + "\n" + EncoderAndHead;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1004").WithLocation(0)
                .WithArguments("Encode.Forward(Classify.Forward(x))", "Classify.Forward(x)", "[N, 10]", "x", "Encode.Forward", "[N, 784]", "columns 10 ≠ 784")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1006_one_sublayer_called_with_two_widths()
    {
        string source = """
            using LayerGen;

            public partial class Shared
            {
                public Head Classify = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", 32)] Matrix<float> a, [Shape("N", 64)] Matrix<float> b)
                    => {|#1:Classify.Forward(a)|} + {|#0:Classify.Forward(b)|};
            }
            """ + "\n" + EncoderAndHead;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1006").WithLocation(0).WithLocation(1)
                .WithArguments("Classify.H", "32", "Classify.Forward(a)", "64", "Classify.Forward(b)"));
    }

    [Fact]
    public async Task A_square_sublayer_may_be_called_twice()
    {
        string source = """
            using LayerGen;

            public partial class Deep
            {
                public Dense Hidden = null!;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Forward([Shape("N", "H")] Matrix<float> x) => Hidden.Forward(Hidden.Forward(x));
            }
            """ + "\n" + DenseLayer;
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task LG1005_labels_count_against_logits_rows()
    {
        const string source = """
            using LayerGen;

            public partial class Classifier
            {
                [Shape("D", "C")] public Matrix<float> W;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("M")] int[] labels) => {|#0:Losses.SoftmaxCrossEntropy(x * W, labels)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1005").WithLocation(0)
                .WithArguments("Losses.SoftmaxCrossEntropy(x * W, labels)", "labels has M labels but x * W [N, C] has N rows (one label per row)")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1005_mse_with_transposed_target()
    {
        const string source = """
            using LayerGen;

            public partial class Regressor
            {
                [Shape("D", "C")] public Matrix<float> W;

                [Forward]
                public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("C", "N")] Matrix<float> y) => {|#0:Losses.MeanSquaredError(x * W, y)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1005").WithLocation(0)
                .WithArguments("Losses.MeanSquaredError(x * W, y)", "x * W is [N, C] but y is [C, N]: rows N ≠ C (the shapes must be equal)")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1006_symbol_fixed_to_two_sizes()
    {
        const string source = """
            using LayerGen;

            public partial class Two
            {
                [Shape(784, "H")] public Matrix<float> W1;
                [Shape(100, "H")] public Matrix<float> W2;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var a = {|#1:x * W1|};
                    return {|#0:x * W2|};
                }
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1006").WithLocation(0).WithLocation(1).WithArguments("D", "784", "x * W1", "100", "x * W2")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1007_invalid_shape_attributes()
    {
        const string source = """
            using LayerGen;

            public partial class Bad
            {
                [{|#0:Shape("D", "C", "E")|}] public Matrix<float> W;
                [{|#1:Shape(1.5, "C")|}] public Matrix<float> B;
                [{|#2:Shape("N")|}] public float Scale;
                [{|#3:Shape("2**H", "C")|}] public Matrix<float> V;
                [{|#4:Shape(0, "C")|}] public Matrix<float> Z;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x, [NoGrad, {|#5:Shape("N", "C")|}] int[] labels) => x * W;
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1007").WithLocation(0).WithArguments("W", "has 3 dimensions; a matrix has 2 (rows, columns)"),
            V.Diagnostic("LG1007").WithLocation(1).WithArguments("B", "has a dimension of type 'double'; use a string symbol (\"N\") or an int size"),
            V.Diagnostic("LG1007").WithLocation(2).WithArguments("Scale", "is on a 'float'; [Shape] describes a Matrix<T> or int[] labels"),
            V.Diagnostic("LG1007").WithLocation(3).WithArguments("V", "has the dimension \"2**H\", which is not an expression of symbols, integers, '+', '-', '*' and parentheses"),
            V.Diagnostic("LG1007").WithLocation(4).WithArguments("Z", "has the size 0; a size must be positive"),
            V.Diagnostic("LG1007").WithLocation(5).WithArguments("labels", "has 2 dimensions; int[] labels have 1 (their count, e.g. [Shape(\"N\")])"));
    }

    [Fact]
    public async Task LG1008_concat_on_the_wrong_axis()
    {
        const string source = """
            using LayerGen;

            public partial class Joint
            {
                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> a, [Shape("N", "E")] Matrix<float> b) => {|#0:Ops.Concat(a, b, 0)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1008").WithLocation(0).WithArguments("Ops.Concat(a, b, 0)", "stacks the rows of", "a", "[N, D]", "b", "[N, E]", "columns D ≠ E")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1009_slice_past_the_end()
    {
        const string source = """
            using LayerGen;

            public partial class Gates
            {
                [Forward]
                public Matrix<float> Forward([Shape("N", 8)] Matrix<float> z) => {|#0:Ops.SliceColumns(z, 4, 8)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1009").WithLocation(0).WithArguments("Ops.SliceColumns(z, 4, 8)", "columns", "4", "12", "z", "[N, 8]", "8"));
    }

    [Fact]
    public async Task LG1100_suggests_the_inferred_shape_of_an_unannotated_parameter_and_return()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W;
                [Shape(1, "C")] public Matrix<float> B;

                [Forward]
                public Matrix<float> {|#1:Forward|}(Matrix<float> {|#0:x|}) => Ops.Relu(x * W + B);
            }
            """;
        await V.AnalyzerAsync(source, includeSuggestions: true,
            V.Diagnostic("LG1100").WithLocation(0).WithArguments("x", "\"N\", \"D\""),
            V.Diagnostic("LG1100").WithLocation(1).WithArguments("return value of Forward", "\"N\", \"C\""));
    }

    [Fact]
    public async Task LG1002_in_a_compound_assignment_names_the_local_and_the_bias()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("D", "C")] public Matrix<float> W;
                [Shape(1, "D")] public Matrix<float> B;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    var h = x * W;
                    {|#0:h += B|};
                    return h;
                }
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1002").WithLocation(0)
                .WithArguments("h += B", "adds", "h", "[N, C]", "B", "[1, D]", "columns C ≠ D (each dimension must be equal or 1)")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1004_call_of_the_layers_own_forward_method_shares_its_symbols()
    {
        const string source = """
            using LayerGen;

            public partial class AutoEncoder
            {
                [Shape("D", "H")] public Matrix<float> We;
                [Shape("H", "D")] public Matrix<float> Wd;

                [Forward]
                [return: Shape("N", "H")]
                public Matrix<float> Encode([Shape("N", "D")] Matrix<float> x) => Ops.Tanh(x * We);

                [Forward]
                public Matrix<float> Twice([Shape("N", "D")] Matrix<float> x) => {|#0:Encode(Encode(x))|};
            }
            """;
        // D and H are this layer's symbols, so the inner result [N, H] cannot be Encode's [N, D] input.
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1004").WithLocation(0)
                .WithArguments("Encode(Encode(x))", "Encode(x)", "[N, H]", "x", "Encode", "[N, D]", "columns H ≠ D")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task Undecidable_equalities_are_silent()
    {
        const string source = """
            using LayerGen;

            public partial class Wide
            {
                [Shape("K", "C")] public Matrix<float> W;
                [Shape(1, "C")] public Matrix<float> B;

                [Forward]
                public Matrix<float> Forward([Shape("N", "2*H")] Matrix<float> x, Matrix<float> free) => x * W + B + free;
            }
            """;
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task Equal_normal_forms_agree()
    {
        const string source = """
            using LayerGen;

            public partial class Twice
            {
                [Shape("H+H", "C")] public Matrix<float> W;

                [Forward]
                [return: Shape("N", "C")]
                public Matrix<float> Forward([Shape("N", "H")] Matrix<float> a, [Shape("N", "H")] Matrix<float> b) => Ops.Concat(a, b, 1) * W;
            }
            """;
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task Methods_with_usage_errors_are_not_shape_checked()
    {
        const string source = """
            using LayerGen;

            public partial class Looping
            {
                [Shape("C", "D")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                {
                    for (int i = 0; i < 2; i++) { }
                    return x * W;
                }
            }
            """;
        await V.AnalyzerAsync(source);
    }
}
