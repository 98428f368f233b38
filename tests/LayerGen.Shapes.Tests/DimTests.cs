using LayerGen.Generator.Shapes;

namespace LayerGen.Shapes.Tests;

/// <summary>The normal form of dimension expressions.</summary>
public class DimTests
{
    private static Dim P(string text) => Dim.Parse(text) ?? throw new InvalidOperationException($"'{text}' did not parse");

    [Theory]
    [InlineData("H+H", "2*H")]
    [InlineData("2*H", "H*2")]
    [InlineData("(H+1)*2", "2*H+2")]
    [InlineData("H - H + 4", "4")]
    [InlineData("3*(D+1) - D", "2*D + 3")]
    [InlineData("H*W", "W*H")]
    [InlineData("(H+W)*(H-W)", "H*H - W*W")]
    [InlineData("-D + 2*D", "D")]
    [InlineData(" N ", "N")]
    public void Equal_expressions_have_equal_normal_forms(string a, string b)
    {
        Assert.Equal(P(a), P(b));
        Assert.Equal(P(a).GetHashCode(), P(b).GetHashCode());
    }

    [Theory]
    [InlineData("H", "2*H")]
    [InlineData("H+1", "H")]
    [InlineData("N", "D")]
    [InlineData("H*H", "2*H")]
    public void Different_expressions_differ(string a, string b) => Assert.NotEqual(P(a), P(b));

    [Theory]
    [InlineData("2*H+1", "2*H + 1")]
    [InlineData("H + 1 + H", "2*H + 1")]
    [InlineData("4", "4")]
    [InlineData("D - 1", "D - 1")]
    [InlineData("1 - D", "-D + 1")]
    public void Renders_readably(string text, string rendered) => Assert.Equal(rendered, P(text).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("2**H")]
    [InlineData("H+")]
    [InlineData("(H")]
    [InlineData("H)")]
    [InlineData("3.5")]
    [InlineData("H/2")]
    [InlineData("99999999999999999999999")]
    public void Invalid_text_does_not_parse(string text) => Assert.Null(Dim.Parse(text));

    [Fact]
    public void Constants_and_single_symbols_are_recognised()
    {
        Assert.Equal(4, P("2+2").ConstantValue);
        Assert.Equal("D", P("D").SingleSymbol);
        Assert.Null(P("2*D").SingleSymbol);
        Assert.Null(P("D").ConstantValue);
    }

    [Fact]
    public void Unifier_binds_variables_and_keeps_distinct_names_apart()
    {
        var u = new Unifier();
        var v = u.Fresh();
        Assert.Equal(Agreement.Equal, u.Unify(v, P("2*H"), 0));
        Assert.Equal(P("2*H"), u.Resolve(v));
        Assert.Equal(Agreement.Different, u.Unify(P("D"), P("C"), 1));
        Assert.Equal(Agreement.Equal, u.Unify(P("D"), P("784"), 2));
        Assert.Equal(784, u.Resolve(P("D")).ConstantValue);
        Assert.Equal(Agreement.Different, u.Unify(P("D"), P("100"), 3));
        Assert.Equal(Agreement.Unknown, u.Unify(P("K"), P("2*H"), 4));
        Assert.Equal(Agreement.Different, u.Unify(P("H+1"), P("H"), 5));
        Assert.Equal(Agreement.Equal, u.Unify(P("H+H"), P("2*H"), 6));
    }
}
