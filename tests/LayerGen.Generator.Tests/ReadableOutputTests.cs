using System.Text.RegularExpressions;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The generated code reads like the user's: no <c>null!</c> (a nullable adjoint is declared <c>Matrix&lt;T&gt;?</c>),
/// and values the user did not name are named after the user's names, not numbered op hints (<c>product9</c>, <c>dSum6</c>).
/// </summary>
public sealed class ReadableOutputTests
{
    private static IReadOnlyDictionary<string, string> GenerateAll()
    {
        var run = TestCompiler.RoslynFloor.Generate(TestCompiler.RoslynFloor.Compile([.. TestSources.All().Select(TestSources.Load)]));
        Assert.Empty(InMemoryCompiler.Errors(run.Output));
        return run.Generated;
    }

    [Fact]
    public void No_generated_file_uses_null_forgiving_null()
    {
        foreach (var (hint, text) in GenerateAll())
            Assert.False(text.Contains("null!", StringComparison.Ordinal), $"{hint} contains null!");
    }

    [Fact]
    public void No_generated_file_has_numbered_op_hint_names()
    {
        var numbered = new Regex(@"\b_?d?(product|Product|sum|Sum|difference|Difference|quotient|Quotient)\d+\b");
        foreach (var (hint, text) in GenerateAll())
        {
            var match = numbered.Match(text);
            Assert.False(match.Success, $"{hint} names a value '{match.Value}'");
        }
    }

    [Fact]
    public void Products_and_sums_are_named_after_their_operands_and_the_user_locals()
    {
        var files = GenerateAll();
        string gru = files["LayerGen.TestLayers.GruCell.Forward.g.cs"];
        // z = Ops.Sigmoid(x * Wz + h * Uz + Bz): x·Wz, h·Uz, their sum, and the pre-activation named after z.
        Assert.Contains("global::LayerGen.Ops.MatMul(x, this.Wz, xWz);", gru);
        Assert.Contains("global::LayerGen.Ops.MatMul(h, this.Uz, hUz);", gru);
        Assert.Contains("global::LayerGen.Ops.Add(xWz, hUz, xWzPlusHUz);", gru);
        Assert.Contains("global::LayerGen.Ops.Add(xWzPlusHUz, this.Bz, zSum);", gru);
        Assert.Contains("global::LayerGen.Ops.Sigmoid(zSum, z);", gru);
        Assert.Contains("global::LayerGen.Ops.Sub(one, z, oneMinusZ);", gru);
        Assert.Contains("global::LayerGen.Ops.SigmoidBackward(z, dZ, dZSum);", gru);

        string dense = files["LayerGen.TestLayers.Dense.Forward.g.cs"];
        Assert.Contains("global::LayerGen.Ops.MatMul(dXW, this.W, dX, transposeB: true);  // dX = dXW·Wᵀ", dense);

        string attention = files["LayerGen.TestLayers.Attention.Forward.g.cs"];
        Assert.Contains("global::LayerGen.Ops.MatMul(q, k, qKT, transposeB: true);", attention);
    }

    [Fact]
    public void Fully_annotated_layers_size_broadcast_buffers_without_Math_Max()
    {
        // The plan sizes a broadcast's buffer from the operand whose dimension the shapes prove is the result's.
        var files = GenerateAll();
        foreach (var (hint, text) in files)
            Assert.False(text.Contains("Math.Max", StringComparison.Ordinal), $"{hint} sizes a buffer with Math.Max");
        Assert.Contains("EnsureShape(ref tape._xWPlusB, xW.Rows, xW.Cols);", files["LayerGen.TestLayers.Dense.Forward.g.cs"]);
        Assert.Contains("EnsureShape(ref tape._oneMinusZ, z.Rows, z.Cols);", files["LayerGen.TestLayers.GruCell.Forward.g.cs"]);

        // Without [Shape]s nothing is proven: the size is decided at run time (and the op checks it).
        var run = TestCompiler.RoslynFloor.Generate(TestCompiler.RoslynFloor.Compile("""
            using LayerGen;
            namespace Unshaped;
            public partial class Dense
            {
                public Matrix<float> W = null!, B = null!;
                [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W + B;
            }
            """));
        Assert.Empty(InMemoryCompiler.Errors(run.Output));
        Assert.Contains("global::System.Math.Max(xW.Rows, this.B.Rows)", run.Generated["Unshaped.Dense.Forward.g.cs"]);
    }
}
