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

    private static string Source(int file) => LayerGen.TestShared.ScaleLayers.Source(file);

    private static readonly SyntaxTree[] Trees =
        Enumerable.Range(0, Files).Select(f => CSharpSyntaxTree.ParseText(Source(f), Parse, path: $"Timing{f}.cs")).ToArray();

    private static CSharpCompilation NewCompilation() => CSharpCompilation.Create("Timing", Trees, TestCompiler.References,
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
