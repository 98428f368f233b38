using LayerGen.Generator.Shapes;
using Microsoft.CodeAnalysis.Testing;
using V = LayerGen.Shapes.Tests.Verify<LayerGen.Generator.ShapeAnalyzer>;

namespace LayerGen.Shapes.Tests;

/// <summary>
/// Every dimension is ≥ 1, so a dimension and a nonzero multiple or offset of itself are definitely different
/// (<c>H</c> vs <c>2*H</c>, <c>H</c> vs <c>H+1</c>); different symbols may still be equal (silence).
/// </summary>
public class DefiniteDifferenceTests
{
    private static Dim P(string text) => Dim.Parse(text) ?? throw new InvalidOperationException($"'{text}' did not parse");

    [Theory]
    [InlineData("H", "2*H")]
    [InlineData("H", "H+1")]
    [InlineData("2*H", "3*H")]
    [InlineData("H+1", "H+2")]
    [InlineData("2*H", "H")]
    [InlineData("H*W", "H*W + W")]
    [InlineData("2*H", "H+1 - 1")]
    [InlineData("H+W", "H")]
    [InlineData("2*H*H", "H*H")]
    [InlineData("1", "2*H")]
    public void A_difference_of_one_sign_is_definitely_different(string a, string b)
    {
        Assert.True(Dim.DefinitelyDifferent(P(a), P(b)));
        Assert.True(Dim.DefinitelyDifferent(P(b), P(a)));
        Assert.False(Dim.DefinitelyEqual(P(a), P(b)));
        Assert.Equal(Agreement.Different, new Unifier().Decide(P(a), P(b)));
        Assert.Equal(Agreement.Different, new Unifier().Unify(P(a), P(b), 0));
    }

    [Theory]
    [InlineData("H", "W")]
    [InlineData("2*H", "H+W")]
    [InlineData("H*H", "2*H")]
    [InlineData("2*H", "H+1")]
    [InlineData("H", "W+1")]
    [InlineData("2*H", "K")]
    [InlineData("H*W", "H+W - 1")]
    public void Differences_of_either_sign_are_not_decided(string a, string b)
    {
        Assert.False(Dim.DefinitelyDifferent(P(a), P(b)));
        Assert.False(Dim.DefinitelyEqual(P(a), P(b)));
    }

    [Theory]
    [InlineData("H", "W")]
    [InlineData("2*H", "H+W")]
    [InlineData("H*H", "2*H")]
    [InlineData("2*H", "H+1")]
    public void Variables_that_may_be_equal_are_not_different(string a, string b)
    {
        // Qualified names (a sublayer's symbols) are inference variables: the rigid "distinct names" rule does not apply.
        static Dim Q(string text) => P(text).Substitute(s => Dim.Symbol("L." + s));
        Assert.NotEqual(Agreement.Different, new Unifier().Decide(Q(a), Q(b)));
    }

    [Theory]
    [InlineData("H", 1)]
    [InlineData("-H", -1)]
    [InlineData("2*H - 1", 1)]
    [InlineData("H - 1", 0)]
    [InlineData("H - W", 0)]
    [InlineData("0", 0)]
    [InlineData("3", 1)]
    [InlineData("-2", -1)]
    [InlineData("1 - H - W", -1)]
    public void Definite_sign(string text, int sign) => Assert.Equal(sign, P(text).DefiniteSign);

    [Theory]
    [InlineData("H+H", "2*H")]
    [InlineData("(H+1)*2", "2*H+2")]
    [InlineData("D", "D")]
    public void Equal_normal_forms_are_definitely_equal(string a, string b)
    {
        Assert.True(Dim.DefinitelyEqual(P(a), P(b)));
        Assert.False(Dim.DefinitelyDifferent(P(a), P(b)));
    }

    [Fact]
    public void Huge_coefficients_are_undecided_and_do_not_throw()
    {
        Assert.Equal(0, P("9223372036854775807*H + 9223372036854775807").DefiniteSign);
        var min = P("-9223372036854775807 - 1");
        Assert.False(Dim.DefinitelyDifferent(P("H"), min));
        Assert.Equal(Agreement.Unknown, new Unifier().Decide(Dim.Symbol("L.H"), min));
        Assert.Equal(Agreement.Unknown, new Unifier().Unify(Dim.Symbol("L.H"), min, 0));
    }

    [Fact]
    public async Task LG1001_for_a_product_of_H_and_2H()
    {
        const string source = """
            using LayerGen;

            public partial class Dense
            {
                [Shape("2*H", "C")] public Matrix<float> W;

                [Forward]
                public Matrix<float> Forward([Shape("N", "H")] Matrix<float> x) => {|#0:x * W|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1001").WithLocation(0).WithArguments("x * W", "[N, H]", "[2*H, C]", "x", "H", "W", "2*H", "")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1002_for_a_bias_twice_as_wide_as_its_input()
    {
        const string source = """
            using LayerGen;

            public partial class Biased
            {
                [Shape(1, "2*H")] public Matrix<float> B;

                [Forward]
                public Matrix<float> Forward([Shape("N", "H")] Matrix<float> x) => {|#0:x + B|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1002").WithLocation(0)
                .WithArguments("x + B", "adds", "x", "[N, H]", "B", "[1, 2*H]", "columns H ≠ 2*H (each dimension must be equal or 1)")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1003_for_2H_against_3H()
    {
        const string source = """
            using LayerGen;

            public partial class Wide
            {
                [Shape("D", "2*H")] public Matrix<float> W;

                [Forward]
                [return: Shape("N", "3*H")]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => {|#0:x * W|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1003").WithLocation(0).WithArguments("Forward", "[N, 2*H]", "[N, 3*H]", "columns 2*H ≠ 3*H")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1008_for_H_against_2H()
    {
        const string source = """
            using LayerGen;

            public partial class Joint
            {
                [Forward]
                public Matrix<float> Forward([Shape("H", "D")] Matrix<float> a, [Shape("2*H", "E")] Matrix<float> b) => {|#0:Ops.Concat(a, b, 1)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1008").WithLocation(0).WithArguments("Ops.Concat(a, b, 1)", "joins the columns of", "a", "[H, D]", "b", "[2*H, E]", "rows H ≠ 2*H")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task LG1004_for_a_sublayer_called_with_a_doubled_width()
    {
        const string source = """
            using LayerGen;

            public partial class Inner
            {
                [Forward]
                public Matrix<float> Forward([Shape("N", "H")] Matrix<float> x, [Shape("N", "H")] Matrix<float> y) => Ops.Mul(x, y);
            }

            public partial class Outer
            {
                public Inner Cell;

                [Forward]
                public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "2*D")] Matrix<float> y) => {|#0:Cell.Forward(x, y)|};
            }
            """;
        await V.AnalyzerAsync(source,
            V.Diagnostic("LG1004").WithLocation(0).WithArguments("Cell.Forward(x, y)", "y", "[N, 2*D]", "y", "Cell.Forward", "[N, D]", "columns 2*D ≠ D")
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task Different_symbols_and_their_combinations_stay_silent()
    {
        const string source = """
            using LayerGen;

            public partial class Maybe
            {
                [Shape("H+W", "C")] public Matrix<float> W1;
                [Shape("H+1", "C")] public Matrix<float> W2;

                [Forward]
                public Matrix<float> Forward([Shape("N", "2*H")] Matrix<float> x, [Shape("N", "2*H")] Matrix<float> y) => x * W1 + y * W2;
            }
            """;
        await V.AnalyzerAsync(source);
    }
}
