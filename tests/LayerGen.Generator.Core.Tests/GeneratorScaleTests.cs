using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// The generator on a project of 200 layers (Dense, LayerNorm from primitives, MLP with a loss over two sublayers;
/// 20 files) generates every layer, cleanly. How long it takes is measured by <c>GeneratorBenchmarks</c> in
/// <c>tests/LayerGen.Benchmarks</c> (a benchmark, not a timed test: see <c>docs/benchmarks/generator.md</c>).
/// </summary>
public class GeneratorScaleTests
{
    private const int Layers = 200;
    private const int Files = 20;

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static string Source(int file)
    {
        var text = new StringBuilder("using LayerGen;\nnamespace Timing" + file + ";\n");
        for (int i = 0; i < Layers / Files; i++)
        {
            string name = "L" + i;
            switch (i % 3)
            {
                case 0:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            [Shape("D", "C")] public Matrix<float> W = new(4, 4);
                            [Shape(1, "C")] public Matrix<float> B = new(1, 4);
                            [Forward] public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
                        }

                        """);
                    break;
                case 1:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            public Matrix<float> Gain = new(1, 4);
                            public Matrix<float> Bias = new(1, 4);
                            [Forward]
                            public Matrix<float> Forward(Matrix<float> x)
                            {
                                var centered = Ops.Sub(x, Ops.Mean(x, 1));
                                var variance = Ops.Mean(Ops.Square(centered), 1);
                                var normalized = Ops.Div(centered, Ops.Sqrt(Ops.Add(variance, 1e-5f)));
                                return Ops.Add(Ops.Mul(normalized, Gain), Bias);
                            }
                        }

                        """);
                    break;
                default:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            public L0 Hidden = new();
                            public L0 Output = new();
                            [Forward]
                            public float Loss([NoGrad] Matrix<float> x, [NoGrad] int[] labels)
                                => Losses.SoftmaxCrossEntropy(Output.Forward(Ops.Tanh(Hidden.Forward(x))), labels);
                        }

                        """);
                    break;
            }
        }
        return text.ToString();
    }

    private static readonly SyntaxTree[] Trees =
        Enumerable.Range(0, Files).Select(f => CSharpSyntaxTree.ParseText(Source(f), Parse, path: $"Timing{f}.cs")).ToArray();

    private static CSharpCompilation NewCompilation() => CSharpCompilation.Create("Timing", Trees,
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(Matrix<>).Assembly.Location)),
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
        new[] { new LayerGenGenerator().AsSourceGenerator() }, parseOptions: Parse);

    [Fact]
    public void Generator_on_200_layers_generates_every_layer()
    {
        var run = NewDriver().RunGenerators(NewCompilation()).GetRunResult();
        Assert.Empty(run.Diagnostics);
        Assert.Null(run.Results[0].Exception);
        var generated = run.Results[0].GeneratedSources;
        Assert.True(generated.Length >= Layers * 2, $"expected ≥ {Layers * 2} files, got {generated.Length}");
        Assert.DoesNotContain(generated, s => s.SourceText.ToString().Contains("#error"));
        for (int f = 0; f < Files; f++)
        {
            for (int i = 0; i < Layers / Files; i++)
                Assert.Contains(generated, s => s.HintName == $"Timing{f}.L{i}.{(i % 3 == 2 ? "Loss" : "Forward")}.g.cs");
        }
    }
}
