namespace LayerGen.Shapes.Tests;

/// <summary>The generated training forward checks declared shapes on entry and fails fast with a named symbol.</summary>
public class RuntimeAssertTests
{
    private const string Dense = """
        using LayerGen;

        namespace Nn;

        public partial class Dense
        {
            [Shape("D", "C")] public Matrix<float> W;
            [Shape(1, "C")] public Matrix<float> B;

            public Dense(int inputs, int outputs, int biasRows = 1)
            {
                W = new Matrix<float>(inputs, outputs);
                B = new Matrix<float>(biasRows, outputs);
            }

            [Forward]
            [return: Shape("N", "C")]
            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
        }

        public partial class Classifier
        {
            [Shape("D", "C")] public Matrix<float> W = new(4, 3);

            [Forward]
            public float Loss([Shape("N", "D")] Matrix<float> x, [NoGrad, Shape("N")] int[] labels) => Losses.SoftmaxCrossEntropy(x * W, labels);
        }

        public partial class Gru
        {
            [Shape("D", "3*H")] public Matrix<float> Wx = new(5, 6);
            [Shape("H", "3*H")] public Matrix<float> Wh = new(2, 6);

            [Forward]
            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "H")] Matrix<float> h) => x * Wx + h * Wh;
        }

        public static class Driver
        {
            private static string Catch(System.Action action)
            {
                try
                {
                    action();
                    return "no exception";
                }
                catch (ShapeMismatchException e)
                {
                    return e.Message;
                }
            }

            public static string WrongInputWidth() =>
                Catch(() => new Dense(100, 10).Forward(new Matrix<float>(32, 784), new Dense.Tape()));

            public static string WrongBiasRows() =>
                Catch(() => new Dense(784, 10, biasRows: 2).Forward(new Matrix<float>(32, 784), new Dense.Tape()));

            public static string Fits() =>
                Catch(() => new Dense(784, 10).Forward(new Matrix<float>(32, 784), new Dense.Tape()));

            public static string FewerLabels() =>
                Catch(() => new Classifier().Loss(new Matrix<float>(8, 4), new int[7], new Classifier.LossTape()));

            public static string ExpressionDimension() =>
                Catch(() => new Gru { Wh = new Matrix<float>(2, 7) }.Forward(new Matrix<float>(3, 5), new Matrix<float>(3, 2), new Gru.Tape()));

            public static string GruFits() =>
                Catch(() => new Gru().Forward(new Matrix<float>(3, 5), new Matrix<float>(3, 2), new Gru.Tape()));
        }
        """;

    private static readonly Lazy<System.Reflection.Assembly> Assembly = new(() => TestCompiler.Load(Dense));

    private static string Run(string method) => (string)TestCompiler.Invoke(Assembly.Value, "Nn.Driver", method)!;

    [Fact]
    public void A_symbol_with_two_sizes_names_both_operands() =>
        Assert.Equal("Dense.Forward: symbol D: x is [32, 784] (D = 784) but W is [100, 10] (D = 100)", Run("WrongInputWidth"));

    [Fact]
    public void A_fixed_size_is_checked() =>
        Assert.Equal("Dense.Forward: B is [2, 10] but is declared [1, C]: its rows must be 1", Run("WrongBiasRows"));

    [Fact]
    public void Matching_sizes_pass() => Assert.Equal("no exception", Run("Fits"));

    [Fact]
    public void Labels_count_is_checked_against_the_batch() =>
        Assert.Equal("Classifier.Loss: symbol N: x is [8, 4] (N = 8) but labels has 7 labels (N = 7)", Run("FewerLabels"));

    [Fact]
    public void An_expression_dimension_is_checked_once_its_symbols_are_known() =>
        Assert.Equal("Gru.Forward: Wh is [2, 7] but is declared [H, 3*H] with H = 2 from h: its columns must be 3*H = 6", Run("ExpressionDimension"));

    [Fact]
    public void Expression_dimensions_that_fit_pass() => Assert.Equal("no exception", Run("GruFits"));

    [Fact]
    public void Odd_shape_text_never_breaks_the_generated_code()
    {
        // Invalid dimensions (LG1007) are skipped; valid ones are re-rendered from their normal form.
        const string source = """
            using LayerGen;

            public partial class Odd
            {
                [Shape("D", "{x}")] public Matrix<float> W = null!;
                [Shape(" D ", "C + 0")] public Matrix<float> V = null!;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => x * W + x * V;
            }
            """;
        var run = TestCompiler.Run(source);
        run.Load();
        var generated = run.Generated;
        string forward = generated.Single(g => g.Key.EndsWith("Odd.Forward.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("// Shapes on entry: x [N, D], V [D, C]", forward);
        Assert.DoesNotContain("{x}", forward);
    }

    [Fact]
    public void The_check_is_in_the_generated_training_forward()
    {
        var run = TestCompiler.Run(Dense);
        run.Load();
        var generated = run.Generated;
        string forward = generated.Single(g => g.Key.EndsWith("Dense.Forward.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("// Shapes on entry: x [N, D], W [D, C], B [1, C]", forward);
        Assert.Contains("throw new global::LayerGen.ShapeMismatchException(\"Dense.Forward\"", forward);
    }
}
